import Foundation

/// How `batch` represents documents.
public enum BatchMethod: String, CaseIterable, Sendable, Codable {
    /// Exact cosine of TF-IDF vectors (dense head by GEMM + sparse tail).
    case tfidf
    /// Cosine in a randomized truncated-SVD space of the TF-IDF matrix.
    case lsa
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
    public var read = ReadOptions()
    public init() {}
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
        case referenceDocuments = "reference_documents", headColumns = "head_columns", tailColumns = "tail_columns", skipped
    }
}

/// A pair over the threshold.
public struct ScoredPair: Codable, Sendable, Equatable {
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
    func end(clusters: [DocumentCluster], notes: [String]) throws
}

public enum Batch {
    /// Scores every document of `input` against every other (or against
    /// `reference`), streaming results to `sink`.
    @discardableResult
    public static func run(_ input: CorpusInput, reference: CorpusInput?, options o: BatchOptions,
                           sink: BatchSink, progress: ProgressSink? = nil) throws -> SimilaritySearch.Timing {
        let main = try Counter.count(input, tokenizer: o.tokenizer, options: o.read, progress: progress)
        let ref = try reference.map { try Counter.count($0, tokenizer: o.tokenizer, options: o.read, progress: progress) }
        let m = ref.map { DocumentTermMatrix.stacked(main.matrix, $0.matrix) } ?? main.matrix
        let nq = main.documents.count
        let nc = ref?.documents.count ?? nq
        let queryRows = Array(0..<nq)
        let candidateRows = ref == nil ? queryRows : Array(nq..<(nq + nc))
        var notes: [String] = []

        let t = TfIdfMatrix(m, features: o.features, sublinear: o.sublinear)
        let q: SplitVectors, c: SplitVectors
        var headCols = 0, tailCols = 0
        switch o.method {
        case .tfidf:
            var dfq = [Int](repeating: 0, count: t.cols), dfc = dfq
            for d in queryRows { for k in t.rowStart[d]..<t.rowStart[d + 1] { dfq[Int(t.columns[k])] += 1 } }
            for d in candidateRows { for k in t.rowStart[d]..<t.rowStart[d + 1] { dfc[Int(t.columns[k])] += 1 } }
            let head = SimilaritySearch.headColumns(dfQueries: dfq, nq: nq, dfCandidates: dfc, nc: nc)
            headCols = head.filter { $0 }.count
            tailCols = t.cols - headCols
            q = SplitVectors(rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols, rows: queryRows, columnIsHead: head)
            c = ref == nil ? q : SplitVectors(rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols, rows: candidateRows, columnIsHead: head)
        case .lsa:
            let csr = RandomizedSVD.CSR(rows: t.rows, cols: t.cols, rowStart: t.rowStart, columns: t.columns, values: t.values)
            let rank = min(o.dims, max(1, min(t.rows, t.cols)))
            if rank < o.dims { notes.append("--dims \(o.dims) reduced to \(rank), the rank bound of a \(t.rows) × \(t.cols) matrix") }
            let svd = try RandomizedSVD.compute(csr, rank: rank, powerIterations: o.powerIterations, seed: o.seed)
            // Document vectors U·Σ, L2-normalised: their dot products approximate the TF-IDF cosines.
            var u = svd.u
            for i in 0..<u.rows {
                var norm: Float = 0
                for j in 0..<u.cols { u[i, j] *= svd.s[j]; norm += u[i, j] * u[i, j] }
                norm = norm.squareRoot()
                if norm > 0 { for j in 0..<u.cols { u[i, j] /= norm } }
            }
            headCols = u.cols
            q = SplitVectors(dense: u.rowsBlock(0..<nq))
            c = ref == nil ? q : SplitVectors(dense: u.rowsBlock(nq..<(nq + nc)))
        }
        if nc < 2 && ref == nil { notes.append("only \(nq) document: no pairs to score") }
        if o.top > (ref == nil ? nc - 1 : nc) && nc > 0 { notes.append("--top \(o.top) is more than the \(ref == nil ? nc - 1 : nc) candidates: every candidate is listed") }

        let header = BatchHeader(corpus: main.input, reference: ref?.input, method: o.method, tokenizer: o.tokenizer,
                                 features: t.cols, sublinear: o.sublinear, dims: o.method == .lsa ? headCols : nil,
                                 top: o.top, threshold: o.threshold, seed: o.seed, documents: nq,
                                 referenceDocuments: ref?.documents.count, headColumns: o.method == .tfidf ? headCols : 0,
                                 tailColumns: tailCols, skipped: main.skips + (ref?.skips ?? []))
        try sink.begin(header, queryNames: main.documents.map(\.name), candidateNames: (ref ?? main).documents.map(\.name))

        var so = SimilarityOptions()
        so.k = o.top
        so.threshold = o.threshold
        so.tile = o.tile
        so.threads = o.read.threads
        var allPairs: [ScoredPair] = []
        var timing = SimilaritySearch.Timing()
        if nq > 0 && nc > 0 && !(ref == nil && nc < 2) {
            timing = try SimilaritySearch.run(queries: q, candidates: c, selfPairs: ref == nil, options: so) { first, lists, pairs in
                for (r, l) in lists.enumerated() { try sink.neighbors(query: first + r, l) }
                let p = pairs.map { ScoredPair(a: $0.0, b: $0.1, score: $0.2) }
                if !p.isEmpty { try sink.pairs(p) }
                if ref == nil && o.threshold != nil { allPairs += p }
            }
        } else {
            for i in 0..<nq { try sink.neighbors(query: i, []) }
        }
        let clusters = ref == nil && o.threshold != nil ? clustersOf(allPairs, n: nq) : []
        try sink.end(clusters: clusters, notes: notes)
        return timing
    }

    /// Connected components of the pair graph (union–find), each with the
    /// member that has the most pairs as representative.
    public static func clustersOf(_ pairs: [ScoredPair], n: Int) -> [DocumentCluster] {
        var uf = UnionFind(n)
        var degree = [Int](repeating: 0, count: n)
        for p in pairs { uf.union(p.a, p.b); degree[p.a] += 1; degree[p.b] += 1 }
        return uf.groups().enumerated().map { id, members in
            let rep = members.max { degree[$0] != degree[$1] ? degree[$0] < degree[$1] : $0 > $1 }!
            return DocumentCluster(id: id, members: members, representative: rep)
        }
    }
}
