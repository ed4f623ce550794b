import FingerprintCore
import Foundation

/// Options of `fingerprint compare`.
public struct CompareOptions: Sendable {
    public var tokenizer: TokenizerSpec = .word
    /// Top-K types (by pooled count, ties by token) + "other" for the test.
    public var features = 1000
    public var permutations = 999
    public var bootstrap = 200
    public var seed: UInt64 = 0
    public var paired = false
    /// JSONL field that matches documents of A and B (default: relative path).
    public var pairField: String? = nil
    public var alpha = 0.5
    public var prior = 1000.0
    /// MMD: TF-IDF features and documents per side (seeded subsample beyond).
    public var mmdFeatures = 4096
    public var mmdMaxDocuments = 2000
    public var baselineSplits = 20
    public var keyTokens = 20
    public var ngramSizes = [8, 13]
    /// Shared passages reported (longest first; 0: none).
    public var passages = 20
    /// Passage alignment: noise threshold k and window w (guarantee t = w + k − 1).
    public var passageK = 8
    public var passageW = 8
    /// k-grams in more than this share of the documents of A and B are not evidence.
    public var maxDF = 0.05
    /// Files whose k-grams are not evidence (--boilerplate DIR).
    public var boilerplate: String? = nil
    public var read = ReadOptions()

    /// The n-gram size whose shared occurrences seed passage alignment: the
    /// passage guarantee t = passageW + passageK − 1, capped at the largest
    /// containment size (13), so that a shared run of t tokens is always a
    /// candidate.
    public var passageCandidateSize: Int { min(ngramSizes.last ?? 13, max(1, passageK + passageW - 1)) }

    /// The n-gram sizes collected while reading: the containment sizes, and
    /// the passage candidate size when it is not one of them (last).
    var collectedSizes: [Int] { ngramSizes.contains(passageCandidateSize) ? ngramSizes : ngramSizes + [passageCandidateSize] }
    public init() {}
}
