import FingerprintCore
import Foundation

/// How `batch` represents documents.
public enum BatchMethod: String, CaseIterable, Sendable, Codable {
    /// Exact cosine of TF-IDF vectors (dense head by GEMM + sparse tail).
    case tfidf
    /// Cosine in a randomized truncated-SVD space of the TF-IDF matrix.
    case lsa
    /// Jaccard similarity of word-shingle sets: MinHash + LSH candidates at
    /// --threshold, each verified exactly.
    case minhash
}

/// Options of `fingerprint batch`.
public struct BatchOptions: Sendable {
    public var tokenizer: TokenizerSpec = .word
    public var features = 16384
    public var sublinear = false
    public var method: BatchMethod = .tfidf
    public var dims = 128
    public var powerIterations = 2
    public var top = 10
    public var threshold: Float? = nil
    public var tile = 2048
    public var seed: UInt64 = 0
    /// Longest shared passages to attach to each reported pair (0: none).
    public var evidence = 0
    /// Files whose text is not evidence (passages made only of it are dropped).
    public var boilerplate: String? = nil
    public var shingle = 5
    /// Corpus × corpus modes: relabellings of each pair's permutation test
    /// (0: no tests), its top-K types + other, the random halves of each
    /// self-baseline, and whether documents are matched across corpora
    /// (by their name within the corpus, or `pairField` for JSONL).
    public var permutations = 199
    public var testFeatures = 1000
    public var baselineSplits = 20
    public var paired = false
    public var read = ReadOptions()
    public init() {}
}

/// Shared passages behind a reported pair (`--evidence`).
public struct PairEvidence: Codable, Sendable {
    public var a: Int
    public var b: Int
    public var passages: [Passage]
}

/// What a batch run says before its rows (for headers).
public struct BatchHeader: Codable, Sendable {
    public var schema = "fingerprint.batch/1"
    public var version = Fingerprint.version
    public var corpus: String
    public var reference: String?
    public var method: BatchMethod
    public var tokenizer: TokenizerSpec
    public var features: Int
    public var sublinear: Bool
    public var dims: Int?
    public var top: Int
    public var threshold: Float?
    public var seed: UInt64
    public var documents: Int
    public var referenceDocuments: Int?
    /// Columns in the GEMM head and in the sparse tail (tfidf).
    public var headColumns: Int
    public var tailColumns: Int
    public var skipped: [Skip]

    enum CodingKeys: String, CodingKey {
        case schema, version, corpus, reference, method, tokenizer, features, sublinear, dims, top, threshold, seed, documents
        case referenceDocuments = "reference_documents"
        case headColumns = "head_columns"
        case tailColumns = "tail_columns"
        case skipped
    }
}

/// A pair over the threshold.
public struct ScoredPair: Codable, Sendable, Equatable {
    /// The order of pairs everywhere they are ranked: higher score first,
    /// ties by (a, b).
    public static func isStronger(_ x: ScoredPair, _ y: ScoredPair) -> Bool {
        x.score != y.score ? x.score > y.score : (x.a != y.a ? x.a < y.a : x.b < y.b)
    }

    public init(a: Int, b: Int, score: Float) {
        self.a = a
        self.b = b
        self.score = score
    }

    public var a: Int
    public var b: Int
    public var score: Float
}

/// A cluster of documents joined by pairs over the threshold.
public struct DocumentCluster: Codable, Sendable, Equatable {
    public var id: Int
    public var members: [Int]
    /// The member with the most pairs in the cluster (ties: first).
    public var representative: Int
}

/// Receives a batch run as it goes (writers stream csv/jsonl).
public protocol BatchSink: AnyObject {
    func begin(_ header: BatchHeader, queryNames: [String], candidateNames: [String]) throws
    func neighbors(query: Int, _ list: [Neighbor]) throws
    func pairs(_ p: [ScoredPair]) throws
    /// Shared passages of reported pairs (only with `--evidence`), before `end`.
    func evidence(_ e: [PairEvidence]) throws
    func end(clusters: [DocumentCluster], notes: [String]) throws
}

extension BatchSink {
    public func evidence(_ e: [PairEvidence]) throws {}
}

public enum Batch {
    /// What a run found, besides what went to the sink.
    public struct Outcome: Sendable {
        /// Pairs at or above `BatchOptions.threshold` (0 without a threshold).
        public var pairsOverThreshold = 0
        /// Where the time went (GEMM, sparse tail, selection).
        public var timing = SimilaritySearch.Timing()
        /// Inputs skipped while reading (also in the sink's header).
        public var skipped: [Skip] = []
        /// Whether any pair reached the threshold.
        public var matched: Bool { pairsOverThreshold > 0 }
    }

    /// Scores every document of `input` against every other (or against
    /// `reference`), streaming results to `sink`.
    /// - Returns: how many pairs reached the threshold, and the timings.
    /// - Complexity: exact cosine: 2·N·M·H flops of GEMM over the H head
    ///   columns plus the sparse tail's postings; memory O(tile² + N·k).
    @discardableResult
    public static func run(
        _ input: CorpusInput, reference: CorpusInput?, options o: BatchOptions,
        sink: BatchSink, progress: ProgressSink? = nil
    ) throws -> Outcome {
        if o.method == .minhash {
            return try runMinHash(input, reference: reference, options: o, sink: sink, progress: progress)
        }
        let main = try Counter.count(input, tokenizer: o.tokenizer, options: o.read, progress: progress)
        let ref = try reference.map { try Counter.count($0, tokenizer: o.tokenizer, options: o.read, progress: progress) }
        return try run(counted: main, ref, input: input, reference: reference, options: o, sink: sink)
    }

    /// `run` on corpora already counted (or loaded from fingerprint files).
    static func run(
        counted main: CountedCorpus, _ ref: CountedCorpus?, input: CorpusInput, reference: CorpusInput?, options o: BatchOptions,
        sink: BatchSink
    ) throws -> Outcome {
        if let ref { try FingerprintStore.requireSameKey(main, ref) }
        let m = ref.map { DocumentTermMatrix.stacked(main.matrix, $0.matrix) } ?? main.matrix
        let nq = main.documents.count
        let nc = ref?.documents.count ?? nq
        let queryRows = Array(0..<nq)
        let candidateRows = ref == nil ? queryRows : Array(nq..<(nq + nc))
        var notes: [String] = []

        let t = TfIdfMatrix(m, features: o.features, sublinear: o.sublinear)
        let q: SplitVectors
        let c: SplitVectors
        var headCols = 0
        var tailCols = 0
        switch o.method {
        case .tfidf:
            var dfq = [Int](repeating: 0, count: t.cols)
            var dfc = dfq
            for d in queryRows { for k in t.rowStart[d]..<t.rowStart[d + 1] { dfq[Int(t.columns[k])] += 1 } }
            for d in candidateRows { for k in t.rowStart[d]..<t.rowStart[d + 1] { dfc[Int(t.columns[k])] += 1 } }
            let head = SimilaritySearch.headColumns(dfQueries: dfq, nq: nq, dfCandidates: dfc, nc: nc)
            headCols = head.filter { $0 }.count
            tailCols = t.cols - headCols
            q = SplitVectors(rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols, rows: queryRows, columnIsHead: head)
            c =
                ref == nil
                ? q
                : SplitVectors(
                    rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols, rows: candidateRows, columnIsHead: head)
        case .minhash:
            preconditionFailure("batch --method minhash is handled by runMinHash")
        case .lsa:
            // Without a column there is nothing to decompose: every vector is 0 (one
            // dimension, so the search has a shape), as every TF-IDF row is (review 31a:
            // the SVD of a 0-column matrix trapped).
            var u = Matrix<Float>(rows: t.rows, cols: 1)
            var sigma = [Float](repeating: 0, count: 1)
            if t.cols > 0 {
                let csr = RandomizedSVD.CSR(rows: t.rows, cols: t.cols, rowStart: t.rowStart, columns: t.columns, values: t.values)
                let rank = min(o.dims, max(1, min(t.rows, t.cols)))
                if rank < o.dims { notes.append("--dims \(o.dims) reduced to \(rank), the rank bound of a \(t.rows) × \(t.cols) matrix") }
                let svd = try RandomizedSVD.compute(csr, rank: rank, powerIterations: o.powerIterations, seed: o.seed)
                u = svd.u
                sigma = svd.s
            }
            // A document without a feature is the zero vector, as in TF-IDF: past the matrix's
            // rank its U row is SVD noise, which scored 0.07 against other documents (review 31c).
            for i in 0..<u.rows where t.rowStart[i] == t.rowStart[i + 1] {
                for j in 0..<u.cols { u[i, j] = 0 }
            }
            // Document vectors U·Σ, L2-normalised: their dot products approximate the TF-IDF cosines.
            for i in 0..<u.rows {
                var norm: Float = 0
                for j in 0..<u.cols {
                    u[i, j] *= sigma[j]
                    norm += u[i, j] * u[i, j]
                }
                norm = norm.squareRoot()
                if norm > 0 { for j in 0..<u.cols { u[i, j] /= norm } }
            }
            headCols = u.cols
            q = SplitVectors(dense: u.rowsBlock(0..<nq))
            c = ref == nil ? q : SplitVectors(dense: u.rowsBlock(nq..<(nq + nc)))
        }
        if t.cols == 0 && !m.lengths.isEmpty {
            notes.append("no document holds a \(o.tokenizer) token, so no feature: every score is 0")
        }
        if nc < 2 && ref == nil { notes.append("only \(nq) document: no pairs to score") }
        notes += evidenceUnavailable([input, reference].compactMap { $0 }, options: o)
        if o.top > (ref == nil ? nc - 1 : nc) && nc > 0 {
            notes.append("--top \(o.top) is more than the \(ref == nil ? nc - 1 : nc) candidates: every candidate is listed")
        }

        let header = BatchHeader(
            corpus: main.input, reference: ref?.input, method: o.method, tokenizer: o.tokenizer,
            features: t.cols, sublinear: o.sublinear, dims: o.method == .lsa ? headCols : nil,
            top: o.top, threshold: o.threshold, seed: o.seed, documents: nq,
            referenceDocuments: ref?.documents.count, headColumns: o.method == .tfidf ? headCols : 0,
            tailColumns: tailCols, skipped: main.skips + (ref?.skips ?? []))
        try sink.begin(header, queryNames: main.documents.map(\.name), candidateNames: (ref ?? main).documents.map(\.name))

        var so = SimilarityOptions()
        so.unitRows = true
        so.k = o.top
        so.threshold = o.threshold
        so.tile = o.tile
        so.threads = o.read.threads
        // Pairs are not kept: the search hands them over one row of one
        // tile × tile block at a time, clusters grow by union–find as they
        // arrive and only the strongest pairs that evidence needs are held, so
        // memory is O(documents + tile²), however many pairs reach the threshold.
        var clusterer = PairClusters(nq)
        var strongest = StrongestPairs(limit: o.evidence > 0 ? evidenceLimit : 0)
        var found = 0
        var evidencePairs: [ScoredPair] = []
        var byNeighbour = [Int: Int]()
        var timing = SimilaritySearch.Timing()
        if nq > 0 && nc > 0 && !(ref == nil && nc < 2) {
            timing = try SimilaritySearch.run(
                queries: q, candidates: c, selfPairs: ref == nil, options: so,
                pairs: { pairs in
                    let p = pairs.map { ScoredPair(a: Int($0.0), b: Int($0.1), score: $0.2) }
                    try sink.pairs(p)
                    found += p.count
                    // (The search finds pairs only under a threshold.)
                    for x in p {
                        if ref == nil { clusterer.add(x) }
                        strongest.add(x)
                    }
                },
                neighbors: { first, lists in
                    for (r, l) in lists.enumerated() {
                        try sink.neighbors(query: first + r, l)
                        // Without a threshold, the evidence is for each document's nearest neighbour
                        // (a–b and b–a once when both are the same corpus).
                        if o.evidence > 0, o.threshold == nil, let top = l.first {
                            let q = first + r
                            if ref != nil || q < top.index || byNeighbour[top.index] != q {
                                evidencePairs.append(
                                    ref == nil
                                        ? ScoredPair(a: min(q, top.index), b: max(q, top.index), score: top.score)
                                        : ScoredPair(a: q, b: top.index, score: top.score))
                            }
                            byNeighbour[q] = top.index
                        }
                    }
                })
        } else {
            for i in 0..<nq { try sink.neighbors(query: i, []) }
        }
        let clusters = ref == nil && o.threshold != nil ? clusterer.clusters() : []
        if o.evidence > 0 {
            if let n = evidenceCutNote(found == 0 ? evidencePairs.count : found) { notes.append(n) }
            try sink.evidence(
                evidenceFor(
                    found == 0 ? evidencePairs : strongest.pairs,
                    queries: main.documents.map { input.document($0) },
                    candidates: ref.map { r in r.documents.map { reference!.document($0) } }
                        ?? main.documents.map { input.document($0) },
                    options: o))
        }
        try sink.end(clusters: clusters, notes: notes)
        return Outcome(pairsOverThreshold: found, timing: timing, skipped: main.skips + (ref?.skips ?? []))
    }

    /// Up to `o.evidence` longest shared passages for each pair (at most
    /// 1,000 pairs, strongest first), re-reading just the two files of a
    /// pair. A pair whose text cannot be re-read (standard input, a file
    /// changed or removed since) gets no evidence.
    static func evidenceFor(_ pairs: [ScoredPair], queries: [DocumentFile], candidates: [DocumentFile], options o: BatchOptions) throws
        -> [PairEvidence]
    {
        let chosen = pairs.sorted(by: ScoredPair.isStronger).prefix(1000)
        let filter = try o.boilerplate.map { try BoilerplateFilter.files(in: $0, k: PassageOptions().k, readOptions: o.read) }
        let aligner = PassageOptions(boilerplate: filter)
        var out: [PairEvidence] = []
        for p in chosen {
            guard let a = try? queries[p.a].read(), let b = try? candidates[p.b].read() else { continue }
            // The candidate is aligned as the A side; the passages are turned round so that
            // a_* are the offsets in document a (review 31a: JSON gave b's as a's).
            var passages = PassageAlignment.align(b, a, options: aligner).map { $0.swapped() }
            passages.sort { $0.tokens != $1.tokens ? $0.tokens > $1.tokens : $0.aStart < $1.aStart }
            out.append(PairEvidence(a: p.a, b: p.b, passages: Array(passages.prefix(o.evidence))))
        }
        return out.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
    }

    /// batch --method minhash: candidates from LSH banding at the threshold,
    /// every candidate verified by the exact Jaccard of its shingle sets.
    static func runMinHash(
        _ input: CorpusInput, reference: CorpusInput?, options o: BatchOptions,
        sink: BatchSink, progress: ProgressSink?
    ) throws -> Outcome {
        var d = DedupOptions()
        d.shingle = o.shingle
        d.threshold = Double(o.threshold ?? 0.5)
        d.seed = o.seed == 0 ? 1 : o.seed
        d.read = o.read
        let hasher = MinHasher(perms: d.perms, seed: d.seed)
        d.tokenizer = o.tokenizer.isModel ? o.tokenizer : .word
        struct Sketched {
            var documents: [DocumentInfo]
            var sketches: [SketchedDocument]
            var skips: [Skip]
            var keyID: String?
        }
        func sketch(_ i: CorpusInput) throws -> Sketched {
            if i.kind == .fingerprint {
                let f = try FingerprintStore.sketches(i, options: d)
                return Sketched(documents: f.documents, sketches: f.sketches, skips: f.skips, keyID: f.keyID)
            }
            let s = try CorpusReader.read(i, options: o.read, progress: progress) {
                SketchWorker(shingle: d.shingle, hasher: hasher, tokenizer: d.tokenizer, method: .minhash)
            }
            for w in s.workers { w.release() }
            return Sketched(documents: s.documents, sketches: s.outputs.map(\.output), skips: s.skips, keyID: nil)
        }
        let main = try sketch(input)
        let ref = try reference.map(sketch)
        if let ref, ref.keyID != main.keyID {
            throw FingerprintError.badData(
                path: main.keyID != nil ? input.description : reference!.description,
                reason: ref.keyID != nil && main.keyID != nil
                    ? "was made with another key than \(reference!.description)"
                    : "is keyed (sketch --key): keyed hashes can only be compared with files made with the same key")
        }
        let nq = main.documents.count
        let sketches = main.sketches + (ref?.sketches ?? [])
        let pairsFound = Dedup.verifiedPairs(sketches: sketches, options: d)
        var byQuery = [[Neighbor]](repeating: [], count: nq)
        var pairs: [ScoredPair] = []
        for (x, y, j) in pairsFound {
            if ref == nil {
                byQuery[x].append(Neighbor(index: y, score: Float(j)))
                byQuery[y].append(Neighbor(index: x, score: Float(j)))
                pairs.append(ScoredPair(a: x, b: y, score: Float(j)))
            } else if x < nq && y >= nq {
                byQuery[x].append(Neighbor(index: y - nq, score: Float(j)))
                pairs.append(ScoredPair(a: x, b: y - nq, score: Float(j)))
            }
        }
        pairs.sort { ($0.a, $0.b) < ($1.a, $1.b) }
        var notes = evidenceUnavailable([input, reference].compactMap { $0 }, options: o)
        notes += [
            "minhash: \(d.perms) permutations, \(d.shingle)-\(o.tokenizer.isModel ? "token" : "word") shingles, Jaccard ≥ \(Float(d.threshold)), candidates verified exactly; only verified pairs are listed"
        ]
        let tooShort = (0..<nq).filter { sketches[$0].tokens < d.shingle }.count
        if tooShort > 0 { notes.append("\(tooShort) documents are shorter than one shingle and have no neighbours") }
        let header = BatchHeader(
            corpus: input.description, reference: reference?.description, method: .minhash,
            tokenizer: o.tokenizer.isModel ? o.tokenizer : .word,
            features: 0, sublinear: false, dims: nil, top: o.top, threshold: Float(d.threshold), seed: d.seed,
            documents: nq, referenceDocuments: ref?.documents.count, headColumns: 0, tailColumns: 0,
            skipped: main.skips + (ref?.skips ?? []))
        try sink.begin(header, queryNames: main.documents.map(\.name), candidateNames: (ref?.documents ?? main.documents).map(\.name))
        for q in 0..<nq {
            let l = byQuery[q].sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
            try sink.neighbors(query: q, Array(l.prefix(o.top)))
        }
        if !pairs.isEmpty { try sink.pairs(pairs) }
        if o.evidence > 0 {
            if let n = evidenceCutNote(pairs.count) { notes.append(n) }
            let queries = main.documents.map { input.document($0) }
            let candidates = ref.map { r in r.documents.map { reference!.document($0) } } ?? queries
            try sink.evidence(evidenceFor(pairs, queries: queries, candidates: candidates, options: o))
        }
        try sink.end(clusters: ref == nil ? clustersOf(pairs, n: nq) : [], notes: notes)
        return Outcome(pairsOverThreshold: pairs.count, skipped: main.skips + (ref?.skips ?? []))
    }

    /// A note for each fingerprint file among the inputs when evidence was
    /// asked for: its documents' passages need the text it does not keep.
    static func evidenceUnavailable(_ inputs: [CorpusInput], options o: BatchOptions) -> [String] {
        guard o.evidence > 0 else { return [] }
        return inputs.filter { $0.kind == .fingerprint }.map {
            "evidence: unavailable for pairs with a document of \($0.path), a fingerprint file (it keeps no text)"
        }
    }

    /// Pairs of a run that get evidence (the strongest, at most).
    static let evidenceLimit = 1000

    /// Said when `--evidence` leaves pairs without passages (review 31a: the
    /// weaker pairs past 1,000 had none, and nothing said so).
    static func evidenceCutNote(_ pairs: Int) -> String? {
        pairs > evidenceLimit
            ? "--evidence: passages for the \(evidenceLimit) strongest of the \(pairs) pairs; the rest have none" : nil
    }

    /// Connected components of the pair graph (union–find), each with the
    /// member that has the most pairs as representative.
    public static func clustersOf(_ pairs: [ScoredPair], n: Int) -> [DocumentCluster] {
        var c = PairClusters(n)
        for p in pairs { c.add(p) }
        return c.clusters()
    }
}

/// Clusters of a pair graph built as pairs arrive: union–find and degrees,
/// O(documents) memory whatever the number of pairs.
struct PairClusters {
    private var uf: UnionFind
    private var degree: [Int]

    init(_ n: Int) {
        uf = UnionFind(n)
        degree = [Int](repeating: 0, count: n)
    }

    mutating func add(_ p: ScoredPair) {
        uf.union(p.a, p.b)
        degree[p.a] += 1
        degree[p.b] += 1
    }

    /// The components of two or more documents, each with the member that
    /// has the most pairs as representative (ties: the first).
    mutating func clusters() -> [DocumentCluster] {
        let degree = self.degree
        return uf.groups().enumerated().map { id, members in
            let rep = members.max { degree[$0] != degree[$1] ? degree[$0] < degree[$1] : $0 > $1 }!
            return DocumentCluster(id: id, members: members, representative: rep)
        }
    }
}

/// The `limit` strongest pairs seen (score descending, then (a, b)), kept in
/// O(limit) memory: the list is cut back to `limit` whenever it doubles.
struct StrongestPairs {
    let limit: Int
    private(set) var kept: [ScoredPair] = []

    init(limit: Int) { self.limit = limit }

    mutating func add(_ p: ScoredPair) {
        guard limit > 0 else { return }
        kept.append(p)
        if kept.count >= 2 * limit { trim() }
    }

    private mutating func trim() {
        kept.sort(by: ScoredPair.isStronger)
        kept.removeLast(max(0, kept.count - limit))
    }

    /// The kept pairs, strongest first.
    var pairs: [ScoredPair] {
        var c = self
        c.trim()
        return c.kept
    }
}
