import FingerprintCore
import FingerprintStatistics

/// The one-sentence verdict of a comparison, in English: what the test found,
/// with its p-value and effect, and how much of B's text A contains. It is
/// the report's `summary` and the last line of every `compare` output.
public enum CompareVerdict {
    static func fmtP(_ p: Double, min: Double?) -> String {
        if let min, abs(p - min) < 1e-15 {
            return "p = \(String(format: "%.2g", p)), the smallest possible with \(Int((1 / min).rounded()) - 1) permutations"
        }
        return "p = \(Num.f(p, 3))"
    }

    /// The verdict for `r` (ignores `r.summary`).
    public static func sentence(_ r: CompareReport) -> String {
        var parts: [String] = []
        let t = r.test
        if t.ran, let p = t.pValue {
            let effect = t.effect.map { String(format: "%.1f×", $0) } ?? "?"
            let design = t.design == "paired" ? "paired test" : "permutation test"
            if p <= 0.05 {
                parts.append(
                    "A and B are distinguishable (\(design), \(fmtP(p, min: t.minimumPValue)); JSD \(Num.f(t.statistic, 3)) bits, \(effect) the permutation null)"
                )
            } else {
                parts.append(
                    "A and B are not distinguishable by their token distributions at α = 0.05 (\(design), \(fmtP(p, min: t.minimumPValue)); JSD \(effect) the permutation null) — not evidence that they are the same"
                )
            }
        } else {
            parts.append("The permutation test did not run: \(t.reason ?? "unknown reason"); JSD = \(Num.f(r.divergence.jsd, 3)) bits")
        }
        if let c = r.overlap.containment.last {
            parts.append(
                "\(Num.pct(c.bInA)) of B's distinct \(c.n)-grams occur in A; \(Num.pct(r.overlap.bDocumentsWithSharedGramShare)) of B's documents share at least one \(r.overlap.gramSize)-gram with A"
            )
        }
        return parts.joined(separator: "; ") + "."
    }
}

extension CompareReport {
    /// This report with its `summary` set to `CompareVerdict.sentence(self)`.
    public func withVerdict() -> CompareReport {
        var r = self
        r.summary = CompareVerdict.sentence(self)
        return r
    }
}
