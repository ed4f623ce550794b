import CKernels
import Foundation

/// Sorting of 64-bit hash values (uniformly distributed bits).
package enum RadixSort {
    /// Sorts in place (see `sortedUnique(parts:)`).
    public static func sortUniformHashes(_ a: inout [UInt64]) {
        var parts = [a]
        a = []
        a = sortedUnique(parts: &parts, unique: false)
    }

    /// Sorts an array of uniform hashes (a document's n-grams) in O(n):
    /// two least-significant-digit passes over its top ⌈log₂ n⌉ + 4 bits
    /// and one insertion pass for the rare ties (`fp_sort_u64`, in C).
    /// The two scatters of session 16 (top 8 bits, then each bucket by the
    /// next bits in L1, in Swift) took 4.5 ns a value on 150,000 values (a
    /// 1 MB document's 8-grams), this 2.4 ns; the same two passes written
    /// in Swift took 3.8 ns. `scratch` is reused across calls.
    package static func sortHashes(_ a: inout [UInt64], scratch: inout [UInt64]) {
        a.withUnsafeMutableBufferPointer { sort($0, sharingTopBits: 0, scratch: &scratch) }
    }

    /// The values of `parts`, sorted, optionally without repeats. One
    /// counting pass and one scatter by the top 10 bits into a single
    /// output array (each part is freed once scattered, so the peak is about
    /// one copy of the data), then each of the 1,024 buckets — about n/1,024
    /// values, cache-sized — is sorted on its own, in parallel. For uniform
    /// hashes this is several times faster than a comparison sort of the
    /// whole array and needs no second full-size buffer.
    ///
    /// With a `pool`, the result's storage comes from it when it has a
    /// buffer large enough, and each part's storage goes back to it once
    /// scattered (`HashBufferPool`: memory already faulted in).
    public static func sortedUnique(
        parts: inout [[UInt64]], unique: Bool = true, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        pool: HashBufferPool? = nil
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
        func scatter(_ buf: UnsafeMutableBufferPointer<UInt64>) {
            var next = Array(start.prefix(buckets))
            for i in parts.indices {
                for x in parts[i] {
                    let b = Int(x >> (64 - bits))
                    buf[next[b]] = x
                    next[b] += 1
                }
                pool?.give(&parts[i])
                parts[i] = []
            }
        }
        var out: [UInt64]
        if let pool, case var kept = pool.take(atLeast: n, orSmaller: false), kept.capacity >= n {
            kept.append(contentsOf: repeatElement(0, count: n))
            kept.withUnsafeMutableBufferPointer { scatter($0) }
            out = kept
        } else {
            out = [UInt64](unsafeUninitializedCapacity: n) { buf, initialized in
                scatter(buf)
                initialized = n
            }
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
                    for b in range {
                        let slice = UnsafeMutableBufferPointer(start: base + start[b], count: start[b + 1] - start[b])
                        sortBucket(slice, scratch: &scratch)
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

    /// Sorts values that share their top 10 bits.
    static func sortBucket(_ p: UnsafeMutableBufferPointer<UInt64>, scratch: inout [UInt64]) {
        sort(p, sharingTopBits: 10, scratch: &scratch)
    }

    /// `fp_sort_u64` on values that share their top `shared` bits, through
    /// `scratch` (grown to the values' count, reused across calls).
    private static func sort(_ p: UnsafeMutableBufferPointer<UInt64>, sharingTopBits shared: Int32, scratch: inout [UInt64]) {
        let n = p.count
        guard n > 1 else { return }
        if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
        scratch.withUnsafeMutableBufferPointer { s in fp_sort_u64(p.baseAddress!, s.baseAddress!, n, shared) }
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
        guard n <= Int(Int32.max) else { return Array(0..<n).sorted { (keys[$0], $0) < (keys[$1], $1) } }
        // The eight bytes' histograms in one pass; then each byte that not
        // all keys share, least significant first, scatters (key, index)
        // pairs, so that every pass reads its keys in order (reading them
        // through the indices cost a cache miss a key: 220 instructions a
        // key for the vocabulary's order at the end of every count).
        var counts = [Int](repeating: 0, count: 8 * 256)
        var any: UInt64 = 0
        var all: UInt64 = ~0
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for x in k {
                    any |= x
                    all &= x
                    for b in 0..<8 { c[b &* 256 &+ Int(truncatingIfNeeded: (x &>> UInt64(8 &* b)) & 0xFF)] &+= 1 }
                }
            }
        }
        let varying = any ^ all
        guard varying != 0 else { return Array(0..<n) }
        // The first pass reads `keys`; later ones go between two buffers of
        // their own (`keys` is the caller's: writing into it would copy it).
        var first = true
        var keyA = [UInt64](repeating: 0, count: n)
        var keyB = [UInt64](repeating: 0, count: n)
        var idA = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(truncatingIfNeeded: i) }
            c = n
        }
        var idB = [Int32](repeating: 0, count: n)
        var next = [Int](repeating: 0, count: 256)
        for byte in 0..<8 where (varying &>> UInt64(8 &* byte)) & 0xFF != 0 {
            let shift = UInt64(8 &* byte)
            var sum = 0
            for d in 0..<256 {
                next[d] = sum
                sum &+= counts[byte &* 256 &+ d]
            }
            (first ? keys : keyA).withUnsafeBufferPointer { kf in
                idA.withUnsafeBufferPointer { fi in
                    keyB.withUnsafeMutableBufferPointer { kt in
                        idB.withUnsafeMutableBufferPointer { ti in
                            next.withUnsafeMutableBufferPointer { nx in
                                for i in 0..<n {
                                    let x = kf[i]
                                    let d = Int(truncatingIfNeeded: (x &>> shift) & 0xFF)
                                    let p = nx[d]
                                    kt[p] = x
                                    ti[p] = fi[i]
                                    nx[d] = p &+ 1
                                }
                            }
                        }
                    }
                }
            }
            swap(&keyA, &keyB)
            swap(&idA, &idB)
            first = false
        }
        return idA.map { Int($0) }
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
