import Foundation
import FingerprintCore

/// The document-level permutation test of DESIGN.md: statistic T = JSD (bits)
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
            case statistic, pValue = "p_value", permutations, nullMean = "null_mean", null95 = "null_p95", effect
        }
    }

    /// JSD (bits) between group-A counts `a` and `totals − a`.
    @inline(__always)
    static func jsd<T: BLASScalar>(groupA a: UnsafeBufferPointer<T>, totals: [Double]) -> Double {
        var ta = 0.0, tt = 0.0
        for i in 0..<totals.count { ta += Double(a[i]); tt += totals[i] }
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
        return Result(statistic: t, pValue: p, permutations: null.count, nullMean: mean, null95: q95,
                      effect: mean > 0 ? t / mean : 0, null: null)
    }

    /// The q-quantile with linear interpolation between order statistics
    /// (numpy's default "linear" method).
    public static func quantile(_ x: [Double], _ q: Double) -> Double {
        guard !x.isEmpty else { return 0 }
        let s = x.sorted()
        let h = Double(s.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(s.count - 1, lo + 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }

    /// Runs the test on a dense documents × features count matrix with the
    /// given relabellings (each a label vector; 0 = group A).
    /// - Complexity: one GEMM of P × N × F in blocks of `block` permutations.
    public static func run<T: BLASScalar>(counts x: Matrix<T>, labels: [UInt8], permutations: [[UInt8]],
                                          block: Int = 256) throws -> Result {
        let n = x.rows, f = x.cols
        precondition(labels.count == n)
        var totals = [Double](repeating: 0, count: f)
        var observedA = [T](repeating: 0, count: f)
        for d in 0..<n {
            for j in 0..<f {
                totals[j] += Double(x[d, j])
                if labels[d] == 0 { observedA[j] += x[d, j] }
            }
        }
        let tObs = observedA.withUnsafeBufferPointer { jsd(groupA: $0, totals: totals) }
        var null: [Double] = []
        null.reserveCapacity(permutations.count)
        var start = 0
        while start < permutations.count {
            let rows = min(block, permutations.count - start)
            var ind = Matrix<T>(rows: rows, cols: n)
            for r in 0..<rows {
                let perm = permutations[start + r]
                for d in 0..<n where perm[d] == 0 { ind[r, d] = 1 }
            }
            let sums = try BLAS.product(ind, x)
            sums.storage.withUnsafeBufferPointer { s in
                for r in 0..<rows {
                    null.append(jsd(groupA: UnsafeBufferPointer(rebasing: s[(r * f)..<((r + 1) * f)]), totals: totals))
                }
            }
            start += rows
        }
        return summarize(observed: tObs, null: null)
    }
}
