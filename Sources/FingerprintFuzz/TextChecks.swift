import FingerprintCore
import FingerprintReport
import Foundation

/// The two writers of untrusted text: terminal escaping and CSV fields.
enum TextChecks {
    /// Whether a terminal must not receive `u` raw: C0 and C1 controls, DEL,
    /// and the bidirectional overrides and isolates (written out here, not
    /// taken from `SafeText`).
    static func isControl(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0..<0x20, 0x7F..<0xA0, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// The documented escape of one control scalar: `\n`, `\r`, `\t`, `\e`,
    /// `\xNN` below U+0100, else `\u{NNNN}`.
    static func escape(_ u: Unicode.Scalar) -> String {
        switch u.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x1B: return "\\e"
        case 0..<0x100: return "\\x" + hex(u.value, width: 2)
        default: return "\\u{" + hex(u.value, width: 4) + "}"
        }
    }

    /// Upper-case hexadecimal, zero-padded to `width` digits.
    static func hex(_ v: UInt32, width: Int) -> String {
        let digits = Array("0123456789ABCDEF".unicodeScalars)
        var out: [Unicode.Scalar] = []
        var x = v
        repeat {
            out.append(digits[Int(x & 0xF)])
            x >>= 4
        } while x != 0 || out.count < width
        var s = ""
        s.unicodeScalars.append(contentsOf: out.reversed())
        return s
    }

    /// `SafeText.terminal` on the input read as UTF-8: no control scalar in
    /// the output, which is the input with each control replaced by its
    /// documented escape (so the input itself when it has none), and escaping
    /// twice changes nothing.
    static func safeText(_ data: [UInt8]) throws {
        let s = String(decoding: data, as: UTF8.self)
        let out = SafeText.terminal(s)
        if let bad = out.unicodeScalars.first(where: isControl) {
            throw FuzzFailure("U+\(String(bad.value, radix: 16)) survived in \(show(Array(out.utf8))) from \(show(data))")
        }
        var expected = ""
        for u in s.unicodeScalars {
            if isControl(u) { expected += escape(u) } else { expected.unicodeScalars.append(u) }
        }
        try require(Array(out.utf8) == Array(expected.utf8), "escaped \(show(Array(out.utf8))), expected \(show(Array(expected.utf8)))")
        try require(Array(SafeText.terminal(out).utf8) == Array(out.utf8), "escaping twice changed \(show(Array(out.utf8)))")
    }

    /// `CSV.row` of the fields the input holds (cut at 0xFF bytes, each read
    /// as UTF-8), with formula neutralisation on or off (the first byte's low
    /// bit): the row is one RFC 4180 record whose fields are, one for one, the
    /// input fields with control characters other than CR and LF escaped and,
    /// when neutralising, a `'` before a field that starts with `= + - @`, a
    /// tab or a CR and is not a number.
    static func csv(_ data: [UInt8]) throws {
        var input = FuzzInput(data)
        let neutralize = input.byte() & 1 == 1
        let fields = input.rest.split(separator: 0xFF, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        let saved = CSV.neutralizeFormulas
        CSV.neutralizeFormulas = neutralize
        defer { CSV.neutralizeFormulas = saved }
        let row = CSV.row(fields)
        let expected = fields.map { expectedField($0, neutralize: neutralize) }
        let parsed: [[UInt8]]
        do {
            parsed = try parseRecord(Array(row.utf8))
        } catch {
            throw FuzzFailure(
                "\(error): row \(show(Array(row.utf8))) from fields \(fields.map { show(Array($0.utf8)) }.joined(separator: ", "))")
        }
        try require(
            parsed == expected.map { Array($0.utf8) },
            "row \(show(Array(row.utf8))) parses to \(parsed.map(show).joined(separator: ", ")), expected "
                + expected.map { show(Array($0.utf8)) }.joined(separator: ", "))
    }

    static func expectedField(_ raw: String, neutralize: Bool) -> String {
        var s = ""
        for u in raw.unicodeScalars {
            if isControl(u) && u != "\n" && u != "\r" { s += escape(u) } else { s.unicodeScalars.append(u) }
        }
        if neutralize, let first = raw.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(raw) == nil {
            s = "'" + s
        }
        return s
    }

    /// One RFC 4180 record ending in LF: fields separated by commas, each
    /// either quoted (quotes inside doubled; commas and line breaks allowed)
    /// or plain (no comma, quote, CR or LF). Anything else throws.
    static func parseRecord(_ b: [UInt8]) throws -> [[UInt8]] {
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let lf: UInt8 = 0x0A
        let cr: UInt8 = 0x0D
        var fields: [[UInt8]] = []
        var i = 0
        while true {
            var f: [UInt8] = []
            if i < b.count && b[i] == quote {
                i += 1
                while true {
                    guard i < b.count else { throw FuzzFailure("unterminated quoted field") }
                    if b[i] == quote {
                        if i + 1 < b.count && b[i + 1] == quote {
                            f.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    f.append(b[i])
                    i += 1
                }
            } else {
                while i < b.count && b[i] != comma && b[i] != lf {
                    if b[i] == quote || b[i] == cr { throw FuzzFailure("a quote or CR in an unquoted field at byte \(i)") }
                    f.append(b[i])
                    i += 1
                }
            }
            fields.append(f)
            guard i < b.count else { throw FuzzFailure("the record does not end with a line feed") }
            if b[i] == comma {
                i += 1
                continue
            }
            guard b[i] == lf else { throw FuzzFailure("text after a quoted field at byte \(i)") }
            guard i + 1 == b.count else { throw FuzzFailure("more than one record: a line feed at byte \(i) of \(b.count)") }
            return fields
        }
    }
}
