import Foundation

/// A sorted set of 64-bit n-gram hashes with a bitmap prefilter, for fast
/// exact membership tests (most probes of unrelated text miss the bitmap).
public struct NGramIndex: Sendable {
    public let hashes: [UInt64]
    private let bits: [UInt64]
    private let shift: UInt64

    /// Builds the index from hashes in any order (duplicates removed).
    public init(_ values: [UInt64]) {
        var v = values
        self.init(consuming: &v)
    }

    /// Builds the index by sorting and compacting `values` in place (no
    /// copy); `values` is left empty.
    public init(consuming values: inout [UInt64]) {
        values.sort()
        var w = 0
        values.withUnsafeMutableBufferPointer { b in
            for r in 0..<b.count where w == 0 || b[r] != b[w - 1] { b[w] = b[r]; w += 1 }
        }
        values.removeLast(values.count - w)
        let out = values
        values = []
        hashes = out
        // About 8 bits per element, at least 2^16 and at most 2^30 bits.
        var logBits: UInt64 = 16
        while logBits < 30 && (1 << logBits) < out.count * 8 { logBits += 1 }
        shift = 64 - logBits
        var b = [UInt64](repeating: 0, count: Int(1 << logBits) / 64)
        for x in out { let i = Int(x >> shift); b[i >> 6] |= 1 << UInt64(i & 63) }
        bits = b
    }

    public var count: Int { hashes.count }

    @inline(__always)
    public func contains(_ h: UInt64) -> Bool {
        let i = Int(h >> shift)
        guard bits[i >> 6] & (1 << UInt64(i & 63)) != 0 else { return false }
        var lo = 0, hi = hashes.count
        while lo < hi { let m = (lo + hi) >> 1; if hashes[m] < h { lo = m + 1 } else { hi = m } }
        return lo < hashes.count && hashes[lo] == h
    }

    /// |self ∩ other| by a linear merge.
    public func intersectionCount(_ other: NGramIndex) -> Int {
        let a = hashes, b = other.hashes
        var i = 0, j = 0, n = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else { n += 1; i += 1; j += 1 }
        }
        return n
    }
}

/// Collects hashed word n-grams (n = 8 and 13 by default) of each document
/// from a stream of token hashes, with a polynomial rolling hash mod 2⁶⁴
/// (O(1) per token per n). N-grams never span two documents.
public final class NGramCollector {
    public let sizes: [Int]
    /// Optional reference set of the largest n: each document reports how
    /// many of its distinct n-grams are in it (contamination check).
    let reference: NGramIndex?
    private var ring = [UInt64](repeating: 0, count: 64)
    private var seen = 0
    private var rolling: [UInt64]
    private var powers: [UInt64]
    private var doc: [[UInt64]]
    /// All documents' distinct n-grams, per size (duplicates across documents kept).
    public private(set) var all: [[UInt64]]
    static let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1

    public init(sizes: [Int] = [8, 13], reference: NGramIndex? = nil) {
        precondition(sizes.allSatisfy { $0 >= 1 && $0 <= 64 })
        self.sizes = sizes
        self.reference = reference
        rolling = sizes.map { _ in 0 }
        powers = sizes.map { n in (0..<n).reduce(UInt64(1)) { p, _ in p &* NGramCollector.base } }
        doc = sizes.map { _ in [] }
        all = sizes.map { _ in [] }
    }

    @inline(__always)
    public func add(_ h: UInt64) {
        ring[seen & 63] = h
        seen &+= 1
        for k in 0..<sizes.count {
            let n = sizes[k]
            var r = rolling[k] &* NGramCollector.base &+ h
            if seen > n { r = r &- ring[(seen - n - 1) & 63] &* powers[k] }
            rolling[k] = r
            if seen >= n { doc[k].append(SplitMix64.mix(r ^ UInt64(n))) }
        }
    }

    /// Ends a document: returns (distinct n-grams of the largest size, how
    /// many of them are in the reference).
    public func finishDocument() -> (grams: Int, hits: Int) {
        var result = (grams: 0, hits: 0)
        for k in 0..<sizes.count {
            doc[k].sort()
            var last: UInt64? = nil
            var distinct = 0, hits = 0
            for x in doc[k] where x != last {
                last = x
                distinct += 1
                all[k].append(x)
                if k == sizes.count - 1, let reference, reference.contains(x) { hits += 1 }
            }
            if k == sizes.count - 1 { result = (distinct, hits) }
            doc[k].removeAll(keepingCapacity: true)
        }
        seen = 0
        for k in 0..<rolling.count { rolling[k] = 0 }
        return result
    }

    /// Frees the collected n-grams of size index `k` (after they were copied).
    public func releaseAll(_ k: Int) { all[k] = [] }

    public func discardDocument() {
        for k in 0..<sizes.count { doc[k].removeAll(keepingCapacity: true) }
        seen = 0
        for k in 0..<rolling.count { rolling[k] = 0 }
    }
}

/// Containment of one corpus's n-gram set in another's.
public struct Containment: Codable, Sendable, Equatable {
    public var n: Int
    /// |G(B) ∩ G(A)| / |G(B)|.
    public var bInA: Double
    /// |G(A) ∩ G(B)| / |G(A)|.
    public var aInB: Double
    public var shared: Int
    public var gramsA: Int
    public var gramsB: Int

    enum CodingKeys: String, CodingKey {
        case n, bInA = "b_in_a", aInB = "a_in_b", shared, gramsA = "grams_a", gramsB = "grams_b"
    }

    public init(n: Int, a: NGramIndex, b: NGramIndex) {
        self.n = n
        shared = a.intersectionCount(b)
        gramsA = a.count
        gramsB = b.count
        bInA = gramsB > 0 ? Double(shared) / Double(gramsB) : 0
        aInB = gramsA > 0 ? Double(shared) / Double(gramsA) : 0
    }
}
