/// A small, strict JSON parser for safetensors headers and shard indexes.
///
/// Written for untrusted bytes: it never reads outside the buffer it is
/// given, limits nesting to `maxDepth`, rejects duplicate object keys,
/// trailing bytes, unpaired surrogates in `\u` escapes, control characters
/// in strings and invalid UTF-8, and keeps integers exact (an integer
/// literal beyond Int64 is an error rather than a rounded double).
/// Foundation's JSONSerialization is not used because its limits on Linux
/// are not documented and the header parser has a fuzz target.
package enum HeaderJSON {
    package indirect enum Value: Equatable, Sendable {
        case object([(String, Value)])
        case array([Value])
        case string(String)
        case integer(Int64)
        case number(Double)
        case bool(Bool)
        case null

        package static func == (l: Value, r: Value) -> Bool {
            switch (l, r) {
            case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case (.array(let a), .array(let b)): return a == b
            case (.string(let a), .string(let b)): return a == b
            case (.integer(let a), .integer(let b)): return a == b
            case (.number(let a), .number(let b)): return a == b
            case (.bool(let a), .bool(let b)): return a == b
            case (.null, .null): return true
            default: return false
            }
        }

        /// A short name of the kind of value, for error messages.
        package var kind: String {
            switch self {
            case .object: return "an object"
            case .array: return "an array"
            case .string: return "a string"
            case .integer, .number: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            }
        }
    }

    /// A parse failure: what was wrong and the byte offset where it was found.
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let reason: String
        package let offset: Int
        package var description: String { "\(reason) at byte \(offset)" }
    }

    package static let maxDepth = 64

    /// Parses one JSON value that fills `bytes` (surrounding whitespace allowed).
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Value {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.at < bytes.count { throw Failure(reason: "unexpected bytes after the JSON value", offset: p.at) }
        return v
    }

    /// `parse` on an array of bytes.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        let r: Result<Value, Failure> = bytes.withUnsafeBytes { raw in
            do throws(Failure) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        @inline(__always) func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0A || bytes[at] == 0x0D { at += 1 }
        }

        func fail(_ reason: String) -> Failure { Failure(reason: reason, offset: at) }

        mutating func expect(_ literal: String, _ v: Value) throws(Failure) -> Value {
            let l = Array(literal.utf8)
            let n = l.count
            guard at + n <= bytes.count else { throw fail("truncated literal") }
            for i in 0..<n where bytes[at + i] != l[i] { throw fail("invalid literal") }
            at += n
            return v
        }

        mutating func value(depth: Int) throws(Failure) -> Value {
            guard let c = peek() else { throw fail("unexpected end of JSON") }
            switch c {
            case UInt8(ascii: "{"):
                guard depth < HeaderJSON.maxDepth else { throw fail("nesting deeper than \(HeaderJSON.maxDepth)") }
                return try object(depth: depth + 1)
            case UInt8(ascii: "["):
                guard depth < HeaderJSON.maxDepth else { throw fail("nesting deeper than \(HeaderJSON.maxDepth)") }
                return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character")
            }
        }

        mutating func object(depth: Int) throws(Failure) -> Value {
            at += 1
            var members: [(String, Value)] = []
            var seen = Set<String>()
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                at += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyAt = at
                let key = try string()
                guard seen.insert(key).inserted else { throw Failure(reason: "duplicate key", offset: keyAt) }
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { throw fail("expected ':'") }
                at += 1
                skipSpace()
                members.append((key, try value(depth: depth)))
                skipSpace()
                guard let c = peek() else { throw fail("unexpected end of JSON in an object") }
                at += 1
                if c == UInt8(ascii: "}") { return .object(members) }
                guard c == UInt8(ascii: ",") else {
                    at -= 1
                    throw fail("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws(Failure) -> Value {
            at += 1
            var items: [Value] = []
            skipSpace()
            if peek() == UInt8(ascii: "]") {
                at += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth))
                skipSpace()
                guard let c = peek() else { throw fail("unexpected end of JSON in an array") }
                at += 1
                if c == UInt8(ascii: "]") { return .array(items) }
                guard c == UInt8(ascii: ",") else {
                    at -= 1
                    throw fail("expected ',' or ']'")
                }
            }
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard at + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[at]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                at += 1
            }
            return v
        }

        mutating func string() throws(Failure) -> String {
            at += 1
            var out: [UInt8] = []
            while true {
                guard let c = peek() else { throw fail("unterminated string") }
                if c == UInt8(ascii: "\"") {
                    at += 1
                    break
                }
                if c < 0x20 { throw fail("control character in a string") }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    at += 1
                    continue
                }
                at += 1
                guard let e = peek() else { throw fail("unterminated escape") }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard at + 2 <= bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a \\u escape")
                        }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("unpaired surrogate in a \\u escape")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw fail("invalid escape")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
            return s
        }

        mutating func number() throws(Failure) -> Value {
            let start = at
            if peek() == UInt8(ascii: "-") { at += 1 }
            guard let first = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw fail("invalid number") }
            if first == UInt8(ascii: "0") {
                at += 1
            } else {
                while let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { at += 1 }
            }
            var integral = true
            if peek() == UInt8(ascii: ".") {
                integral = false
                at += 1
                guard let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { throw fail("invalid number") }
                while let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { at += 1 }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                integral = false
                at += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { at += 1 }
                guard let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { throw fail("invalid number") }
                while let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { at += 1 }
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            if integral {
                guard let v = Int64(text) else { throw Failure(reason: "integer out of range", offset: start) }
                return .integer(v)
            }
            guard let d = Double(text), d.isFinite else { throw Failure(reason: "number out of range", offset: start) }
            return .number(d)
        }
    }
}
