import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Options and results

/// Parameters of passage alignment.
public struct PassageOptions: Sendable {
    /// Noise threshold in tokens: no passage shorter than k is reported.
    public var k: Int
    /// Winnowing window (k-grams); the guarantee threshold is t = w + k − 1.
    public var w: Int
    /// k-grams that are not evidence (must have the same k).
    public var boilerplate: BoilerplateFilter?
    /// Occurrences in A tried per fingerprint of B when its k-gram occurs
    /// more often than this in A (repetitive text): the ones nearest the
    /// diagonal of the previous match. Bounds the work on degenerate input;
    /// text whose k-grams occur at most this often in A is aligned exactly.
    public var maxCandidates: Int = 16
    /// Characters of B's text kept in each passage's snippet.
    public var snippetCharacters: Int = 120

    /// Guarantee threshold in tokens: every shared run this long is found.
    public var t: Int { w + k - 1 }

    /// Defaults k = 8, w = 8 (t = 15 tokens).
    public init(k: Int = 8, w: Int = 8, boilerplate: BoilerplateFilter? = nil) {
        precondition(k >= 1 && w >= 1, "passage alignment needs k ≥ 1 and w ≥ 1")
        self.k = k
        self.w = w
        self.boilerplate = boilerplate
    }

    /// Noise threshold `k` and guarantee threshold `t` ≥ k (w = t − k + 1).
    public init(k: Int, t: Int, boilerplate: BoilerplateFilter? = nil) {
        precondition(t >= k, "the guarantee threshold t must be at least k")
        self.init(k: k, w: t - k + 1, boilerplate: boilerplate)
    }

    /// The winnowing these options use.
    public var winnowing: Winnowing { Winnowing(k: k, w: w, ignored: boilerplate?.hashes) }
}

/// A passage shared by two documents A and B: a maximal run of equal
/// tokens (or, where such runs overlap in both documents, their union).
/// Offsets are bytes in the documents' raw bytes, end exclusive; lines and
/// columns are 1-based, columns counted in Unicode scalars.
public struct Passage: Codable, Sendable, Equatable {
    /// Tokens of the passage (counted in B; equal to A's count unless
    /// overlapping runs were merged).
    public var tokens: Int
    public var aStart: Int
    public var aEnd: Int
    public var bStart: Int
    public var bEnd: Int
    public var aLine: Int
    public var aColumn: Int
    public var bLine: Int
    public var bColumn: Int
    /// The start of B's text, whitespace collapsed, at most
    /// `snippetCharacters` characters (then "…"); control characters are
    /// shown as U+FFFD.
    public var snippet: String

    public init(
        tokens: Int, aStart: Int, aEnd: Int, bStart: Int, bEnd: Int,
        aLine: Int, aColumn: Int, bLine: Int, bColumn: Int, snippet: String
    ) {
        self.tokens = tokens
        self.aStart = aStart
        self.aEnd = aEnd
        self.bStart = bStart
        self.bEnd = bEnd
        self.aLine = aLine
        self.aColumn = aColumn
        self.bLine = bLine
        self.bColumn = bColumn
        self.snippet = snippet
    }

    /// The same passage with its sides exchanged (the snippet stays: it is
    /// the shared text).
    public func swapped() -> Passage {
        Passage(
            tokens: tokens, aStart: bStart, aEnd: bEnd, bStart: aStart, bEnd: aEnd, aLine: bLine, aColumn: bColumn, bLine: aLine,
            bColumn: aColumn, snippet: snippet)
    }

    enum CodingKeys: String, CodingKey {
        case tokens, snippet
        case aStart = "a_start"
        case aEnd = "a_end"
        case bStart = "b_start"
        case bEnd = "b_end"
        case aLine = "a_line"
        case aColumn = "a_column"
        case bLine = "b_line"
        case bColumn = "b_column"
    }
}

/// A passage between two documents of two corpora.
public struct SharedPassage: Codable, Sendable, Equatable {
    /// Name of the A document and its index in the `a` list given.
    public var a: String
    public var aIndex: Int
    /// Name of the B document and its index in the `b` list given.
    public var b: String
    public var bIndex: Int
    public var passage: Passage

    public init(a: String, aIndex: Int, b: String, bIndex: Int, passage: Passage) {
        self.a = a
        self.aIndex = aIndex
        self.b = b
        self.bIndex = bIndex
        self.passage = passage
    }

    enum CodingKeys: String, CodingKey {
        case a, b, passage
        case aIndex = "a_index"
        case bIndex = "b_index"
    }
}
