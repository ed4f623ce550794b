import FingerprintCore
import FingerprintStatistics
import Foundation

/// Writers of `fingerprint index query`.
public enum QueryReportWriter {
    public static func table(_ r: QueryReport, limit: Int = 50) -> String {
        var s =
            "Query \(r.questioned.terminalSafe) against the index \(r.index.terminalSafe) (\(Num.count(r.referenceDocuments)) documents)\n"
        s +=
            "near-duplicates: Jaccard ≥ \(r.threshold), LSH \(r.banding.bands)×\(r.banding.rows), \(Num.count(r.candidates)) candidates verified exactly\n"
        s +=
            "13-gram containment: \(Num.pct(r.containment)) of the questioned corpus's \(Num.count(r.grams)) distinct word 13-grams occur in the index\n"
        let matched = r.results.filter(\.matched)
        s += "\(matched.count) of \(r.results.count) documents match (a near-duplicate, or containment ≥ \(Num.pct(r.minContainment, 0)))\n"
        for n in r.notes { s += "note: \(n.terminalSafe)\n" }
        if !r.skipped.isEmpty {
            s += "\(r.skipped.count) skipped: \(r.skipped.prefix(3).map(\.description.terminalSafe).joined(separator: "; "))\n"
        }
        let shown = r.results.sorted {
            $0.matched != $1.matched
                ? $0.matched : ($0.containment != $1.containment ? $0.containment > $1.containment : $0.document < $1.document)
        }.prefix(limit)
        if !shown.isEmpty {
            s += "\n"
            var t = TextTable(
                ["document", "match", "13-gram containment", "near-duplicates (Jaccard)", "nearest (cosine)"],
                align: [.left, .left, .right, .left, .left])
            for q in shown {
                let near = q.nearDuplicates.prefix(3).map { "\($0.document) (\(Num.f($0.score, 3)))" }.joined(separator: ", ")
                let nn = q.neighbors.prefix(2).map { "\($0.document) (\(Num.f($0.score, 3)))" }.joined(separator: ", ")
                t.add([
                    q.document, q.matched ? "yes" : "", "\(Num.pct(q.containment)) (\(q.sharedGrams)/\(q.grams))",
                    near + (q.nearDuplicates.count > 3 ? ", …" : ""), nn,
                ])
            }
            s += t.render()
            if r.results.count > limit { s += "  … and \(r.results.count - limit) more documents (see --format json)\n" }
        }
        return s
    }

    /// document,matched,containment,shared_grams,grams,kind,reference,score: one row per finding
    /// (a document with none gets one row with empty kind).
    public static func csv(_ r: QueryReport) -> String {
        var s = CSV.row(["document", "matched", "containment", "shared_grams", "grams", "kind", "reference", "score"])
        for q in r.results {
            let head = [q.document, q.matched ? "1" : "0", "\(q.containment)", "\(q.sharedGrams)", "\(q.grams)"]
            let rows =
                q.nearDuplicates.map { ["near_duplicate", $0.document, "\($0.score)"] }
                + q.neighbors.map { ["neighbor", $0.document, "\($0.score)"] }
            if rows.isEmpty { s += CSV.row(head + ["", "", ""]) }
            for x in rows { s += CSV.row(head + x) }
        }
        return s
    }

    /// A header line (`"type": "header"`: the index, options and totals), then one line per questioned document.
    public static func jsonl(_ r: QueryReport) throws -> String {
        var header = r
        header.results = []
        var s = try lineJSON(header, type: "header")
        for q in r.results { s += try lineJSON(q, type: "document") }
        return s
    }

    static func lineJSON<T: Encodable>(_ value: T, type: String) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var object = try JSONSerialization.jsonObject(with: e.encode(value)) as! [String: Any]
        object["type"] = type
        if type == "header" { object.removeValue(forKey: "results") }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// `fingerprint index list`.
public struct IndexListing: Codable, Sendable {
    public struct Document: Codable, Sendable {
        public var name: String
        public var bytes: Int
        public var tokens: Int
        public var sha256: String
        public init(name: String, bytes: Int, tokens: Int, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.tokens = tokens
            self.sha256 = sha256
        }
    }
    public var schema = "fingerprint.index/1"
    public var version = Fingerprint.version
    public var file: String
    public var parameters: FingerprintParameters
    public var documents: [Document]
    public var skipped: [Skip]

    public init(file: String, parameters: FingerprintParameters, documents: [Document], skipped: [Skip]) {
        self.file = file
        self.parameters = parameters
        self.documents = documents
        self.skipped = skipped
    }

    public func table() -> String {
        let p = parameters
        var s =
            "\(file.terminalSafe): \(Num.count(documents.count)) documents, \(Num.count(documents.reduce(0) { $0 + $1.tokens })) tokens\n"
        s +=
            "tokenizer \(p.tokenizer.terminalSafe); \(p.shingle)-token shingles, \(p.permutations) permutations (seed \(p.seed)), LSH \(p.bands)×\(p.rows) for Jaccard ≥ \(p.threshold)"
        s += p.keyed ? "; keyed (key id \(p.keyID!))\(p.keepNames ? ", names kept" : ", names hashed")" : ""
        s += "; schema \(p.schema), made by fingerprint \(p.tool.terminalSafe)\n"
        if !documents.isEmpty {
            var t = TextTable(
                ["document", "bytes", "tokens", p.keyed ? "HMAC-SHA-256" : "SHA-256"], align: [.left, .right, .right, .left])
            for d in documents { t.add([d.name, "\(d.bytes)", "\(d.tokens)", String(d.sha256.prefix(16)) + "…"]) }
            s += "\n" + t.render()
        }
        if !skipped.isEmpty {
            var t = TextTable(["skipped when sketched", "reason"], align: [.left, .left])
            for k in skipped { t.add([k.path, k.reason]) }
            s += "\n" + t.render()
        }
        return s
    }

    public func csv() -> String {
        CSV.row(["document", "bytes", "tokens", "sha256"])
            + documents.map { CSV.row([$0.name, "\($0.bytes)", "\($0.tokens)", $0.sha256]) }.joined()
    }
}
