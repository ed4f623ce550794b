/// A small validating JSON parser for one JSONL line that extracts the
/// string value of one top-level field, decoded to UTF-8 (escapes and
/// surrogate pairs included). It validates the whole line, so a broken line
/// is reported, not half-read.
package enum JSONLine {
    package enum Failure: Error, Equatable {
        case invalid(String)
        case notObject
        case missingField
        case notString
    }

    /// The decoded text of top-level `field` in `line`.
    package static func extract(_ line: UnsafeBufferPointer<UInt8>, field: [UInt8]) -> Result<[UInt8], Failure> {
        extract(line, field: field, keyField: nil).map(\.text)
    }

    /// The decoded text of top-level `field`, and the value of `keyField`
    /// (a string, or the literal text of a number) when present; null, a
    /// boolean, an array or an object counts as absent.
    package static func extract(_ line: UnsafeBufferPointer<UInt8>, field: [UInt8], keyField: [UInt8]?) -> Result<
        (text: [UInt8], key: String?), Failure
    > {
        extract(line, field: field, keyField: keyField, groupField: nil).map { ($0.text, $0.key) }
    }

    /// The decoded text of top-level `field`, and the values of `keyField`
    /// and `groupField` (each a string, or the literal text of a number).
    package static func extract(_ line: UnsafeBufferPointer<UInt8>, field: [UInt8], keyField: [UInt8]?, groupField: [UInt8]?)
        -> Result<(text: [UInt8], key: String?, group: String?), Failure>
    {
        var p = Parser(b: line, i: 0)
        p.skipWS()
        guard p.i < line.count else { return .failure(.invalid("empty line")) }
        guard line[p.i] == UInt8(ascii: "{") else {
            do {
                try p.value(depth: 0)
                p.skipWS()
            } catch let e as Failure { return .failure(e) } catch {}
            return p.i == line.count ? .failure(.notObject) : .failure(.invalid("unexpected text at column \(p.i + 1)"))
        }
        var found: [UInt8]? = nil
        var foundNonString = false
        var key: String? = nil
        var group: String? = nil
        // A string, or a number's literal text; null, true, false, an array
        // or an object is no value (as a missing field: no "null" label).
        func scalar(_ p: inout Parser) throws -> String? {
            if p.peek == UInt8(ascii: "\"") { return String(decoding: try p.string(), as: UTF8.self) }
            let s = p.i
            let number = p.peek == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.peek)
            try p.value(depth: 1)
            return number ? String(decoding: UnsafeBufferPointer(rebasing: line[s..<p.i]), as: UTF8.self) : nil
        }
        do {
            p.i += 1
            p.skipWS()
            if p.peek == UInt8(ascii: "}") {
                p.i += 1
            } else {
                while true {
                    p.skipWS()
                    guard p.peek == UInt8(ascii: "\"") else { throw Failure.invalid("expected a key at column \(p.i + 1)") }
                    let keyName = try p.string()
                    p.skipWS()
                    guard p.peek == UInt8(ascii: ":") else { throw Failure.invalid("expected ':' at column \(p.i + 1)") }
                    p.i += 1
                    p.skipWS()
                    // A name given twice: the last value counts, as in
                    // Python's json (and JavaScript's).
                    if keyName == field {
                        if p.peek == UInt8(ascii: "\"") {
                            found = try p.string()
                            foundNonString = false
                        } else {
                            try p.value(depth: 1)
                            found = nil
                            foundNonString = true
                        }
                    } else if let keyField, keyName == keyField {
                        key = try scalar(&p)
                        if let groupField, groupField == keyField { group = key }
                    } else if let groupField, keyName == groupField {
                        group = try scalar(&p)
                    } else {
                        try p.value(depth: 1)
                    }
                    p.skipWS()
                    if p.peek == UInt8(ascii: ",") {
                        p.i += 1
                        continue
                    }
                    if p.peek == UInt8(ascii: "}") {
                        p.i += 1
                        break
                    }
                    throw Failure.invalid("expected ',' or '}' at column \(p.i + 1)")
                }
            }
            p.skipWS()
            if p.i != line.count { throw Failure.invalid("unexpected text after the object at column \(p.i + 1)") }
        } catch let e as Failure {
            return .failure(e)
        } catch {
            return .failure(.invalid("unreadable"))
        }
        if let found { return .success((found, key, group)) }
        return .failure(foundNonString ? .notString : .missingField)
    }

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i: Int

        var peek: UInt8 { i < b.count ? b[i] : 0 }

        mutating func skipWS() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A { i += 1 }
        }

        mutating func value(depth: Int) throws {
            guard depth < 512 else { throw Failure.invalid("nesting deeper than 512") }
            skipWS()
            switch peek {
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "{"):
                i += 1
                skipWS()
                if peek == UInt8(ascii: "}") {
                    i += 1
                    return
                }
                while true {
                    skipWS()
                    guard peek == UInt8(ascii: "\"") else { throw Failure.invalid("expected a key at column \(i + 1)") }
                    _ = try string()
                    skipWS()
                    guard peek == UInt8(ascii: ":") else { throw Failure.invalid("expected ':' at column \(i + 1)") }
                    i += 1
                    try value(depth: depth + 1)
                    skipWS()
                    if peek == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if peek == UInt8(ascii: "}") {
                        i += 1
                        return
                    }
                    throw Failure.invalid("expected ',' or '}' at column \(i + 1)")
                }
            case UInt8(ascii: "["):
                i += 1
                skipWS()
                if peek == UInt8(ascii: "]") {
                    i += 1
                    return
                }
                while true {
                    try value(depth: depth + 1)
                    skipWS()
                    if peek == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if peek == UInt8(ascii: "]") {
                        i += 1
                        return
                    }
                    throw Failure.invalid("expected ',' or ']' at column \(i + 1)")
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default:
                throw Failure.invalid(i < b.count ? "unexpected character at column \(i + 1)" : "unexpected end of line")
            }
        }

        mutating func literal(_ s: StaticString) throws {
            let n = s.utf8CodeUnitCount
            guard i + n <= b.count else { throw Failure.invalid("unexpected end of line") }
            for k in 0..<n where b[i + k] != s.utf8Start[k] { throw Failure.invalid("bad literal at column \(i + 1)") }
            i += n
        }

        mutating func number() throws {
            let start = i
            if peek == UInt8(ascii: "-") { i += 1 }
            func digits() -> Int {
                let s = i
                while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
                return i - s
            }
            if peek == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw Failure.invalid("bad number at column \(start + 1)") }
            if peek == UInt8(ascii: ".") {
                i += 1
                if digits() == 0 { throw Failure.invalid("bad number at column \(start + 1)") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                i += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
                if digits() == 0 { throw Failure.invalid("bad number at column \(start + 1)") }
            }
        }

        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= b.count else { throw Failure.invalid("bad \\u escape at column \(at)") }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = b[at + k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw Failure.invalid("bad \\u escape at column \(at)")
                }
                v = v << 4 | d
            }
            return v
        }

        /// Parses a string starting at the opening quote; returns its UTF-8.
        mutating func string() throws -> [UInt8] {
            i += 1
            var out: [UInt8] = []
            var runStart = i
            while true {
                guard i < b.count else { throw Failure.invalid("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    out.append(contentsOf: b[runStart..<i])
                    i += 1
                    return out
                }
                if c < 0x20 { throw Failure.invalid("control character in string at column \(i + 1)") }
                if c != UInt8(ascii: "\\") {
                    i += 1
                    continue
                }
                out.append(contentsOf: b[runStart..<i])
                guard i + 1 < b.count else { throw Failure.invalid("unterminated string") }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4(i)
                    i += 4
                    if (0xD800...0xDBFF).contains(v), i + 6 <= b.count, b[i] == 0x5C, b[i + 1] == UInt8(ascii: "u"),
                        case let lo = try hex4(i + 2), (0xDC00...0xDFFF).contains(lo)
                    {
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else if (0xD800...0xDFFF).contains(v) {
                        v = 0xFFFD  // lone surrogate, as Python's json with errors replaced
                    }
                    appendUTF8(v, to: &out)
                default:
                    throw Failure.invalid("bad escape at column \(i - 1)")
                }
                runStart = i
            }
        }
    }
}
