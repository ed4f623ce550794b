import FingerprintCore
import FingerprintStatistics
import Foundation

/// `fingerprint attribute --format html`: the evaluation (accuracy and its
/// interval next to chance, the confusion matrix as a heat map, the
/// reliability diagram), the features that decided for each candidate, the
/// corpus-level ranking and tests, and the per-document predictions.
public enum AttributionHTML {
    public static func page(_ r: AttributionReport, limit: Int = 200) -> String {
        var p = HTMLPage(title: "fingerprint attribute")
        let names = r.candidates.map(\.name)
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        p.element("p", [("class", "verdict")], verdict(r))
        p.open("dl", [("class", "figures")])
        p.figure("candidates", count: r.candidates.count)
        p.figure("documents attributed", count: r.predictions.count)
        p.figure("features", count: r.featureCount, key: "feature_count")
        if let a = r.abstentions { p.figure("no candidate (abstained)", count: a, key: "abstentions") }
        if let e = r.evaluation {
            p.figure("accuracy", interval(e.accuracy), key: "evaluation.accuracy.value", value: e.accuracy.value)
            p.figure("macro-F1", interval(e.macroF1), key: "evaluation.macro_f1.value", value: e.macroF1.value)
            if let b = e.brier { p.figure("Brier score", interval(b), key: "evaluation.brier.value", value: b.value) }
            if let c = e.ece { p.figure("calibration error (ECE)", interval(c), key: "evaluation.ece.value", value: c.value) }
            if let c = e.coverage { p.figure("answered (coverage)", interval(c), key: "evaluation.coverage.value", value: c.value) }
            if let a = e.answeredAccuracy {
                p.figure("accuracy of the answered", interval(a), key: "evaluation.answered_accuracy.value", value: a.value)
            }
            if let c = e.cAt1 { p.figure("c@1", interval(c), key: "evaluation.c_at_1.value", value: c.value) }
            p.figure("chance (uniform)", Num.f(e.chanceUniform, 3), key: "evaluation.chance_uniform", value: e.chanceUniform)
        }
        p.close()
        var opts = "Method \(r.method.rawValue)"
        if let d = r.delta, r.method == .delta { opts += " (\(d.rawValue) Delta)" }
        if let c = r.c { opts += ", C \(Set(c).sorted().map { Num.f($0, 3) }.joined(separator: ", "))" }
        if let e = r.evaluation {
            opts += "; \(e.scheme), \(e.folds) folds; 95% intervals from \(e.bootstrap) bootstrap resamples of \(e.bootstrapUnit)s"
        }
        opts += "; seed \(r.seed). fingerprint \(r.version), schema \(r.schema)."
        p.element("p", [("class", "options")], opts)
        for n in r.notes { p.element("p", [("class", "note")], n) }
        p.close()
        p.sections.append(("summary", "Summary"))

        if let e = r.evaluation {
            p.section(
                "confusion", "Confusion matrix",
                intro:
                    "Rows: the true candidate; columns: the predicted one. Each cell is the share of the row's documents (counts on hover)."
            )
            let shares: [[Double]] = e.confusion.map { row in
                let n = row.reduce(0, +)
                return row.map { n > 0 ? Double($0) / Double(n) : .nan }
            }
            p.chart(
                SVG.heatMap(
                    shares, labels: names, order: Array(names.indices),
                    label: "Heat map of the confusion matrix, rows true candidates, columns predicted", legendTitle: "share of row",
                    domain: (0, 1), keyPrefix: nil, reversed: true, digits: 2),
                caption: "Dark: most of the row's documents; the diagonal holds the correct attributions.", id: "confusion-heatmap")

            if let bins = reliability(r.predictions, names: names) {
                p.section(
                    "reliability", "Reliability",
                    intro:
                        "Documents binned by the probability given to the predicted candidate; each column is the share of them that were right. A calibrated model's columns reach their bin's middle."
                )
                p.chart(
                    SVG.columns(
                        bins.map {
                            SVG.Column(
                                $0.label, $0.accuracy,
                                tooltip:
                                    "\($0.count) documents, mean probability \(Num.f($0.confidence, 3)), accuracy \(Num.f($0.accuracy, 3))")
                        },
                        xLabel: "probability of the predicted candidate", yLabel: "share correct",
                        label: "Reliability diagram: accuracy per bin of predicted probability"),
                    caption: "Bins of width 0.1; empty bins are left out.", id: "reliability")
            }
        }

        let features = decidingFeatures(r.predictions, names: names)
        if !features.isEmpty {
            p.section(
                "features", "Features that decided",
                intro:
                    "For each candidate, the features that moved its documents towards it and away from the runner-up most, summed over the documents attributed to it."
            )
            for (name, bars) in features {
                p.chart(
                    SVG.horizontalBars(
                        bars.map { SVG.Bar($0.feature, $0.value, color: SVG.Palette.blue) }, xLabel: "summed contribution",
                        label: "Features that favoured \(name)"),
                    caption: "Attributed to \(name).", id: nil)
            }
        }

        if let c = r.corpus {
            p.section(
                "corpus", "The questioned corpus as a whole",
                intro:
                    "Distance of the \(c.documents) questioned documents, pooled, to each candidate (ranked by \(c.distance.rawValue)), and for the nearest candidate a permutation test of “closer to it than to the other” with documents as units."
            )
            p.open("table", [("class", "distances")])
            p.header([("candidate", false), ("Cosine Delta", true), ("JSD (bits)", true)])
            p.open("tbody")
            for (i, d) in c.distances.enumerated() {
                p.open("tr")
                p.element("td", [], d.candidate)
                p.numberCell(Num.f(d.cosineDelta, 4), key: "corpus.distances.\(i).cosine_delta", value: d.cosineDelta)
                p.numberCell(Num.f(d.jsd, 4), key: "corpus.distances.\(i).jsd", value: d.jsd)
                p.close("tr")
            }
            p.close("tbody")
            p.close("table")
            p.open("table", [("class", "tests")])
            p.header([("nearest", false), ("other", false), ("T", true), ("null 95%", true), ("p", true)])
            p.open("tbody")
            for (i, t) in c.tests.enumerated() {
                p.open("tr")
                p.element("td", [], t.nearest)
                p.element("td", [], t.other)
                p.numberCell(Num.f(t.statistic, 4), key: "corpus.tests.\(i).statistic", value: t.statistic)
                p.numberCell(Num.f(t.null95, 4), key: "corpus.tests.\(i).null_95", value: t.null95)
                p.numberCell(Num.f(t.pValue, 4), key: "corpus.tests.\(i).p_value", value: t.pValue)
                p.close("tr")
            }
            p.close("tbody")
            p.close("table")
        }

        p.section(
            "predictions", "Documents",
            intro: r.evaluation != nil
                ? "Each labelled document as predicted by the model of the fold that held it out."
                : "Each questioned document with its predicted candidate and margin.")
        p.open("table", [("class", "predictions")])
        p.header([("document", false), ("truth", false), ("predicted", false), ("margin", true), ("top features", false)])
        p.open("tbody")
        for (i, d) in r.predictions.prefix(limit).enumerated() {
            p.open("tr", d.truth.map { $0 == d.predicted ? [("class", "right")] : [("class", "wrong")] } ?? [])
            p.element("td", [], d.document)
            p.element("td", [], d.truth ?? "")
            p.element("td", [], d.abstained == true ? "none (best: \(d.predicted))" : d.predicted)
            p.numberCell(Num.f(d.margin, 3), key: "predictions.\(i).margin", value: d.margin)
            p.element("td", [], d.topFeatures.map(\.label).joined(separator: ", "))
            p.close("tr")
        }
        p.close("tbody")
        p.close("table")
        p.limitNote(shown: min(limit, r.predictions.count), total: r.predictions.count, what: "documents", rest: "--format json or csv")
        return p.finish(subtitle: r.candidates.map(\.name).joined(separator: " · "), version: r.version)
    }

    static func interval(_ e: Estimate) -> String {
        guard let low = e.low, let high = e.high else { return Num.f(e.value, 3) }
        return "\(Num.f(e.value, 3)) [\(Num.f(low, 3)), \(Num.f(high, 3))]"
    }

    static func verdict(_ r: AttributionReport) -> String {
        if let e = r.evaluation { return accuracyVerdict(r, e) + answers(e) }
        var counts: [String: Int] = [:]
        for p in r.predictions { counts[p.predicted, default: 0] += 1 }
        let ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var s = "\(Num.count(r.predictions.count)) questioned documents attributed"
        if let top = ranked.first { s += "; most to \(top.key) (\(Num.count(top.value)))" }
        if let c = r.corpus { s += ". As a whole, nearest to \(c.nearest)" }
        return s + "."
    }

    /// The held-out accuracy against chance.
    static func accuracyVerdict(_ r: AttributionReport, _ e: AttributionEvaluation) -> String {
        guard let low = e.accuracy.low, let high = e.accuracy.high else {
            return
                "Held-out accuracy \(Num.pct(e.accuracy.value)) over \(Num.count(e.documents)) documents and \(r.candidates.count) candidates; chance is \(Num.pct(e.chanceUniform)) (always the largest: \(Num.pct(e.chanceMajority))). "
                + "Without bootstrap resamples (--bootstrap 0) there is no interval, so whether the candidates are told apart better than chance is not tested."
        }
        let above = low > e.chanceMajority
        return
            "Held-out accuracy \(Num.pct(e.accuracy.value)) (95% interval \(Num.pct(low))–\(Num.pct(high))) over \(Num.count(e.documents)) documents and \(r.candidates.count) candidates; chance is \(Num.pct(e.chanceUniform)) (always the largest: \(Num.pct(e.chanceMajority))). "
            + (above
                ? "The candidates are told apart better than chance."
                : "The interval reaches chance: these candidates are not reliably told apart with these features.")
    }

    /// With abstentions: how many were answered, and how well.
    static func answers(_ e: AttributionEvaluation) -> String {
        guard let a = e.abstained, let c = e.cAt1 else { return "" }
        let right = e.answeredAccuracy.map { " Of the answered, \(Num.pct($0.value)) were right" } ?? " None was answered"
        return " \(Num.count(a)) of \(Num.count(e.documents)) documents got no candidate.\(right); c@1 \(Num.f(c.value, 3))."
    }

    struct Bin {
        var label: String
        var count: Int
        var confidence: Double
        var accuracy: Double
    }

    /// Ten equal-width bins of the predicted candidate's probability
    /// (documents with a probability and a known truth).
    static func reliability(_ predictions: [AttributionPrediction], names: [String]) -> [Bin]? {
        var sums = [(n: Int, conf: Double, right: Int)](repeating: (0, 0, 0), count: 10)
        var any = false
        for p in predictions {
            guard let probs = p.probabilities, let truth = p.truth, let k = names.firstIndex(of: p.predicted) else { continue }
            any = true
            let c = probs[k]
            let b = min(9, max(0, Int(c * 10)))
            sums[b].n += 1
            sums[b].conf += c
            if truth == p.predicted { sums[b].right += 1 }
        }
        guard any else { return nil }
        return sums.indices.compactMap { b in
            let s = sums[b]
            guard s.n > 0 else { return nil }
            return Bin(
                label: String(format: "%.1f–%.1f", Double(b) / 10, Double(b + 1) / 10), count: s.n, confidence: s.conf / Double(s.n),
                accuracy: Double(s.right) / Double(s.n))
        }
    }

    /// Per candidate (in order), the 10 features with the largest summed
    /// contribution over the documents attributed to it.
    static func decidingFeatures(_ predictions: [AttributionPrediction], names: [String]) -> [(String, [(feature: String, value: Double)])]
    {
        names.compactMap { name -> (String, [(feature: String, value: Double)])? in
            var sum: [String: Double] = [:]
            for p in predictions where p.predicted == name { for f in p.topFeatures { sum[f.label, default: 0] += f.value } }
            guard !sum.isEmpty else { return nil }
            let top = sum.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10)
            return (name, top.map { (feature: $0.key, value: $0.value) })
        }
    }
}
