import FingerprintCore
import FingerprintStatistics
import Foundation

/// One self-contained HTML report: inline CSS and SVG, no scripts, no
/// fonts, images or anything else from the network (a Content-Security-Policy
/// forbids it). The markup is XHTML-style — every tag closed, attributes
/// quoted, text escaped — so a page parses with an XML parser as well as in
/// a browser.
///
/// Numbers that also appear in the command's JSON carry their exact value:
/// `data-key` is the value's path in the JSON (keys and array indices joined
/// by dots, e.g. `test.p_value`, `clusters.3.size`) and `data-value` the
/// number as Swift prints it (shortest round-trip form).
package struct HTMLPage {
    public var title: String
    var out = ""
    var stack: [String] = []
    var sections: [(id: String, title: String)] = []

    public init(title: String) { self.title = title }

    // MARK: - Escaping

    /// Escapes text for element content and attribute values: `& < > " '`
    /// become references; C0 controls other than tab, line feed and
    /// carriage return, DEL and C1 controls (which XML 1.0 forbids) and the
    /// bidirectional overrides and isolates are shown as the terminal shows
    /// them (`\e`, `\xNN`, `\u{202E}`): an override in a file name reversed
    /// the score printed after it, and names that differed only in control
    /// bytes looked alike as U+FFFD (review 31b). U+FFFE and U+FFFF become U+FFFD.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                let v = u.value
                if v == 0x09 || v == 0x0A || v == 0x0D {
                    out.unicodeScalars.append(u)
                } else if SafeText.needsEscape(u) {
                    out += SafeText.terminal(String(u))
                } else if v == 0xFFFE || v == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    // MARK: - Building

    /// Opens an element; attributes with a nil value are left out.
    public mutating func open(_ tag: String, _ attrs: [(String, String?)] = []) {
        out += "<" + tag + Self.attributes(attrs) + ">"
        stack.append(tag)
    }

    /// Closes the innermost open element.
    public mutating func close() {
        guard let tag = stack.popLast() else { preconditionFailure("HTMLPage: close() with nothing open") }
        out += "</" + tag + ">"
    }

    /// Closes open elements until `tag` has been closed.
    public mutating func close(_ tag: String) {
        while let t = stack.last {
            close()
            if t == tag { return }
        }
    }

    /// An element with escaped text content.
    public mutating func element(_ tag: String, _ attrs: [(String, String?)] = [], _ text: String) {
        out += "<" + tag + Self.attributes(attrs) + ">" + Self.escape(text) + "</" + tag + ">"
    }

    /// An empty element (`<br/>`, `<meta …/>`).
    public mutating func void(_ tag: String, _ attrs: [(String, String?)] = []) {
        out += "<" + tag + Self.attributes(attrs) + "/>"
    }

    /// Escaped text.
    public mutating func text(_ s: String) { out += Self.escape(s) }

    /// Markup made by this module (SVG charts, highlighted text): trusted, not escaped.
    public mutating func raw(_ markup: String) { out += markup }

    /// A newline in the source, for readability of the HTML.
    public mutating func nl() { out += "\n" }

    static func attributes(_ attrs: [(String, String?)]) -> String {
        var s = ""
        for (k, v) in attrs { if let v { s += " " + k + "=\"" + escape(v) + "\"" } }
        return s
    }

    /// Opens a top-level section listed in the page's contents.
    public mutating func section(_ id: String, _ title: String, intro: String? = nil) {
        close("section")
        nl()
        open("section", [("id", id)])
        element("h2", [], title)
        if let intro { element("p", [("class", "intro")], intro) }
        sections.append((id, title))
    }

    // MARK: - Common pieces

    /// A figure in a summary box: label and value, the value's exact
    /// number in `data-value` under its JSON path `key`.
    public mutating func figure(_ label: String, _ shown: String, key: String? = nil, value: Double? = nil, title: String? = nil) {
        open("div", [("class", "fig")])
        element("dt", title.map { [("title", $0)] } ?? [], label)
        element("dd", [("data-key", key), ("data-value", value.map { "\($0)" })], shown)
        close()
    }

    /// A figure with an integer value.
    public mutating func figure(_ label: String, count: Int, key: String? = nil) {
        open("div", [("class", "fig")])
        element("dt", [], label)
        element("dd", [("data-key", key), ("data-value", key == nil ? nil : "\(count)")], Num.count(count))
        close()
    }

    /// A table cell holding a number: shown formatted, exact in `data-value`.
    public mutating func numberCell(_ shown: String, key: String? = nil, value: Double? = nil) {
        element("td", [("class", "num"), ("data-key", key), ("data-value", value.map { "\($0)" })], shown)
    }

    /// A table cell holding a count.
    public mutating func countCell(_ n: Int, key: String? = nil) {
        element("td", [("class", "num"), ("data-key", key), ("data-value", key == nil ? nil : "\(n)")], Num.count(n))
    }

    /// A table header row.
    public mutating func header(_ cells: [(String, Bool)]) {
        open("thead")
        open("tr")
        for (c, numeric) in cells { element("th", numeric ? [("class", "num")] : [], c) }
        close()
        close()
    }

    /// "Showing N of M …; K left out" when a list was capped.
    public mutating func limitNote(shown: Int, total: Int, what: String, rest: String) {
        guard total > shown else { return }
        element(
            "p", [("class", "note limit"), ("data-shown", "\(shown)"), ("data-omitted", "\(total - shown)")],
            "Showing \(Num.count(shown)) of \(Num.count(total)) \(what); \(Num.count(total - shown)) left out (raise --html-limit, or see \(rest) for the full list)."
        )
    }

    /// A figure element around an SVG chart, with a caption.
    public mutating func chart(_ svg: String, caption: String, id: String? = nil) {
        open("figure", [("id", id)])
        raw(svg)
        element("figcaption", [], caption)
        close()
    }

    /// A document's text in a panel: a heading, then the text with
    /// `highlighted` UTF-8 byte ranges in `<mark>`.
    public mutating func documentPanel(
        heading: String, detail: String? = nil, text: String, highlighted: [Range<Int>] = [],
        markClass: String? = nil, truncated: Bool = false
    ) {
        open("div", [("class", "doc")])
        open("h4")
        element("span", [("class", "path")], heading)
        if let detail { element("span", [("class", "detail")], detail) }
        close()
        open("pre")
        raw(Self.highlight(text, highlighted, markClass: markClass))
        if truncated { element("span", [("class", "more")], " …") }
        close()
        close()
    }

    /// `text` escaped with the given UTF-8 byte ranges wrapped in `<mark>`
    /// (ranges are clamped to the text, snapped to character boundaries,
    /// sorted and merged).
    public static func highlight(_ text: String, _ ranges: [Range<Int>], markClass: String? = nil) -> String {
        let bytes = Array(text.utf8)
        func snapDown(_ i: Int) -> Int {
            var i = min(max(0, i), bytes.count)
            while i > 0 && i < bytes.count && bytes[i] & 0xC0 == 0x80 { i -= 1 }
            return i
        }
        func snapUp(_ i: Int) -> Int {
            var i = min(max(0, i), bytes.count)
            while i < bytes.count && bytes[i] & 0xC0 == 0x80 { i += 1 }
            return i
        }
        var rs = ranges.map { snapDown($0.lowerBound)..<snapUp($0.upperBound) }.filter { !$0.isEmpty }.sorted {
            $0.lowerBound < $1.lowerBound
        }
        var merged: [Range<Int>] = []
        for r in rs {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        rs = merged
        func piece(_ r: Range<Int>) -> String { escape(String(decoding: bytes[r], as: UTF8.self)) }
        let open = markClass.map { "<mark class=\"\(escape($0))\">" } ?? "<mark>"
        var s = ""
        var at = 0
        for r in rs {
            s += piece(at..<r.lowerBound) + open + piece(r) + "</mark>"
            at = r.upperBound
        }
        return s + piece(at..<bytes.count)
    }

    // MARK: - The page

    /// The finished page: head with inline CSS, a header with `subtitle`,
    /// contents, the body built so far, and a footer.
    public mutating func finish(subtitle: String, version: String = Fingerprint.version) -> String {
        close("section")
        while !stack.isEmpty { close() }
        var p = HTMLPage(title: title)
        p.raw("<!DOCTYPE html>\n")
        p.open("html", [("xmlns", "http://www.w3.org/1999/xhtml"), ("lang", "en")])
        p.nl()
        p.open("head")
        p.void("meta", [("charset", "utf-8")])
        p.void(
            "meta",
            [
                ("http-equiv", "Content-Security-Policy"),
                ("content", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
            ])
        p.void("meta", [("name", "viewport"), ("content", "width=device-width, initial-scale=1")])
        p.void("meta", [("name", "generator"), ("content", "fingerprint \(version)")])
        p.element("title", [], title)
        p.nl()
        p.open("style")
        p.raw(Self.css)
        p.close()
        p.close()
        p.nl()
        p.open("body")
        p.open("header")
        p.element("h1", [], title)
        p.element("p", [("class", "sub")], subtitle)
        if sections.count > 1 {
            p.open("nav", [("aria-label", "Contents")])
            p.open("ul")
            for (id, t) in sections {
                p.open("li")
                p.element("a", [("href", "#" + id)], t)
                p.close()
            }
            p.close()
            p.close()
        }
        p.close()
        p.nl()
        p.open("main")
        p.raw(out)
        p.nl()
        p.close()
        p.open("footer")
        p.element(
            "p", [],
            "Made by fingerprint \(version). A self-contained page: no scripts, nothing loaded from the network. Scores are evidence, not verdicts; the full data is in --format json, jsonl or csv."
        )
        p.close()
        p.close()
        p.close()
        p.nl()
        return p.out
    }

    /// The style sheet (no `<` or `&`, so it is also well-formed XML text).
    static let css = """

        :root { color-scheme: light; --fg: #1b1b1b; --muted: #555555; --line: #d4d4d4; --soft: #f6f6f6; --a: #0072B2; --b: #D55E00; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; color: var(--fg); background: #ffffff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        header, main, footer { max-width: 1120px; margin: 0 auto; padding: 0 28px; }
        header { padding-top: 22px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
        h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
        h3 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
        .sub { color: var(--muted); margin: 0 0 .6rem; overflow-wrap: anywhere; }
        nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; padding: 0; margin: .4rem 0 .6rem; font-size: .92rem; }
        a { color: #005b8f; }
        .summary { border: 2px solid var(--a); border-radius: 6px; padding: 14px 18px; margin-top: 1.2rem; background: #f2f7fb; }
        .verdict { font-size: 1.08rem; font-weight: 600; margin: 0 0 .8rem; }
        dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 4px 26px; margin: 0; }
        .fig { display: flex; justify-content: space-between; gap: 10px; border-bottom: 1px dotted #bbbbbb; padding: 2px 0; }
        dt { color: var(--muted); }
        dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; text-align: right; overflow-wrap: anywhere; }
        .options { color: var(--muted); font-size: .9rem; margin: .8rem 0 0; overflow-wrap: anywhere; }
        .intro { margin: 0 0 .6rem; max-width: 60em; }
        table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; font-size: .93rem; }
        th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid #9a9a9a; background: var(--soft); }
        th.num, td.num { text-align: right; white-space: nowrap; }
        td.path, td .path { overflow-wrap: anywhere; }
        tbody tr:nth-child(even) { background: #fafafa; }
        figure { margin: 1rem 0 1.4rem; }
        figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; max-width: 60em; }
        svg.chart { display: block; max-width: 100%; height: auto; }
        .note { color: var(--muted); font-style: italic; }
        .limit { font-style: normal; background: #fff6df; border-left: 4px solid #E69F00; padding: 4px 10px; color: var(--fg); }
        ul.notes li { margin: .2rem 0; }
        .sbs { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; margin: .5rem 0 1.2rem; }
        .doc { border: 1px solid var(--line); border-radius: 4px; background: #fcfcfc; min-width: 0; }
        .doc h4 { margin: 0; padding: 5px 9px; font-size: .86rem; font-weight: 600; background: #eef2f5; border-bottom: 1px solid var(--line); display: flex; justify-content: space-between; gap: 8px; }
        .doc h4 .detail { color: var(--muted); font-weight: 400; white-space: nowrap; }
        .doc pre { margin: 0; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; font: 13px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; max-height: 26em; overflow: auto; }
        .doc.kept h4 { background: #dcebf6; }
        mark { background: #ffe27a; color: inherit; padding: 0 1px; border-radius: 2px; }
        mark.diff { background: #f7c9ae; text-decoration: underline; text-decoration-color: #D55E00; }
        .more { color: var(--muted); }
        .path { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .92em; overflow-wrap: anywhere; }
        .pair-head { margin: 1.2rem 0 .3rem; font-weight: 600; }
        .pair-head .detail { color: var(--muted); font-weight: 400; }
        .legend-key { display: inline-block; width: 1em; height: .8em; vertical-align: baseline; margin-right: .3em; }
        footer { color: var(--muted); font-size: .85rem; margin-top: 2.5rem; padding-bottom: 2rem; border-top: 1px solid var(--line); }
        @media (max-width: 700px) { header, main, footer { padding: 0 12px; } }
        @media print {
          body { font-size: 10pt; color: #000000; }
          header, main, footer { max-width: none; padding: 0; }
          nav { display: none; }
          a { color: inherit; text-decoration: none; }
          .summary { background: none; }
          .doc pre { max-height: none; overflow: visible; }
          section, figure, .doc, tr, .summary { break-inside: avoid; }
          h2, h3, .pair-head { break-after: avoid; }
          tbody tr:nth-child(even) { background: none; }
          mark { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          svg.chart { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }

        """
}

/// A shared passage shown side by side: an excerpt of each document with
/// the shared text highlighted. Ranges are UTF-8 byte offsets into
/// `aText` and `bText`; lines are 1-based lines of the passage's start in
/// the documents.
package struct HTMLPassage: Sendable, Equatable {
    public var aName: String
    public var aLine: Int
    public var bName: String
    public var bLine: Int
    public var aText: String
    public var bText: String
    public var matchedRangeInA: Range<Int>
    public var matchedRangeInB: Range<Int>
    public var tokens: Int
    public init(
        aName: String, aLine: Int, bName: String, bLine: Int, aText: String, bText: String,
        matchedRangeInA: Range<Int>, matchedRangeInB: Range<Int>, tokens: Int
    ) {
        self.aName = aName
        self.aLine = aLine
        self.bName = bName
        self.bLine = bLine
        self.aText = aText
        self.bText = bText
        self.matchedRangeInA = matchedRangeInA
        self.matchedRangeInB = matchedRangeInB
        self.tokens = tokens
    }

    /// An excerpt of a document around bytes `start..<end`: up to `context`
    /// bytes either side (cut at character boundaries, and at whitespace
    /// when there is some near), with "…" where it was cut.
    /// - Returns: the excerpt and the range of `start..<end` in it (UTF-8 bytes).
    public static func excerpt(_ document: [UInt8], start: Int, end: Int, context: Int = 240) -> (text: String, range: Range<Int>) {
        let start = min(max(0, start), document.count)
        let end = min(max(start, end), document.count)
        var lo = max(0, start - context)
        var hi = min(document.count, end + context)
        // Prefer to cut at whitespace within 40 bytes.
        if lo > 0, let ws = (lo..<min(start, lo + 40)).first(where: { document[$0] == 0x20 || document[$0] == 0x0A }) { lo = ws + 1 }
        if hi < document.count,
            let ws = stride(from: hi - 1, through: max(end, hi - 40), by: -1).first(where: { document[$0] == 0x20 || document[$0] == 0x0A })
        {
            hi = ws
        }
        while lo > 0 && lo < start && document[lo] & 0xC0 == 0x80 { lo += 1 }
        while hi < document.count && hi > end && document[hi] & 0xC0 == 0x80 { hi -= 1 }
        let prefix = lo > 0 ? "… " : ""
        let suffix = hi < document.count ? " …" : ""
        let body = Array(document[lo..<hi])
        let text = prefix + String(decoding: body, as: UTF8.self) + suffix
        // Offsets shift by the prefix; decoding is byte-preserving for valid UTF-8.
        let shift = prefix.utf8.count
        let decodedLength = String(decoding: body[0..<(start - lo)], as: UTF8.self).utf8.count
        let matchLength = String(decoding: body[(start - lo)..<(end - lo)], as: UTF8.self).utf8.count
        return (text, (shift + decodedLength)..<(shift + decodedLength + matchLength))
    }
}

/// Shared passages of one pair of documents (batch evidence).
package struct HTMLPairEvidence: Sendable {
    public var a: String
    public var b: String
    public var passages: [HTMLPassage]
    public init(a: String, b: String, passages: [HTMLPassage]) {
        self.a = a
        self.b = b
        self.passages = passages
    }
}

extension HTMLPage {
    /// Renders passages side by side (A left, B right), shared text highlighted.
    /// - Parameters:
    ///   - tokenKey: the JSON path of passage i's token count, if the passages are in the JSON.
    ///   - idPrefix: prefix of the passages' element ids.
    mutating func passages(
        _ list: [HTMLPassage], limit: Int, aLabel: String = "A", bLabel: String = "B",
        tokenKey: ((Int) -> String)? = nil, idPrefix: String = "passage-"
    ) {
        for (i, p) in list.prefix(limit).enumerated() {
            open("div", [("class", "passage"), ("id", "\(idPrefix)\(i + 1)"), ("data-tokens", "\(p.tokens)")])
            open("p", [("class", "pair-head")])
            text("\(i + 1). \(p.aName):\(p.aLine) ↔ \(p.bName):\(p.bLine) ")
            element(
                "span",
                [
                    ("class", "detail"), ("data-key", tokenKey.map { $0(i) }),
                    ("data-value", tokenKey == nil ? nil : "\(p.tokens)"),
                ], "\(Num.count(p.tokens)) tokens shared")
            close()
            open("div", [("class", "sbs")])
            documentPanel(heading: "\(aLabel): \(p.aName):\(p.aLine)", text: p.aText, highlighted: [p.matchedRangeInA])
            documentPanel(heading: "\(bLabel): \(p.bName):\(p.bLine)", text: p.bText, highlighted: [p.matchedRangeInB])
            close()
            close()
        }
        limitNote(shown: min(limit, list.count), total: list.count, what: "passages", rest: "--format json")
    }
}
