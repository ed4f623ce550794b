/// Text from outside — file names, document snippets, tokens — made safe
/// for a terminal: control characters are shown as escapes instead of
/// acting on the terminal (colours, window titles, clearing the screen),
/// and a newline in a name cannot split a table row or an error line.
package enum SafeText {
    /// `s` with C0 and C1 control characters, DEL and the Unicode
    /// bidirectional overrides replaced by visible escapes: `\n`, `\r`,
    /// `\t`, `\e`, else `\xNN` (below U+0100) or `\u{NNNN}`, as `ls -b` and
    /// ripgrep do. Every other character, backslash included, is unchanged.
    /// - Complexity: O(n); returns `s` itself when there is nothing to escape.
    package static func terminal(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars {
            guard needsEscape(u) else {
                out.unicodeScalars.append(u)
                continue
            }
            switch u.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x1B: out += "\\e"
            case 0..<0x100: out += "\\x" + hex(u.value, width: 2)
            default: out += "\\u{" + hex(u.value, width: 4) + "}"
            }
        }
        return out
    }

    @inline(__always)
    package static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || (v >= 0x7F && v < 0xA0) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
}

extension String {
    /// This text with control characters escaped for a terminal (`SafeText.terminal`).
    package var terminalSafe: String { SafeText.terminal(self) }
}
