import FingerprintCore
import FingerprintStatistics
import Foundation

/// The machine-readable result of `fingerprint dedup` (schema fingerprint.dedup/1).
public struct DedupReport: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var document: String
        public var kept: Bool
        public var score: Double
    }
    public struct Cluster: Codable, Sendable {
        public var id: Int
        public var kept: String
        public var size: Int
        public var members: [Member]
    }
    public var schema = "fingerprint.dedup/1"
    public var version = Fingerprint.version
    public var corpus: String
    public var method: DedupMethod
    public var shingle: Int
    public var perms: Int
    public var threshold: Double?
    public var hamming: Int?
    public var bands: Int?
    public var rows: Int?
    public var keep: KeepRule
    public var seed: UInt64
    public var documents: Int
    public var duplicates: Int
    public var keptDocuments: Int
    public var candidatePairs: Int
    public var verifiedPairs: Int
    public var tooShort: [String]
    public var skipped: [Skip]
    public var clusters: [Cluster]
    /// The model tokenizer whose ids make the shingles (nil: words).
    public var tokenizer: String?

    enum CodingKeys: String, CodingKey {
        case tokenizer
        case schema, version, corpus, method, shingle, perms, threshold, hamming, bands, rows, keep, seed, documents, duplicates
        case keptDocuments = "kept_documents"
        case candidatePairs = "candidate_pairs"
        case verifiedPairs = "verified_pairs"
        case tooShort = "too_short"
        case skipped, clusters
    }

    public init(_ r: DedupResult, corpus: String, options o: DedupOptions) {
        self.corpus = corpus
        method = o.method
        shingle = o.shingle
        perms = o.perms
        threshold = o.method == .minhash ? o.threshold : nil
        hamming = o.method == .simhash ? o.hamming : nil
        bands = r.banding?.bands
        rows = r.banding?.rows
        keep = o.keep
        seed = o.seed
        documents = r.documents.count
        let names = r.documents.map(\.name)
        clusters = r.clusters.map { c in
            Cluster(
                id: c.id, kept: names[c.kept], size: c.members.count,
                members: c.members.map {
                    Member(document: names[$0.document], kept: $0.document == c.kept, score: ($0.score * 1e6).rounded() / 1e6)
                })
        }
        duplicates = r.clusters.reduce(0) { $0 + $1.members.count - 1 }
        keptDocuments = documents - duplicates
        candidatePairs = r.candidates
        verifiedPairs = r.verified
        tooShort = r.tooShort.map { names[$0] }
        skipped = r.skips
        tokenizer = o.tokenizer.isModel ? o.tokenizer.description : nil
    }

    public func table(limit: Int = 20) -> String {
        var s = "Dedup \(corpus.terminalSafe): \(Num.count(documents)) documents, method \(method.rawValue)"
        switch method {
        case .minhash:
            s +=
                " (\(shingle)-\(tokenizer == nil ? "word" : "token") shingles, \(perms) permutations, Jaccard ≥ \(threshold!), LSH \(bands!)×\(rows!), verified exactly)"
        case .simhash: s += " (64-bit, Hamming ≤ \(hamming!))"
        case .exact: s += " (identical \(tokenizer == nil ? "word" : "token") sequences)"
        }
        if let tokenizer { s += "\ntokenizer \(tokenizer)" }
        s +=
            "\n\(Num.count(clusters.count)) clusters, \(Num.count(duplicates)) duplicates removed, \(Num.count(keptDocuments)) documents kept"
        s += "; \(Num.count(candidatePairs)) candidate pairs, \(Num.count(verifiedPairs)) verified\n"
        if !tooShort.isEmpty {
            s +=
                "\(tooShort.count) documents too short \(method == .exact ? "(no token)" : "for one shingle") (never duplicates): \(tooShort.prefix(5).map(\.terminalSafe).joined(separator: ", "))\(tooShort.count > 5 ? ", …" : "")\n"
        }
        if !skipped.isEmpty {
            s += "\(skipped.count) skipped: \(skipped.prefix(3).map(\.description.terminalSafe).joined(separator: "; "))\n"
        }
        if !clusters.isEmpty {
            s += "\n"
            var t = TextTable(["cluster", "size", "kept", "duplicates (score to kept)"], align: [.right, .right, .left, .left])
            for c in clusters.sorted(by: { $0.size != $1.size ? $0.size > $1.size : $0.id < $1.id }).prefix(limit) {
                let d = c.members.filter { !$0.kept }.prefix(4).map { "\($0.document) (\(Num.f($0.score, 3)))" }
                t.add(["\(c.id)", "\(c.size)", c.kept, d.joined(separator: ", ") + (c.size > 5 ? ", …" : "")])
            }
            s += t.render()
            if clusters.count > limit { s += "  … and \(clusters.count - limit) more clusters (see --format json)\n" }
        }
        return s
    }

    /// id,cluster,kept,score (one row per member of a cluster).
    public func csv() -> String {
        var s = "# fingerprint \(version) dedup \(corpus.terminalSafe) method=\(method.rawValue) shingle=\(shingle) perms=\(perms)"
        if let t = threshold { s += " threshold=\(t)" }
        if let h = hamming { s += " hamming=\(h)" }
        s += " keep=\(keep.rawValue) seed=\(seed)\n"
        s += CSV.row(["id", "cluster", "kept", "score"])
        for c in clusters { for m in c.members { s += CSV.row([m.document, "\(c.id)", m.kept ? "1" : "0", "\(m.score)"]) } }
        return s
    }

    /// JSON Lines: a header object (`"type": "header"`, the schema, the
    /// options, the counts and every skipped input), then one object per
    /// cluster (`"type": "cluster"`).
    public func jsonl() throws -> String {
        struct Header: Encodable {
            var type = "header"
            var schema: String, version: String, corpus: String, method: DedupMethod
            var shingle: Int, perms: Int, threshold: Double?, hamming: Int?, keep: KeepRule, seed: UInt64
            var documents: Int, duplicates: Int, keptDocuments: Int, tooShort: [String], skipped: [Skip]
            enum CodingKeys: String, CodingKey {
                case type, schema, version, corpus, method, shingle, perms, threshold, hamming, keep, seed, documents, duplicates
                case keptDocuments = "kept_documents"
                case tooShort = "too_short"
                case skipped
            }
        }
        struct Line: Encodable {
            var type = "cluster"
            var id: Int, kept: String, size: Int, members: [Member]
        }
        let header = Header(
            schema: schema, version: version, corpus: corpus, method: method, shingle: shingle, perms: perms, threshold: threshold,
            hamming: hamming, keep: keep, seed: seed, documents: documents, duplicates: duplicates, keptDocuments: keptDocuments,
            tooShort: tooShort, skipped: skipped)
        return try
            ([JSONOutput.encode(header, pretty: false)]
            + clusters.map { try JSONOutput.encode(Line(id: $0.id, kept: $0.kept, size: $0.size, members: $0.members), pretty: false) })
            .joined()
    }
}
