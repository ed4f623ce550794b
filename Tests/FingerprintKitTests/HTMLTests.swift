import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The HTML reports: the SVG module's ticks and scales against hand-computed
/// values; each page well-formed (parsed with XMLParser), self-contained
/// (no scripts, nothing from the network), escaped, capped by the limit, and
/// every number in it (`data-key` = JSON path, `data-value`) equal to the JSON's.
final class HTMLTests: XCTestCase {
    let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpora")

    // MARK: - Parsing helpers

    /// A page parsed with XMLParser: every element with its attributes and
    /// its text content (descendants included).
    final class Parsed: NSObject, XMLParserDelegate {
        struct Element {
            var name: String
            var attributes: [String: String]
            var parent: Int?
            var text = ""
        }
        var elements: [Element] = []
        var stack: [Int] = []
        var error: Error?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements.append(Element(name: name, attributes: attributes, parent: stack.last))
            stack.append(elements.count - 1)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            for i in stack { elements[i].text += string }
        }
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

        func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }
        func withClass(_ c: String) -> [Element] {
            elements.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(c)) }
        }
        func byID(_ id: String) -> Element? { elements.first { $0.attributes["id"] == id } }
        /// Elements named `name` inside the element at `index`.
        func descendants(of index: Int, _ name: String) -> [Element] {
            elements.indices.filter { i in
                guard elements[i].name == name else { return false }
                var p = elements[i].parent
                while let q = p {
                    if q == index { return true }
                    p = elements[q].parent
                }
                return false
            }.map { elements[$0] }
        }
    }

    func parse(_ html: String, file: StaticString = #filePath, line: UInt = #line) -> Parsed {
        let p = Parsed()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = p
        let ok = parser.parse()
        XCTAssertTrue(
            ok, "not well-formed: \(String(describing: p.error ?? parser.parserError)) at line \(parser.lineNumber)", file: file, line: line
        )
        XCTAssertEqual(p.stack.count, 0, file: file, line: line)
        return p
    }

    /// No scripts, no external references: URLs only in xmlns attributes,
    /// `src` only `data:`, links only to anchors in the page, no imports.
    func assertSelfContained(_ html: String, _ page: Parsed, file: StaticString = #filePath, line: UInt = #line) {
        let lower = html.lowercased()
        XCTAssertFalse(lower.contains("<script"), "a script element", file: file, line: line)
        for tag in ["<link", "<iframe", "<object", "<embed", "<img", "@import", "@font-face", "javascript:"] {
            XCTAssertFalse(lower.contains(tag), "contains \(tag)", file: file, line: line)
        }
        var rest = html[...]
        while let r = rest.range(of: "http") {
            let after = rest[r.lowerBound...]
            if after.hasPrefix("http://") || after.hasPrefix("https://") {
                let before = String(rest[..<r.lowerBound].suffix(7))
                XCTAssertEqual(before, "xmlns=\"", "URL outside an xmlns attribute: \(after.prefix(60))", file: file, line: line)
            }
            rest = rest[r.upperBound...]
        }
        for e in page.elements {
            for (k, v) in e.attributes {
                if k == "src" { XCTAssertTrue(v.hasPrefix("data:"), "src=\(v)", file: file, line: line) }
                if k == "href" { XCTAssertTrue(v.hasPrefix("#"), "href=\(v)", file: file, line: line) }
                if k.lowercased().hasPrefix("on") { XCTFail("event handler \(k)", file: file, line: line) }
            }
        }
        var css = lower[...]
        while let r = css.range(of: "url(") {
            XCTAssertTrue(
                css[r.upperBound...].hasPrefix("#") || css[r.upperBound...].hasPrefix("data:"), "url( to outside", file: file, line: line)
            css = css[r.upperBound...]
        }
        XCTAssertEqual(page.all("script").count, 0, file: file, line: line)
    }

    /// A JSON document decoded with JSONDecoder (whose numbers round-trip
    /// exactly, unlike JSONSerialization's on Linux).
    enum JSON: Decodable {
        case number(Double)
        case string(String)
        case bool(Bool)
        case null
        case array([JSON])
        case object([String: JSON])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let a = try? c.decode([JSON].self) {
                self = .array(a)
            } else {
                self = .object(try c.decode([String: JSON].self))
            }
        }
        subscript(path: String) -> JSON? {
            var cur: JSON? = self
            for part in path.split(separator: ".") {
                switch cur {
                case .object(let o)?: cur = o[String(part)]
                case .array(let a)?:
                    guard let i = Int(part), a.indices.contains(i) else { return nil }
                    cur = a[i]
                default: return nil
                }
            }
            return cur
        }
        var number: Double? {
            switch self {
            case .number(let d): return d
            case .string(let s): return Double(s)  // "inf", "nan"
            default: return nil
            }
        }
    }

    /// Every `data-key` in the page names a number in the JSON equal to its `data-value`.
    /// - Returns: the keys checked.
    @discardableResult
    func assertFiguresMatchJSON(_ page: Parsed, _ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> Set<String> {
        let obj = try JSONDecoder().decode(JSON.self, from: Data(json.utf8))
        var keys = Set<String>()
        for e in page.elements {
            guard let k = e.attributes["data-key"] else { continue }
            guard let v = e.attributes["data-value"] else {
                XCTFail("\(k) without data-value", file: file, line: line)
                continue
            }
            guard let j = obj[k]?.number else {
                XCTFail("\(k) is not a number in the JSON", file: file, line: line)
                continue
            }
            XCTAssertEqual(Double(v), j, "\(k): page \(v), JSON \(j)", file: file, line: line)
            keys.insert(k)
        }
        return keys
    }

    // MARK: - Ticks and scales (hand-computed)

    func testNiceNumbersAndTicks() {
        XCTAssertEqual(SVG.niceNumber(0.0333, round: false), 0.05)
        XCTAssertEqual(SVG.niceNumber(0.0125, round: true), 0.01)
        XCTAssertEqual(SVG.niceNumber(7.9, round: false), 10)
        XCTAssertEqual(SVG.niceNumber(2.5, round: true), 2)
        XCTAssertEqual(SVG.niceNumber(250, round: true), 200)
        XCTAssertEqual(SVG.niceNumber(0.75, round: true), 1)  // f = 7.5 ≥ 7 → 10 × 0.1

        // range 1 → step nice(0.25) = 0.2.
        XCTAssertEqual(SVG.niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        // range 0.0333 → 0.05, step nice(0.0125) = 0.01; multiples of 0.01 inside.
        XCTAssertEqual(SVG.niceTicks(0.0123, 0.0456), [0.02, 0.03, 0.04])
        // range 7.9 → 10, step nice(2.5) = 2.
        XCTAssertEqual(SVG.niceTicks(-3.2, 4.7), [-2, 0, 2, 4])
        // range 999 → 1000, step nice(250) = 200.
        XCTAssertEqual(SVG.niceTicks(0, 999), [0, 200, 400, 600, 800])
        // A single value is widened by 10%: [4.5, 5.5], step 0.2.
        XCTAssertEqual(SVG.niceTicks(5, 5), [4.6, 4.8, 5, 5.2, 5.4])
        XCTAssertEqual(SVG.niceTicks(0, 0), [-1, -0.5, 0, 0.5, 1])

        let d = SVG.niceDomain(0.0123, 0.0456)
        XCTAssertEqual(d.lo, 0.01)
        XCTAssertEqual(d.hi, 0.05)
        XCTAssertEqual(d.step, 0.01)
        let d2 = SVG.niceDomain(0, 37)
        XCTAssertEqual(d2.lo, 0)
        XCTAssertEqual(d2.hi, 40)
        XCTAssertEqual(d2.step, 10)

        XCTAssertEqual(SVG.decimals(0.2), 1)
        XCTAssertEqual(SVG.decimals(0.05), 2)
        XCTAssertEqual(SVG.decimals(0.1), 1)
        XCTAssertEqual(SVG.decimals(200), 0)
        XCTAssertEqual(SVG.tickLabel(0.4, step: 0.2), "0.4")
        XCTAssertEqual(SVG.tickLabel(0.03, step: 0.01), "0.03")
        XCTAssertEqual(SVG.tickLabel(800, step: 200), "800")
        XCTAssertEqual(SVG.tickLabel(20000, step: 5000), "20,000")
        XCTAssertEqual(SVG.tickLabel(-0.0, step: 1), "0")

        let s = SVG.LinearScale(domain: (0, 10), range: (50, 250))
        XCTAssertEqual(s(0), 50)
        XCTAssertEqual(s(5), 150)
        XCTAssertEqual(s(10), 250)
        let flipped = SVG.LinearScale(domain: (0, 40), range: (300, 20))
        XCTAssertEqual(flipped(10), 230)
        XCTAssertEqual(SVG.coord(1.005), "1")  // %.2f of 1.00499999… then trailing zeros dropped
        XCTAssertEqual(SVG.coord(12.5), "12.5")
        XCTAssertEqual(SVG.coord(-0.001), "0")
    }

    func testLogTicksAndScale() {
        XCTAssertEqual(SVG.logTicks(1, 5000), [1, 10, 100, 1000])
        XCTAssertEqual(SVG.logTicks(3e-5, 0.2), [1e-4, 1e-3, 1e-2, 1e-1])
        // Fewer than two decades inside: 1–2–5 ticks.
        XCTAssertEqual(SVG.logTicks(2, 30), [2, 5, 10, 20])
        XCTAssertEqual(SVG.logTicks(0.03, 0.3), [0.05, 0.1, 0.2])
        XCTAssertEqual(SVG.logTicks(0, 10), [])

        let d = SVG.logDomain(3e-5, 0.2)
        XCTAssertEqual(d.lo, 1e-5)
        XCTAssertEqual(d.hi, 1)
        let d2 = SVG.logDomain(1, 5000)
        XCTAssertEqual(d2.lo, 1)
        XCTAssertEqual(d2.hi, 10000)
        let d3 = SVG.logDomain(10, 10)
        XCTAssertEqual(d3.lo, 10)
        XCTAssertEqual(d3.hi, 100)

        let s = SVG.LogScale(domain: (1, 1000), range: (0, 300))
        XCTAssertEqual(s(1), 0)
        XCTAssertEqual(s(10), 100, accuracy: 1e-9)
        XCTAssertEqual(s(1000), 300, accuracy: 1e-9)
        XCTAssertEqual(s(sqrt(10)), 50, accuracy: 1e-9)

        XCTAssertEqual(SVG.logTickLabel(1), "1")
        XCTAssertEqual(SVG.logTickLabel(1000), "1,000")
        XCTAssertEqual(SVG.logTickLabel(0.01), "0.01")
        XCTAssertEqual(SVG.logTickLabel(1e-5), "10⁻⁵")
        XCTAssertEqual(SVG.logTickLabel(1e6), "10⁶")
        XCTAssertEqual(SVG.logTickLabel(20), "20")
        XCTAssertEqual(SVG.logTickLabel(0.05), "0.05")

        XCTAssertEqual(SVG.logSample(1000, perDecade: 1), [1, 10, 100, 1000])
        XCTAssertEqual(SVG.logSample(5), [1, 2, 3, 4, 5])
        XCTAssertEqual(SVG.logSample(5000, perDecade: 2), [1, 3, 10, 32, 100, 316, 1000, 3162, 5000])
    }

    func testBinsAndColours() {
        XCTAssertEqual(SVG.binCounts([0, 0.1, 0.5, 1.0], lo: 0, hi: 1, bins: 2), [2, 2])
        XCTAssertEqual(SVG.binCounts([-5, 0.25, 0.75, 9, .nan], lo: 0, hi: 1, bins: 4), [1, 1, 0, 2])
        // Nice domain [0.01, 0.05] has 4 tick intervals: 30 bins → 7.5 → 8 per interval.
        let b = SVG.histogramBins(lo: 0.0123, hi: 0.0456, target: 30)
        XCTAssertEqual(b.lo, 0.01)
        XCTAssertEqual(b.hi, 0.05)
        XCTAssertEqual(b.bins, 32)
        XCTAssertEqual(SVG.viridis(0), "#440154")
        XCTAssertEqual(SVG.viridis(1), "#FDE725")
        XCTAssertEqual(SVG.viridis(0.5), "#21918C")
    }

    /// Each chart parses alone, is labelled for screen readers, carries its
    /// data, and is the same string each time.
    func testChartsAreWellFormedLabelledAndDeterministic() {
        let values = (0..<200).map { Double($0 % 17) / 100 }
        let hist = SVG.histogram(
            [SVG.HistogramSeries("null & <x>", values, color: SVG.Palette.blue)],
            markers: [SVG.Marker("T = 0.2", 0.2, key: "test.statistic")], xLabel: "JSD", label: "A histogram")
        let loglog = SVG.logLogChart(
            [
                SVG.XYSeries("A", (1...100).map { (x: Double($0), y: 1 / Double($0)) }, color: SVG.Palette.blue),
                SVG.XYSeries("B", [(x: 1, y: 0.5)], color: SVG.Palette.vermillion, dashed: true),
            ],
            xLabel: "rank", yLabel: "frequency", label: "A log–log chart")
        let bars = SVG.horizontalBars(
            [
                SVG.Bar("the", 5.5, color: SVG.Palette.blue, key: "keyness.a.0.z"),
                SVG.Bar("<b>", -3.25, color: SVG.Palette.vermillion),
            ], xLabel: "z", label: "Bars")
        let cols = SVG.columns([SVG.Column("2", 5), SVG.Column("3", 2)], xLabel: "size", yLabel: "clusters", label: "Columns")
        let m: [[Double]] = [[0, 0.1, 0.5], [0.1, 0, 0.45], [0.5, 0.45, 0]]
        let (merges, order) = AverageLinkage.cluster(m)
        let heat = SVG.heatMap(
            m, labels: ["x", "y", "z & w"], order: order, label: "Heat map", legendTitle: "JSD",
            keyPrefix: "jsd", merges: merges)
        let dendro = SVG.dendrogram(merges, order: order, label: "Dendrogram")
        for svg in [hist, loglog, bars, cols, heat, dendro] {
            let p = parse(svg)
            let root = p.elements.first!
            XCTAssertEqual(root.name, "svg")
            XCTAssertEqual(root.attributes["role"], "img")
            XCTAssertFalse(root.attributes["aria-label"]?.isEmpty ?? true)
            XCTAssertEqual(p.elements[1].name, "title")
            XCTAssertFalse(svg.contains("<script"))
        }
        XCTAssertEqual(
            hist,
            SVG.histogram(
                [SVG.HistogramSeries("null & <x>", values, color: SVG.Palette.blue)],
                markers: [SVG.Marker("T = 0.2", 0.2, key: "test.statistic")], xLabel: "JSD", label: "A histogram"))
        // The histogram's bars hold every value once.
        let hp = parse(hist)
        XCTAssertEqual(hp.all("rect").compactMap { Int($0.attributes["data-count"] ?? "") }.reduce(0, +), 200)
        XCTAssertEqual(hp.elements.first { $0.attributes["data-key"] == "test.statistic" }?.attributes["data-value"], "0.2")
        XCTAssertTrue(hist.contains("null &amp; &lt;x&gt;"))
        // Two-sided bars: one bar each side of zero.
        let bp = parse(bars)
        let rects = bp.all("rect")
        XCTAssertEqual(rects.count, 2)
        XCTAssertEqual(rects[0].attributes["data-value"], "5.5")
        // Heat map: n² cells with exact values; dendrogram: n − 1 elbows and no text.
        let mp = parse(heat)
        let cells = mp.elements.filter { $0.attributes["data-key"]?.hasPrefix("jsd.") ?? false }
        XCTAssertEqual(cells.count, 9)
        for c in cells {
            let ij = c.attributes["data-key"]!.split(separator: ".").dropFirst().map { Int($0)! }
            XCTAssertEqual(Double(c.attributes["data-value"]!), m[ij[0]][ij[1]])
        }
        XCTAssertEqual(mp.all("path").count, 2)
        let dp = parse(dendro)
        XCTAssertEqual(dp.all("path").count, 2)
        XCTAssertEqual(dp.all("text").count, 0)
        // The last merge (the root) is at the root's x: 4.
        XCTAssertTrue(dp.all("path").last!.attributes["d"]!.contains("H4V"))
    }

    // MARK: - Escaping and highlighting

    func testEscapeAndHighlight() {
        XCTAssertEqual(
            HTMLPage.escape("<script>alert(1)</script> & \"x\" 'y'"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;")
        XCTAssertEqual(HTMLPage.escape("a\u{1}b\u{7F}c\td\ne\u{1B}[31m\u{85}"), "a\\x01b\\x7Fc\td\ne\\e[31m\\x85")
        // A bidirectional override is shown, not obeyed: the score after the name stays as written.
        XCTAssertEqual(HTMLPage.escape("b\u{202E}.txt 0.782 \u{2066}x\u{FFFF}"), "b\\u{202E}.txt 0.782 \\u{2066}x\u{FFFD}")
        XCTAssertEqual(HTMLPage.highlight("a <b> & c", [2..<5]), "a <mark>&lt;b&gt;</mark> &amp; c")
        // A range that splits "é" (bytes 1–2) is widened to whole characters.
        XCTAssertEqual(HTMLPage.highlight("héllo", [1..<2]), "h<mark>é</mark>llo")
        // Overlapping ranges merge; out-of-range ones are clamped.
        XCTAssertEqual(
            HTMLPage.highlight("abcdef", [1..<3, 2..<4, 5..<99], markClass: "diff"),
            "a<mark class=\"diff\">bcd</mark>e<mark class=\"diff\">f</mark>")

        let doc = Array(
            ("word " + String(repeating: "x ", count: 200) + "SHARED <script> & TEXT" + String(repeating: " y", count: 200)).utf8)
        let start = doc.firstIndex(of: UInt8(ascii: "S"))!
        let end = start + "SHARED <script> & TEXT".utf8.count
        let e = HTMLPassage.excerpt(doc, start: start, end: end, context: 50)
        XCTAssertEqual(String(decoding: Array(e.text.utf8)[e.range], as: UTF8.self), "SHARED <script> & TEXT")
        XCTAssertTrue(e.text.hasPrefix("… ") && e.text.hasSuffix(" …"))
        XCTAssertLessThan(e.text.utf8.count, 160)
    }

    // MARK: - compare

    func handMadePassages() -> [HTMLPassage] {
        let a = "Intro text. <script>alert(1)</script> & the copied passage here. Tail."
        let b = "Other start & then <script>alert(1)</script> & the copied passage here! End."
        func range(_ s: String, _ sub: String) -> Range<Int> {
            let r = s.range(of: sub)!
            let lo = s.utf8.distance(from: s.startIndex, to: r.lowerBound)
            return lo..<(lo + sub.utf8.count)
        }
        let shared = "<script>alert(1)</script> & the copied passage here"
        return (1...3).map { i in
            HTMLPassage(
                aName: "a/doc\(i).txt", aLine: i, bName: "b/doc & \(i).txt", bLine: 10 + i, aText: a, bText: b,
                matchedRangeInA: range(a, shared), matchedRangeInB: range(b, shared), tokens: 8)
        }
    }

    func testComparePage() throws {
        var o = CompareOptions()
        o.permutations = 199
        o.bootstrap = 50
        o.features = 500
        let r = try Comparison.run(
            try CorpusInput(path: corpora.appendingPathComponent("source-a").path),
            try CorpusInput(path: corpora.appendingPathComponent("mix-10").path), options: o
        ).withVerdict()
        let passages = handMadePassages()
        let html = CompareHTML.page(r, passages: passages, limit: 200, documentText: texts(r.a.path, r.b.path))
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        for k in [
            "test.p_value", "test.statistic", "test.effect", "test.ci_low", "test.ci_high", "test.null_mean", "test.null_p95",
            "test.permutations", "mmd.mmd2", "a.documents", "b.documents", "a.tokens", "b.tokens", "divergence.jsd",
            "keyness.a.0.z", "keyness.b.0.z", "overlap.containment.0.b_in_a", "overlap.containment.1.a_in_b",
            "overlap.b_documents_with_shared_gram_share",
        ] {
            XCTAssertTrue(keys.contains(k), "\(k) not in the page")
        }
        // The verdict sentence is the report's summary.
        XCTAssertEqual(page.withClass("verdict").first?.text, r.summary)
        // The null histogram holds every permutation statistic; the bootstrap every resample.
        let series = page.elements.filter { $0.attributes["data-series"] != nil && $0.attributes["data-total"] != nil }
        XCTAssertEqual(series.compactMap { Int($0.attributes["data-total"]!) }, [r.test.permutations, r.test.bootstrap])
        // Rank–frequency: two series on log axes.
        XCTAssertEqual(page.elements.filter { $0.name == "polyline" }.count, 2)
        // Charts are labelled.
        let svgs = page.all("svg")
        XCTAssertGreaterThanOrEqual(svgs.count, 4)
        for s in svgs {
            XCTAssertEqual(s.attributes["role"], "img")
            XCTAssertNotNil(s.attributes["aria-label"])
        }

        // Passages: side by side, shared text highlighted, document text escaped.
        let views = page.withClass("passage")
        XCTAssertEqual(views.count, 3)
        let marks = page.all("mark")
        XCTAssertEqual(marks.count, 6)
        for m in marks { XCTAssertEqual(m.text, "<script>alert(1)</script> & the copied passage here") }
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; the copied"))
        XCTAssertTrue(page.withClass("pair-head")[0].text.contains("a/doc1.txt:1 ↔ b/doc & 1.txt:11"))

        // --html-limit caps the passages and the keyness tables, and says how many were left out.
        let capped = CompareHTML.page(r, passages: passages, limit: 1, documentText: texts(r.a.path, r.b.path))
        let cp = parse(capped)
        XCTAssertEqual(cp.withClass("passage").count, 1)
        let notes = cp.withClass("limit")
        XCTAssertTrue(notes.contains { $0.attributes["data-omitted"] == "2" && $0.text.contains("Showing 1 of 3 passages") })
        let zCells = cp.elements.filter {
            $0.name == "td" && ($0.attributes["data-key"] ?? "").hasPrefix("keyness.a.")
                && ($0.attributes["data-key"] ?? "").hasSuffix(".z")
        }
        XCTAssertEqual(zCells.count, 1)
        XCTAssertTrue(notes.contains { $0.text.contains("tokens each way") })
    }

    /// The report's own passages (source-a → planted): side by side, each
    /// highlight exactly the bytes the alignment reported, tokens as in the JSON.
    func testComparePageShowsTheReportsPassages() throws {
        var o = CompareOptions()
        o.permutations = 99
        o.bootstrap = 0
        o.features = 500
        o.passages = 12
        let a = corpora.appendingPathComponent("source-a")
        let b = corpora.appendingPathComponent("planted")
        let r = try Comparison.run(try CorpusInput(path: a.path), try CorpusInput(path: b.path), options: o)
        XCTAssertEqual(r.passages.count, 12)
        let html = CompareHTML.page(r, limit: 10, documentText: texts(r.a.path, r.b.path))
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        XCTAssertTrue(keys.contains("passages.9.passage.tokens"))
        XCTAssertFalse(keys.contains("passages.10.passage.tokens"))
        XCTAssertEqual(page.withClass("passage").count, 10)
        XCTAssertTrue(page.withClass("limit").contains { $0.attributes["data-omitted"] == "2" })
        let marks = page.all("mark")
        XCTAssertEqual(marks.count, 20)
        for (i, s) in r.passages.prefix(10).enumerated() {
            let aBytes = Array(try Data(contentsOf: a.appendingPathComponent(s.a)))
            let bBytes = Array(try Data(contentsOf: b.appendingPathComponent(s.b)))
            XCTAssertEqual(marks[2 * i].text, String(decoding: aBytes[s.passage.aStart..<s.passage.aEnd], as: UTF8.self))
            XCTAssertEqual(marks[2 * i + 1].text, String(decoding: bBytes[s.passage.bStart..<s.passage.bEnd], as: UTF8.self))
            XCTAssertTrue(page.withClass("pair-head")[i].text.contains("\(s.a):\(s.passage.aLine) ↔ \(s.b):\(s.passage.bLine)"))
        }
        // Unreadable documents fall back to the report's snippet.
        let fallback = parse(CompareHTML.page(r, limit: 1, documentText: { _, _ in nil }))
        XCTAssertEqual(fallback.all("mark").map(\.text), [r.passages[0].passage.snippet, r.passages[0].passage.snippet])
    }

    // MARK: - batch

    func testBatchPage() throws {
        var o = BatchOptions()
        o.top = 5
        o.threshold = 0.8
        let c = BatchCollector()
        try Batch.run(try CorpusInput(path: corpora.appendingPathComponent("near-dups").path), reference: nil, options: o, sink: c)
        let json = try c.json()
        let html = BatchHTML.page(c, limit: 200, documentText: texts(c.header!.corpus, c.header!.corpus))
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, json)
        XCTAssertTrue(keys.isSuperset(of: ["documents", "threshold", "top", "features"]), "\(keys)")

        // Scores from the JSON: every distinct reported pair.
        let obj = try JSONDecoder().decode(JSON.self, from: Data(json.utf8))
        func str(_ j: JSON?) -> String {
            if case .string(let s)? = j { return s }
            return ""
        }
        func list(_ j: JSON?) -> [JSON] {
            if case .array(let a)? = j { return a }
            return []
        }
        var scores: [String: Double] = [:]
        func key(_ a: String, _ b: String) -> String { a < b ? a + "\n" + b : b + "\n" + a }
        for q in list(obj["neighbors"]) {
            for n in list(q["neighbors"]) { scores[key(str(q["query"]), str(n["doc"]))] = n["score"]?.number }
        }
        for p in list(obj["pairs"]) { scores[key(str(p["a"]), str(p["b"]))] = p["score"]?.number }
        XCTAssertEqual(page.withClass("histogram-total").first?.attributes["data-total"], "\(scores.count)")
        XCTAssertEqual(page.elements.first { $0.attributes["data-series"] == "pairs" }?.attributes["data-total"], "\(scores.count)")
        // The top pairs: each score equals the JSON's, best first.
        let rows = page.withClass("pair")
        XCTAssertEqual(rows.count, min(200, scores.count))
        var last = Double.infinity
        for (i, row) in rows.enumerated() {
            let cell = page.elements.filter { ($0.attributes["class"] ?? "") == "num score" }[i]
            let s = Double(cell.attributes["data-value"]!)!
            XCTAssertEqual(s, scores[key(row.attributes["data-a"]!, row.attributes["data-b"]!)])
            XCTAssertLessThanOrEqual(s, last)
            last = s
        }
        XCTAssertEqual(
            scores.values.max(), Double(page.elements.first { ($0.attributes["class"] ?? "") == "num score" }!.attributes["data-value"]!))
        // Clusters: sizes equal the JSON's member counts (8 planted clusters).
        let clusters = list(obj["clusters"])
        let sizeCells = page.elements.filter { $0.attributes["data-size"] != nil }
        XCTAssertEqual(sizeCells.count, 8)
        for cell in sizeCells {
            let idx = Int(cell.attributes["data-cluster"]!)!
            XCTAssertEqual(Int(cell.attributes["data-size"]!), list(clusters[idx]["members"]).count)
        }

        // --html-limit 3: three pairs and three clusters, with notes of the rest.
        let cp = parse(BatchHTML.page(c, limit: 3, documentText: texts(c.header!.corpus, c.header!.corpus)))
        XCTAssertEqual(cp.withClass("pair").count, 3)
        XCTAssertEqual(cp.withClass("cluster").count, 3)
        let omitted = cp.withClass("limit").compactMap { $0.attributes["data-omitted"] }
        XCTAssertEqual(omitted, ["\(scores.count - 3)", "5"])

        // Evidence: the pair links to its passages, shown side by side.
        let top = BatchHTML.reportedPairs(c)[0]
        let ev = HTMLPairEvidence(a: c.queryNames[top.a], b: c.candidateNames[top.b], passages: Array(handMadePassages().prefix(1)))
        let eh = BatchHTML.page(c, limit: 200, evidence: [ev], documentText: { _, _ in nil })
        let ep = parse(eh)
        assertSelfContained(eh, ep)
        XCTAssertEqual(ep.all("a").filter { $0.attributes["href"] == "#evidence-1" }.count, 1)
        XCTAssertNotNil(ep.byID("evidence-1"))
        XCTAssertEqual(ep.all("mark").count, 2)
    }

    /// batch --evidence: each pair's passages side by side, each highlight
    /// exactly the bytes of its own document, token counts as in the JSON.
    func testBatchPageShowsTheRunsEvidence() throws {
        var o = BatchOptions()
        o.top = 3
        o.threshold = 0.8
        o.evidence = 2
        let dir = corpora.appendingPathComponent("near-dups")
        let c = BatchCollector()
        try Batch.run(try CorpusInput(path: dir.path), reference: nil, options: o, sink: c)
        XCTAssertFalse(c.evidence.isEmpty)
        let html = BatchHTML.page(c, limit: 200, documentText: texts(c.header!.corpus, c.header!.corpus))
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, try c.json())
        XCTAssertTrue(keys.contains("evidence.0.passages.0.tokens"))
        let marks = page.all("mark")
        var k = 0
        for e in c.evidence {
            let a = Array(try Data(contentsOf: dir.appendingPathComponent(c.queryNames[e.a])))
            let b = Array(try Data(contentsOf: dir.appendingPathComponent(c.candidateNames[e.b])))
            for x in e.passages {
                // a* are the query document's (pair.a), b* the candidate's (pair.b).
                XCTAssertEqual(marks[k].text, String(decoding: a[x.aStart..<x.aEnd], as: UTF8.self))
                XCTAssertEqual(marks[k + 1].text, String(decoding: b[x.bStart..<x.bEnd], as: UTF8.self))
                k += 2
            }
        }
        XCTAssertEqual(k, marks.count)
        // Every pair with passages is linked from the top-pairs table.
        let links = page.all("a").compactMap { $0.attributes["href"] }.filter { $0.hasPrefix("#evidence-") }
        XCTAssertEqual(Set(links).count, c.evidence.count)
        for l in links { XCTAssertNotNil(page.byID(String(l.dropFirst()))) }
    }

    /// A large run (20,000 documents × 10 neighbours) gives a page of the
    /// same small size: lists capped, the histogram over every pair.
    func testBatchPageStaysSmallForLargeRuns() throws {
        let n = 20_000
        let c = BatchCollector()
        let names = (0..<n).map { String(format: "doc%05d.txt", $0) }
        let h = BatchHeader(
            corpus: "big", reference: nil, method: .tfidf, tokenizer: .word, features: 100, sublinear: false, dims: nil,
            top: 10, threshold: nil, seed: 0, documents: n, referenceDocuments: nil, headColumns: 10, tailColumns: 90, skipped: [])
        try c.begin(h, queryNames: names, candidateNames: names)
        var rng = Xoshiro256(seed: 3)
        for q in 0..<n {
            try c.neighbors(
                query: q, (1...10).map { k in Neighbor(index: (q + k * 7) % n, score: Float(rng.next(below: 1_000_000)) / 1e6) })
        }
        try c.end(clusters: [], notes: [])
        let html = BatchHTML.page(c, limit: 200, documentText: texts(c.header!.corpus, c.header!.corpus))
        XCTAssertLessThan(html.utf8.count, 400_000)
        let page = parse(html)
        XCTAssertEqual(page.withClass("pair").count, 200)
        let total = BatchHTML.reportedPairs(c).count
        XCTAssertEqual(page.elements.first { $0.attributes["data-series"] == "pairs" }?.attributes["data-total"], "\(total)")
        XCTAssertEqual(page.withClass("limit").first?.attributes["data-omitted"], "\(total - 200)")
    }

    func testBySubdirPage() throws {
        let dir = try temporaryDirectory(self)
        for sub in ["source-a", "copy-a", "mix-50", "source-b"] {
            try FileManager.default.copyItem(at: corpora.appendingPathComponent(sub), to: dir.appendingPathComponent(sub))
        }
        let r = try CorpusMatrixReport.compute(try CorpusInput(path: dir.path), options: BatchOptions())
        let html = BatchHTML.page(r)
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        for i in 0..<4 {
            for j in 0..<4 {
                XCTAssertTrue(keys.contains("jsd.\(i).\(j)"))
                XCTAssertTrue(keys.contains("centroid_cosine.\(i).\(j)"))
            }
        }
        XCTAssertTrue(keys.isSuperset(of: ["merges.0.distance", "merges.2.distance", "merges.2.size", "corpora.0.documents"]))
        // Rows in clustering order, each heat map with its dendrogram (n − 1 elbows).
        let firstRow = page.elements.filter { ($0.attributes["data-key"] ?? "").hasPrefix("jsd.") }.prefix(4)
        XCTAssertEqual(firstRow.map { Int($0.attributes["data-key"]!.split(separator: ".")[1])! }, Array(repeating: r.order[0], count: 4))
        XCTAssertEqual(firstRow.map { Int($0.attributes["data-key"]!.split(separator: ".")[2])! }, r.order)
        XCTAssertEqual(page.elements.filter { $0.name == "path" && $0.attributes["data-distance"] != nil }.count, 6)

        // A limit below the corpus count drops the dendrogram and says so.
        let cp = parse(BatchHTML.page(r, limit: 2))
        XCTAssertEqual(cp.elements.filter { ($0.attributes["data-key"] ?? "").hasPrefix("jsd.") }.count, 4)
        XCTAssertEqual(cp.all("path").count, 0)
        XCTAssertEqual(cp.withClass("limit").first?.attributes["data-omitted"], "2")
    }

    // MARK: - attribute

    /// The attribute page: well formed, self-contained, every figure equal
    /// to the JSON's; the confusion heat map, the reliability diagram (a
    /// linear model has probabilities) and the per-candidate features; the
    /// corpus-level tables when a questioned corpus is attributed whole.
    func testAttributionPage() throws {
        var o = AttributionOptions()
        o.folds = 3
        o.bootstrap = 50
        o.permutations = 99
        let reference = try CorpusInput(path: corpora.appendingPathComponent("paired").path)
        let r = try Attribution.run(reference: reference, labels: .subdirectories, groups: nil, questioned: nil, options: o)
        let html = AttributionHTML.page(r)
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        XCTAssertTrue(keys.isSuperset(of: ["evaluation.accuracy.value", "evaluation.macro_f1.value", "predictions.0.margin"]), "\(keys)")
        for id in ["confusion-heatmap", "reliability"] { XCTAssertNotNil(page.byID(id), id) }
        XCTAssertEqual(
            page.all("tr").filter { $0.attributes["class"] == "right" || $0.attributes["class"] == "wrong" }.count, r.predictions.count)
        XCTAssertTrue(html.contains("Held-out accuracy"))
        // An open-set method's page shows its answers apart.
        var io = o
        io.method = .impostors
        let ir = try Attribution.run(reference: reference, labels: .subdirectories, groups: nil, questioned: nil, options: io)
        let ik = try assertFiguresMatchJSON(parse(AttributionHTML.page(ir)), JSONOutput.encode(ir))
        XCTAssertTrue(ik.isSuperset(of: ["evaluation.coverage.value", "evaluation.c_at_1.value"]), "\(ik)")
        XCTAssertTrue(AttributionHTML.page(ir).contains("documents got no candidate."))

        o.corpus = .cosine
        let q = try CorpusInput(path: corpora.appendingPathComponent("copy-a").path)
        let a = try Attribution.run(
            reference: try CorpusInput(path: corpora.path), labels: .table(try attributionLabels()), groups: nil, questioned: q, options: o)
        let ap = parse(AttributionHTML.page(a, limit: 5))
        _ = try assertFiguresMatchJSON(ap, JSONOutput.encode(a))
        XCTAssertNotNil(ap.elements.first { $0.attributes["data-key"] == "corpus.tests.0.p_value" })
        XCTAssertEqual(ap.withClass("limit").first?.attributes["data-omitted"], "\(a.predictions.count - 5)")
    }

    /// Labels for Corpora/source-a and source-b by path (a table, since
    /// Corpora/ holds more folders than candidates).
    func attributionLabels() throws -> String {
        let dir = try temporaryDirectory(self)
        var csv = "path,label\n"
        for sub in ["source-a", "source-b"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: corpora.appendingPathComponent(sub).path).sorted() {
                csv += "\(sub)/\(f),\(sub)\n"
            }
        }
        let file = dir.appendingPathComponent("labels.csv")
        try csv.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    // MARK: - weights

    func testWeightsPage() throws {
        let dir = fixtures.appendingPathComponent("weights")
        let models = try ["a.safetensors", "b.safetensors", "b-sharded"].map { try Checkpoint(path: dir.appendingPathComponent($0).path) }
        let r = try WeightsComparison.run(models, options: WeightsOptions())
        let html = WeightsHTML.page(r)
        XCTAssertEqual(html, WeightsHTML.page(r), "deterministic")
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        for i in 0..<3 { for j in 0..<3 { XCTAssertTrue(keys.contains("matrix.\(i).\(j)"), "matrix.\(i).\(j)") } }
        XCTAssertEqual(page.withClass("verdict").count, 3)
        XCTAssertTrue(html.contains("derived"))
        // The heat map; a per-layer chart, a spectra chart and a tensor table per pair.
        XCTAssertEqual(page.all("figure").count, 1 + 3 + 3)
        XCTAssertEqual(page.withClass("panel").count, 3 * 4, "a spectra panel per 2-D tensor and pair")
        XCTAssertEqual(page.all("table").count, 1 + 3)
        XCTAssertTrue(html.contains("layers.1.up.weight"))
    }

    // MARK: - dedup

    func dedup(_ path: String, _ configure: (inout DedupOptions) -> Void = { _ in }) throws -> (DedupReport, DedupResult) {
        var o = DedupOptions()
        configure(&o)
        let input = try CorpusInput(path: path)
        let result = try Dedup.run(input, options: o)
        return (DedupReport(result, corpus: input.description, options: o), result)
    }

    func testDedupPage() throws {
        let (r, _) = try dedup(corpora.appendingPathComponent("near-dups").path) { $0.threshold = 0.5 }
        XCTAssertEqual(r.clusters.count, 8)
        let html = DedupHTML.page(r, text: dedupTexts(r))
        let page = parse(html)
        assertSelfContained(html, page)
        let keys = try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        XCTAssertTrue(keys.isSuperset(of: ["documents", "duplicates", "kept_documents", "verified_pairs", "threshold"]))
        for i in r.clusters.indices {
            XCTAssertTrue(keys.contains("clusters.\(i).size"))
            for (j, m) in r.clusters[i].members.enumerated() where !m.kept {
                XCTAssertTrue(keys.contains("clusters.\(i).members.\(j).score"))
            }
        }
        // Size histogram: one column per size, counts equal the JSON's.
        var bySize: [String: Int] = [:]
        for c in r.clusters { bySize["\(c.size)", default: 0] += 1 }
        let columns = page.elements.filter { $0.name == "rect" && $0.attributes["data-label"] != nil }
        XCTAssertEqual(
            Dictionary(uniqueKeysWithValues: columns.map { ($0.attributes["data-label"]!, Int(Double($0.attributes["data-count"]!)!)) }),
            bySize)
        // Side by side: each cluster's kept document first, then its members, text as in the files.
        let views = page.withClass("cluster-view")
        XCTAssertEqual(views.count, r.clusters.count)
        let docs = page.withClass("doc")
        XCTAssertEqual(docs.count, r.clusters.reduce(0) { $0 + $1.size })
        let c0 = r.clusters[0]
        let keptText = try String(contentsOf: corpora.appendingPathComponent("near-dups").appendingPathComponent(c0.kept), encoding: .utf8)
        let keptIndex = page.elements.indices.first {
            page.elements[$0].attributes["class"] == "doc kept" && page.elements[$0].text.contains(c0.kept)
        }!
        let pre = page.descendants(of: keptIndex, "pre")
        XCTAssertEqual(pre.count, 1)
        XCTAssertEqual(pre.first?.text, String(keptText.prefix(600)) + (keptText.count > 600 ? " …" : ""))
        // Near-copies differ in a few words, which are marked.
        XCTAssertGreaterThan(page.all("mark").count, 0)

        // --html-limit 2: two clusters in the table and side by side, with notes.
        let cp = parse(DedupHTML.page(r, limit: 2, text: dedupTexts(r)))
        XCTAssertEqual(cp.withClass("cluster").count, 2)
        XCTAssertEqual(cp.withClass("cluster-view").count, 2)
        XCTAssertEqual(
            cp.withClass("limit").compactMap { $0.attributes["data-omitted"] }, ["\(r.clusters.count - 2)", "\(r.clusters.count - 2)"])
    }

    /// Document text with markup, ampersands and control characters shows as text.
    func testDedupPageEscapesDocumentText() throws {
        let dir = try temporaryDirectory(self)
        let evil =
            "Hello <script>alert(1)</script> & <b>bold</b> \u{1} \"quoted\" 'single' " + String(repeating: "filler words here ", count: 20)
        try write(evil, to: dir.appendingPathComponent("<x&y>.txt"))
        try write(evil, to: dir.appendingPathComponent("copy.txt"))
        try write(
            "something else entirely, with nothing in common at all " + String(repeating: "zzz ", count: 30),
            to: dir.appendingPathComponent("other.txt"))
        let (r, _) = try dedup(dir.path) { $0.method = .exact }
        XCTAssertEqual(r.clusters.count, 1)
        let html = DedupHTML.page(r, text: dedupTexts(r))
        let page = parse(html)
        assertSelfContained(html, page)
        XCTAssertEqual(page.all("script").count, 0)
        XCTAssertEqual(page.all("b").count, 0)
        let pres = page.all("pre")
        XCTAssertEqual(pres.count, 2)
        for p in pres { XCTAssertTrue(p.text.contains("Hello <script>alert(1)</script> & <b>bold</b> \\x01 \"quoted\" 'single'")) }
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"))
        XCTAssertTrue(page.elements.contains { $0.name == "span" && $0.text == "<x&y>.txt" })
    }

    /// Runs with nothing to chart still give well-formed pages that say so.
    func testPagesForDegenerateRuns() throws {
        let dir = try temporaryDirectory(self)
        try write("one small document & <nothing> else", to: dir.appendingPathComponent("a.txt"))
        try write("another small document", to: dir.appendingPathComponent("b.txt"))
        var o = CompareOptions()
        o.permutations = 19
        let r = try Comparison.run(
            try CorpusInput(path: dir.appendingPathComponent("a.txt").path),
            try CorpusInput(path: dir.appendingPathComponent("b.txt").path), options: o)
        XCTAssertFalse(r.test.ran)
        let html = CompareHTML.page(r, documentText: texts(r.a.path, r.b.path))
        let page = parse(html)
        assertSelfContained(html, page)
        try assertFiguresMatchJSON(page, JSONOutput.encode(r))
        XCTAssertTrue(page.withClass("note").contains { $0.text.contains("did not run") })

        let (d, _) = try dedup(dir.path)
        XCTAssertTrue(d.clusters.isEmpty)
        let dp = parse(DedupHTML.page(d, text: dedupTexts(d)))
        XCTAssertTrue(dp.withClass("note").contains { $0.text == "No near-duplicates found." })

        let c = BatchCollector()
        var bo = BatchOptions()
        bo.threshold = 0.99
        try Batch.run(try CorpusInput(path: dir.appendingPathComponent("a.txt").path), reference: nil, options: bo, sink: c)
        let bp = parse(BatchHTML.page(c, documentText: texts(c.header!.corpus, c.header!.corpus)))
        XCTAssertTrue(bp.withClass("note").contains { $0.text == "No pairs were scored." })
        XCTAssertEqual(bp.withClass("pair").count, 0)
    }

    /// The shared page skeleton: doctype, language, charset, CSP, print styles, contents.
    func testPageSkeleton() {
        var p = HTMLPage(title: "T & <t>")
        p.section("one", "One")
        p.element("p", [], "x")
        p.section("two", "Two")
        let html = p.finish(subtitle: "sub")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">"))
        XCTAssertTrue(html.contains("<meta charset=\"utf-8\"/>"))
        XCTAssertTrue(html.contains("default-src &#39;none&#39;"))
        XCTAssertTrue(html.contains("@media print"))
        XCTAssertTrue(html.contains("<title>T &amp; &lt;t&gt;</title>"))
        let page = parse(html)
        assertSelfContained(html, page)
        XCTAssertEqual(page.all("section").count, 2)
        XCTAssertEqual(page.all("nav").first.map { _ in page.all("a").map { $0.attributes["href"]! } }, ["#one", "#two"])
    }
}

/// Document text for a page, re-read through the corpora at `paths`.
/// A path that does not exist gives no text for its side.
func texts(_ paths: String...) -> (Int, String) -> [UInt8]? {
    let inputs = paths.map { try? CorpusInput(path: $0) }
    return { side, name in
        guard inputs.indices.contains(side), let input = inputs[side] else { return nil }
        return CorpusInput.textLookup([input])(0, name)
    }
}

/// Document text for a dedup page, re-read through its corpus.
func dedupTexts(_ r: DedupReport) -> (String) -> String? {
    let lookup = texts(r.corpus)
    return { name in lookup(0, name).map { String(decoding: $0, as: UTF8.self) } }
}

/// Numbers in tables (`Num.f`: `digits` significant digits, decimals after
/// the integer part).
final class NumberFormatTests: XCTestCase {
    /// A value that rounds up to the next power of ten prints as that power
    /// does: the centroid-cosine diagonal printed 1.0000 for 0.99999999 and
    /// 1.000 for 1.00000001 in one table.
    func testValuesRoundingToAPowerOfTenPrintAlike() {
        XCTAssertEqual(Num.f(0.99999999), "1.000")
        XCTAssertEqual(Num.f(1.00000001), "1.000")
        XCTAssertEqual(Num.f(1), "1.000")
        XCTAssertEqual(Num.f(9.99999), "10.00")
        XCTAssertEqual(Num.f(10.00001), "10.00")
        XCTAssertEqual(Num.f(-0.99999999), "-1.000")
        XCTAssertEqual(Num.f(0.5), "0.5000")
        XCTAssertEqual(Num.f(0.123456), "0.1235")
        XCTAssertEqual(Num.f(123.456), "123.5")
        XCTAssertEqual(Num.f(0.99994), "0.9999")
        // printf's rounding of the exact binary value decides: 9.9995 is
        // stored just below it, so "%.3f" gives 9.999 (Python: '%.3f' % 9.9995).
        XCTAssertEqual(Num.f(9.9995), "9.999")
        XCTAssertEqual(Num.f(0.99995), "1.000")
    }
}
