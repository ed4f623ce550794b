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
    /// The current document's n-grams of the largest size found in the
    /// reference (distinct, at most `maxHitsKept`), for passage alignment.
    public private(set) var lastHits: [UInt64] = []
    public var maxHitsKept = 4096
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

    /// Ends a document: returns (n-grams of the largest size, how many of
    /// them are in the reference), repeats counted. The collected n-grams
    /// keep repeats too; `NGramIndex` removes them when it sorts.
    public func finishDocument() -> (grams: Int, hits: Int) {
        var result = (grams: 0, hits: 0)
        for k in 0..<sizes.count {
            all[k].append(contentsOf: doc[k])
            if k == sizes.count - 1 {
                var hits = 0
                lastHits.removeAll(keepingCapacity: true)
                if let reference {
                    for x in doc[k] where reference.contains(x) {
                        hits += 1
                        if lastHits.count < maxHitsKept { lastHits.append(x) }
                    }
                    if lastHits.count > 1 {
                        lastHits.sort()
                        RadixSort.compact(&lastHits)
                    }
                }
                result = (doc[k].count, hits)
            }
            doc[k].removeAll(keepingCapacity: true)
        }
        seen = 0
        for k in 0..<rolling.count { rolling[k] = 0 }
        return result
    }

    /// Hands over the collected n-grams of size index `k` (and forgets them).
    public func takeAll(_ k: Int) -> [UInt64] {
        let a = all[k]
        all[k] = []
        return a
    }

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

/// Sorting of 64-bit hash values (uniformly distributed bits).
public enum RadixSort {
    /// Sorts in place (see `sortedUnique(parts:)`).
    public static func sortUniformHashes(_ a: inout [UInt64]) {
        var parts = [a]
        a = []
        a = sortedUnique(parts: &parts, unique: false)
    }

    /// The values of `parts`, sorted, optionally without repeats. One
    /// counting pass and one scatter by the top 10 bits into a single
    /// output array (each part is freed once scattered, so the peak is about
    /// one copy of the data), then each of the 1,024 buckets — about n/1,024
    /// values, cache-sized — is sorted on its own, in parallel. For uniform
    /// hashes this is several times faster than a comparison sort of the
    /// whole array and needs no second full-size buffer.
    public static func sortedUnique(parts: inout [[UInt64]], unique: Bool = true, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [UInt64] {
        let n = parts.reduce(0) { $0 + $1.count }
        guard n > 4096 else {
            var all = parts.flatMap { $0 }
            parts = []
            all.sort()
            if unique { compact(&all) }
            return all
        }
        let bits: UInt64 = 10, buckets = 1 << 10
        var start = [Int](repeating: 0, count: buckets + 1)
        for p in parts { for x in p { start[Int(x >> (64 - bits)) + 1] += 1 } }
        for b in 0..<buckets { start[b + 1] += start[b] }
        var out = [UInt64](unsafeUninitializedCapacity: n) { buf, initialized in
            var next = Array(start.prefix(buckets))
            for i in parts.indices {
                for x in parts[i] {
                    let b = Int(x >> (64 - bits))
                    buf[next[b]] = x
                    next[b] += 1
                }
                parts[i] = []
            }
            initialized = n
        }
        parts = []
        // Sort (and de-duplicate) each bucket; record its new length.
        var kept = [Int](repeating: 0, count: buckets)
        var total = 0
        out.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            kept.withUnsafeMutableBufferPointer { kp in
                let kb = kp.baseAddress!
                parallelFixedChunks(buckets, chunk: 64, threads: threads) { range in
                    var scratch: [UInt64] = []
                    var counts = [Int](repeating: 0, count: (1 << 12) + 1)
                    for b in range {
                        let slice = UnsafeMutableBufferPointer(start: base + start[b], count: start[b + 1] - start[b])
                        sortBucket(slice, scratch: &scratch, counts: &counts)
                        var w = slice.count
                        if unique && slice.count > 1 {
                            w = 1
                            for r in 1..<slice.count where slice[r] != slice[w - 1] { slice[w] = slice[r]; w += 1 }
                        }
                        kb[b] = w
                    }
                }
            }
            // Compact the buckets to the front.
            for b in 0..<buckets {
                let s = start[b]
                if total != s { (base + total).update(from: base + s, count: kept[b]) }
                total += kept[b]
            }
        }
        out.removeLast(n - total)
        return out
    }

    /// Sorts values that share their top 10 bits: a counting sort on the
    /// next 12 bits, then an insertion sort, which has almost nothing left
    /// to do for uniform hashes (a few values per sub-bucket).
    static func sortBucket(_ p: UnsafeMutableBufferPointer<UInt64>, scratch: inout [UInt64], counts: inout [Int]) {
        let n = p.count
        if n > 256 {
            if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
            for i in 0..<counts.count { counts[i] = 0 }
            for x in p { counts[Int((x >> 42) & 0xFFF) + 1] += 1 }
            for i in 1..<counts.count { counts[i] += counts[i - 1] }
            scratch.withUnsafeMutableBufferPointer { s in
                for x in p {
                    let k = Int((x >> 42) & 0xFFF)
                    s[counts[k]] = x
                    counts[k] += 1
                }
                _ = p.update(fromContentsOf: UnsafeBufferPointer(rebasing: s[0..<n]))
            }
        }
        // Insertion sort (nearly sorted input after the counting pass).
        var i = 1
        while i < n {
            let x = p[i]
            var j = i - 1
            while j >= 0 && p[j] > x { p[j + 1] = p[j]; j -= 1 }
            p[j + 1] = x
            i += 1
        }
    }

    static func compact(_ a: inout [UInt64]) {
        var w = 0
        a.withUnsafeMutableBufferPointer { b in
            for r in 0..<b.count where w == 0 || b[r] != b[w - 1] { b[w] = b[r]; w += 1 }
        }
        a.removeLast(a.count - w)
    }
}
