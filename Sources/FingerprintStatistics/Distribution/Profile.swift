import FingerprintCore
import Foundation

/// Entropy and related measures of one frequency distribution.
public enum Entropy {
    /// Shannon entropy in bits of the distribution given by `counts`
    /// (zeros ignored; 0 for an empty distribution).
    public static func bits<C: Collection>(_ counts: C) -> Double where C.Element: BinaryInteger {
        var total = 0.0
        for c in counts { total += Double(c) }
        guard total > 0 else { return 0 }
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / total
            h -= p * log2(p)
        }
        return h
    }

    /// Yule's characteristic K = 10⁴ · (Σᵢ i² Vᵢ − N) / N², where Vᵢ is the
    /// number of types seen i times and N the number of tokens (0 when N = 0).
    public static func yulesK<C: Collection>(_ counts: C) -> Double where C.Element: BinaryInteger {
        var n = 0.0
        var s2 = 0.0
        for c in counts where c > 0 {
            let x = Double(c)
            n += x
            s2 += x * x
        }
        guard n > 0 else { return 0 }
        return 1e4 * (s2 - n) / (n * n)
    }

    /// The Zipf exponent: minus the least-squares slope of ln(frequency) on
    /// ln(rank), over ranks 1…`maxRank` of the frequencies sorted descending.
    /// - Returns: (exponent, ranks used); exponent 0 with fewer than 2 ranks.
    public static func zipf<C: Collection>(_ counts: C, maxRank: Int = 1000) -> (exponent: Double, ranks: Int)
    where C.Element: BinaryInteger {
        // The top ranks by a bounded heap, not a sort of every count (50,000
        // types sorted for their top 1,000, on one core, ended every `stats`).
        let values = Array(counts)
        let freqs = Vocabulary.topK(values.count, maxRank) { Int(values[$0]) }.map { values[$0] }.filter { $0 > 0 }.map {
            Double($0)
        }
        let n = freqs.count
        guard n >= 2 else { return (0, n) }
        var sx = 0.0
        var sy = 0.0
        for (i, f) in freqs.enumerated() {
            sx += log(Double(i + 1))
            sy += log(f)
        }
        let mx = sx / Double(n)
        let my = sy / Double(n)
        var sxy = 0.0
        var sxx = 0.0
        for (i, f) in freqs.enumerated() {
            let dx = log(Double(i + 1)) - mx
            sxy += dx * (log(f) - my)
            sxx += dx * dx
        }
        return (-(sxy / sxx), n)
    }
}

/// The profile `fingerprint stats` reports for one corpus.
public struct CorpusProfile: Codable, Sendable {
    public struct TopToken: Codable, Sendable {
        public var token: String
        public var count: Int
        public var share: Double
        /// With a model tokenizer: the token's bytes as text (the invalid
        /// UTF-8 of a partial byte token as \xNN, as file names show it:
        /// U+FFFD made tokens of different bytes look alike).
        public var text: String?
    }

    public var schema = "fingerprint.stats/1"
    public var version = Fingerprint.version
    public var corpus: String
    public var tokenizer: TokenizerSpec
    public var documents: Int
    public var tokens: Int
    public var types: Int
    public var bytes: Int
    public var invalidUTF8: Int
    /// Word tokens longer than 1 MiB: each kept as its first bytes, `~` and
    /// a hash of the rest (so distinct long tokens stay distinct types).
    public var truncatedTokens: Int
    public var skipped: Int
    public var skips: [Skip]
    public var entropyBits: Double
    public var typeTokenRatio: Double
    public var yulesK: Double
    public var zipfExponent: Double
    /// Ranks used in the Zipf fit (1…min(1000, types)).
    public var zipfRanks: Int
    public var top: [TopToken]
    /// With a model tokenizer: bytes of text per model token.
    public var bytesPerToken: Double?

    enum CodingKeys: String, CodingKey {
        case schema, version, corpus, tokenizer, documents, tokens, types, bytes
        case invalidUTF8 = "invalid_utf8"
        case truncatedTokens = "truncated_tokens"
        case skipped, skips
        case entropyBits = "entropy_bits"
        case typeTokenRatio = "type_token_ratio"
        case yulesK = "yules_k"
        case zipfExponent = "zipf_exponent"
        case zipfRanks = "zipf_ranks"
        case top
        case bytesPerToken = "bytes_per_token"
    }

    /// Computes the profile of a counted corpus; `topN` most frequent types,
    /// ties broken by token order.
    public init(_ c: CountedCorpus, topN: Int = 20) {
        let v = c.matrix.vocabulary
        corpus = c.input
        tokenizer = c.tokenizer
        documents = c.documents.count
        tokens = c.matrix.tokenCount
        types = v.count
        bytes = c.bytes
        invalidUTF8 = c.invalidSequences
        truncatedTokens = c.truncatedTokens
        skipped = c.skips.count
        skips = c.skips
        entropyBits = Entropy.bits(v.totalCounts)
        typeTokenRatio = tokens > 0 ? Double(types) / Double(tokens) : 0
        yulesK = Entropy.yulesK(v.totalCounts)
        (zipfExponent, zipfRanks) = Entropy.zipf(v.totalCounts)
        let total = max(1, tokens)
        let tokensTotal = tokens
        top = v.topByCount(topN).map {
            TopToken(token: v.token($0), count: v.totalCounts[$0], share: tokensTotal > 0 ? Double(v.totalCounts[$0]) / Double(total) : 0)
        }
        if c.tokenizer.isModel {
            bytesPerToken = tokens > 0 ? Double(bytes) / Double(tokens) : 0
            for i in top.indices { top[i].text = c.tokenizer.text(ofToken: top[i].token) }
        }
    }
}
