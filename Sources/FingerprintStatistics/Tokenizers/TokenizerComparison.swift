import FingerprintCore

/// How alike two BPE vocabularies are (`fingerprint tokenizers A B`): a
/// tokenizer is itself a fingerprint, and two models that share a
/// vocabulary and its merge order share an origin.
///
/// The *merge list* of a vocabulary is its multi-byte tokens in rank order
/// (in tiktoken's files the rank order is the order in which merges were
/// learnt; single bytes are the alphabet, not merges).
public struct TokenizerComparison: Codable, Sendable {
    public var schema = "fingerprint.tokenizers/1"
    public var version = Fingerprint.version
    public struct Side: Codable, Sendable {
        public var name: String
        public var sha256: String
        public var tokens: Int
        public var merges: Int
    }
    public var a: Side
    public var b: Side
    /// Tokens (byte strings) in both vocabularies.
    public var sharedTokens: Int
    /// shared / |A| and shared / |B|.
    public var shareOfA: Double
    public var shareOfB: Double
    /// Shared tokens with the same id in both.
    public var sameIds: Int
    /// Multi-byte tokens in both.
    public var sharedMerges: Int
    /// Spearman's rank correlation of the merge positions of the shared
    /// multi-byte tokens (nil with fewer than 2).
    public var mergeOrderSpearman: Double?
    /// Length of the longest common prefix of the two merge lists.
    public var commonMergePrefix: Int
    /// The shared merges' common history: each merge list cut to the merges
    /// the other also has, the largest N for which the two cut lists differ
    /// in at most 1% of their first N places (`historyTolerance`). Merges
    /// only one side has (pruned, or added) do not end it, nor do a few
    /// merges out of place; a different merge order does.
    public var sharedHistory: Int
    /// `same`, `same_merges_other_ids`, `same_merges_other_tokens`,
    /// `a_extends_b`, `b_extends_a`, `shared_prefix`, `common_origin` or
    /// `unrelated`.
    public var verdict: String

    enum CodingKeys: String, CodingKey {
        case schema, version, a, b, verdict
        case sharedTokens = "shared_tokens"
        case shareOfA = "share_of_a"
        case shareOfB = "share_of_b"
        case sameIds = "same_ids"
        case sharedMerges = "shared_merges"
        case mergeOrderSpearman = "merge_order_spearman"
        case commonMergePrefix = "common_merge_prefix"
        case sharedHistory = "shared_history"
    }

    /// A common merge prefix at least this long (and not the whole of either
    /// list) gives `shared_prefix`: independent trainings on different data
    /// agree on the first few merges (`t h`, ` t`, …) and then diverge within
    /// a few dozen, while a retrained or pruned copy keeps thousands.
    public static let sharedPrefixMinimum = 1_000

    /// The share of places in which the shared merges' histories may differ
    /// (`sharedHistory`). Independent trainings differ in almost every place
    /// once their common first merges end (two BPE files trained on the same
    /// text: 26), so any small share separates them from an edited copy.
    public static let historyTolerance = 0.01

    /// Compares two tiktoken-style vocabularies, whose merge list is the
    /// multi-byte tokens in rank order.
    /// - Complexity: O(n log n) in the vocabulary sizes.
    package init(a: BPEVocabulary, aName: String, aSHA256: String, b: BPEVocabulary, bName: String, bSHA256: String) {
        let ea = a.entriesByRank()
        let eb = b.entriesByRank()
        self.init(
            a: ea, aMerges: ea.filter { $0.0.count >= 2 }.map(\.0), aName: aName, aSHA256: aSHA256,
            b: eb, bMerges: eb.filter { $0.0.count >= 2 }.map(\.0), bName: bName, bSHA256: bSHA256)
    }

    /// Compares two vocabularies given as (bytes, id) in ascending id and
    /// their merge lists (each merge as the bytes of the token it makes, in
    /// merge order: a Hugging Face file's `merges`).
    package init(
        a ea: [([UInt8], UInt32)], aMerges ma: [[UInt8]], aName: String, aSHA256: String,
        b eb: [([UInt8], UInt32)], bMerges mb: [[UInt8]], bName: String, bSHA256: String
    ) {
        // A merge listed again makes no new token: the first one counts.
        let ma = Self.distinct(ma)
        let mb = Self.distinct(mb)
        self.a = Side(name: aName, sha256: aSHA256, tokens: ea.count, merges: ma.count)
        self.b = Side(name: bName, sha256: bSHA256, tokens: eb.count, merges: mb.count)
        var rankB: [[UInt8]: UInt32] = [:]
        rankB.reserveCapacity(eb.count)
        for (t, r) in eb { rankB[t] = r }
        var shared = 0
        var same = 0
        for (t, r) in ea {
            if let r2 = rankB[t] {
                shared += 1
                if r2 == r { same += 1 }
            }
        }
        sharedTokens = shared
        sameIds = same
        shareOfA = ea.isEmpty ? 0 : Double(shared) / Double(ea.count)
        shareOfB = eb.isEmpty ? 0 : Double(shared) / Double(eb.count)
        var positionB: [[UInt8]: Int] = [:]
        positionB.reserveCapacity(mb.count)
        for (i, t) in mb.enumerated() { positionB[t] = i }
        // Pairs (position in A's merge list, position in B's) of shared merges,
        // in A's order; their ranks within the shared set give Spearman's ρ.
        var posB: [Int] = []
        for t in ma { if let p = positionB[t] { posB.append(p) } }
        sharedMerges = posB.count
        if posB.count >= 2 {
            // Ranks of B positions among the shared ones (distinct, so no ties).
            let order = posB.indices.sorted { posB[$0] < posB[$1] }
            var rankInB = [Int](repeating: 0, count: posB.count)
            for (r, i) in order.enumerated() { rankInB[i] = r }
            let n = Double(posB.count)
            var d2 = 0.0
            for (i, r) in rankInB.enumerated() {
                let d = Double(i - r)
                d2 += d * d
            }
            mergeOrderSpearman = 1 - 6 * d2 / (n * (n * n - 1))
        } else {
            mergeOrderSpearman = nil
        }
        var k = 0
        while k < ma.count && k < mb.count && ma[k] == mb[k] { k += 1 }
        commonMergePrefix = k
        // The shared merges in A's order and in B's.
        let inA = Set(ma)
        let cutA = ma.filter { positionB[$0] != nil }
        let cutB = mb.filter { inA.contains($0) }
        var history = 0
        var differing = 0
        for n in 0..<cutA.count {
            if cutA[n] != cutB[n] { differing += 1 }
            if Double(differing) <= Self.historyTolerance * Double(n + 1) { history = n + 1 }
        }
        sharedHistory = history
        let alphabetA = Set(ea.filter { $0.0.count == 1 }.map(\.0))
        let alphabetB = Set(eb.filter { $0.0.count == 1 }.map(\.0))
        if k == ma.count && k == mb.count && alphabetA == alphabetB {
            verdict =
                same == ea.count && ea.count == eb.count
                ? "same" : same == shared ? "same_merges_other_tokens" : "same_merges_other_ids"
        } else if k == mb.count && alphabetB.isSubset(of: alphabetA) {
            verdict = "a_extends_b"
        } else if k == ma.count && alphabetA.isSubset(of: alphabetB) {
            verdict = "b_extends_a"
        } else if k >= Self.sharedPrefixMinimum {
            verdict = "shared_prefix"
        } else if history >= Self.sharedPrefixMinimum {
            verdict = "common_origin"
        } else {
            verdict = "unrelated"
        }
    }

    /// The list without repeats, each kept where it first appears.
    static func distinct(_ list: [[UInt8]]) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(list.count)
        return list.filter { seen.insert($0).inserted }
    }

    /// The verdict in words.
    public var verdictText: String {
        switch verdict {
        case "same": return "the same tokenizer (identical tokens, ids and merge order)"
        case "same_merges_other_ids": return "the same merges in the same order, with other ids"
        case "same_merges_other_tokens":
            let onlyA = a.tokens - sharedTokens
            let onlyB = b.tokens - sharedTokens
            let extra = [(onlyA, "A"), (onlyB, "B")].filter { $0.0 > 0 }.map {
                "\($0.1) has \($0.0) \($0.0 == 1 ? "token" : "tokens") the other lacks"
            }
            let them = onlyA + onlyB == 1 ? "it" : "them"
            return "the same merges in the same order, shared tokens with the same ids; "
                + "\(extra.joined(separator: ", ")) (no merge makes \(them))"
        case "a_extends_b": return "A extends B: B's \(b.merges) merges are A's first \(b.merges)"
        case "b_extends_a": return "B extends A: A's \(a.merges) merges are B's first \(a.merges)"
        case "shared_prefix": return "a common origin: the first \(commonMergePrefix) merges agree, then the lists diverge"
        case "common_origin":
            return "a common origin, edited: the first \(sharedHistory) merges they share come in the same order "
                + "(at most 1% out of place), though the lists themselves agree on only \(commonMergePrefix) first merges"
        default: return "unrelated: the merge lists diverge after \(commonMergePrefix) merges"
        }
    }
}
