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
        var parts = [values]
        values = []
        self.init(parts: &parts)
    }

    /// Builds the index from several arrays (emptied as they are read).
    public init(parts: inout [[UInt64]]) {
        let out = RadixSort.sortedUnique(parts: &parts)
        hashes = out
        // About 8 bits per element, at least 2^16 and at most 2^30 bits.
        var logBits: UInt64 = 16
        while logBits < 30 && (1 << logBits) < out.count * 8 { logBits += 1 }
        shift = 64 - logBits
        var b = [UInt64](repeating: 0, count: Int(1 << logBits) / 64)
        for x in out {
            let i = Int(x >> shift)
            b[i >> 6] |= 1 << UInt64(i & 63)
        }
        bits = b
    }

    public var count: Int { hashes.count }

    @inline(__always)
    public func contains(_ h: UInt64) -> Bool {
        let i = Int(h >> shift)
        guard bits[i >> 6] & (1 << UInt64(i & 63)) != 0 else { return false }
        let lo = sortedLowerBound(hashes, h)
        return lo < hashes.count && hashes[lo] == h
    }

    /// |self ∩ other| by a linear merge.
    public func intersectionCount(_ other: NGramIndex) -> Int { sortedIntersectionCount(hashes[...], other.hashes[...]) }
}

/// |a ∩ b| of two ascending arrays of distinct values, by a linear merge.
/// - Complexity: O(a.count + b.count).
package func sortedIntersectionCount(_ a: ArraySlice<UInt64>, _ b: ArraySlice<UInt64>) -> Int {
    var n = 0
    forEachSharedSorted(a, b) { _, _ in n &+= 1 }
    return n
}

/// Calls `body(i, j)` for each value two ascending arrays of distinct
/// values share (a[a.startIndex + i] == b[b.startIndex + j]), in ascending
/// order: one merge of the two.
@inline(__always)
package func forEachSharedSorted(_ a: ArraySlice<UInt64>, _ b: ArraySlice<UInt64>, _ body: (Int, Int) -> Void) {
    a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            var i = 0
            var j = 0
            while i < x.count && j < y.count {
                let u = x[i]
                let v = y[j]
                if u == v { body(i, j) }
                if u <= v { i &+= 1 }
                if v <= u { j &+= 1 }
            }
        }
    }
}

/// The index of the first element of the ascending array `a` not less than `x`.
@inline(__always)
package func sortedLowerBound(_ a: [UInt64], _ x: UInt64) -> Int {
    var lo = 0
    var hi = a.count
    while lo < hi {
        let m = (lo + hi) >> 1
        if a[m] < x { lo = m + 1 } else { hi = m }
    }
    return lo
}
