import FingerprintCore
import Foundation

/// The result of comparing two corpora (schema fingerprint.compare/1).
public struct CompareReport: Codable, Sendable {
    public struct Side: Codable, Sendable {
        public var path: String
        public var documents: Int
        public var tokens: Int
        public var types: Int
        public var bytes: Int
        public var invalidUTF8: Int
        /// Word tokens longer than 1 MiB (kept as a prefix, `~` and a hash of the rest).
        public var truncatedTokens = 0
        public var skipped: Int
        public var skips: [Skip]
        enum CodingKeys: String, CodingKey {
            case path, documents, tokens, types, bytes
            case invalidUTF8 = "invalid_utf8"
            case truncatedTokens = "truncated_tokens"
            case skipped, skips
        }
    }

    public struct Divergences: Codable, Sendable {
        public var vocabulary: Int
        public var smoothingAlpha: Double
        public var entropyA: Double, entropyB: Double
        public var crossEntropyAB: Double, crossEntropyBA: Double
        public var klAB: Double, klBA: Double
        public var jsd: Double, jsDistance: Double
        public var hellinger: Double, totalVariation: Double
        enum CodingKeys: String, CodingKey {
            case vocabulary
            case smoothingAlpha = "smoothing_alpha"
            case entropyA = "entropy_a"
            case entropyB = "entropy_b"
            case crossEntropyAB = "cross_entropy_ab"
            case crossEntropyBA = "cross_entropy_ba"
            case klAB = "kl_ab"
            case klBA = "kl_ba"
            case jsd
            case jsDistance = "js_distance"
            case hellinger
            case totalVariation = "total_variation"
        }
    }

    public struct TableTests: Codable, Sendable {
        public var features: Int
        public var chiSquare: Divergence.TableTest
        public var g: Divergence.TableTest
        public var note: String
        enum CodingKeys: String, CodingKey {
            case features
            case chiSquare = "chi2"
            case g, note
        }
    }

    public struct Test: Codable, Sendable {
        public var ran: Bool
        public var reason: String?
        public var design: String
        public var pairs: Int?
        public var features: Int
        public var statistic: Double
        public var pValue: Double?
        public var minimumPValue: Double?
        public var permutations: Int
        public var nullMean: Double?
        public var nullP95: Double?
        public var effect: Double?
        public var ciLow: Double?
        public var ciHigh: Double?
        /// Mean of the bootstrap statistics minus T: the plug-in JSD is biased
        /// upward under resampling, so the percentile interval can lie above T.
        public var bootstrapBias: Double?
        public var bootstrap: Int
        enum CodingKeys: String, CodingKey {
            case ran, reason, design, pairs, features, statistic
            case pValue = "p_value"
            case minimumPValue = "min_p_value"
            case permutations
            case nullMean = "null_mean"
            case nullP95 = "null_p95"
            case effect
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
            case bootstrap
            case bootstrapBias = "bootstrap_bias"
        }
    }

    public struct MMD: Codable, Sendable {
        public var ran: Bool
        public var reason: String?
        public var mmd2: Double
        public var pValue: Double?
        public var permutations: Int
        public var features: Int
        public var documentsA: Int
        public var documentsB: Int
        public var subsampled: Bool
        enum CodingKeys: String, CodingKey {
            case ran, reason, mmd2
            case pValue = "p_value"
            case permutations, features
            case documentsA = "documents_a"
            case documentsB = "documents_b"
            case subsampled
        }
    }

    public struct Baseline: Codable, Sendable {
        public var splits: Int
        public var a: Double?
        public var b: Double?
    }

    public struct KeyToken: Codable, Sendable {
        public var token: String
        public var countA: Int
        public var countB: Int
        public var delta: Double
        public var z: Double
        enum CodingKeys: String, CodingKey {
            case token
            case countA = "count_a"
            case countB = "count_b"
            case delta, z
        }
    }

    public struct Keyness: Codable, Sendable {
        public var prior: Double
        public var a: [KeyToken]
        public var b: [KeyToken]
    }

    public struct Overlap: Codable, Sendable {
        public var containment: [Containment]
        /// Documents of B with at least one word 13-gram of A (contamination convention).
        public var bDocumentsWithSharedGram: Int
        public var bDocumentsWithSharedGramShare: Double
        public var gramSize: Int
        enum CodingKeys: String, CodingKey {
            case containment
            case bDocumentsWithSharedGram = "b_documents_with_shared_gram"
            case bDocumentsWithSharedGramShare = "b_documents_with_shared_gram_share"
            case gramSize = "gram_size"
        }
    }

    public struct Options: Codable, Sendable {
        public var tokenizer: TokenizerSpec
        public var features: Int
        public var permutations: Int
        public var bootstrap: Int
        public var seed: UInt64
        public var paired: Bool
        public var pairField: String?
        public var prior: Double
        enum CodingKeys: String, CodingKey {
            case tokenizer, features, permutations, bootstrap, seed, paired
            case pairField = "pair_field"
            case prior
        }
    }

    public var schema = "fingerprint.compare/1"
    public var version = Fingerprint.version
    public var options: Options
    public var a: Side
    public var b: Side
    public var divergence: Divergences
    public var tableTests: TableTests
    public var test: Test
    public var mmd: MMD
    public var selfBaseline: Baseline
    public var keyness: Keyness
    public var overlap: Overlap
    public var notes: [String]
    public var summary: String
    /// The longest passages B shares with A (documents of B with a 13-gram
    /// of A, aligned with the A documents that hold those 13-grams).
    public var passages: [SharedPassage] = []

    // For charts (not in the JSON: they are large and derived).
    /// The permutation statistics, in permutation order.
    public var nullStatistics: [Double] = []
    /// The bootstrap statistics.
    public var bootstrapStatistics: [Double] = []
    /// Type frequencies of A and of B, sorted descending (at most 5,000 each).
    public var rankFrequencyA: [Int] = []
    public var rankFrequencyB: [Int] = []

    enum CodingKeys: String, CodingKey {
        case schema, version, options, a, b, divergence
        case tableTests = "table_tests"
        case test, mmd
        case selfBaseline = "self_baseline"
        case keyness, overlap, notes, summary, passages
    }
}
