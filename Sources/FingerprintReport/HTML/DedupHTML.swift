import FingerprintCore
import FingerprintStatistics
import Foundation

/// `fingerprint dedup --format html`: clusters, their sizes, and each
/// cluster's kept document beside its duplicates.
public enum DedupHTML {
    /// The page for `r` with document text from `text` (the first `excerpt`
    /// characters are shown; nil: not readable). The report never reads
    /// files itself.
    public static func page(
        _ r: DedupReport, limit: Int = 200, excerpt: Int = 600, membersShown: Int = 8,
        text: (String) -> String?
    ) -> String {
        var p = HTMLPage(title: "fingerprint dedup")
        p.open("section", [("id", "summary"), ("class", "summary"), ("aria-label", "Summary")])
        var verdict = "\(Num.count(r.clusters.count)) near-duplicate clusters among \(Num.count(r.documents)) documents: "
        verdict += "keeping one document of each leaves \(Num.count(r.keptDocuments)) documents (\(Num.count(r.duplicates)) duplicates)."
        p.element("p", [("class", "verdict")], verdict)
        p.open("dl", [("class", "figures")])
        p.figure("documents", count: r.documents, key: "documents")
        p.figure("clusters", count: r.clusters.count)
        p.figure("duplicates", count: r.duplicates, key: "duplicates")
        p.figure("documents kept", count: r.keptDocuments, key: "kept_documents")
        p.figure("candidate pairs", count: r.candidatePairs, key: "candidate_pairs")
        p.figure("verified pairs", count: r.verifiedPairs, key: "verified_pairs")
        if let t = r.threshold { p.figure("Jaccard threshold", "\(t)", key: "threshold", value: t) }
        if let h = r.hamming { p.figure("Hamming distance at most", count: h, key: "hamming") }
        if !r.tooShort.isEmpty { p.figure("too short for a shingle", count: r.tooShort.count) }
        if !r.skipped.isEmpty { p.figure("skipped", count: r.skipped.count) }
        p.close()
        var opts = "Method \(r.method.rawValue)"
        switch r.method {
        case .minhash:
            opts += " (\(r.shingle)-word shingles, \(r.perms) permutations"
            if let b = r.bands, let rows = r.rows { opts += ", LSH \(b) bands × \(rows) rows" }
            opts += "; every candidate verified by exact Jaccard)"
        case .simhash: opts += " (64-bit SimHash of \(r.shingle)-word shingles)"
        case .exact: opts += " (identical word sequences)"
        }
        opts += ", keep \(r.keep.rawValue), seed \(r.seed). fingerprint \(r.version), schema \(r.schema)."
        p.element("p", [("class", "options")], opts)
        p.close()
        p.sections.append(("summary", "Summary"))

        // Sizes.
        p.section("sizes", "Cluster sizes", intro: "How many clusters have each number of members (the kept document included).")
        if r.clusters.isEmpty {
            p.element("p", [("class", "note")], "No near-duplicates found.")
        } else {
            let cols = sizeColumns(r.clusters.map(\.size))
            p.chart(
                SVG.columns(
                    cols.map { SVG.Column($0.label, Double($0.count), tooltip: "\($0.count) clusters of size \($0.label)") },
                    xLabel: "cluster size (documents)", yLabel: "clusters",
                    label: "Histogram of cluster sizes: \(r.clusters.count) clusters"),
                caption: "\(Num.count(r.clusters.count)) clusters holding \(Num.count(r.clusters.reduce(0) { $0 + $1.size })) documents.",
                id: "size-histogram")
        }

        // Clusters, largest first.
        let order = r.clusters.indices.sorted {
            r.clusters[$0].size != r.clusters[$1].size ? r.clusters[$0].size > r.clusters[$1].size : $0 < $1
        }
        let shown = Array(order.prefix(limit))
        if !r.clusters.isEmpty {
            p.section(
                "clusters", "Clusters",
                intro:
                    "Largest first. Score: similarity of each member to the kept document (\(r.method == .simhash ? "1 − Hamming/64" : "exact Jaccard of the shingle sets"))."
            )
            p.open("table", [("class", "clusters")])
            p.header([("cluster", true), ("size", true), ("kept", false), ("duplicates (score to kept)", false)])
            p.open("tbody")
            for idx in shown {
                let c = r.clusters[idx]
                p.open("tr", [("class", "cluster")])
                p.open("td", [("class", "num")])
                p.element("a", [("href", "#cluster-\(c.id)"), ("data-key", "clusters.\(idx).id"), ("data-value", "\(c.id)")], "\(c.id)")
                p.close()
                p.countCell(c.size, key: "clusters.\(idx).size")
                p.element("td", [("class", "path")], c.kept)
                p.open("td", [("class", "path")])
                let dups = c.members.enumerated().filter { !$0.element.kept }
                for (n, (j, m)) in dups.prefix(limit).enumerated() {
                    if n > 0 { p.text(", ") }
                    p.text(m.document + " (")
                    p.element(
                        "span", [("data-key", "clusters.\(idx).members.\(j).score"), ("data-value", "\(m.score)")], Num.f(m.score, 3))
                    p.text(")")
                }
                if dups.count > limit { p.text(", … and \(dups.count - limit) more") }
                p.close()
                p.close()
            }
            p.close()
            p.close()
            p.limitNote(shown: shown.count, total: r.clusters.count, what: "clusters", rest: "--format json, jsonl or csv")
        }

        // Side by side.
        if !r.clusters.isEmpty {
            p.section(
                "side-by-side", "Side by side",
                intro:
                    "Each cluster's kept document beside its duplicates: the first \(excerpt) characters of each; in a duplicate, words that differ from the kept document as written (case and punctuation count here, not in the score) are marked."
            )
            for idx in shown {
                let c = r.clusters[idx]
                p.open("div", [("class", "cluster-view"), ("id", "cluster-\(c.id)")])
                p.open("h3")
                p.text("Cluster \(c.id) ")
                p.element("span", [("class", "note")], "· \(c.size) documents")
                p.close()
                let keptFull = text(c.kept)
                let keptShown = keptFull.map { cut($0, excerpt) }
                let keptWords = keptFull.map { words(String($0.prefix(excerpt * 2))) } ?? []
                p.open("div", [("class", "sbs")])
                if let k = keptShown {
                    panel(&p, heading: c.kept, detail: "kept", text: k.text, truncated: k.truncated, diff: [], kept: true)
                } else {
                    panel(&p, heading: c.kept, detail: "kept", text: "(text not readable)", truncated: false, diff: [], kept: true)
                }
                let dups = c.members.filter { !$0.kept }
                for m in dups.prefix(membersShown) {
                    if let t = text(m.document) {
                        let s = cut(t, excerpt)
                        panel(
                            &p, heading: m.document, detail: "score \(Num.f(m.score, 3))", text: s.text, truncated: s.truncated,
                            diff: differingWords(s.text, from: keptWords, truncated: s.truncated), kept: false)
                    } else {
                        panel(
                            &p, heading: m.document, detail: "score \(Num.f(m.score, 3))", text: "(text not readable)", truncated: false,
                            diff: [], kept: false)
                    }
                }
                p.close()
                if dups.count > membersShown {
                    p.element(
                        "p", [("class", "note limit"), ("data-omitted", "\(dups.count - membersShown)")],
                        "\(dups.count - membersShown) more duplicates of this cluster are not shown (see the table above or --format json)."
                    )
                }
                p.close()
            }
            p.limitNote(shown: shown.count, total: r.clusters.count, what: "clusters", rest: "--format json, jsonl or csv")
        }

        if !r.tooShort.isEmpty || !r.skipped.isEmpty {
            p.section("input", "Input problems")
            if !r.tooShort.isEmpty {
                p.element(
                    "p", [],
                    "\(Num.count(r.tooShort.count)) documents \(r.method == .exact ? "hold no token" : "have fewer words than one shingle") and are never duplicates:"
                )
                p.open("ul", [("class", "skips")])
                for n in r.tooShort.prefix(limit) {
                    p.open("li")
                    p.element("span", [("class", "path")], n)
                    p.close()
                }
                p.close()
                p.limitNote(shown: min(limit, r.tooShort.count), total: r.tooShort.count, what: "short documents", rest: "--format json")
            }
            if !r.skipped.isEmpty {
                p.element("p", [], "\(Num.count(r.skipped.count)) inputs were skipped:")
                p.open("ul", [("class", "skips")])
                for s in r.skipped.prefix(limit) {
                    p.open("li")
                    p.element("span", [("class", "path")], s.path)
                    p.text(" — " + s.reason)
                    p.close()
                }
                p.close()
                p.limitNote(shown: min(limit, r.skipped.count), total: r.skipped.count, what: "skipped inputs", rest: "--format json")
            }
        }
        return p.finish(subtitle: r.corpus, version: r.version)
    }

    static func panel(_ p: inout HTMLPage, heading: String, detail: String, text: String, truncated: Bool, diff: [Range<Int>], kept: Bool) {
        p.open("div", [("class", kept ? "doc kept" : "doc")])
        p.open("h4")
        p.element("span", [("class", "path")], heading)
        p.element("span", [("class", "detail")], detail)
        p.close()
        p.open("pre")
        p.raw(HTMLPage.highlight(text, diff, markClass: "diff"))
        if truncated { p.element("span", [("class", "more")], " …") }
        p.close()
        p.close()
    }

    /// The first `n` characters of `s` and whether it was cut.
    static func cut(_ s: String, _ n: Int) -> (text: String, truncated: Bool) {
        let t = String(s.prefix(n))
        return (t, t.count < s.count)
    }

    /// A word and its UTF-8 byte range in the text it came from.
    struct Word {
        var text: Substring
        var range: Range<Int>
    }

    /// Whitespace-separated words with their byte ranges.
    static func words(_ s: String) -> [Word] {
        var out: [Word] = []
        var offset = 0
        var start: String.Index? = nil
        var startOffset = 0
        for i in s.indices {
            let ch = s[i]
            if ch.isWhitespace {
                if let st = start {
                    out.append(Word(text: s[st..<i], range: startOffset..<offset))
                    start = nil
                }
            } else if start == nil {
                start = i
                startOffset = offset
            }
            offset += ch.utf8.count
        }
        if let st = start { out.append(Word(text: s[st...], range: startOffset..<offset)) }
        return out
    }

    /// Byte ranges of the words of `text` that are not part of a longest
    /// common subsequence with `reference` (the words that differ). When
    /// `text` was cut, its last word may be cut too and is not compared.
    static func differingWords(_ text: String, from reference: [Word], truncated: Bool = false) -> [Range<Int>] {
        var a = words(text)
        if truncated, let last = a.last, last.range.upperBound == text.utf8.count { a.removeLast() }
        guard !a.isEmpty, !reference.isEmpty else { return [] }
        let n = a.count
        let m = reference.count
        // LCS lengths from the end: l[i][j] for a[i...], reference[j...].
        var l = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                l[i][j] = a[i].text == reference[j].text ? l[i + 1][j + 1] + 1 : max(l[i + 1][j], l[i][j + 1])
            }
        }
        var out: [Range<Int>] = []
        var i = 0
        var j = 0
        while i < n && j < m {
            if a[i].text == reference[j].text {
                i += 1
                j += 1
            } else if l[i + 1][j] >= l[i][j + 1] {
                out.append(a[i].range)
                i += 1
            } else {
                j += 1
            }
        }
        // Words of the shown text past the end of the reference excerpt are
        // not known to differ; leave them unmarked.
        return out
    }

    /// Columns of the size histogram: each size when there are at most 30
    /// distinct sizes, else 1–2–5 buckets.
    static func sizeColumns(_ sizes: [Int]) -> [(label: String, count: Int)] {
        var bySize: [Int: Int] = [:]
        for s in sizes { bySize[s, default: 0] += 1 }
        if bySize.count <= 30 {
            return bySize.keys.sorted().map { ("\($0)", bySize[$0]!) }
        }
        var edges: [Int] = [2, 3, 4, 5]
        var e = 10
        while e <= (sizes.max() ?? 2) {
            edges.append(e)
            edges.append(2 * e)
            edges.append(5 * e)
            e *= 10
        }
        edges = edges.sorted()
        var out: [(String, Int)] = []
        for (k, lo) in edges.enumerated() {
            let hi = k + 1 < edges.count ? edges[k + 1] - 1 : Int.max
            let n = sizes.filter { $0 >= lo && $0 <= hi }.count
            guard n > 0 else { continue }
            out.append((lo == hi ? "\(lo)" : hi == Int.max ? "\(lo)+" : "\(lo)–\(hi)", n))
        }
        return out
    }
}
