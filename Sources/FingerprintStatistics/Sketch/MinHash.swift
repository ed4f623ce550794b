import CKernels
import FingerprintCore
import Foundation
import Synchronization

/// MinHash signatures (Broder 1997) of shingle sets.
///
/// Each shingle is a 64-bit hash (word n-grams by a rolling hash of token
/// hashes, as for the n-gram overlap), folded to 32 bits and mapped through
/// `perms` random bijections of the 32-bit integers, x ↦ a·x + b mod 2³²
/// (a odd); the signature keeps the minimum of each. The loop over the
/// permutations is plain 32-bit arithmetic, in C (`fp_minhash_fold`) with
/// AVX2 or AVX-512 chosen at run time: the x86-64 baseline Swift compiles
/// for has no 32-bit vector multiply or unsigned minimum, and the compiler
/// made each lane's minimum a branch. Integer arithmetic, so the signature
/// is the same on every instruction set.
///
/// The estimated Jaccard similarity is the share of equal entries; its
/// standard error is √(J(1−J)/perms).
public struct MinHasher: Sendable {
    public let perms: Int
    let a: [UInt32]
    let b: [UInt32]

    public init(perms: Int = 128, seed: UInt64 = 1) {
        precondition(perms >= 1)
        self.perms = perms
        var rng = Xoshiro256(seed: seed, stream: 0x4D49_4E48)
        a = (0..<perms).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 }
        b = (0..<perms).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
    }

    /// The empty signature (all entries UInt32.max): the sketch of no shingle.
    public var empty: [UInt32] { [UInt32](repeating: .max, count: perms) }

    /// The signature of a set of shingle hashes.
    /// - Complexity: O(shingles × permutations), vectorised over permutations.
    public func signature<S: Sequence>(of shingles: S) -> [UInt32] where S.Element == UInt64 {
        if let array = shingles as? [UInt64] { return signature(of: array) }
        return signature(of: Array(shingles))
    }

    public func signature(of shingles: [UInt64]) -> [UInt32] {
        var s = empty
        shingles.withUnsafeBufferPointer { h in
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    s.withUnsafeMutableBufferPointer { sp in
                        fp_minhash_fold(h.baseAddress, h.count, ap.baseAddress, bp.baseAddress, sp.baseAddress, perms)
                    }
                }
            }
        }
        return s
    }

    /// Estimated Jaccard similarity: the share of equal entries.
    public static func jaccard(_ x: UnsafeBufferPointer<UInt32>, _ y: UnsafeBufferPointer<UInt32>) -> Double {
        var eq = 0
        for i in 0..<x.count where x[i] == y[i] { eq += 1 }
        return Double(eq) / Double(x.count)
    }

    public static func jaccard(_ x: [UInt32], _ y: [UInt32]) -> Double {
        x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { jaccard(xp, $0) } }
    }

    /// Containment |A ∩ B| / |A| from a Jaccard estimate and the set sizes:
    /// |A ∩ B| = J(|A| + |B|)/(1 + J).
    public static func containment(jaccard j: Double, sizeA: Int, sizeB: Int) -> Double {
        guard sizeA > 0 else { return 0 }
        return min(1, j * Double(sizeA + sizeB) / (1 + j) / Double(sizeA))
    }
}

/// Exact Jaccard similarity of two sorted sets of distinct hashes.
package func exactJaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
    if a.isEmpty && b.isEmpty { return 0 }
    let inter = sortedIntersectionCount(a[...], b[...])
    return Double(inter) / Double(a.count + b.count - inter)
}

/// LSH banding for MinHash: b bands of r rows; a pair is a candidate when
/// all rows of some band agree, with probability 1 − (1 − s^r)^b.
public struct LSHBanding: Codable, Sendable, Equatable {
    public var bands: Int
    public var rows: Int

    /// (b, r) with b·r ≤ perms minimising the weighted false-positive area
    /// ∫₀ᵗ P(s) ds plus the false-negative area ∫ₜ¹ (1 − P(s)) ds (equal
    /// weights), as datasketch's `_optimal_param`; each integral by the
    /// trapezoid rule on 200 steps.
    ///
    /// For each r and grid point s, one `pow(s, r)`, then (1 − sʳ)ᵇ for
    /// b = 1, 2, … by one multiplication each: 0.67 ms at 128 permutations,
    /// where two `pow` for every (b, r, s) took 6 ms of every `sketch`,
    /// `index` and `dedup` run (twice in `sketch`). The choice is kept for
    /// the process.
    public static func optimal(threshold t: Double, perms: Int, falsePositiveWeight: Double = 0.5) -> LSHBanding {
        let key = OptimalKey(threshold: t, perms: perms, weight: falsePositiveWeight)
        if let known = optimalChoices.withLock({ $0[key] }) { return known }
        let best = computeOptimal(threshold: t, perms: perms, falsePositiveWeight: falsePositiveWeight)
        optimalChoices.withLock { $0[key] = best }
        return best
    }

    struct OptimalKey: Hashable {
        var threshold: Double
        var perms: Int
        var weight: Double
    }
    static let optimalChoices = Mutex<[OptimalKey: LSHBanding]>([:])

    static func computeOptimal(threshold t: Double, perms: Int, falsePositiveWeight: Double) -> LSHBanding {
        guard perms >= 1 else { return LSHBanding(bands: 1, rows: max(perms, 0)) }
        let steps = 200
        // ∫ over [lo, hi] of (1 − sʳ)ᵇ for every b ≤ perms / r, by the trapezoid rule.
        func integrals(_ lo: Double, _ hi: Double, rows r: Int) -> [Double] {
            let maxB = perms / r
            var sums = [Double](repeating: 0, count: maxB + 1)
            let h = (hi - lo) / Double(steps)
            for i in 0...steps {
                let s = i == steps ? hi : lo + Double(i) * h
                let w = i == 0 || i == steps ? 0.5 : 1
                let q = 1 - pow(s, Double(r))
                var power = 1.0
                for b in 1...maxB {
                    power *= q
                    sums[b] += w * power
                }
            }
            return sums.map { $0 * h }
        }
        // err[r][b]; P(s) = 1 − (1 − sʳ)ᵇ, so ∫₀ᵗ P = t − ∫₀ᵗ (1 − sʳ)ᵇ and
        // ∫ₜ¹ (1 − P) = ∫ₜ¹ (1 − sʳ)ᵇ.
        var err: [[Double]] = [[]]
        for r in 1...perms {
            let below = integrals(0, t, rows: r)
            let above = integrals(t, 1, rows: r)
            err.append(
                (0...(perms / r)).map { b in
                    b == 0 ? .infinity : falsePositiveWeight * (t - below[b]) + (1 - falsePositiveWeight) * above[b]
                })
        }
        var best = LSHBanding(bands: 1, rows: perms)
        var bestErr = Double.infinity
        for b in 1...perms {
            for r in 1...(perms / b) where err[r][b] < bestErr - 1e-15 {
                bestErr = err[r][b]
                best = LSHBanding(bands: b, rows: r)
            }
        }
        return best
    }

    /// Probability that a pair of Jaccard similarity s becomes a candidate.
    public func candidateProbability(_ s: Double) -> Double { 1 - pow(1 - pow(s, Double(rows)), Double(bands)) }
}

/// SimHash (Charikar 2002): the sign of the tf-weighted sum of ±1 bit
/// vectors of the token hashes; near-duplicates differ in few bits.
public struct SimHasher {
    private var v = [Int64](repeating: 0, count: 64)
    public init() {}

    @inline(__always)
    public mutating func add(_ h: UInt64, weight: Int64 = 1) {
        var x = h
        for k in 0..<64 {
            v[k] &+= (x & 1) == 1 ? weight : -weight
            x >>= 1
        }
    }

    /// Adds every hash of `hashes` with weight 1 (the same as `add` on each).
    public mutating func add(contentsOf hashes: UnsafeBufferPointer<UInt64>) {
        var ones = [UInt64](repeating: 0, count: 64)
        ones.withUnsafeMutableBufferPointer { fp_simhash_ones(hashes.baseAddress, hashes.count, $0.baseAddress) }
        let n = Int64(hashes.count)
        for k in 0..<64 { v[k] &+= 2 &* Int64(ones[k]) &- n }
    }

    public mutating func add(contentsOf hashes: [UInt64]) {
        hashes.withUnsafeBufferPointer { add(contentsOf: $0) }
    }

    /// The fingerprint; resets the accumulator.
    public mutating func finish() -> UInt64 {
        var f: UInt64 = 0
        for k in 0..<64 where v[k] > 0 { f |= 1 << UInt64(k) }
        for k in 0..<64 { v[k] = 0 }
        return f
    }

    @inline(__always)
    public static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }
}
