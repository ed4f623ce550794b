import FingerprintCore
import Foundation

/// Keyness by the log-odds ratio with an informative Dirichlet prior
/// (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eqs. 16–22).
///
/// Prior: αᵥ = α₀ · (aᵥ + bᵥ)/(n_a + n_b), i.e. the pooled distribution
/// scaled to total mass α₀ — label-free. Natural logs:
/// δᵥ = ln((aᵥ+αᵥ)/(n_a+α₀−aᵥ−αᵥ)) − ln((bᵥ+αᵥ)/(n_b+α₀−bᵥ−αᵥ)),
/// σ²ᵥ ≈ 1/(aᵥ+αᵥ) + 1/(bᵥ+αᵥ), zᵥ = δᵥ/σᵥ. Positive z: over-represented in A.
public enum Keyness {
    public struct Scores {
        public var delta: [Double]
        public var z: [Double]
    }

    /// δ and z for every type; types absent from both sides get 0.
    /// - Complexity: O(V).
    public static func logOdds(_ a: [Double], _ b: [Double], alpha0: Double = 1000) -> Scores {
        precondition(a.count == b.count)
        let na = a.reduce(0, +)
        let nb = b.reduce(0, +)
        let n = na + nb
        var delta = [Double](repeating: 0, count: a.count)
        var z = delta
        guard n > 0 else { return Scores(delta: delta, z: z) }
        for i in 0..<a.count {
            let alpha = alpha0 * (a[i] + b[i]) / n
            guard alpha > 0 else { continue }
            let d = log((a[i] + alpha) / (na + alpha0 - a[i] - alpha)) - log((b[i] + alpha) / (nb + alpha0 - b[i] - alpha))
            let v = 1 / (a[i] + alpha) + 1 / (b[i] + alpha)
            delta[i] = d
            z[i] = d / v.squareRoot()
        }
        return Scores(delta: delta, z: z)
    }
}
