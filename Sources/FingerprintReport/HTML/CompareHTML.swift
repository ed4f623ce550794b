import FingerprintCore
import FingerprintStatistics
import Foundation

/// `fingerprint compare --format html`: the verdict and its evidence on one page.
public enum CompareHTML {
    /// The page for `r`. Shared passages are shown side by side, at most
    /// `limit` of them: `passages` when given, else the report's own
    /// (`r.passages`), with the text around each from `documentText`
    /// (side 0 = A, 1 = B; the document's name; nil when it cannot be had,
    /// and the report's snippet is shown). The report never reads files:
    /// the caller re-reads documents through `CorpusInput.document(named:)`.
    package static func page(
        _ r: CompareReport, passages: [HTMLPassage]? = nil, limit: Int = 200,
        documentText: (_ side: Int, _ name: String) -> [UInt8]?
    ) -> String {
        let fromReport = passages == nil
        let passages = passages ?? reportPassages(r, limit: limit, documentText: documentText)
        var p = HTMLPage(title: "fingerprint compare")
        summary(&p, r)
        nullChart(&p, r)
        rankFrequency(&p, r)
        keyness(&p, r, limit: limit)
        divergences(&p, r)
        overlap(&p, r)
        if !passages.isEmpty {
            p.section(
                "passages", "Shared passages",
                intro:
                    "The longest passages of B found verbatim in A (\(Num.count(passages.count)) shown here), with file:line of each side; the shared text is highlighted."
            )
            p.passages(passages, limit: limit, tokenKey: fromReport ? { "passages.\($0).passage.tokens" } : nil)
            if fromReport && r.passages.count > passages.count {
                p.limitNote(shown: passages.count, total: r.passages.count, what: "passages", rest: "--format json")
            }
        }
        skipped(&p, r, limit: limit)
        return p.finish(subtitle: "A: \(r.a.path)  ·  B: \(r.b.path)", version: r.version)
    }

    /// The report's shared passages with the text around each, re-read;
    /// when a document cannot be read, its side shows the report's snippet.
    static func reportPassages(_ r: CompareReport, limit: Int, documentText: (Int, String) -> [UInt8]?) -> [HTMLPassage] {
        var cache: [String: [UInt8]?] = [:]
        func text(_ side: Int, _ name: String) -> [UInt8]? {
            let k = "\(side)/\(name)"
            if let t = cache[k] { return t }
            let t = documentText(side, name)
            cache[k] = t
            return t
        }
        return r.passages.prefix(limit).map { s in
            let x = s.passage
            let snippet = Array(x.snippet.utf8)
            func side(_ bytes: [UInt8]?, _ start: Int, _ end: Int) -> (String, Range<Int>) {
                if let b = bytes, start >= 0, end <= b.count, start <= end {
                    let e = HTMLPassage.excerpt(b, start: start, end: end)
                    return (e.text, e.range)
                }
                return (x.snippet, 0..<snippet.count)
            }
            let (at, ar) = side(text(0, s.a), x.aStart, x.aEnd)
            let (bt, br) = side(text(1, s.b), x.bStart, x.bEnd)
            return HTMLPassage(
                aName: s.a, aLine: x.aLine, bName: s.b, bLine: x.bLine, aText: at, bText: bt,
                matchedRangeInA: ar, matchedRangeInB: br, tokens: x.tokens)
        }
    }

    static func summary(_ p: inout HTMLPage, _ r: CompareReport) {
        let t = r.test
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        p.element("p", [("class", "verdict")], r.summary)
        p.open("dl", [("class", "figures")])
        if t.ran, let pv = t.pValue {
            let minimum = t.minimumPValue.map { abs(pv - $0) < 1e-15 } ?? false
            p.figure(
                "p-value (\(t.design))", Num.f(pv, 4) + (minimum ? " (minimum)" : ""), key: "test.p_value", value: pv,
                title: "(1 + #{null ≥ T}) / (1 + permutations)")
        } else {
            p.figure("permutation test", "not run")
        }
        p.figure("statistic T (JSD, bits)", Num.f(t.statistic, 4), key: "test.statistic", value: t.statistic)
        if let e = t.effect { p.figure("effect T / null mean", Num.f(e, 3) + "×", key: "test.effect", value: e) }
        if let lo = t.ciLow, let hi = t.ciHigh {
            p.open("div", [("class", "fig")])
            p.element("dt", [], "95% CI of T (bootstrap)")
            p.open("dd")
            p.element("span", [("data-key", "test.ci_low"), ("data-value", "\(lo)")], Num.f(lo, 4))
            p.text(" – ")
            p.element("span", [("data-key", "test.ci_high"), ("data-value", "\(hi)")], Num.f(hi, 4))
            p.close()
            p.close()
        }
        if let m = t.nullMean { p.figure("null mean", Num.f(m, 4), key: "test.null_mean", value: m) }
        if let q = t.nullP95 { p.figure("null 95th percentile", Num.f(q, 4), key: "test.null_p95", value: q) }
        if t.ran { p.figure("permutations", count: t.permutations, key: "test.permutations") }
        if let pairs = t.pairs { p.figure("matched pairs", count: pairs, key: "test.pairs") }
        if r.mmd.ran {
            p.figure("MMD² (TF-IDF cosine)", Num.f(r.mmd.mmd2, 4), key: "mmd.mmd2", value: r.mmd.mmd2)
            if let mp = r.mmd.pValue { p.figure("MMD p-value", Num.f(mp, 4), key: "mmd.p_value", value: mp) }
        }
        if let a = r.selfBaseline.a { p.figure("self-baseline JSD, halves of A", Num.f(a, 4), key: "self_baseline.a", value: a) }
        if let b = r.selfBaseline.b { p.figure("self-baseline JSD, halves of B", Num.f(b, 4), key: "self_baseline.b", value: b) }
        for (name, side, k) in [("A", r.a, "a"), ("B", r.b, "b")] {
            p.figure("\(name) documents", count: side.documents, key: "\(k).documents")
            p.figure("\(name) tokens", count: side.tokens, key: "\(k).tokens")
            p.figure("\(name) types", count: side.types, key: "\(k).types")
        }
        p.close()
        if !t.ran, let why = t.reason { p.element("p", [("class", "note")], "The permutation test did not run: \(why).") }
        if !r.notes.isEmpty {
            p.open("ul", [("class", "notes")])
            for n in r.notes { p.element("li", [], "Note: " + n) }
            p.close()
        }
        let o = r.options
        var opts =
            "Options: tokenizer \(o.tokenizer), features \(o.features), permutations \(o.permutations), bootstrap \(o.bootstrap), seed \(o.seed)"
        opts += o.paired ? ", paired" + (o.pairField.map { " by field \($0)" } ?? " by relative path") : ", unpaired"
        opts +=
            ", keyness prior a0 = \(Num.f(o.prior, 4)), smoothing α = \(Num.f(r.divergence.smoothingAlpha, 2)). fingerprint \(r.version), schema \(r.schema)."
        p.element("p", [("class", "options")], opts)
        p.close()
        p.sections.append(("summary", "Summary"))
    }

    static func nullChart(_ p: inout HTMLPage, _ r: CompareReport) {
        let t = r.test
        p.section(
            "null", "Permutation null",
            intro:
                "How large T gets when the labels A and B are shuffled among the documents (the null: no difference), and where the observed T lies. The p-value is the share of shuffles reaching T."
        )
        guard t.ran, !r.nullStatistics.isEmpty else {
            p.element(
                "p", [("class", "note")],
                t.ran ? "The null statistics are not in this report." : "The test did not run: \(t.reason ?? "no reason given").")
            return
        }
        var series = [
            SVG.HistogramSeries("permutation null (\(Num.count(r.nullStatistics.count)))", r.nullStatistics, color: SVG.Palette.skyBlue)
        ]
        if !r.bootstrapStatistics.isEmpty {
            series.append(
                SVG.HistogramSeries(
                    "bootstrap of T (\(Num.count(r.bootstrapStatistics.count)))", r.bootstrapStatistics, color: SVG.Palette.orange))
        }
        var markers = [SVG.Marker("observed T = \(Num.f(t.statistic, 4))", t.statistic, color: SVG.Palette.black, key: "test.statistic")]
        if let q = t.nullP95 {
            markers.append(
                SVG.Marker("null 95th percentile = \(Num.f(q, 4))", q, color: SVG.Palette.blue, dashed: true, key: "test.null_p95"))
        }
        let svg = SVG.histogram(
            series, markers: markers, bins: 60, xLabel: "JSD between the groups (bits)", yLabel: "count",
            label:
                "Histogram of the permutation null of T\(r.bootstrapStatistics.isEmpty ? "" : " and of the bootstrap of T"), with the observed T marked"
        )
        var cap = "Observed T = \(Num.f(t.statistic, 4)) bits against \(Num.count(t.permutations)) permutations"
        if let pv = t.pValue { cap += "; p = \(Num.f(pv, 4))" }
        if let m = t.nullMean { cap += "; null mean \(Num.f(m, 4))" }
        if let b = t.bootstrapBias {
            cap +=
                ". The bootstrap distribution (orange) estimates T's uncertainty; its mean lies \(Num.f(b, 3)) from T (plug-in JSD is biased upward under resampling)"
        }
        p.chart(svg, caption: cap + ".", id: "null-histogram")
        p.element(
            "p", [("class", "note"), ("data-key", "test.permutations"), ("data-value", "\(r.nullStatistics.count)")],
            "\(Num.count(r.nullStatistics.count)) null statistics drawn.")
    }

    static func rankFrequency(_ p: inout HTMLPage, _ r: CompareReport) {
        p.section(
            "zipf", "Rank–frequency",
            intro:
                "Each corpus's types sorted by frequency, relative frequency against rank on log–log axes (Zipf's law is a straight line). Curves apart mean the corpora use their vocabulary differently."
        )
        func points(_ counts: [Int], total: Int) -> [(x: Double, y: Double)] {
            let t = Double(max(1, total))
            return SVG.logSample(counts.count).map { (x: Double($0), y: Double(counts[$0 - 1]) / t) }
        }
        guard !r.rankFrequencyA.isEmpty || !r.rankFrequencyB.isEmpty else {
            p.element("p", [("class", "note")], "No rank–frequency data in this report.")
            return
        }
        let svg = SVG.logLogChart(
            [
                SVG.XYSeries("A (\(Num.count(r.a.types)) types)", points(r.rankFrequencyA, total: r.a.tokens), color: SVG.Palette.blue),
                SVG.XYSeries(
                    "B (\(Num.count(r.b.types)) types)", points(r.rankFrequencyB, total: r.b.tokens), color: SVG.Palette.vermillion,
                    dashed: true),
            ], xLabel: "rank", yLabel: "relative frequency", label: "Rank–frequency plot of A and B on log–log axes")
        p.chart(
            svg, caption: "A solid blue, B dashed vermillion; at most the 5,000 most frequent types of each side.", id: "rank-frequency")
    }

    static func keyness(_ p: inout HTMLPage, _ r: CompareReport, limit: Int) {
        let k = r.keyness
        p.section(
            "keyness", "Tokens that make the difference",
            intro:
                "Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008; a0 = \(Num.f(k.prior, 4))), as z-scores: right, more in A; left, more in B. |z| > 1.96 is about the 5% level for one token, but tokens are many and not independent."
        )
        guard !k.a.isEmpty || !k.b.isEmpty else {
            p.element("p", [("class", "note")], "No token is more frequent on either side.")
            return
        }
        let aList = Array(k.a.prefix(limit))
        let bList = Array(k.b.prefix(limit))
        var bars: [SVG.Bar] = []
        for (i, x) in aList.enumerated() {
            bars.append(
                SVG.Bar(
                    x.token, x.z, color: SVG.Palette.blue, tooltip: "\(x.token): z = \(Num.f(x.z, 3)); \(x.countA) in A, \(x.countB) in B",
                    key: "keyness.a.\(i).z"))
        }
        for (i, x) in bList.enumerated() {
            bars.append(
                SVG.Bar(
                    x.token, x.z, color: SVG.Palette.vermillion,
                    tooltip: "\(x.token): z = \(Num.f(x.z, 3)); \(x.countA) in A, \(x.countB) in B", key: "keyness.b.\(i).z"))
        }
        let svg = SVG.horizontalBars(
            bars, xLabel: "z-score (log-odds, informative prior)",
            label: "Keyness: z-scores of the tokens most typical of A (right) and of B (left)",
            sideLabels: ("more in B", "more in A"))
        p.chart(svg, caption: "Blue bars: tokens more frequent in A; vermillion: more frequent in B.", id: "keyness-chart")
        p.open("table", [("class", "keyness")])
        p.header([
            ("more in A", false), ("count A", true), ("count B", true), ("z", true), ("more in B", false), ("count A", true),
            ("count B", true), ("z", true),
        ])
        p.open("tbody")
        for i in 0..<max(aList.count, bList.count) {
            p.open("tr")
            for (list, side) in [(aList, "a"), (bList, "b")] {
                if i < list.count {
                    let x = list[i]
                    p.element("td", [], x.token)
                    p.countCell(x.countA, key: "keyness.\(side).\(i).count_a")
                    p.countCell(x.countB, key: "keyness.\(side).\(i).count_b")
                    p.numberCell(Num.f(x.z, 3), key: "keyness.\(side).\(i).z", value: x.z)
                } else {
                    for _ in 0..<4 { p.element("td", [], "") }
                }
            }
            p.close()
        }
        p.close()
        p.close()
        p.limitNote(shown: max(aList.count, bList.count), total: max(k.a.count, k.b.count), what: "tokens each way", rest: "--format json")
    }

    static func divergences(_ p: inout HTMLPage, _ r: CompareReport) {
        let v = r.divergence
        p.section(
            "divergences", "Distributions",
            intro:
                "Over the union vocabulary of \(Num.count(v.vocabulary)) types, in bits; KL and cross-entropy with additive smoothing α = \(Num.f(v.smoothingAlpha, 2))."
        )
        p.open("table")
        p.header([("measure", false), ("value", true)])
        p.open("tbody")
        let rows: [(String, Double, String)] = [
            ("entropy A", v.entropyA, "entropy_a"), ("entropy B", v.entropyB, "entropy_b"),
            ("Jensen–Shannon divergence", v.jsd, "jsd"), ("Jensen–Shannon distance", v.jsDistance, "js_distance"),
            ("KL(A‖B)", v.klAB, "kl_ab"), ("KL(B‖A)", v.klBA, "kl_ba"),
            ("cross-entropy H(A, B)", v.crossEntropyAB, "cross_entropy_ab"),
            ("cross-entropy H(B, A)", v.crossEntropyBA, "cross_entropy_ba"),
            ("Hellinger distance", v.hellinger, "hellinger"), ("total variation", v.totalVariation, "total_variation"),
        ]
        for (name, x, key) in rows {
            p.open("tr")
            p.element("td", [], name)
            p.numberCell(Num.f(x, 5), key: "divergence.\(key)", value: x)
            p.close()
        }
        let tt = r.tableTests
        p.open("tr")
        p.element("td", [], "χ² (token level, df \(tt.chiSquare.dof))")
        p.numberCell(Num.f(tt.chiSquare.statistic, 5), key: "table_tests.chi2.statistic", value: tt.chiSquare.statistic)
        p.close()
        p.open("tr")
        p.element("td", [], "G (token level, df \(tt.g.dof))")
        p.numberCell(Num.f(tt.g.statistic, 5), key: "table_tests.g.statistic", value: tt.g.statistic)
        p.close()
        p.close()
        p.close()
        p.element(
            "p", [("class", "note")],
            "Token-level χ² and G treat tokens as independent, so their p-values are far too small; the permutation test above treats documents as the units."
        )
    }

    static func overlap(_ p: inout HTMLPage, _ r: CompareReport) {
        let o = r.overlap
        p.section(
            "overlap", "Shared text",
            intro:
                "Containment of distinct word n-grams (64-bit hashes): the share of one side's n-grams that occur in the other. Long shared n-grams are rare by chance and point at copied text."
        )
        var bars: [SVG.Bar] = []
        for (i, c) in o.containment.enumerated() {
            bars.append(
                SVG.Bar(
                    "B in A, \(c.n)-grams", 100 * c.bInA, color: SVG.Palette.vermillion,
                    tooltip: "\(Num.pct(c.bInA, 2)) of B's distinct \(c.n)-grams occur in A",
                    valueLabel: Num.pct(c.bInA, 1), key: nil))
            bars.append(
                SVG.Bar(
                    "A in B, \(c.n)-grams", 100 * c.aInB, color: SVG.Palette.blue,
                    tooltip: "\(Num.pct(c.aInB, 2)) of A's distinct \(c.n)-grams occur in B",
                    valueLabel: Num.pct(c.aInB, 1), key: nil))
            _ = i
        }
        bars.append(
            SVG.Bar(
                "B documents with a shared \(o.gramSize)-gram", 100 * o.bDocumentsWithSharedGramShare, color: SVG.Palette.purple,
                valueLabel: Num.pct(o.bDocumentsWithSharedGramShare, 1)))
        if !o.containment.isEmpty {
            p.chart(
                SVG.horizontalBars(
                    bars, xLabel: "percent", label: "Shared n-grams of A and B, in percent", domain: (0, 100), barHeight: 24),
                caption:
                    "Containment in both directions, and the share of B's documents that share at least one \(o.gramSize)-gram with A.",
                id: "overlap-chart")
        }
        p.open("table")
        p.header([("n", true), ("B in A", true), ("A in B", true), ("shared", true), ("n-grams A", true), ("n-grams B", true)])
        p.open("tbody")
        for (i, c) in o.containment.enumerated() {
            p.open("tr")
            p.countCell(c.n, key: "overlap.containment.\(i).n")
            p.numberCell(Num.pct(c.bInA, 2), key: "overlap.containment.\(i).b_in_a", value: c.bInA)
            p.numberCell(Num.pct(c.aInB, 2), key: "overlap.containment.\(i).a_in_b", value: c.aInB)
            p.countCell(c.shared, key: "overlap.containment.\(i).shared")
            p.countCell(c.gramsA, key: "overlap.containment.\(i).grams_a")
            p.countCell(c.gramsB, key: "overlap.containment.\(i).grams_b")
            p.close()
        }
        p.close()
        p.close()
        p.open("p")
        p.text("B documents with at least one \(o.gramSize)-gram of A: ")
        p.element(
            "strong", [("data-key", "overlap.b_documents_with_shared_gram"), ("data-value", "\(o.bDocumentsWithSharedGram)")],
            Num.count(o.bDocumentsWithSharedGram))
        p.text(" of \(Num.count(r.b.documents)) (")
        p.element(
            "span", [("data-key", "overlap.b_documents_with_shared_gram_share"), ("data-value", "\(o.bDocumentsWithSharedGramShare)")],
            Num.pct(o.bDocumentsWithSharedGramShare, 1))
        p.text(").")
        p.close()
    }

    static func skipped(_ p: inout HTMLPage, _ r: CompareReport, limit: Int) {
        let all = r.a.skips.map { ("A", $0) } + r.b.skips.map { ("B", $0) }
        guard !all.isEmpty || r.a.invalidUTF8 > 0 || r.b.invalidUTF8 > 0 else { return }
        p.section("input", "Input problems")
        for (name, side, k) in [("A", r.a, "a"), ("B", r.b, "b")] where side.skipped > 0 || side.invalidUTF8 > 0 {
            p.open("p")
            p.text("\(name): ")
            p.element("strong", [("data-key", "\(k).skipped"), ("data-value", "\(side.skipped)")], Num.count(side.skipped))
            p.text(" skipped, ")
            p.element("strong", [("data-key", "\(k).invalid_utf8"), ("data-value", "\(side.invalidUTF8)")], Num.count(side.invalidUTF8))
            p.text(" invalid UTF-8 sequences replaced.")
            p.close()
        }
        if !all.isEmpty {
            p.open("ul", [("class", "skips")])
            for (side, s) in all.prefix(limit) {
                p.open("li")
                p.text("\(side): ")
                p.element("span", [("class", "path")], s.path)
                p.text(" — " + s.reason)
                p.close()
            }
            p.close()
            p.limitNote(shown: min(limit, all.count), total: all.count, what: "skipped inputs", rest: "--format json")
        }
    }
}
