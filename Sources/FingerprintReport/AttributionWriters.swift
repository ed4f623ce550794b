import FingerprintCore
import FingerprintStatistics
import Foundation

extension AttributionReport {
    /// The one-line description of the model.
    var modelLine: String {
        var parts: [String] = []
        switch method {
        case .delta: parts.append("nearest centroid by \(delta == .burrows ? "Burrows's Delta" : "Cosine Delta")")
        case .linear:
            let cs = Array(Set(c ?? [])).sorted()
            parts.append("multinomial logistic regression, C = " + (cs.isEmpty ? "?" : cs.map { Num.f($0, 3) }.joined(separator: "/")))
        case .impostors:
            let ts = (abstainThresholds ?? []).map { Num.f($0, 2) }
            parts.append(
                "General Impostors, no candidate below a score of " + (ts.isEmpty ? "?" : Array(Set(ts)).sorted().joined(separator: "/"))
                    + (abstentions.map { " (\($0) of \(predictions.count) documents got none)" } ?? ""))
        }
        var f: [String] = []
        if features.mfw > 0 { f.append("\(features.mfw) most frequent \(features.tokenizer)") }
        if let r = features.charRange {
            f.append(
                "\(features.charCap.map { "\($0)" } ?? "all") char \(r.lowerBound)-\(r.upperBound)-grams"
                    + (features.charCap == nil ? "" : " each"))
        }
        if let k = features.mask { f.append("masked but the \(k) most frequent words (\(features.maskSingle ? "DV-SA" : "DV-MA"))") }
        let weighting =
            features.weighting == .tfidf
            ? "TF-IDF\(features.sublinearTF ? " (tf = 1 + ln count)" : "") with idf from the training documents, rows of unit length"
            : "z-scored on training documents"
        parts.append(f.joined(separator: " + ") + " (\(featureCount) features, \(weighting))")
        return parts.joined(separator: "; ")
    }

    /// The table for people.
    public func table() -> String {
        var out = "attribute — \(mode == "evaluate" ? "evaluation on the reference" : "questioned documents")\n"
        out += "  model: \(modelLine)\n"
        out += "  candidates: " + candidates.map { "\($0.name.terminalSafe) (\($0.documents))" }.joined(separator: ", ") + "\n\n"
        if let e = evaluation {
            out += "  \(e.scheme == "leave-one-group-out" ? "leave-one-group-out (\(e.folds) groups)" : "\(e.folds)-fold stratified CV"), "
            out +=
                e.bootstrap > 0
                ? "\(e.documents) documents; 95% bootstrap intervals over \(e.bootstrap) resamples of \(e.bootstrapUnit)s\n"
                : "\(e.documents) documents; no intervals (--bootstrap 0)\n"
            var t = TextTable(["metric", "value", "95% interval", "chance"], align: [.left, .right, .right, .right])
            func row(_ name: String, _ x: Estimate?, _ chance: String) {
                guard let x else { return }
                let interval = x.low.flatMap { low in x.high.map { "\(Num.f(low, 3))–\(Num.f($0, 3))" } } ?? "—"
                t.add([name, Num.f(x.value, 3), interval, chance])
            }
            row("accuracy", e.accuracy, "\(Num.f(e.chanceUniform, 3)) (majority \(Num.f(e.chanceMajority, 3)))")
            row("macro-F1", e.macroF1, "")
            row("Brier score", e.brier, "")
            row("calibration error (ECE)", e.ece, "")
            row("answered (coverage)", e.coverage, "")
            row("accuracy of the answered", e.answeredAccuracy, "")
            row("c@1", e.cAt1, "")
            out += t.render()
            if let a = e.abstained {
                out +=
                    "  \(a) of \(e.documents) documents got no candidate; accuracy, macro-F1 and the confusion take each one's best candidate, "
                    + "c@1 = (right + unanswered × right / n) / n\n"
            }
            out += "\n  confusion (rows: true source, columns: predicted)\n"
            var c = TextTable([""] + candidates.map(\.name), align: [.left] + candidates.map { _ in .right })
            for (i, r) in e.confusion.enumerated() { c.add([candidates[i].name] + r.map(String.init)) }
            out += c.render()
            let wrong = predictions.filter { $0.truth != $0.predicted }
            if !wrong.isEmpty {
                out += "\n  misattributed (" + (wrong.count > 20 ? "first 20 of \(wrong.count)" : "\(wrong.count)") + ")\n"
                var w = TextTable(["document", "true", "predicted", "margin"], align: [.left, .left, .left, .right])
                for p in wrong.prefix(20) {
                    w.add([
                        p.document, p.truth ?? "", p.abstained == true ? "none (best: \(p.predicted))" : p.predicted, Num.f(p.margin, 3),
                    ])
                }
                out += w.render()
            }
        } else {
            let head = ["document", "predicted", "margin"] + candidates.map(\.name) + ["top features"]
            var t = TextTable(head, align: [.left, .left, .right] + candidates.map { _ in .right } + [.left])
            for p in predictions {
                let scores = p.probabilities ?? p.impostorScores ?? (delta == .burrows ? p.burrowsDelta : p.cosineDelta) ?? []
                t.add(
                    [p.document, p.abstained == true ? "none (best: \(p.predicted))" : p.predicted, Num.f(p.margin, 3)]
                        + scores.map { Num.f($0, 3) }
                        + [p.topFeatures.prefix(3).map(\.label).joined(separator: ", ")])
            }
            out +=
                "  "
                + (method == .linear
                    ? "probability of each candidate"
                    : method == .impostors
                        ? "share of rounds each candidate beat every impostor"
                        : "distance to each candidate's centroid (smaller is closer)")
                + "\n"
            out += t.render()
        }
        if let c = corpus {
            let how = c.distance == .cosine ? "Cosine Delta of centroids" : "JSD of pooled counts"
            out += "\n  the \(c.documents) questioned documents as one corpus, ranked by \(how)\n"
            var t = TextTable(["candidate", "cosine delta", "JSD (bits)"], align: [.left, .right, .right])
            for d in c.distances { t.add([d.candidate, Num.f(d.cosineDelta, 4), Num.f(d.jsd, 4)]) }
            out += t.render()
            if !c.tests.isEmpty {
                out += "\n  permutation tests, documents relabelled between the two (one-sided; the nearer re-chosen in each relabelling)\n"
                var u = TextTable(["closer to", "than to", "T", "p", "null 95%"], align: [.left, .left, .right, .right, .right])
                for x in c.tests { u.add([x.nearest, x.other, Num.f(x.statistic, 4), Num.f(x.pValue, 4), Num.f(x.null95, 4)]) }
                out += u.render()
            }
        }
        if !skips.isEmpty {
            out +=
                "\n  skipped \(skips.count): " + skips.prefix(3).map(\.description).joined(separator: "; ") + (skips.count > 3 ? "; …" : "")
                + "\n"
        }
        for n in notes { out += "  note: \(n)\n" }
        return out
    }

    /// One row per document: document, truth, predicted, margin, fold, then
    /// one score column per candidate, then the top features.
    public func csv() -> String {
        let kind = method == .linear ? "p" : method == .impostors ? "score" : (delta == .burrows ? "burrows" : "cosine")
        let abstains = method == .impostors
        var out = CSV.row(
            ["document", "truth", "predicted", "margin", "fold"] + (abstains ? ["abstained"] : [])
                + candidates.map { "\(kind):\($0.name)" } + ["top_features"])
        for p in predictions {
            let scores = p.probabilities ?? p.impostorScores ?? (delta == .burrows ? p.burrowsDelta : p.cosineDelta) ?? []
            out += CSV.row(
                [p.document, p.truth ?? "", p.predicted, "\(p.margin)", p.fold.map(String.init) ?? ""]
                    + (abstains ? [p.abstained == true ? "true" : "false"] : []) + scores.map { "\($0)" }
                    + [p.topFeatures.map(\.label).joined(separator: " | ")])
        }
        return out
    }
}

extension AttributionReport {
    /// One JSON object a line: a header (`"type": "header"`, with the schema,
    /// the model and the candidates), one `"prediction"` per document, then
    /// the `"evaluation"` and the `"corpus"` result when there are.
    public func jsonl() throws -> String {
        struct Header: Encodable {
            var type = "header"
            var report: AttributionReport
            func encode(to encoder: Encoder) throws {
                try report.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(type, forKey: Key("type"))
            }
        }
        struct Line<T: Encodable>: Encodable {
            var type: String
            var value: T
            func encode(to encoder: Encoder) throws {
                try value.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(type, forKey: Key("type"))
            }
        }
        var header = self
        header.predictions = []
        header.evaluation = nil
        header.corpus = nil
        var out = try JSONOutput.encode(Header(report: header), pretty: false)
        for p in predictions { out += try JSONOutput.encode(Line(type: "prediction", value: p), pretty: false) }
        if let evaluation { out += try JSONOutput.encode(Line(type: "evaluation", value: evaluation), pretty: false) }
        if let corpus { out += try JSONOutput.encode(Line(type: "corpus", value: corpus), pretty: false) }
        return out
    }
}

/// A JSON key made from a string.
private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
