import FingerprintCore
import Foundation

/// Divergences between two token distributions given as count vectors over
/// the same types (docs/DESIGN.md, Statistics). Logs are base 2 (bits); sums are
/// accumulated in Double.
///
/// Edge cases: a side with no tokens has the zero distribution; every
/// function then returns a finite value (0 where the quantity is undefined)
/// and never NaN or infinity.
public enum Divergence {
    @inline(__always)
    static func total(_ x: [Double]) -> Double { x.reduce(0, +) }

    @inline(__always)
    static func xlog2x(_ p: Double) -> Double { p > 0 ? p * log2(p) : 0 }

    /// Jensen–Shannon divergence in bits, H(m) − (H(p) + H(q))/2 with
    /// m = (p + q)/2, of the normalised counts (unsmoothed). In [0, 1].
    /// - Complexity: O(V).
    public static func jensenShannon(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "count vectors of different lengths")
        return jensenShannon(count: a.count, totalA: total(a), totalB: total(b)) { (a[$0], b[$0]) }
    }

    /// The JSD kernel over `count` pairs of counts given by `pair(i)` with
    /// side totals `totalA`, `totalB` (the permutation test calls it with
    /// group sums and column totals).
    @inline(__always)
    static func jensenShannon(count: Int, totalA ta: Double, totalB tb: Double, _ pair: (Int) -> (Double, Double)) -> Double {
        guard ta > 0, tb > 0 else { return 0 }
        var hm = 0.0
        var hp = 0.0
        var hq = 0.0
        for i in 0..<count {
            let (ca, cb) = pair(i)
            let p = ca / ta
            let q = cb / tb
            hp -= xlog2x(p)
            hq -= xlog2x(q)
            hm -= xlog2x(0.5 * (p + q))
        }
        return max(0, hm - 0.5 * (hp + hq))
    }

    /// The JS distance √JSD (bits), as `scipy.spatial.distance.jensenshannon(p, q, base=2)`.
    public static func jensenShannonDistance(_ a: [Double], _ b: [Double]) -> Double {
        jensenShannon(a, b).squareRoot()
    }

    /// Additively smoothed distribution: (x_i + α) / (Σx + α·K).
    public static func smoothed(_ x: [Double], alpha: Double) -> [Double] {
        let denom = total(x) + alpha * Double(x.count)
        guard denom > 0 else { return x.map { _ in 0 } }
        return x.map { ($0 + alpha) / denom }
    }

    /// KL(p‖q) in bits with additive smoothing α on the union vocabulary
    /// (both sides smoothed over all K entries).
    public static func kullbackLeibler(_ a: [Double], _ b: [Double], alpha: Double = 0.5) -> Double {
        let p = smoothed(a, alpha: alpha)
        let q = smoothed(b, alpha: alpha)
        var kl = 0.0
        for i in 0..<p.count where p[i] > 0 {
            guard q[i] > 0 else { continue }
            kl += p[i] * log2(p[i] / q[i])
        }
        return max(0, kl)
    }

    /// Cross-entropy −Σ p log₂ q with both sides smoothed as in `kullbackLeibler`.
    public static func crossEntropy(_ a: [Double], _ b: [Double], alpha: Double = 0.5) -> Double {
        let p = smoothed(a, alpha: alpha)
        let q = smoothed(b, alpha: alpha)
        var h = 0.0
        for i in 0..<p.count where p[i] > 0 && q[i] > 0 { h -= p[i] * log2(q[i]) }
        return h
    }

    /// Hellinger distance √(½ Σ (√p − √q)²) of the normalised counts, in [0, 1].
    public static func hellinger(_ a: [Double], _ b: [Double]) -> Double {
        let ta = total(a)
        let tb = total(b)
        guard ta > 0, tb > 0 else { return 0 }
        var s = 0.0
        for i in 0..<a.count {
            let d = (a[i] / ta).squareRoot() - (b[i] / tb).squareRoot()
            s += d * d
        }
        return (0.5 * s).squareRoot()
    }

    /// Total variation ½ Σ |p − q| of the normalised counts, in [0, 1].
    public static func totalVariation(_ a: [Double], _ b: [Double]) -> Double {
        let ta = total(a)
        let tb = total(b)
        guard ta > 0, tb > 0 else { return 0 }
        var s = 0.0
        for i in 0..<a.count { s += abs(a[i] / ta - b[i] / tb) }
        return 0.5 * s
    }

    /// A test statistic on the 2 × K contingency table with its asymptotic
    /// χ² p-value.
    public struct TableTest: Codable, Sendable, Equatable {
        public var statistic: Double
        public var dof: Int
        public var pValue: Double
        enum CodingKeys: String, CodingKey {
            case statistic, dof
            case pValue = "p_value"
        }
    }

    /// Pearson's χ² and the G (log-likelihood ratio) statistic on the 2 × K
    /// table of counts, as `scipy.stats.chi2_contingency(correction=False)`
    /// (and `lambda_="log-likelihood"`). Columns empty on both sides are
    /// dropped; dof = (columns kept − 1). With a side empty or one column,
    /// the statistics are 0 with p = 1.
    /// - Complexity: O(V).
    public static func contingency(_ a: [Double], _ b: [Double]) -> (chiSquare: TableTest, g: TableTest) {
        let ta = total(a)
        let tb = total(b)
        let n = ta + tb
        var cols = 0
        for i in 0..<a.count where a[i] + b[i] > 0 { cols += 1 }
        let dof = max(0, cols - 1)
        guard ta > 0, tb > 0, dof > 0 else {
            let zero = TableTest(statistic: 0, dof: dof, pValue: 1)
            return (zero, zero)
        }
        var chi = 0.0
        var g = 0.0
        for i in 0..<a.count {
            let col = a[i] + b[i]
            guard col > 0 else { continue }
            for (obs, rowTotal) in [(a[i], ta), (b[i], tb)] {
                let e = rowTotal * col / n
                let d = obs - e
                chi += d * d / e
                if obs > 0 { g += obs * log(obs / e) }
            }
        }
        g *= 2
        return (
            TableTest(statistic: chi, dof: dof, pValue: SpecialFunctions.chiSquareSurvival(chi, dof: dof)),
            TableTest(statistic: g, dof: dof, pValue: SpecialFunctions.chiSquareSurvival(g, dof: dof))
        )
    }
}
