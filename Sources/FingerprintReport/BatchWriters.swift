import FingerprintCore
import FingerprintStatistics
import Foundation

/// Score formatting shared by the batch writers: 6 decimals, so output is
/// byte-stable across BLAS thread counts (float sums may differ in the 7th).
/// The same text as `String(format: "%.6f", Double(s))`, without Foundation's
/// formatter (most of the time of a pair line): a float has 24 significant
/// bits and 10⁶ has 20, so `s × 10⁶` is exact in double, and rounding it to
/// the nearest integer (ties to even, as printf) gives printf's digits.
func score6(_ s: Float) -> String {
    let v = Double(s) * 1e6
    guard v.isFinite, v.magnitude < 1e15 else { return String(format: "%.6f", Double(s)) }
    let n = Int64(v.magnitude.rounded(.toNearestOrEven))
    let whole = String(n / 1_000_000)
    let frac = String(n % 1_000_000)
    let sign = s.sign == .minus ? "-" : ""
    return sign + whole + "." + String(repeating: "0", count: 6 - frac.utf8.count) + frac
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// CSV: a `#` line with the options and version, then
/// `query,neighbor,rank,score` per neighbour (or per pair with `--top 0`).
public final class BatchCSVWriter: BatchSink {
    let out: StreamingOutput
    /// The names as CSV fields, escaped once (a name is in many rows).
    var q: [String] = [], c: [String] = []
    var top = 0
    package init(_ out: StreamingOutput) { self.out = out }

    public func begin(_ h: BatchHeader, queryNames: [String], candidateNames: [String]) throws {
        q = queryNames.map(CSV.field)
        c = queryNames == candidateNames ? q : candidateNames.map(CSV.field)
        top = h.top
        var opts = "method=\(h.method.rawValue) tokenizer=\(h.tokenizer) features=\(h.features) top=\(h.top)"
        if let t = h.threshold { opts += " threshold=\(t)" }
        if let d = h.dims { opts += " dims=\(d)" }
        if let r = h.reference { opts += " against=\(r)" }
        opts += " seed=\(h.seed)"
        try out.write("# fingerprint \(h.version) batch \(h.corpus.terminalSafe) \(opts.terminalSafe)\n")
        try out.write(CSV.row(["query", "neighbor", "rank", "score"]))
    }

    // The rank is digits and the score a number Double() parses (score6's
    // decimals, or printf's nan, inf and long forms), which CSV.field leaves
    // as it is: each row is what CSV.row would make of the same cells.
    public func neighbors(query: Int, _ list: [Neighbor]) throws {
        for (r, n) in list.enumerated() { try out.write(q[query] + "," + c[n.index] + ",\(r + 1)," + score6(n.score) + "\n") }
    }

    public func pairs(_ p: [ScoredPair]) throws {
        guard top == 0 else { return }
        for x in p { try out.write(q[x.a] + "," + c[x.b] + ",," + score6(x.score) + "\n") }
    }

    public func end(clusters: [DocumentCluster], notes: [String]) throws {}
}

/// JSON Lines: a header object, then one object per query, per pair and per
/// cluster, each with a "type" field.
public final class BatchJSONLWriter: BatchSink {
    let out: StreamingOutput
    /// The names as JSON strings, escaped once (a name is in many lines).
    var q: [String] = [], c: [String] = []
    package init(_ out: StreamingOutput) { self.out = out }

    public func begin(_ h: BatchHeader, queryNames: [String], candidateNames: [String]) throws {
        q = queryNames.map(jsonString)
        c = queryNames == candidateNames ? q : candidateNames.map(jsonString)
        var line = try JSONOutput.encode(h, pretty: false)
        line.removeLast()
        try out.write("{\"type\":\"header\"," + line.dropFirst() + "\n")
    }

    public func neighbors(query: Int, _ list: [Neighbor]) throws {
        let n = list.map { "{\"doc\":\(c[$0.index]),\"score\":\(score6($0.score))}" }.joined(separator: ",")
        try out.write("{\"type\":\"neighbors\",\"query\":\(q[query]),\"neighbors\":[\(n)]}\n")
    }

    public func pairs(_ p: [ScoredPair]) throws {
        for x in p {
            try out.write("{\"type\":\"pair\",\"a\":\(q[x.a]),\"b\":\(c[x.b]),\"score\":\(score6(x.score))}\n")
        }
    }

    public func evidence(_ e: [PairEvidence]) throws {
        for x in e {
            var line = try JSONOutput.encode(x.passages, pretty: false)
            line.removeLast()
            try out.write("{\"type\":\"evidence\",\"a\":\(q[x.a]),\"b\":\(c[x.b]),\"passages\":\(line)}\n")
        }
    }

    public func end(clusters: [DocumentCluster], notes: [String]) throws {
        for cl in clusters {
            let m = cl.members.map { q[$0] }.joined(separator: ",")
            try out.write(
                "{\"type\":\"cluster\",\"id\":\(cl.id),\"representative\":\(q[cl.representative]),\"members\":[\(m)]}\n")
        }
    }
}

/// Collects a whole batch run (for json, table and html).
public final class BatchCollector: BatchSink {
    public var header: BatchHeader?
    public var queryNames: [String] = []
    public var candidateNames: [String] = []
    public var neighbors: [[Neighbor]] = []
    /// The pairs at or above the threshold, by (a, b) — or, once more than
    /// `maxPairs` came, the `maxPairs` strongest, strongest first (then the
    /// JSON says so, and --format jsonl or csv streams them all).
    public var pairs: [ScoredPair] = []
    /// How many pairs reached the threshold in all.
    public private(set) var pairsTotal = 0
    /// Pairs held for json, table and html output (24 bytes each in memory,
    /// about 60 in JSON).
    public var maxPairs = 200_000
    public var clusters: [DocumentCluster] = []
    public var notes: [String] = []
    public var evidence: [PairEvidence] = []
    public init() {}
    public func evidence(_ e: [PairEvidence]) throws { evidence = e }

    public func begin(_ h: BatchHeader, queryNames: [String], candidateNames: [String]) throws {
        header = h
        self.queryNames = queryNames
        self.candidateNames = candidateNames
        neighbors = Array(repeating: [], count: queryNames.count)
    }
    public func neighbors(query: Int, _ list: [Neighbor]) throws { neighbors[query] = list }
    public func pairs(_ p: [ScoredPair]) throws {
        pairs += p
        pairsTotal += p.count
        if pairs.count >= 2 * maxPairs { keepStrongest() }
    }

    private func keepStrongest() {
        pairs.sort(by: ScoredPair.isStronger)
        pairs.removeLast(max(0, pairs.count - maxPairs))
    }

    /// Whether some pairs were dropped (more than `maxPairs` reached the threshold).
    public var pairsCapped: Bool { pairsTotal > pairs.count }
    public func end(clusters: [DocumentCluster], notes: [String]) throws {
        if pairs.count > maxPairs {
            keepStrongest()
        } else if !pairsCapped {
            // The search hands pairs over block by block (row order only
            // inside a tile), so put them back in document order.
            pairs.sort { $0.a != $1.a ? $0.a < $1.a : $0.b < $1.b }
        }
        self.clusters = clusters
        self.notes = notes
        if pairsCapped {
            self.notes.append(
                "\(pairsTotal) pairs reached the threshold; the \(pairs.count) strongest are listed here (memory is bounded): --format jsonl or csv streams them all"
            )
        }
    }

    /// The strongest distinct pairs: from the threshold pairs if any, else
    /// from the neighbour lists (a–b and b–a once).
    public func topPairs(_ n: Int) -> [ScoredPair] {
        var all = pairs
        if all.isEmpty {
            let symmetric = header?.reference == nil
            var seen = Set<Int>()
            for (i, l) in neighbors.enumerated() {
                for x in l {
                    let (a, b) = symmetric ? (min(i, x.index), max(i, x.index)) : (i, x.index)
                    if seen.insert(a * max(1, candidateNames.count) + b).inserted { all.append(ScoredPair(a: a, b: b, score: x.score)) }
                }
            }
        }
        all.sort(by: ScoredPair.isStronger)
        return Array(all.prefix(n))
    }

    struct Document: Encodable {
        var query: String
        var neighbors: [Item]
        struct Item: Encodable {
            var doc: String
            var score: Float
        }
    }
    struct Pair: Encodable {
        var a: String
        var b: String
        var score: Float
    }
    struct Evidence: Encodable {
        var a: String
        var b: String
        var passages: [Passage]
    }
    struct Cluster: Encodable {
        var id: Int
        var representative: String
        var members: [String]
    }
    struct Whole: Encodable {
        var header: BatchHeader
        var neighbors: [Document]
        var pairs: [Pair]
        var pairsTotal: Int
        var clusters: [Cluster]
        var notes: [String]
        var evidence: [Evidence]
        func encode(to encoder: Encoder) throws {
            try header.encode(to: encoder)
            var c = encoder.container(keyedBy: K.self)
            try c.encode(neighbors, forKey: .neighbors)
            try c.encode(pairs, forKey: .pairs)
            try c.encode(pairsTotal, forKey: .pairsTotal)
            try c.encode(clusters, forKey: .clusters)
            try c.encode(notes, forKey: .notes)
            if !evidence.isEmpty { try c.encode(evidence, forKey: .evidence) }
        }
        enum K: String, CodingKey {
            case neighbors, pairs, clusters, notes, evidence
            case pairsTotal = "pairs_total"
        }
    }

    /// Rounds a score to 6 decimals (as the other writers print it).
    static func r6(_ s: Float) -> Float { Float((Double(s) * 1e6).rounded() / 1e6) }

    public func json() throws -> String {
        let w = Whole(
            header: header!,
            neighbors: neighbors.enumerated().map { i, l in
                Document(query: queryNames[i], neighbors: l.map { .init(doc: candidateNames[$0.index], score: Self.r6($0.score)) })
            },
            pairs: pairs.map { Pair(a: queryNames[$0.a], b: candidateNames[$0.b], score: Self.r6($0.score)) },
            pairsTotal: pairsTotal,
            clusters: clusters.map {
                Cluster(id: $0.id, representative: queryNames[$0.representative], members: $0.members.map { queryNames[$0] })
            },
            notes: notes,
            evidence: evidence.map { Evidence(a: queryNames[$0.a], b: candidateNames[$0.b], passages: $0.passages) })
        return try JSONOutput.encode(w)
    }

    public func table(limit: Int = 20) -> String {
        guard let h = header else { return "" }
        var s =
            "Batch \(h.corpus.terminalSafe)\(h.reference.map { " against \($0.terminalSafe)" } ?? ""): \(Num.count(h.documents)) documents"
        if let r = h.referenceDocuments { s += " vs \(Num.count(r)) reference documents" }
        s += "\nmethod \(h.method.rawValue)"
        switch h.method {
        case .lsa: s += " (\(h.dims ?? 0) dimensions)"
        case .minhash: s += " (Jaccard of \(h.tokenizer.isModel ? "token" : "word") shingles, verified)"
        case .tfidf: s += " (\(h.features) features: \(h.headColumns) dense by GEMM, \(h.tailColumns) sparse)"
        }
        s += ", top \(h.top)\(h.threshold.map { ", threshold \($0)" } ?? "")\n"
        if h.tokenizer.isModel { s += "tokenizer \(h.tokenizer)\n" }
        if !h.skipped.isEmpty {
            s += "skipped \(h.skipped.count): \(h.skipped.prefix(3).map(\.description.terminalSafe).joined(separator: "; "))\n"
        }
        let top = topPairs(limit)
        s += "\nTop \(top.count) pairs\n"
        var t = TextTable(["score", "document", h.reference == nil ? "document" : "reference"], align: [.right, .left, .left])
        for p in top { t.add([score6(p.score), queryNames[p.a], candidateNames[p.b]]) }
        s += t.render()
        if h.threshold != nil && h.reference == nil {
            s += "\n\(Num.count(pairs.count)) pairs at or above the threshold, \(clusters.count) clusters\n"
            if !clusters.isEmpty {
                var c = TextTable(["cluster", "size", "representative", "members"], align: [.right, .right, .left, .left])
                for cl in clusters.prefix(limit) {
                    let others = cl.members.filter { $0 != cl.representative }.prefix(4).map { queryNames[$0] }
                    c.add([
                        "\(cl.id)", "\(cl.members.count)", queryNames[cl.representative],
                        others.joined(separator: ", ") + (cl.members.count > 5 ? ", …" : ""),
                    ])
                }
                s += c.render()
                if clusters.count > limit { s += "  … and \(clusters.count - limit) more clusters (see --format json)\n" }
            }
        } else if let th = h.threshold {
            s += "\n\(Num.count(pairs.count)) pairs at or above the threshold \(th)\n"
        }
        if !evidence.isEmpty {
            s += "\nEvidence: longest shared passages (\(evidence.count) pairs)\n"
            var e = TextTable(["pair", "tokens", "where", "passage"], align: [.left, .right, .left, .left])
            for x in evidence.prefix(limit) {
                for p in x.passages {
                    e.add([
                        "\(queryNames[x.a]) ~ \(candidateNames[x.b])", "\(p.tokens)",
                        "line \(p.aLine) / line \(p.bLine)", String(p.snippet.prefix(80)),
                    ])
                }
            }
            s += e.render()
        }
        for n in notes { s += "\nnote: \(n.terminalSafe)\n" }
        return s
    }
}
