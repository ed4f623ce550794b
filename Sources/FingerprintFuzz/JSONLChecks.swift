import FingerprintCore

/// The JSONL parser (`JSONLine.extract`).
///
/// 1. The input itself as a line, with `--field text --key-field id`: any
///    result is fine, but a line that is accepted must be a whole object: cut
///    before its closing `}`, it must be rejected (a broken line is never
///    read halfway).
/// 2. The round trip: the payload, read as UTF-8 (invalid bytes replaced),
///    written as the `text` string of a JSONL line in one of the legal ways
///    the control byte picks (`\u` escapes with surrogate pairs for
///    non-ASCII, `\u00XX` or short escapes for controls, `\/`, whitespace
///    between tokens, other fields before and after, nested objects holding a
///    `text` key, a lone surrogate), comes back byte for byte, with the `id`
///    key.
enum JSONLChecks {
    static let field = Array("text".utf8)
    static let keyField = Array("id".utf8)

    static func extract(_ line: [UInt8]) -> Result<(text: [UInt8], key: String?), JSONLine.Failure> {
        line.withUnsafeBufferPointer { JSONLine.extract($0, field: field, keyField: keyField) }
    }

    static func check(_ data: [UInt8]) throws {
        try wholeLine(data)
        try roundTrip(data)
    }

    static func wholeLine(_ line: [UInt8]) throws {
        guard case .success = extract(line) else { return }
        let ws: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let last = line.lastIndex(where: { !ws.contains($0) }), line[last] == UInt8(ascii: "}") else {
            throw FuzzFailure("accepted a line that does not end with '}': \(show(line))")
        }
        if case .success(let r) = extract(Array(line[..<last])) {
            throw FuzzFailure("accepted the line cut before its closing '}' (text \(show(r.text))): \(show(line))")
        }
    }

    static func roundTrip(_ data: [UInt8]) throws {
        var input = FuzzInput(data)
        let options = input.byte()
        let text = String(decoding: input.rest, as: UTF8.self)
        let unicodeEscapes = options & 0x01 != 0
        let shortEscapes = options & 0x02 != 0
        let space = options & 0x04 != 0 ? " \t\r\n" : ""
        let before = options & 0x08 != 0
        let after = options & 0x10 != 0
        let numericKey = options & 0x20 != 0
        let loneSurrogate = options & 0x40 != 0
        let escapeSlash = options & 0x80 != 0

        var s = "\""
        if loneSurrogate { s += "\\uD800" }
        for u in text.unicodeScalars {
            switch u.value {
            case 0x22: s += "\\\""
            case 0x5C: s += "\\\\"
            case 0x2F where escapeSlash: s += "\\/"
            case 0x08 where shortEscapes: s += "\\b"
            case 0x09 where shortEscapes: s += "\\t"
            case 0x0A where shortEscapes: s += "\\n"
            case 0x0C where shortEscapes: s += "\\f"
            case 0x0D where shortEscapes: s += "\\r"
            case 0..<0x20: s += hex4(u.value)
            case 0x80... where unicodeEscapes:
                if u.value >= 0x10000 {
                    let v = u.value - 0x10000
                    s += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
                } else {
                    s += hex4(u.value)
                }
            default: s.unicodeScalars.append(u)
            }
        }
        s += "\""

        let key = numericKey ? "-12.5e+3" : "\"doc \\\"1\\\"\""
        var line = space + "{" + space
        if before { line += "\"meta\"" + space + ":" + space + "{\"text\":[1,true,null,{\"text\":\"no\"}]}" + space + "," + space }
        line += "\"id\"" + space + ":" + space + key + space + "," + space
        line += "\"text\"" + space + ":" + space + s + space
        if after { line += "," + space + "\"tail\"" + space + ":" + space + "[\"text\",-0.5E-7,{}]" + space }
        line += "}" + space

        var expected = Array(text.utf8)
        if loneSurrogate { expected.insert(contentsOf: [0xEF, 0xBF, 0xBD], at: 0) }
        let expectedKey = numericKey ? "-12.5e+3" : "doc \"1\""
        switch extract(Array(line.utf8)) {
        case .success(let r):
            try require(r.text == expected, "round trip gave \(show(r.text)), expected \(show(expected)), line \(show(Array(line.utf8)))")
            try require(r.key == expectedKey, "key \(r.key ?? "nil"), expected \(expectedKey), line \(show(Array(line.utf8)))")
        case .failure(let e):
            throw FuzzFailure("a legal line was rejected (\(e)): \(show(Array(line.utf8)))")
        }
    }

    static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16, uppercase: v & 1 == 0)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
}
