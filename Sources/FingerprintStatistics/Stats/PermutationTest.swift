import FingerprintCore
import Foundation

/// The document-level permutation test of docs/DESIGN.md: statistic T = JSD (bits)
/// between the pooled feature counts of group A and of group B; the null is
/// every relabelling the `Design` allows; p = (1 + #{T_perm ≥ T_obs}) / (1 + P).
///
/// All permutations' group counts come from GEMMs: (permutations × documents)
/// 0/1 indicator blocks times the (documents × features) count matrix. Group
/// B's counts are the column totals minus group A's.
public enum PermutationTest {
    /// Relative tolerance for "T_perm ≥ T_obs": relabellings that give the
    /// same table up to rounding count as ties (as in the reference script).
    public static let tieTolerance = 1e-12

    /// Result of a permutation test.
    public struct Result: Codable, Sendable {
        public var statistic: Double
        public var pValue: Double
        public var permutations: Int
        public var nullMean: Double
        public var null95: Double
        /// statistic / null mean (∞-free: 0 when the null mean is 0).
        public var effect: Double
        /// The permutation statistics, in permutation order (not encoded).
        public var null: [Double] = []

        enum CodingKeys: String, CodingKey {
            case statistic
            case pValue = "p_value"
            case permutations
            case nullMean = "null_mean"
            case null95 = "null_p95"
            case effect
        }
    }

    /// JSD (bits) between group-A counts `a` and `totals − a`.
    @inline(__always)
    static func jsd<T: BLASScalar>(groupA a: UnsafeBufferPointer<T>, totals: [Double]) -> Double {
        var ta = 0.0
        var tt = 0.0
        for i in 0..<totals.count {
            ta += Double(a[i])
            tt += totals[i]
        }
        return Divergence.jensenShannon(count: totals.count, totalA: ta, totalB: tt - ta) { i in
            let ca = Double(a[i])
            return (ca, totals[i] - ca)
        }
    }

    /// p-value, null mean and 95th percentile (linear interpolation, as numpy's default).
    static func summarize(observed t: Double, null: [Double]) -> Result {
        let tol = tieTolerance * max(1, abs(t))
        let ge = null.lazy.filter { $0 >= t - tol }.count
        let p = Double(1 + ge) / Double(1 + null.count)
        let mean = null.isEmpty ? 0 : null.reduce(0, +) / Double(null.count)
        let q95 = quantile(null, 0.95)
        return Result(
            statistic: t, pValue: p, permutations: null.count, nullMean: mean, null95: q95,
            effect: mean > 0 ? t / mean : 0, null: null)
    }

    /// The q-quantile with linear interpolation between order statistics
    /// (numpy's default "linear" method).
    public static func quantile(_ x: [Double], _ q: Double) -> Double {
        guard !x.isEmpty else { return 0 }
        let s = x.sorted()
        let h = Double(s.count - 1) * q
        let lo = Int(h.rounded(.down))
        let hi = min(s.count - 1, lo + 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }

    /// Relabellings (or resamples) per block: at most `blockBudget` bytes of
    /// 0/1 weights and group sums (`rowsPerItem` weight rows of `documents`
    /// bytes and of `features` values each), and at least 16.
    package static func blockRows(documents n: Int, features f: Int, total: Int, rowsPerItem: Int = 1, budget: Int = blockBudget) -> Int {
        let perItem = rowsPerItem * (n + 8 * f)
        return max(16, min(total, budget / max(1, perItem)))
    }

    /// Bytes of relabellings and group sums held at once (256 MB).
    public static let blockBudget = 256 << 20

    /// The null distribution: the statistic of each of `count` relabellings,
    /// in relabelling order. `relabel(r, row)` writes relabelling r — a
    /// label per row of `x`, 0 for group A — into `row`; it is called once
    /// per r, from several threads at once.
    ///
    /// Relabellings are drawn and multiplied in blocks (`blockRows`), so
    /// memory stays bounded by `blockBudget` whatever `count` is; the group
    /// sums are exact (integer counts below 2^24 in Float), so the blocking
    /// does not change a bit of the result.
    /// - Complexity: 2·count·rows·cols flops in GEMMs, O(count·rows) to draw.
    @_specialize(exported:true,where T == Float)
    public static func null<T: BLASScalar>(
        _ x: FeatureMatrix<T>, totals: [Double], count: Int, threads: Int, budget: Int = blockBudget,
        relabel: (Int, UnsafeMutableBufferPointer<UInt8>) -> Void
    ) throws -> [Double] {
        let n = x.rows
        var null = [Double](repeating: 0, count: count)
        let block = blockRows(documents: n, features: x.cols, total: count, budget: budget)
        var first = 0
        while first < count {
            let rows = min(block, count - first)
            // The block's relabellings as 0/1 indicators of group A.
            var w = [UInt8](repeating: 0, count: rows * n)
            w.withUnsafeMutableBufferPointer { wp in
                let base = wp.baseAddress!
                Parallel.chunks(rows, chunk: 16, threads: threads) { range in
                    for r in range {
                        let row = UnsafeMutableBufferPointer(start: base + r * n, count: n)
                        relabel(first + r, row)
                        for d in 0..<n { row[d] = 1 &- row[d] }
                    }
                }
            }
            try x.multiply(weights: w, weightRows: rows) { r, sums in
                null[first + r] = jsd(groupA: sums, totals: totals)
            }
            first += rows
        }
        return null
    }

    /// The null distribution over `permutations` relabellings of `design`,
    /// relabelling r drawn from its own stream of `seed` (so the result does
    /// not depend on blocks or threads). This is what `compare` runs.
    @_specialize(exported:true,where T == Float)
    public static func null<T: BLASScalar>(
        _ x: FeatureMatrix<T>, totals: [Double], design: Design, permutations: Int,
        seed: UInt64, threads: Int
    ) throws -> [Double] {
        precondition(design.count == x.rows)
        return try null(x, totals: totals, count: permutations, threads: threads) { r, row in
            design.permutation(r, seed: seed, into: row)
        }
    }

    /// Runs the test on a dense documents × features count matrix with
    /// explicit relabellings (each a label vector; 0 = group A), through the
    /// same `null` as `compare`.
    /// - Complexity: one GEMM of P × N × F, in blocks.
    public static func run<T: BLASScalar>(
        counts x: Matrix<T>, labels: [UInt8], permutations: [[UInt8]],
        threads: Int = 1
    ) throws -> Result {
        let n = x.rows
        let f = x.cols
        precondition(labels.count == n && permutations.allSatisfy { $0.count == n })
        var totals = [Double](repeating: 0, count: f)
        var observedA = [Double](repeating: 0, count: f)
        for d in 0..<n {
            for j in 0..<f {
                totals[j] += Double(x[d, j])
                if labels[d] == 0 { observedA[j] += Double(x[d, j]) }
            }
        }
        let tObs = observedA.withUnsafeBufferPointer { jsd(groupA: $0, totals: totals) }
        let features = FeatureMatrix<T>(dense: x)
        let null = try null(features, totals: totals, count: permutations.count, threads: threads) { r, row in
            _ = row.update(fromContentsOf: permutations[r])
        }
        return summarize(observed: tObs, null: null)
    }
}
