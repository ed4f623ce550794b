import Foundation

/// Sorting of 64-bit hash values (uniformly distributed bits).
package enum RadixSort {
    /// Past this many values in one bucket, a bucket is sorted by comparison
    /// (O(b log b)) rather than left to the insertion pass (O(b²)): uniform
    /// hashes never crowd a bucket so, hashes crafted to collide would.
    static let crowdedBucket = 32
    /// Sorts in place (see `sortedUnique(parts:)`).
    public static func sortUniformHashes(_ a: inout [UInt64]) {
        var parts = [a]
        a = []
        a = sortedUnique(parts: &parts, unique: false)
    }

    /// Sorts an array of uniform hashes (a document's n-grams) in O(n), in
    /// two scatters that stay in cache: by the top ≤ 8 bits into `scratch`
    /// (at most 256 write streams), then each of those buckets by the next
    /// ⌈log₂ n⌉ − 8 bits (at most 12) back into its place in `a` (a bucket
    /// of a few hundred values, in L1), after which each value is at most a
    /// few places from where it belongs and one insertion pass ends it. One
    /// scatter by the top 16 bits into 65,536 buckets, before session 16,
    /// wrote each value to a different cache line of a buffer larger than
    /// L1 and took 1.5× as long on 152,000 values (a 1 MB document's
    /// 8-grams). `scratch` and `counts` are reused across calls.
    package static func sortHashes(_ a: inout [UInt64], scratch: inout [UInt64], counts: inout [Int]) {
        let n = a.count
        guard n >= 32 else {
            a.sort()
            return
        }
        let total = Int.bitWidth - (n - 1).leadingZeroBitCount
        let bits1 = min(8, total / 2)
        let bits2 = min(12, total - bits1)
        let shift1 = UInt64(64 - bits1)
        let shift2 = UInt64(64 - bits1 - bits2)
        let mask2 = UInt64(1 << bits2 - 1)
        let buckets1 = 1 << bits1
        let buckets2 = 1 << bits2
        // counts: the first pass's starts (buckets1 + 1), its write
        // positions (buckets1), then the second pass's (buckets2 + 1).
        let needed = 2 * buckets1 + buckets2 + 2
        if counts.count < needed { counts = [Int](repeating: 0, count: needed) }
        if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
        counts.withUnsafeMutableBufferPointer { c in
            let start1 = c.baseAddress!
            let next1 = start1 + buckets1 + 1
            let c2 = next1 + buckets1
            a.withUnsafeMutableBufferPointer { x in
                scratch.withUnsafeMutableBufferPointer { y in
                    for b in 0...buckets1 { start1[b] = 0 }
                    for v in x { start1[Int(v >> shift1) &+ 1] &+= 1 }
                    for b in 0..<buckets1 { start1[b + 1] &+= start1[b] }
                    next1.update(from: start1, count: buckets1)
                    for v in x {
                        let b = Int(v >> shift1)
                        y[next1[b]] = v
                        next1[b] &+= 1
                    }
                    for b in 0..<buckets1 {
                        let lo = start1[b]
                        let hi = start1[b + 1]
                        if hi - lo < 2 {
                            if hi > lo { x[lo] = y[lo] }
                            continue
                        }
                        for k in 0...buckets2 { c2[k] = 0 }
                        for i in lo..<hi { c2[Int((y[i] >> shift2) & mask2) &+ 1] &+= 1 }
                        for k in 0..<buckets2 { c2[k + 1] &+= c2[k] }
                        for i in lo..<hi {
                            let v = y[i]
                            let k = Int((v >> shift2) & mask2)
                            x[lo &+ c2[k]] = v
                            c2[k] &+= 1
                        }
                        // A sub-bucket far above its expected one or two
                        // values (hashes chosen to share their top bits) is
                        // sorted by comparison, so that the pass below stays
                        // O(n). c2[k] is now the end of sub-bucket k.
                        var start = 0
                        for k in 0..<buckets2 {
                            if c2[k] - start > RadixSort.crowdedBucket {
                                var bucket = UnsafeMutableBufferPointer(rebasing: x[(lo + start)..<(lo + c2[k])])
                                bucket.sort()
                            }
                            start = c2[k]
                        }
                        for i in (lo + 1)..<hi {
                            let v = x[i]
                            var j = i
                            while j > lo && x[j - 1] > v {
                                x[j] = x[j - 1]
                                j -= 1
                            }
                            x[j] = v
                        }
                    }
                }
            }
        }
    }

    /// The values of `parts`, sorted, optionally without repeats. One
    /// counting pass and one scatter by the top 10 bits into a single
    /// output array (each part is freed once scattered, so the peak is about
    /// one copy of the data), then each of the 1,024 buckets — about n/1,024
    /// values, cache-sized — is sorted on its own, in parallel. For uniform
    /// hashes this is several times faster than a comparison sort of the
    /// whole array and needs no second full-size buffer.
    public static func sortedUnique(
        parts: inout [[UInt64]], unique: Bool = true, threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [UInt64] {
        let n = parts.reduce(0) { $0 + $1.count }
        guard n > 4096 else {
            var all = parts.flatMap { $0 }
            parts = []
            all.sort()
            if unique { compact(&all) }
            return all
        }
        let bits: UInt64 = 10
        let buckets = 1 << 10
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
                Parallel.chunks(buckets, chunk: 64, threads: threads) { range in
                    var scratch: [UInt64] = []
                    var counts = [Int](repeating: 0, count: (1 << 12) + 1)
                    for b in range {
                        let slice = UnsafeMutableBufferPointer(start: base + start[b], count: start[b + 1] - start[b])
                        sortBucket(slice, scratch: &scratch, counts: &counts)
                        var w = slice.count
                        if unique && slice.count > 1 {
                            w = 1
                            for r in 1..<slice.count where slice[r] != slice[w - 1] {
                                slice[w] = slice[r]
                                w += 1
                            }
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
            var start = 0
            for k in 0..<(counts.count - 1) {
                if counts[k] - start > RadixSort.crowdedBucket {
                    var bucket = UnsafeMutableBufferPointer(rebasing: p[start..<counts[k]])
                    bucket.sort()
                }
                start = counts[k]
            }
        }
        // Insertion sort (nearly sorted input after the counting pass).
        var i = 1
        while i < n {
            let x = p[i]
            var j = i - 1
            while j >= 0 && p[j] > x {
                p[j + 1] = p[j]
                j -= 1
            }
            p[j + 1] = x
            i += 1
        }
    }

    /// Sorts by the high 32 bits only (stable: values with the same high
    /// half keep their order), by least-significant-digit passes over
    /// those four bytes, skipping a byte all values share: (id << 32 |
    /// count) words of a document with ids below 2¹⁶ take two passes. What
    /// `sort()` took 4% of `sketch`'s samples for (Swift's sort is a merge
    /// sort). `scratch` is reused across calls.
    package static func sortByHigh32(_ a: inout [UInt64], scratch: inout [UInt64]) {
        let n = a.count
        guard n > 1 else { return }
        var any: UInt64 = 0
        var all: UInt64 = ~0
        for v in a {
            any |= v
            all &= v
        }
        let varying = (any ^ all) >> 32
        if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
        var inScratch = false
        var counts = [Int](repeating: 0, count: 257)
        a.withUnsafeMutableBufferPointer { x in
            scratch.withUnsafeMutableBufferPointer { y in
                for byte in 0..<4 where (varying >> UInt64(8 * byte)) & 0xFF != 0 {
                    let shift = UInt64(32 + 8 * byte)
                    let (from, to) = inScratch ? (y, x) : (x, y)
                    for k in 0...256 { counts[k] = 0 }
                    for i in 0..<n { counts[Int((from[i] >> shift) & 0xFF) &+ 1] &+= 1 }
                    for k in 0..<256 { counts[k + 1] &+= counts[k] }
                    for i in 0..<n {
                        let v = from[i]
                        let d = Int((v >> shift) & 0xFF)
                        to[counts[d]] = v
                        counts[d] &+= 1
                    }
                    inScratch.toggle()
                }
                if inScratch { x.baseAddress!.update(from: y.baseAddress!, count: n) }
            }
        }
    }

    /// The indices of `keys` in ascending order of their keys, equal keys
    /// in index order (a stable sort): least-significant-digit passes over
    /// the keys' bytes, skipping a byte all keys share. What the merge of
    /// the workers' vocabularies orders its types by (their first 8 bytes,
    /// or their hashes) before breaking ties, on one core after all have
    /// counted: on 50,013 types a sort of the indices through a closure
    /// was 1.0% of `stats`' samples, this 0.4%.
    package static func orderByKeys(_ keys: [UInt64]) -> [Int] {
        let n = keys.count
        guard n > 1 else { return Array(0..<n) }
        var any: UInt64 = 0
        var all: UInt64 = ~0
        for k in keys {
            any |= k
            all &= k
        }
        let varying = any ^ all
        var order = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(truncatingIfNeeded: i) }
            c = n
        }
        guard n <= Int(Int32.max) else { return Array(0..<n).sorted { (keys[$0], $0) < (keys[$1], $1) } }
        var other = [Int32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 257)
        keys.withUnsafeBufferPointer { k in
            for byte in 0..<8 where (varying >> UInt64(8 * byte)) & 0xFF != 0 {
                let shift = UInt64(8 * byte)
                order.withUnsafeBufferPointer { from in
                    other.withUnsafeMutableBufferPointer { to in
                        for d in 0...256 { counts[d] = 0 }
                        for i in 0..<n { counts[Int((k[Int(from[i])] >> shift) & 0xFF) &+ 1] &+= 1 }
                        for d in 0..<256 { counts[d + 1] &+= counts[d] }
                        for i in 0..<n {
                            let d = Int((k[Int(from[i])] >> shift) & 0xFF)
                            to[counts[d]] = from[i]
                            counts[d] &+= 1
                        }
                    }
                }
                swap(&order, &other)
            }
        }
        return order.map { Int($0) }
    }

    package static func compact(_ a: inout [UInt64]) {
        var w = 0
        a.withUnsafeMutableBufferPointer { b in
            for r in 0..<b.count where w == 0 || b[r] != b[w - 1] {
                b[w] = b[r]
                w += 1
            }
        }
        a.removeLast(a.count - w)
    }
}
