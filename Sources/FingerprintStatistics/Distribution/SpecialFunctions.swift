import FingerprintCore
import Foundation

/// Special functions for asymptotic p-values, in Double.
package enum SpecialFunctions {
    /// ln Γ(x) for x > 0 (Foundation's `lgamma`).
    @inline(__always)
    public static func logGamma(_ x: Double) -> Double { lgamma(x) }

    /// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a),
    /// by the series for x < a + 1 and Lentz's continued fraction otherwise
    /// (relative accuracy ~1e-14).
    public static func gammaQ(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "gammaQ needs a > 0")
        if x <= 0 { return 1 }
        if x < a + 1 { return max(0, 1 - gammaPSeries(a, x)) }
        return gammaQContinuedFraction(a, x)
    }

    private static func gammaPSeries(_ a: Double, _ x: Double) -> Double {
        var ap = a
        var sum = 1 / a
        var del = sum
        for _ in 0..<10_000 {
            ap += 1
            del *= x / ap
            sum += del
            if abs(del) < abs(sum) * 1e-16 { break }
        }
        return sum * exp(-x + a * log(x) - logGamma(a))
    }

    private static func gammaQContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-16 { break }
        }
        return exp(-x + a * log(x) - logGamma(a)) * h
    }

    /// Survival function of the χ² distribution with `dof` degrees of
    /// freedom: P(X ≥ x). With dof = 0 the distribution is a point mass at
    /// 0 and the p-value is 1 (scipy's convention for an empty table).
    public static func chiSquareSurvival(_ x: Double, dof: Int) -> Double {
        guard dof > 0 else { return 1 }
        return gammaQ(Double(dof) / 2, x / 2)
    }
}
