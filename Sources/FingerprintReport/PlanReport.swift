import FingerprintCore
import FingerprintStatistics
import Foundation

/// `--dry-run` as a table: the corpora surveyed, the planned work, the
/// estimated peak memory by component and the estimated time.
public enum PlanReport {
    public static func table(_ p: WorkPlan) -> String {
        var out = "fingerprint \(p.command) --dry-run: estimates only, nothing was run\n\n"
        for s in p.corpora {
            let docs = s.documentsExact ? count(s.documents) : "≈ " + count(s.documents)
            out += "\(s.corpus.terminalSafe): \(docs) documents, \(bytes(s.textBytes)) of text"
            if s.storedBytes > 0 && Double(s.storedBytes) < s.textBytes * 0.9 { out += " (\(bytes(Double(s.storedBytes))) stored)" }
            out += ", ≈ \(count(s.tokens)) tokens, ≈ \(count(s.types)) types\n"
            out +=
                "  sample: \(s.sampleDocuments) documents, \(bytes(Double(s.sampleBytes))), \(count(Double(s.sampleTypes))) types, Heaps β \(String(format: "%.2f", s.heapsBeta))\(s.complete ? " (the whole corpus)" : "")\n"
        }
        out += "\nwork\n"
        let w = max(12, p.work.map(\.name.count).max() ?? 0)
        for i in p.work {
            let v = i.unit == "flops" ? String(format: "%.3g", i.value) : count(i.value)
            out += "  " + i.name.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + v + (i.unit.isEmpty ? "" : " " + i.unit) + "\n"
        }
        out += "\nmemory at the peak\n"
        let m = max(12, p.memory.map(\.name.count).max() ?? 0)
        for i in p.memory where i.value >= 0.5e6 {
            out += "  " + i.name.padding(toLength: m, withPad: " ", startingAt: 0) + "  " + bytes(i.value) + "\n"
        }
        out += "  " + "total".padding(toLength: m, withPad: " ", startingAt: 0) + "  " + bytes(p.peakBytes)
        if let a = p.availableBytes { out += "   (available now: \(bytes(a)))" }
        out += "\n\ntime  ≈ \(seconds(p.seconds)) (BLAS: \(p.blas), \(String(format: "%.0f", p.gflops)) GFLOP/s measured)\n"
        for n in p.notes { out += "note: \(n)\n" }
        if let tip = p.blasAdvice { out += "note: \(tip)\n" }
        if let advice = p.advice { out += "\nmore than the memory available: \(advice), or --force\n" }
        return out
    }

    static func count(_ x: Double) -> String {
        switch x {
        case ..<1e4: return String(format: "%.0f", x)
        case ..<1e6: return String(format: "%.1f k", x / 1e3)
        case ..<1e9: return String(format: "%.1f M", x / 1e6)
        default: return String(format: "%.2f G", x / 1e9)
        }
    }

    public static func bytes(_ x: Double) -> String {
        switch x {
        case ..<1e6: return String(format: "%.0f kB", x / 1e3)
        case ..<1e9: return String(format: "%.0f MB", x / 1e6)
        default: return String(format: "%.2f GB", x / 1e9)
        }
    }

    static func seconds(_ s: Double) -> String {
        s < 60 ? String(format: "%.1f s", s) : s < 3600 ? String(format: "%.1f min", s / 60) : String(format: "%.1f h", s / 3600)
    }
}
