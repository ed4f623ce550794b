import FingerprintCore
import FingerprintStatistics
import Foundation

/// The HTML report of `fingerprint weights`: verdicts, the similarity heat
/// map with the clustering, a per-layer similarity chart and the tensor
/// table of each pair. Self-contained (inline CSS and SVG).
public enum WeightsHTML {
    /// Rows of each pair's tensor table at most.
    static let tableLimit = 400

    public static func page(_ r: WeightsReport) -> String {
        var p = HTMLPage(title: "fingerprint weights")
        let names = r.models.map { ($0.path as NSString).lastPathComponent }
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        for pair in r.pairs {
            p.element(
                "p", [("class", "verdict")],
                "\(names[pair.a]) vs \(names[pair.b]): \(pair.verdict.rawValue) — \(pair.evidence).")
        }
        p.open("dl", [("class", "figures")])
        p.figure("models", count: r.models.count)
        p.figure("pairs", count: r.pairs.count)
        p.figure("derived", count: r.pairs.filter { $0.verdict == .derived }.count)
        p.close()
        p.element(
            "p", [("class", "options")],
            "Null: \(r.options.nullPartners) mismatched tensors of the same shape and \(r.options.inits) independent initialisations per tensor. fingerprint \(r.version), schema \(r.schema)."
        )
        p.close()
        p.sections.append(("summary", "Summary"))

        p.section("models", "Models")
        p.open("table")
        p.header([("#", true), ("checkpoint", false), ("files", true), ("tensors", true), ("parameters", true)])
        p.open("tbody")
        for (i, m) in r.models.enumerated() {
            p.open("tr")
            p.countCell(i + 1)
            p.element("td", [("class", "path")], m.path)
            p.countCell(m.files)
            p.countCell(m.tensors)
            p.countCell(m.parameters)
            p.close()
        }
        p.close()
        p.close()

        p.section(
            "matrix", "Similarity",
            intro:
                "Median over matched tensors of max(Pearson's r, cosine after unit alignment); rows and columns in the order of the average-linkage clustering."
        )
        let matrix = r.matrix.map { row in row.map { $0 ?? .nan } }
        let finite = matrix.flatMap { $0 }.filter(\.isFinite)
        p.chart(
            SVG.heatMap(
                matrix, labels: names, order: r.order, label: "Heat map of the similarity between models, in clustering order",
                legendTitle: "similarity", domain: (min(finite.min() ?? 0, 1 - 1e-12), 1), keyPrefix: "matrix",
                merges: r.models.count > 2 ? r.merges : nil, reversed: true, digits: 3),
            caption: "Dark: similar; bright: different. Lineages (joined by \"derived\" verdicts): "
                + r.lineages.map { $0.map { names[$0] }.joined(separator: ", ") }.joined(separator: " | ") + ".",
            id: "similarity-heatmap")

        for pair in r.pairs {
            let id = "pair-\(pair.a)-\(pair.b)"
            p.section(id, "\(names[pair.a]) vs \(names[pair.b])", intro: "\(pair.verdict.rawValue.capitalized): \(pair.evidence).")
            // Per-layer similarity: the median over each layer's tensors.
            var byLayer: [Int: [Double]] = [:]
            var other: [Double] = []
            for t in pair.tensors {
                guard let s = t.similarity else { continue }
                if let l = WeightNames.layer(t.name) { byLayer[l, default: []].append(s) } else { other.append(s) }
            }
            var cols = byLayer.keys.sorted().map { l in SVG.Column("\(l)", max(0, median(byLayer[l]!)), tooltip: "layer \(l)") }
            if !other.isEmpty { cols.append(SVG.Column("other", max(0, median(other)), tooltip: "tensors outside numbered layers")) }
            if !cols.isEmpty {
                p.chart(
                    SVG.columns(cols, xLabel: "layer", yLabel: "median similarity", label: "Median tensor similarity per layer"),
                    caption: "Median of max(Pearson, aligned cosine) over each layer's tensors (negative values drawn as 0).",
                    id: id + "-layers")
            }
            p.open("table")
            p.header([
                ("tensor", false), ("shape", false), ("cosine", true), ("rel. L2", true), ("Pearson", true), ("z", true),
                ("aligned", true), ("moved", true), ("z al.", true), ("spectra r", true), ("strong", false),
            ])
            p.open("tbody")
            for t in pair.tensors.prefix(tableLimit) {
                p.open("tr")
                p.element("td", [("class", "path")], t.name + (t.nameB.map { " → " + $0 } ?? ""))
                p.element("td", [], t.shape.map(String.init).joined(separator: "×"))
                for v in [t.cosine, t.relativeL2, t.pearson, t.zPearson, t.alignment?.cosine] {
                    p.numberCell(v.map { Num.f($0, 4) } ?? "–", value: v)
                }
                p.numberCell(t.alignment.map { "\($0.moved)" } ?? "–")
                for v in [t.zAligned, t.spectralCorrelation] { p.numberCell(v.map { Num.f($0, 4) } ?? "–", value: v) }
                p.element("td", [], t.notCompared.map { "not compared: " + $0 } ?? (t.strong ? "yes" : ""))
                p.close()
            }
            p.close()
            p.close()
            p.limitNote(
                shown: min(tableLimit, pair.tensors.count), total: pair.tensors.count, what: "tensors", rest: "--format json or csv")
            if !pair.unmatchedA.isEmpty || !pair.unmatchedB.isEmpty {
                p.element(
                    "p", [("class", "note")],
                    "Unmatched: \(pair.unmatchedA.count) in \(names[pair.a]) (\(pair.unmatchedA.prefix(20).joined(separator: ", "))), "
                        + "\(pair.unmatchedB.count) in \(names[pair.b]) (\(pair.unmatchedB.prefix(20).joined(separator: ", "))).")
            }
        }
        return p.finish(subtitle: names.joined(separator: "  ·  "), version: r.version)
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
