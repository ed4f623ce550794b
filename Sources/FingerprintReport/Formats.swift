import FingerprintCore
import FingerprintStatistics
import Foundation

/// Output formats shared by all commands.
public enum OutputFormat: String, CaseIterable, Sendable, Codable {
    case table, json, jsonl, csv, html
}

/// Deterministic JSON: sorted keys, two-space indentation, shortest
/// round-trip floats, no escaped slashes. Same value, same bytes.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try e.encode(value)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// RFC 4180 CSV fields.
package enum CSV {
    /// Whether cells that a spreadsheet would run as a formula (starting with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return, and not a number) get
    /// a leading `'`, as OWASP recommends for CSV injection. On by default;
    /// the CLI's `--csv-formulas` turns it off. Set once, before any output.
    nonisolated(unsafe) package static var neutralizeFormulas = true

    /// One RFC 4180 field: quoted when it holds a comma, a quote, a line
    /// break or a leading/trailing space, quotes doubled; control
    /// characters other than line breaks shown as escapes (`\e`, `\xNN`),
    /// so that `cat` of a CSV file cannot drive the terminal; formula-leading
    /// cells neutralised (see `neutralizeFormulas`).
    ///
    /// Every test is on Unicode scalars, not `Character`s: a comma or a quote
    /// followed by a combining mark, or CR LF, is one `Character` that equals
    /// none of `","`, `"\""`, `"\n"`, so a `Character` test leaves it unquoted.
    package static func field(_ raw: String) -> String {
        var s = raw
        if s.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\r" && SafeText.needsEscape($0) }) {
            s = ""
            for u in raw.unicodeScalars {
                if u != "\n" && u != "\r" && SafeText.needsEscape(u) {
                    s += SafeText.terminal(String(u))
                } else {
                    s.unicodeScalars.append(u)
                }
            }
        }
        if neutralizeFormulas, let first = raw.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(raw) == nil {
            s = "'" + s
        }
        let scalars = s.unicodeScalars
        if scalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || scalars.first == " " || scalars.last == " " {
            var quoted = "\""
            for u in scalars {
                if u == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(u) }
            }
            return quoted + "\""
        }
        return s
    }

    package static func row(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\n" }
}

/// Formats numbers for tables: fixed significant digits, no locale.
package enum Num {
    public static func f(_ x: Double, _ digits: Int = 4) -> String {
        if x == 0 { return "0" }
        if !x.isFinite { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let a = abs(x)
        if a >= 1e6 || a < 1e-4 { return String(format: "%.\(max(1, digits - 1))e", x) }
        let intDigits = a >= 1 ? Int(log10(a)) + 1 : 0
        let decimals = max(0, digits - intDigits)
        let s = String(format: "%.\(decimals)f", x)
        // A value that printf rounds up to the next power of ten is printed
        // as that power is (0.99999 as 1.000, like 1.00001, not as 1.0000).
        let integer = s.drop { $0 == "-" }.prefix { $0 != "." }
        let grew = a < 1 ? integer != "0" : integer.count > intDigits
        return grew && decimals > 0 ? String(format: "%.\(decimals - 1)f", x) : s
    }

    public static func pct(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f%%", 100 * x) }

    /// A token or name shortened for a table: at most `limit` characters,
    /// the rest replaced by "… (N bytes)".
    public static func abbreviated(_ s: String, limit: Int = 60) -> String {
        guard s.count > limit else { return s }
        return String(s.prefix(limit - 12)) + "… (\(count(s.utf8.count)) bytes)"
    }

    /// Thousands separators for counts.
    public static func count(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n)
        var u = 0
        while v >= 1000 && u < units.count - 1 {
            v /= 1000
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}

/// A plain-text table with aligned columns.
package struct TextTable {
    public enum Align { case left, right }
    public var headers: [String]
    public var align: [Align]
    public var rows: [[String]] = []

    public init(_ headers: [String], align: [Align]? = nil) {
        self.headers = headers.map(\.terminalSafe)
        self.align = align ?? headers.map { _ in .left }
    }

    /// Adds a row; cells are escaped for the terminal (`SafeText`).
    public mutating func add(_ row: [String]) { rows.append(row.map(\.terminalSafe)) }

    public func render(indent: String = "  ") -> String {
        var widths = headers.map { $0.count }
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                parts.append(align[i] == .right ? pad + c : (i == cells.count - 1 ? c : c + pad))
            }
            return indent + parts.joined(separator: "  ")
        }
        var out = line(headers) + "\n"
        out += indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}
