import FingerprintCore
import FingerprintStatistics
import Foundation

/// The HTML report of `fingerprint weights`: verdicts, the similarity heat
/// map with the clustering, and for each pair a per-layer similarity chart,
/// a chart of the singular-value spectra and the tensor table.
/// Self-contained (inline CSS and SVG).
public enum WeightsHTML {
    /// Rows of each pair's tensor table at most (`--html-limit`).
    public static let defaultTableLimit = 400
    /// Panels of each pair's spectra chart at most (`--spectra-panels`).
    public static let defaultSpectraPanels = 24
    /// Points drawn of each spectrum at most.
    static let spectrumPoints = 128

    public static func page(
        _ r: WeightsReport, tableLimit: Int = defaultTableLimit, spectraPanels: Int = defaultSpectraPanels
    ) -> String {
        var p = HTMLPage(title: "fingerprint weights")
        let names = r.models.map { ($0.path as NSString).lastPathComponent }
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        for pair in r.pairs {
            p.element(
                "p", [("class", "verdict")],
                "\(names[pair.a]) vs \(names[pair.b]): \(pair.verdict?.rawValue ?? "no verdict") — \(pair.evidence).")
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

        for (pairIndex, pair) in r.pairs.enumerated() {
            let id = "pair-\(pair.a)-\(pair.b)"
            p.section(
                id, "\(names[pair.a]) vs \(names[pair.b])",
                intro: "\(pair.verdict?.rawValue.capitalized ?? "No verdict"): \(pair.evidence).")
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
            spectraChart(&p, r, pairIndex: pairIndex, names: names, limit: spectraPanels, id: id + "-spectra")
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

    /// The pair's spectra chart: A's and B's singular values of each matched
    /// 2-D tensor, at most `limit` panels (see `spectraSelection`).
    static func spectraChart(_ p: inout HTMLPage, _ r: WeightsReport, pairIndex: Int, names: [String], limit: Int, id: String) {
        let pair = r.pairs[pairIndex]
        let with = pair.tensors.indices.filter { pair.tensors[$0].spectrumA != nil && pair.tensors[$0].spectrumB != nil }
        guard !with.isEmpty else {
            if !r.options.spectra {
                p.element("p", [("class", "note")], "No spectra chart: the singular values were not computed (--no-spectra).")
            }
            return
        }
        let chosen = spectraSelection(with.map { pair.tensors[$0].spectralCorrelation }, limit: limit).map { with[$0] }
        let panels = chosen.map { k -> SVG.SpectrumPanel in
            let t = pair.tensors[k]
            let count = max(t.spectrumA!.count, t.spectrumB!.count)
            var note = "r " + (t.spectralCorrelation.map { Num.f($0, 4) } ?? "–")
            note += " · " + t.shape.map(String.init).joined(separator: "×")
            note += " · \(count) σ" + (t.spectrumApproximate == true ? " ~" : "")
            let base = "pairs.\(pairIndex).tensors.\(k)."
            return SVG.SpectrumPanel(
                title: t.name + (t.nameB.map { " → " + $0 } ?? ""), note: note, a: t.spectrumA!, b: t.spectrumB!,
                keyA: base + "spectrum_a", keyB: base + "spectrum_b")
        }
        var caption = ""
        if chosen.count < with.count {
            caption +=
                "Showing \(Num.count(chosen.count)) of \(Num.count(with.count)) matched 2-D tensors with spectra: those at evenly "
                + "spaced ranks of the spectral correlation r (no r counts as lowest), lowest and highest included, in tensor order "
                + "(--spectra-panels sets how many; every spectrum is in --format json as spectrum_a and spectrum_b). "
        }
        caption +=
            "Singular values σ of each matched 2-D tensor, largest first (rank on x, σ on a log scale on y): A solid, B dashed. "
            + "r is the correlation of ln σ, the table's \"spectra r\"; values below 10⁻¹⁰ of the largest are left out, as in r; "
            + "spectra of more than \(spectrumPoints) values are drawn at \(spectrumPoints) evenly spaced ranks; "
            + "~: randomized SVD, the leading \(Spectrum.randomizedRank) values only."
        p.chart(
            SVG.spectraGrid(
                panels, names: (names[pair.a], names[pair.b]), label: "Singular-value spectra of the matched 2-D tensors",
                maxPoints: spectrumPoints),
            caption: caption, id: id)
    }

    /// Which of `n` tensors (their spectral correlations, nil when there
    /// is none) the spectra chart shows: all when n ≤ `limit`; else the
    /// tensors at `limit` evenly spaced positions of the order by r (nil
    /// first, ties by position), so the lowest and the highest are in.
    /// - Returns: positions in 0..<n, ascending.
    public static func spectraSelection(_ r: [Double?], limit: Int) -> [Int] {
        let n = r.count
        guard n > limit else { return Array(0..<n) }
        guard limit > 0 else { return [] }
        let order = (0..<n).sorted { i, j in
            let x = r[i] ?? -.infinity
            let y = r[j] ?? -.infinity
            return x != y ? x < y : i < j
        }
        if limit == 1 { return [order[0]] }
        var picked = Set<Int>()
        for j in 0..<limit { picked.insert(order[Int((Double(j) * Double(n - 1) / Double(limit - 1)).rounded())]) }
        return picked.sorted()
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
