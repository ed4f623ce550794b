import FingerprintCore
import Foundation

/// What `index query` looks for.
public struct QueryOptions: Sendable {
    /// Near-duplicates: verified Jaccard of the shingle sets at least this
    /// (nil: the threshold the index's bands were tuned for).
    public var threshold: Double? = nil
    /// Nearest reference documents by TF-IDF cosine (0: none; it loads
    /// every stored count vector).
    public var top = 0
    /// A document whose share of 13-grams found in the reference reaches this is a match.
    public var minContainment = 0.5
    public var key: FingerprintKey? = nil
    public var read = ReadOptions()
    public init() {}
}

/// One questioned document's findings.
public struct QueryResult: Codable, Sendable, Equatable {
    public struct Match: Codable, Sendable, Equatable {
        public var document: String
        public var score: Double
    }
    public var document: String
    public var tokens: Int
    /// Reference documents whose shingle sets have Jaccard ≥ threshold (verified), best first.
    public var nearDuplicates: [Match]
    /// Distinct word 13-grams of the document, and how many occur anywhere in the reference.
    public var grams: Int
    public var sharedGrams: Int
    public var containment: Double
    /// Nearest reference documents by TF-IDF cosine, best first.
    public var neighbors: [Match]
    public var matched: Bool

    enum CodingKeys: String, CodingKey {
        case document, tokens, grams, containment, neighbors, matched
        case nearDuplicates = "near_duplicates"
        case sharedGrams = "shared_grams"
    }
}

/// The result of `index query`.
public struct QueryReport: Codable, Sendable {
    public var schema = "fingerprint.query/1"
    public var version = Fingerprint.version
    public var index: String
    public var referenceDocuments: Int
    public var questioned: String
    public var tokenizer: String
    public var threshold: Double
    public var minContainment: Double
    public var banding: LSHBanding
    public var results: [QueryResult]
    /// Over the whole questioned corpus: distinct 13-grams and the share found in the reference.
    public var grams: Int
    public var sharedGrams: Int
    public var containment: Double
    public var candidates: Int
    public var skipped: [Skip]
    public var notes: [String]

    public var matched: Bool { results.contains { $0.matched } }

    enum CodingKeys: String, CodingKey {
        case schema, version, index, questioned, tokenizer, threshold, banding, results, grams, containment, candidates, skipped, notes
        case referenceDocuments = "reference_documents"
        case minContainment = "min_containment"
        case sharedGrams = "shared_grams"
    }
}

extension FingerprintStore {
    /// Checks a questioned corpus against the index in `file`, without the
    /// reference's text: near-duplicates from the stored LSH bands, each
    /// candidate verified by the exact Jaccard of the stored shingle sets;
    /// word 13-gram containment against every reference document; and the
    /// nearest reference documents by TF-IDF cosine over the stored counts.
    /// - Complexity: reading the questioned corpus once (twice with `top`),
    ///   one indexed lookup per band per document, and the blocks of the gram
    ///   index that questioned 13-grams fall in (a schema-1 file: every
    ///   stored 13-gram set); with `top`, every stored count vector.
    package static func query(
        _ questioned: CorpusInput, against file: FingerprintFile, tokenizer: TokenizerSpec, options o: QueryOptions,
        progress: ProgressSink? = nil
    ) throws -> QueryReport {
        // The neighbours count the questioned text again.
        if o.top > 0 && questioned.isStream { try StreamInput.keep(questioned.path) }
        // One read transaction: one snapshot of the index, however long the
        // run. With two threads, the containment reads on a second
        // connection while the near-duplicates are looked up on the first,
        // when the second holds the same file (device and inode) and its
        // read transaction sees the same commit (the same generation; a
        // file whose generation is 0 predates them, and is read on one
        // connection).
        let second = o.read.threads > 1 && file.hasGramIndex ? try? FingerprintFile(path: file.path) : nil
        // Every page the query reads (band look-ups in key order, gram
        // blocks, candidates in row order) is read once: a small page cache,
        // recycled, instead of 128 MB of new pages.
        let cache = try file.database.integer("PRAGMA cache_size") ?? -2000
        try file.database.execute("PRAGMA cache_size=-4096")
        defer { try? file.database.execute("PRAGMA cache_size=\(cache)") }
        return try file.database.reading {
            let generation = try file.generation()
            guard let second, generation != 0 else {
                return try querySnapshot(questioned, against: file, tokenizer: tokenizer, options: o, progress: progress)
            }
            return try second.database.reading {
                try second.database.execute("PRAGMA cache_size=-4096")
                let sameGeneration = try second.generation() == generation
                let same = second.identity != nil && second.identity == file.identity && sameGeneration
                return try querySnapshot(
                    questioned, against: file, containmentFrom: same ? second : nil, tokenizer: tokenizer, options: o,
                    progress: progress)
            }
        }
    }

    /// `containmentFrom`: a second connection to the file, in a read
    /// transaction that sees the same commit, on which the containment is
    /// read in parallel with the near-duplicates.
    private static func querySnapshot(
        _ questioned: CorpusInput, against file: FingerprintFile, containmentFrom second: FingerprintFile? = nil,
        tokenizer: TokenizerSpec, options o: QueryOptions, progress: ProgressSink?
    ) throws -> QueryReport {
        Trace.mark("query: start")
        let p = file.parameters
        try file.requireCompatible(tokenizer: tokenizer)
        try file.requireCurrentShingles()
        if p.keyed && o.key?.id != p.keyID {
            throw FingerprintError.badData(
                path: file.path, reason: "is keyed: querying it needs the same key (--key; key id \(p.keyID!))")
        }
        if !p.keyed && o.key != nil {
            throw FingerprintError.badData(path: file.path, reason: "is not keyed; query it without --key")
        }
        if questioned.kind == .fingerprint {
            throw FingerprintError.badData(
                path: questioned.path,
                reason: "is a fingerprint file; index query reads the questioned text (fingerprint index add merges files' corpora)")
        }
        let threshold = o.threshold ?? p.threshold
        let banding = LSHBanding(bands: p.bands, rows: p.rows)
        let hasher = MinHasher(perms: p.permutations, seed: p.seed)
        let key = o.key
        let scan = try CorpusReader.read(questioned, options: o.read, progress: progress) {
            FileSketchWorker(tokenizer: tokenizer, shingle: p.shingle, hasher: hasher, key: key)
        }
        for w in scan.workers { w.release() }
        Trace.mark("query: questioned corpus read")
        let db = file.database

        // Near-duplicates: each distinct band key looked up once, in key
        // order (the band index reads each block some key falls in once),
        // then the candidates loaded in row order and verified by exact
        // Jaccard.
        let outputs = scan.outputs
        func nearDuplicates() throws -> (near: [[QueryResult.Match]], candidates: Int, unreadable: Int) {
            let load = try db.prepare("SELECT name, shingles FROM documents WHERE id = ?")
            let started = Trace.now
            // Each band's keys, sorted by (key, questioned document).
            var perBand = [BandEntries](repeating: BandEntries(), count: banding.bands)
            var probes = 0
            for (i, out) in outputs.enumerated() {
                let s = out.output
                guard p.hasBandKeys(shingleTokens: s.shingleTokens, shingles: s.shingles.count) else { continue }
                for (band, h) in FingerprintWriter.bandKeys(s.minhash, banding).enumerated() { perBand[band].append(h, Int64(i)) }
                probes += banding.bands
            }
            var scratch: [UInt64] = []
            var distinct: [(band: Int, hash: UInt64)] = []
            for b in perBand.indices {
                perBand[b].sort(scratch: &scratch)
                for h in perBand[b].hashes where distinct.last.map({ $0 != (b, h) }) ?? true { distinct.append((b, h)) }
            }
            Trace.part("band probes: keys computed and sorted", seconds: Trace.since(started))
            let held = try file.storedBandDocuments(distinct)
            var found = [Set<Int64>](repeating: [], count: outputs.count)
            var d = 0
            for b in perBand.indices {
                for (h, i) in zip(perBand[b].hashes, perBand[b].documents) {
                    if distinct[d] != (b, h) { d += 1 }
                    found[Int(i)].formUnion(held[d])
                }
            }
            Trace.part("band probes (\(probes))", seconds: Trace.since(started))
            var stored: [Int64: (name: String, shingles: [UInt64])] = [:]
            var unreadable = 0
            for row in Set(found.joined()).sorted() {
                load.bind(1, row)
                if try load.step() {
                    // As every reader of a document's sets: whole hashes,
                    // sorted, distinct, and not empty when it has band keys
                    // (a damaged set gave a wrong Jaccard with exit 0).
                    guard let sh = load.array(1, of: UInt64.self), !sh.isEmpty && FingerprintFile.strictlyAscending(sh) else {
                        throw FingerprintError.badData(path: file.path, reason: "document '\(load.string(0) ?? "")': damaged shingles")
                    }
                    stored[row] = (load.string(0) ?? "", sh)
                } else {
                    unreadable += 1
                }
                load.reset()
            }
            var candidates = 0
            var near: [[QueryResult.Match]] = []
            for (i, out) in outputs.enumerated() {
                candidates += found[i].count
                var matches: [QueryResult.Match] = []
                for row in found[i] {
                    guard let c = stored[row] else { continue }
                    let j = exactJaccard(out.output.shingles, c.shingles)
                    if j >= threshold { matches.append(.init(document: c.name, score: j)) }
                }
                matches.sort { $0.score != $1.score ? $0.score > $1.score : $0.document < $1.document }
                near.append(matches)
            }
            return (near, candidates, unreadable)
        }

        // Containment: which questioned 13-grams occur in the reference, from
        // the gram index (a schema-1 file: from every document's stored set).
        func contained(in file: FingerprintFile) throws -> (all: NGramIndex, shared: [Int], sharedAll: Int) {
            var questionedParts = outputs.map { $0.output.grams[1] }
            let all = NGramIndex(parts: &questionedParts)
            let present: NGramIndex
            if let found = try file.storedGramsPresent(all.hashes) {
                var hits: [UInt64] = []
                for (k, h) in all.hashes.enumerated() where found[k] { hits.append(h) }
                present = NGramIndex(consuming: &hits)
            } else {
                var parts: [[UInt64]] = []
                try file.forEachDocument(columns: .grams) { _, d in parts.append(d.grams[1]) }
                let reference = NGramIndex(parts: &parts)
                present = NGramIndex(all.hashes.filter { reference.contains($0) })
            }
            let shared = outputs.map { out in out.output.grams[1].filter { present.contains($0) }.count }
            return (all, shared, present.count)
        }

        // With a second connection the two run at once, each on its own.
        let (near, candidates, unreadable): ([[QueryResult.Match]], Int, Int)
        let (all, shared, sharedAll): (NGramIndex, [Int], Int)
        if let second {
            ((near, candidates, unreadable), (all, shared, sharedAll)) = try Parallel.pair(nearDuplicates, { try contained(in: second) })
            Trace.mark("query: near-duplicates and containment, in parallel")
        } else {
            (near, candidates, unreadable) = try nearDuplicates()
            Trace.mark("query: near-duplicates")
            (all, shared, sharedAll) = try contained(in: file)
            Trace.mark("query: containment")
        }
        // Nearest neighbours by TF-IDF cosine over the stored counts.
        var neighbors = [[QueryResult.Match]](repeating: [], count: scan.documents.count)
        var notes: [String] = []
        if o.top > 0 {
            var b = BatchOptions()
            b.tokenizer = tokenizer
            b.top = o.top
            b.read = o.read
            let sink = NeighborCollector()
            var counted = try Counter.count(questioned, tokenizer: tokenizer, options: o.read)
            if let key { counted = counted.keyed(with: key) }
            let stored = try file.countedCorpus(tokenizer: tokenizer)
            _ = try Batch.run(
                counted: counted, stored, input: questioned, reference: try CorpusInput(path: file.path), options: b, sink: sink)
            neighbors = sink.lists.map { l in l.map { .init(document: sink.candidateNames[$0.index], score: Double($0.score)) } }
            notes += sink.notes
        }
        var results: [QueryResult] = []
        for (i, d) in scan.documents.enumerated() {
            let g = scan.outputs[i].output.grams[1].count
            let share = g > 0 ? Double(shared[i]) / Double(g) : 0
            results.append(
                QueryResult(
                    document: d.name, tokens: scan.outputs[i].output.counts.tokens, nearDuplicates: near[i], grams: g,
                    sharedGrams: shared[i], containment: share, neighbors: i < neighbors.count ? neighbors[i] : [],
                    matched: !near[i].isEmpty || (g > 0 && share >= o.minContainment)))
        }
        if unreadable > 0 {
            notes.append(
                "\(unreadable) candidate reference documents could not be read (a band points at a missing row): not verified, not reported"
            )
        }
        let tooShort = scan.outputs.filter { $0.output.shingleTokens < p.shingle }.count
        if tooShort > 0 {
            notes.append("\(tooShort) documents are shorter than one \(p.shingle)-token shingle: no near-duplicates for them")
        }
        let noGrams = scan.outputs.filter { $0.output.grams[1].isEmpty }.count
        if noGrams > 0 {
            notes.append("\(noGrams) documents hold no 13-gram (fewer than 13 words): no containment for them (shown as 0/0)")
        }
        if threshold < p.threshold {
            notes.append(
                "--threshold \(threshold) is below the \(p.threshold) the index's \(p.bands)×\(p.rows) LSH bands were tuned for: pairs between them are found with lower probability"
            )
        }
        let indexSkips = try file.skips().count
        if indexSkips > 0 {
            notes.append("the index's own inputs had \(indexSkips) skipped when they were sketched (fingerprint index list shows which)")
        }
        let referenceDocuments = try file.documentCount()
        Trace.mark("query: neighbours, results")
        return QueryReport(
            index: file.path, referenceDocuments: referenceDocuments, questioned: questioned.description,
            tokenizer: p.tokenizer, threshold: threshold, minContainment: o.minContainment, banding: banding, results: results,
            grams: all.count, sharedGrams: sharedAll, containment: all.count > 0 ? Double(sharedAll) / Double(all.count) : 0,
            candidates: candidates, skipped: scan.skips, notes: notes)
    }
}

/// Keeps the neighbour lists of a batch run.
final class NeighborCollector: BatchSink {
    var lists: [[Neighbor]] = []
    var candidateNames: [String] = []
    var notes: [String] = []
    func begin(_ header: BatchHeader, queryNames: [String], candidateNames: [String]) throws {
        lists = [[Neighbor]](repeating: [], count: queryNames.count)
        self.candidateNames = candidateNames
    }
    func neighbors(query: Int, _ list: [Neighbor]) throws { lists[query] = list }
    func pairs(_ p: [ScoredPair]) throws {}
    func end(clusters: [DocumentCluster], notes: [String]) throws { self.notes = notes }
}
