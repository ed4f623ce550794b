import FingerprintCore
import FingerprintStatistics
import Foundation

/// `fingerprint batch --format html`: the score distribution, the top pairs
/// and clusters; with `--by-subdir`, the corpus × corpus heat maps.
public enum BatchHTML {
    /// Every distinct pair the run reported: the neighbour lists (a–b and b–a
    /// once when the corpus is scored against itself) and the threshold pairs.
    public static func reportedPairs(_ c: BatchCollector) -> [ScoredPair] {
        let symmetric = c.header?.reference == nil
        let width = max(1, c.candidateNames.count)
        var seen = Set<Int>()
        var out: [ScoredPair] = []
        func add(_ a: Int, _ b: Int, _ s: Float) {
            let (x, y) = symmetric ? (min(a, b), max(a, b)) : (a, b)
            if seen.insert(x * width + y).inserted { out.append(ScoredPair(a: x, b: y, score: s)) }
        }
        for (i, l) in c.neighbors.enumerated() { for n in l { add(i, n.index, n.score) } }
        for p in c.pairs { add(p.a, p.b, p.score) }
        out.sort(by: ScoredPair.isStronger)
        return out
    }

    /// The shared passages of the run's evidence (`--evidence`), with the
    /// text around each re-read by `documentText` (side 0: the corpus's
    /// documents, 1: the candidates'), the snippet when unreadable.
    static func collectorEvidence(_ c: BatchCollector, limit: Int, documentText: (Int, String) -> [UInt8]?) -> [HTMLPairEvidence] {
        c.evidence.prefix(limit).map { e in
            let aName = c.queryNames[e.a]
            let bName = c.candidateNames[e.b]
            let aBytes = documentText(0, aName)
            let bBytes = documentText(1, bName)
            func excerpt(_ bytes: [UInt8]?, _ start: Int, _ end: Int, snippet: String) -> (String, Range<Int>) {
                if let b = bytes, start >= 0, start <= end, end <= b.count {
                    let x = HTMLPassage.excerpt(b, start: start, end: end)
                    return (x.text, x.range)
                }
                return (snippet, 0..<snippet.utf8.count)
            }
            let passages = e.passages.prefix(limit).map { x -> HTMLPassage in
                let (at, ar) = excerpt(aBytes, x.aStart, x.aEnd, snippet: x.snippet)
                let (bt, br) = excerpt(bBytes, x.bStart, x.bEnd, snippet: x.snippet)
                return HTMLPassage(
                    aName: aName, aLine: x.aLine, bName: bName, bLine: x.bLine, aText: at, bText: bt,
                    matchedRangeInA: ar, matchedRangeInB: br, tokens: x.tokens)
            }
            return HTMLPairEvidence(a: aName, b: bName, passages: passages)
        }
    }

    /// The page for a batch run. Shared passages of pairs are linked from
    /// the top-pairs table and shown side by side: `evidence` when given,
    /// else the run's own (`--evidence`), the text from `documentText`
    /// (side 0: the corpus, 1: the reference; nil when it cannot be had).
    /// The report never reads files itself.
    package static func page(
        _ c: BatchCollector, limit: Int = 200, evidence: [HTMLPairEvidence]? = nil,
        documentText: (_ side: Int, _ name: String) -> [UInt8]?
    ) -> String {
        let fromRun = evidence == nil
        let evidence = evidence ?? collectorEvidence(c, limit: limit, documentText: documentText)
        guard let h = c.header else {
            var empty = HTMLPage(title: "fingerprint batch")
            return empty.finish(subtitle: "no batch run")
        }
        var p = HTMLPage(title: "fingerprint batch")
        let all = reportedPairs(c)
        let candidateLabel = h.reference == nil ? "document" : "reference document"

        // Summary.
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        var verdict = "\(Num.count(h.documents)) documents of \(h.corpus)"
        verdict +=
            h.reference.map { " scored against \(Num.count(h.referenceDocuments ?? 0)) documents of \($0)" } ?? " scored against each other"
        verdict += " by \(h.method == .lsa ? "LSA" : "TF-IDF") cosine"
        if let th = h.threshold {
            verdict += ": \(Num.count(c.pairs.count)) pairs at or above \(th)"
            if h.reference == nil { verdict += " in \(Num.count(c.clusters.count)) clusters" }
        } else if let best = all.first {
            verdict += "; the closest pair scores \(score6(best.score))"
        }
        p.element("p", [("class", "verdict")], verdict + ".")
        p.open("dl", [("class", "figures")])
        p.figure("documents", count: h.documents, key: "documents")
        if let r = h.referenceDocuments { p.figure("reference documents", count: r, key: "reference_documents") }
        p.figure("distinct pairs reported", count: all.count)
        if let th = h.threshold {
            p.figure("threshold", "\(th)", key: "threshold", value: Double("\(th)") ?? Double(th))
            p.figure("pairs at or above", count: c.pairs.count)
            if h.reference == nil { p.figure("clusters", count: c.clusters.count) }
        }
        p.figure("neighbours per document", count: h.top, key: "top")
        p.figure("features", count: h.features, key: "features")
        if let d = h.dims { p.figure("LSA dimensions", count: d, key: "dims") }
        p.close()
        var opts = "Method \(h.method.rawValue)"
        opts += h.method == .tfidf ? " (\(Num.count(h.headColumns)) columns dense by GEMM, \(Num.count(h.tailColumns)) sparse)" : ""
        opts +=
            ", tokenizer \(h.tokenizer)\(h.sublinear ? ", sublinear tf" : ""), seed \(h.seed). fingerprint \(h.version), schema \(h.schema)."
        p.element("p", [("class", "options")], opts)
        if !c.notes.isEmpty || !h.skipped.isEmpty {
            p.open("ul", [("class", "notes")])
            for n in c.notes { p.element("li", [], "Note: " + n) }
            if !h.skipped.isEmpty { p.element("li", [], "\(h.skipped.count) inputs skipped (listed below).") }
            p.close()
        }
        p.close()
        p.sections.append(("summary", "Summary"))

        // Score histogram.
        p.section(
            "scores", "Scores",
            intro:
                "Cosine similarity of every distinct pair the run reported (each document's \(h.top) nearest \(candidateLabel)s\(h.threshold != nil ? ", and every pair at or above the threshold" : ""))."
        )
        if all.isEmpty {
            p.element("p", [("class", "note")], "No pairs were scored.")
        } else {
            // The threshold as the JSON prints it (a Float's shortest decimal form).
            let markers =
                h.threshold.map {
                    [
                        SVG.Marker(
                            "threshold \($0)", Double("\($0)") ?? Double($0), color: SVG.Palette.vermillion, dashed: true, key: "threshold")
                    ]
                } ?? []
            let svg = SVG.histogram(
                [SVG.HistogramSeries("pairs", all.map { Double($0.score) }, color: SVG.Palette.blue)], markers: markers,
                bins: 40, xLabel: "cosine similarity", yLabel: "pairs",
                label:
                    "Histogram of the scores of \(all.count) reported pairs\(h.threshold.map { " with the threshold \($0) marked" } ?? "")")
            p.chart(
                svg,
                caption:
                    "\(Num.count(all.count)) distinct pairs. Near-duplicates sit at the right end; a pair's score is evidence to look at, not a verdict.",
                id: "score-histogram")
            p.element(
                "p", [("class", "note histogram-total"), ("data-total", "\(all.count)")], "\(Num.count(all.count)) pairs in the histogram.")
        }

        // Top pairs.
        let evidenceIndex = Dictionary(evidence.enumerated().map { ("\($1.a)\u{0}\($1.b)", $0) }, uniquingKeysWith: { a, _ in a })
        p.section("pairs", "Top pairs", intro: "The strongest distinct pairs, best first (ties by document order).")
        let top = Array(all.prefix(limit))
        if !top.isEmpty {
            p.open("table", [("class", "pairs")])
            p.header(
                [("rank", true), ("score", true), ("document", false), (candidateLabel, false)]
                    + (evidence.isEmpty ? [] : [("passages", false)]))
            p.open("tbody")
            for (i, x) in top.enumerated() {
                let a = c.queryNames[x.a]
                let b = c.candidateNames[x.b]
                p.open("tr", [("class", "pair"), ("data-a", a), ("data-b", b)])
                p.element("td", [("class", "num")], "\(i + 1)")
                p.element("td", [("class", "num score"), ("data-value", "\(BatchCollector.r6(x.score))")], score6(x.score))
                p.element("td", [("class", "path")], a)
                p.element("td", [("class", "path")], b)
                if !evidence.isEmpty {
                    if let e = evidenceIndex["\(a)\u{0}\(b)"] ?? evidenceIndex["\(b)\u{0}\(a)"] {
                        p.open("td")
                        p.element("a", [("href", "#evidence-\(e + 1)")], "\(evidence[e].passages.count) passages")
                        p.close()
                    } else {
                        p.element("td", [], "")
                    }
                }
                p.close()
            }
            p.close()
            p.close()
        }
        p.limitNote(shown: top.count, total: all.count, what: "pairs", rest: "--format csv or jsonl")

        // Clusters.
        if h.threshold != nil && h.reference == nil {
            p.section(
                "clusters", "Clusters",
                intro:
                    "Connected groups of documents joined by pairs at or above the threshold; the representative is the member with the most such pairs."
            )
            let cl = c.clusters.enumerated().sorted {
                $0.element.members.count != $1.element.members.count
                    ? $0.element.members.count > $1.element.members.count : $0.offset < $1.offset
            }
            if cl.isEmpty {
                p.element("p", [("class", "note")], "No pair reached the threshold.")
            } else {
                p.open("table", [("class", "clusters")])
                p.header([("cluster", true), ("size", true), ("representative", false), ("members", false)])
                p.open("tbody")
                for (idx, k) in cl.prefix(limit) {
                    p.open("tr", [("class", "cluster")])
                    p.countCell(k.id, key: "clusters.\(idx).id")
                    p.element(
                        "td", [("class", "num"), ("data-size", "\(k.members.count)"), ("data-cluster", "\(idx)")],
                        Num.count(k.members.count))
                    p.element("td", [("class", "path")], c.queryNames[k.representative])
                    let others = k.members.filter { $0 != k.representative }
                    let shown = others.prefix(limit).map { c.queryNames[$0] }
                    p.element(
                        "td", [("class", "path")],
                        shown.joined(separator: ", ") + (others.count > shown.count ? ", … and \(others.count - shown.count) more" : ""))
                    p.close()
                }
                p.close()
                p.close()
                p.limitNote(shown: min(limit, cl.count), total: cl.count, what: "clusters", rest: "--format json or jsonl")
            }
        }

        // Evidence.
        if !evidence.isEmpty {
            p.section(
                "evidence", "Shared passages", intro: "Passages shared by the pairs above, side by side, the shared text highlighted.")
            for (i, e) in evidence.prefix(limit).enumerated() {
                p.open("div", [("id", "evidence-\(i + 1)"), ("class", "evidence")])
                p.open("h3")
                p.element("span", [("class", "path")], e.a)
                p.text(" ↔ ")
                p.element("span", [("class", "path")], e.b)
                p.close()
                p.passages(
                    e.passages, limit: limit, aLabel: "document", bLabel: candidateLabel,
                    tokenKey: fromRun ? { "evidence.\(i).passages.\($0).tokens" } : nil, idPrefix: "evidence-\(i + 1)-passage-")
                p.close()
            }
            let total = fromRun ? c.evidence.count : evidence.count
            p.limitNote(shown: min(limit, evidence.count), total: total, what: "pairs with passages", rest: "--format json")
        }

        if !h.skipped.isEmpty {
            p.section("input", "Input problems")
            p.open("ul", [("class", "skips")])
            for s in h.skipped.prefix(limit) {
                p.open("li")
                p.element("span", [("class", "path")], s.path)
                p.text(" — " + s.reason)
                p.close()
            }
            p.close()
            p.limitNote(shown: min(limit, h.skipped.count), total: h.skipped.count, what: "skipped inputs", rest: "--format json")
        }
        return p.finish(subtitle: h.corpus + (h.reference.map { "  ·  against " + $0 } ?? ""), version: h.version)
    }

    /// The page for `batch --by-subdir`: heat maps in clustering order with the dendrogram.
    public static func page(_ r: CorpusMatrixReport, limit: Int = 200) -> String {
        var p = HTMLPage(title: "fingerprint batch --by-subdir")
        let names = r.corpora.map(\.name)
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        var verdict = "\(r.corpora.count) corpora (one per subdirectory of \(r.directory))"
        if let first = r.merges.first, first.left < names.count, first.right < names.count {
            verdict += "; the closest pair is \(names[first.left]) and \(names[first.right]) (JSD \(Num.f(first.distance, 4)) bits)"
        }
        p.element("p", [("class", "verdict")], verdict + ".")
        p.open("dl", [("class", "figures")])
        p.figure("corpora", count: r.corpora.count)
        p.figure("documents", count: r.corpora.reduce(0) { $0 + $1.documents })
        p.figure("TF-IDF features", count: r.features, key: "features")
        p.close()
        p.element("p", [("class", "options")], "Tokenizer \(r.tokenizer). fingerprint \(r.version), schema \(r.schema), mode \(r.mode).")
        if !r.notes.isEmpty {
            p.open("ul", [("class", "notes")])
            for n in r.notes { p.element("li", [], "Note: " + n) }
            p.close()
        }
        p.close()
        p.sections.append(("summary", "Summary"))

        let shown = Array(r.order.prefix(limit))
        let capped = shown.count < r.order.count
        let merges = capped ? nil : r.merges
        p.section(
            "jsd", "Jensen–Shannon divergence",
            intro:
                "JSD (bits) between the corpora's pooled token distributions, rows and columns in the order of the average-linkage clustering, whose dendrogram is drawn on the left: corpora joined near the leaves are alike."
        )
        let maxJSD = shown.flatMap { i in shown.map { r.jsd[i][$0] } }.filter(\.isFinite).max() ?? 1
        p.chart(
            SVG.heatMap(
                r.jsd, labels: names, order: shown, label: "Heat map of the JSD between corpora, in clustering order, with the dendrogram",
                legendTitle: "JSD (bits)", domain: (0, max(maxJSD, 1e-12)), keyPrefix: "jsd", merges: merges, digits: 3),
            caption: "Dark: similar (low JSD); bright: different. Hover a cell for its value.", id: "jsd-heatmap")
        p.limitNote(shown: shown.count, total: r.order.count, what: "corpora (the dendrogram is left out)", rest: "--format json or csv")

        p.section(
            "cosine", "TF-IDF centroid cosine",
            intro: "Cosine between the corpora's mean L2-normalised TF-IDF vectors, in the same order.")
        let cosValues = shown.flatMap { i in shown.map { r.centroidCosine[i][$0] } }.filter(\.isFinite)
        p.chart(
            SVG.heatMap(
                r.centroidCosine, labels: names, order: shown,
                label: "Heat map of the TF-IDF centroid cosine between corpora, in clustering order",
                legendTitle: "cosine", domain: (min(cosValues.min() ?? 0, 1 - 1e-12), 1), keyPrefix: "centroid_cosine", merges: merges,
                reversed: true, digits: 3),
            caption: "Dark: similar (high cosine); bright: different.", id: "cosine-heatmap")

        p.section("corpora", "Corpora")
        p.open("table")
        p.header([("corpus", false), ("documents", true), ("tokens", true)])
        p.open("tbody")
        for i in shown {
            p.open("tr")
            p.element("td", [("class", "path")], names[i])
            p.countCell(r.corpora[i].documents, key: "corpora.\(i).documents")
            p.countCell(r.corpora[i].tokens, key: "corpora.\(i).tokens")
            p.close()
        }
        p.close()
        p.close()

        p.section("merges", "Clustering", intro: "Average-linkage (UPGMA) merges by JSD, closest first.")
        p.open("table")
        p.header([("step", true), ("joins", false), ("with", false), ("JSD", true), ("corpora", true)])
        p.open("tbody")
        var label = names
        for (i, m) in r.merges.enumerated() {
            let l = m.left < label.count ? label[m.left] : "?"
            let rr = m.right < label.count ? label[m.right] : "?"
            if i < limit {
                p.open("tr")
                p.element("td", [("class", "num")], "\(i + 1)")
                p.element("td", [("class", "path")], l)
                p.element("td", [("class", "path")], rr)
                p.numberCell(Num.f(m.distance, 4), key: "merges.\(i).distance", value: m.distance)
                p.countCell(m.size, key: "merges.\(i).size")
                p.close()
            }
            label.append("(\(l) + \(rr))")
        }
        p.close()
        p.close()
        p.limitNote(shown: min(limit, r.merges.count), total: r.merges.count, what: "merges", rest: "--format json")
        return p.finish(subtitle: r.directory + " — one corpus per subdirectory", version: r.version)
    }
}
