import FingerprintCore

/// Tokens as raw bytes, all in one buffer (one allocation per document, not
/// per token: under ASan that is most of the time of a run).
struct FlatTokens: RandomAccessCollection, Equatable {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    var startIndex: Int { 0 }
    var endIndex: Int { ends.count }
    subscript(i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }
    mutating func append(_ token: some Sequence<UInt8>) {
        bytes.append(contentsOf: token)
        ends.append(bytes.count)
    }
}

/// Collects tokens as raw bytes (not `String`s, which would hide invalid
/// UTF-8) with their byte ranges.
struct ByteCollector: TokenSink {
    var tokens = FlatTokens()
    var ranges: [Range<Int>] = []
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { accept(token, range: 0..<0) }
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        tokens.append(token)
        ranges.append(range)
    }
}

/// What a tokenizer produced for one document.
struct TokenRun: Equatable {
    var tokens = FlatTokens()
    var ranges: [Range<Int>] = []
    var invalid = 0
    var truncated = 0
}

/// The input decoded as UTF-8 by the standard library's parser (maximal
/// subparts replaced by U+FFFD), each scalar with its byte range.
struct DecodedScalar {
    var value: UInt32
    var range: Range<Int>
    var invalid: Bool
}

func decodeScalars(_ bytes: [UInt8]) -> [DecodedScalar] {
    var out: [DecodedScalar] = []
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var at = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let encoded):
            out.append(DecodedScalar(value: Unicode.UTF8.decode(encoded).value, range: at..<at + encoded.count, invalid: false))
            at += encoded.count
        case .error(let length):
            out.append(DecodedScalar(value: 0xFFFD, range: at..<at + length, invalid: true))
            at += length
        case .emptyInput:
            return out
        }
    }
}

/// The facts the references need about one scalar, from the standard
/// library's Unicode properties (cached below U+3400, where most input is).
struct RefInfo {
    var cased: Bool
    var caseIgnorable: Bool
    var whitespace: Bool
    /// 0: separator, 1: word character, 2: a token of its own.
    var kind: UInt8
    /// The full lower-case mapping, as UTF-8.
    var lower: [UInt8]

    init(_ v: UInt32) {
        let p = Unicode.Scalar(v)!.properties
        cased = p.isCased
        caseIgnorable = p.isCaseIgnorable
        // Python's str.isspace(): White_Space, plus U+001C–U+001F.
        whitespace = p.isWhitespace || (0x1C...0x1F).contains(v)
        lower = Array(p.lowercaseMapping.utf8)
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            switch v {
            case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F, 0x3006, 0x3007, 0x3021...0x3029,
                0x3038...0x303A, 0x3040...0x309F, 0x30A0...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F:
                kind = 2
            default:
                kind = 1
            }
        default:
            kind = v == 0x5F ? 1 : 0
        }
    }

    static let cached: [RefInfo] = (0..<0x3400).map { RefInfo(UInt32($0)) }

    static func of(_ v: UInt32) -> RefInfo { v < 0x3400 ? cached[Int(v)] : RefInfo(v) }
}

/// Python's `str.lower()` Final_Sigma rule for the Σ at `i`: the nearest
/// non-case-ignorable scalar before it is cased, and the nearest one after it
/// is not (or there is none).
func isFinalSigma(_ s: [DecodedScalar], _ info: [RefInfo], _ i: Int) -> Bool {
    var j = i - 1
    while j >= 0, info[j].caseIgnorable { j -= 1 }
    guard j >= 0, info[j].cased else { return false }
    var k = i + 1
    while k < s.count, info[k].caseIgnorable { k += 1 }
    return k == s.count || !info[k].cased
}

/// The full lower-case mapping of `s[i]` as UTF-8, Final_Sigma included.
func lowered(_ s: [DecodedScalar], _ info: [RefInfo], _ i: Int) -> [UInt8] {
    if s[i].value == 0x3A3 { return isFinalSigma(s, info, i) ? [0xCF, 0x82] : [0xCF, 0x83] }
    return info[i].lower
}

/// The index of the first token where `a` and `b` differ.
func firstDifference(_ a: FlatTokens, _ b: FlatTokens) -> Int {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
}

/// Whether `bytes` is well-formed UTF-8.
func isValidUTF8(_ bytes: some Sequence<UInt8>) -> Bool {
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid: continue
        case .error: return false
        case .emptyInput: return true
        }
    }
}

/// The chunkings a document is fed in: whole, cut in three at points the
/// fuzzer picks, and (for short inputs) one byte at a time.
func chunkings(_ count: Int, _ a: UInt8, _ b: UInt8) -> [[Range<Int>]] {
    var out = [[0..<count], splitPoints(count, a, b)]
    if count <= 64 { out.append((0..<count).map { $0..<$0 + 1 }) }
    return out
}

/// The `word` tokenizer (`WordScanner`, and `ngram:N` through `TokenStream`).
///
/// Control bytes: the mode (word with the 1 MiB cap, word with a 16-byte cap,
/// or `ngram:1…4`) and two split points; the rest is the document. Checks:
/// every chunking gives the same tokens, ranges and counts, including on a
/// scanner reused after another document; they equal a one-pass reference
/// written from the definition (docs/DESIGN.md §4); every token is non-empty,
/// valid UTF-8 and within the cap, ranges are increasing, disjoint and inside
/// the document, and the tokens' bytes are at most 1.5× the document's.
enum WordChecks {
    static func check(_ data: [UInt8]) throws {
        var input = FuzzInput(data)
        let mode = input.byte()
        let a = input.byte()
        let b = input.byte()
        let doc = Array(input.rest)
        switch mode % 4 {
        case 0, 1: try word(doc, maxTokenBytes: 1 << 20, a, b)
        case 2: try word(doc, maxTokenBytes: 32, a, b)
        default: try ngram(doc, n: 1 + Int(mode / 4) % 4, a, b)
        }
    }

    static func run(_ scanner: inout WordScanner, _ doc: [UInt8], _ chunks: [Range<Int>]) -> TokenRun {
        var sink = ByteCollector()
        let invalid = scanner.invalidSequences
        let truncated = scanner.truncatedTokens
        doc.withUnsafeBufferPointer { d in
            for r in chunks { scanner.feed(UnsafeBufferPointer(rebasing: d[r]), into: &sink) }
        }
        scanner.finish(into: &sink)
        return TokenRun(
            tokens: sink.tokens, ranges: sink.ranges, invalid: scanner.invalidSequences - invalid,
            truncated: scanner.truncatedTokens - truncated)
    }

    static func word(_ doc: [UInt8], maxTokenBytes: Int, _ a: UInt8, _ b: UInt8) throws {
        let expected = reference(doc, maxTokenBytes: maxTokenBytes)
        // One scanner for every chunking in turn: the first run checks a
        // fresh scanner, the others one reused after `finish`.
        var scanner = WordScanner(maxTokenBytes: maxTokenBytes)
        defer { scanner.release() }
        for chunks in chunkings(doc.count, a, b) {
            try compare(run(&scanner, doc, chunks), expected, doc, "chunks \(chunks.prefix(3))…")
        }
        var total = 0
        var previousEnd = 0
        for (t, r) in zip(expected.tokens, expected.ranges) {
            try require(!t.isEmpty && t.count <= maxTokenBytes, "token of \(t.count) bytes (cap \(maxTokenBytes)) in \(show(doc))")
            try require(isValidUTF8(t), "token \(show(t)) is not valid UTF-8, in \(show(doc))")
            try require(
                r.lowerBound >= previousEnd && r.lowerBound < r.upperBound && r.upperBound <= doc.count,
                "range \(r) after \(previousEnd) in \(doc.count) bytes, in \(show(doc))")
            previousEnd = r.upperBound
            total += t.count
        }
        try require(2 * total <= 3 * doc.count, "\(total) token bytes from \(doc.count) bytes: \(show(doc))")
    }

    static func compare(_ got: TokenRun, _ expected: TokenRun, _ doc: [UInt8], _ how: String) throws {
        guard got != expected else { return }
        if got.tokens != expected.tokens {
            let i = firstDifference(got.tokens, expected.tokens)
            let g = i < got.tokens.count ? show(got.tokens[i]) : "none"
            let e = i < expected.tokens.count ? show(expected.tokens[i]) : "none"
            throw FuzzFailure("\(how): token \(i) is \(g), the reference says \(e); document \(show(doc))")
        }
        throw FuzzFailure(
            "\(how): ranges or counts differ: \(got.ranges.prefix(8)) invalid \(got.invalid) truncated \(got.truncated); "
                + "reference \(expected.ranges.prefix(8)) invalid \(expected.invalid) truncated \(expected.truncated); document \(show(doc))"
        )
    }

    /// The definition in one pass over the decoded document: maximal runs of
    /// letters, marks, numbers and `_`, lower-cased with Final_Sigma; a CJK
    /// ideograph, Hiragana or Katakana is a token of its own; a scalar whose
    /// lower-case form does not fit under the cap is dropped (and the token
    /// counted as truncated).
    static func reference(_ doc: [UInt8], maxTokenBytes: Int) -> TokenRun {
        let s = decodeScalars(doc)
        let info = s.map { RefInfo.of($0.value) }
        var run = TokenRun()
        var current: [UInt8] = []
        var range = 0..<0
        var cut = false
        // FNV-1a over the lower-cased bytes that did not fit.
        let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
        let fnvPrime: UInt64 = 0x100_0000_01B3
        var dropped = fnvOffset
        func flush() {
            guard !current.isEmpty else { return }
            if cut {
                // The documented form of a long token: its bytes up to a UTF-8
                // boundary at most 17 bytes before the end, '~', and 16 hex
                // digits of the hash of the rest (the overwritten tail, then
                // the dropped bytes).
                var at = max(0, current.count - 17)
                while at > 0 && current[at] & 0xC0 == 0x80 { at -= 1 }
                var h = fnvOffset
                for b in current[at...] { h = (h ^ UInt64(b)) &* fnvPrime }
                h = Hash64.combine(h, dropped)
                let hex = String(h, radix: 16)
                current = Array(current[..<at]) + Array(("~" + String(repeating: "0", count: 16 - hex.count) + hex).utf8)
            }
            run.tokens.append(current)
            run.ranges.append(range)
            if cut { run.truncated += 1 }
            current.removeAll(keepingCapacity: true)
            cut = false
            dropped = fnvOffset
        }
        for (i, scalar) in s.enumerated() {
            if scalar.invalid { run.invalid += 1 }
            let kind = info[i].kind
            if kind == 0 {
                flush()
                continue
            }
            if kind == 2 { flush() }
            let lower = lowered(s, info, i)
            if current.isEmpty { range = scalar.range }
            if current.count + lower.count <= maxTokenBytes {
                current += lower
            } else {
                cut = true
                // Dropped bytes are hashed lower-cased without the Final_Sigma
                // context (a dropped Σ counts as σ): the scanner cannot look
                // past a byte it does not keep.
                let hashed: [UInt8] = scalar.value == 0x3A3 ? [0xCF, 0x83] : lower
                for b in hashed { dropped = (dropped ^ UInt64(b)) &* fnvPrime }
            }
            range = range.lowerBound..<scalar.range.upperBound
            if kind == 2 { flush() }
        }
        flush()
        return run
    }

    /// `ngram:N`: every chunking gives the same tokens, which are the windows
    /// of N reference words joined by one space.
    static func ngram(_ doc: [UInt8], n: Int, _ a: UInt8, _ b: UInt8) throws {
        let words = reference(doc, maxTokenBytes: 1 << 20).tokens
        var expected = FlatTokens()
        if words.count >= n {
            for i in 0...(words.count - n) { expected.append(words[i..<i + n].joined(separator: [0x20])) }
        }
        var stream = TokenStream(.ngram(n))
        defer { stream.release() }
        for chunks in chunkings(doc.count, a, b) {
            let tokens = run(&stream, doc, chunks)
            try require(
                tokens == expected,
                "ngram:\(n), chunks \(chunks.prefix(3))…: \(tokens.count) tokens, first "
                    + "\(tokens.first.map(show) ?? "none"); reference \(expected.count), first \(expected.first.map(show) ?? "none"); "
                    + "document \(show(doc))")
        }
    }

    static func run(_ stream: inout TokenStream, _ doc: [UInt8], _ chunks: [Range<Int>]) -> FlatTokens {
        var sink = ByteCollector()
        doc.withUnsafeBufferPointer { d in
            for r in chunks { stream.feed(UnsafeBufferPointer(rebasing: d[r]), into: &sink) }
        }
        stream.finish(into: &sink)
        return sink.tokens
    }
}

/// The `char:N` tokenizer (`CharScanner`).
///
/// Control bytes: N (1…8) and two split points; the rest is the document.
/// Checks: every chunking gives the same tokens and invalid-sequence count,
/// on a fresh scanner and on one reused after `finish`; they equal a one-pass reference
/// (lower-case with Final_Sigma, runs of two or more whitespace characters
/// made one space, every window of N characters); every token is exactly N
/// characters of valid UTF-8.
enum CharChecks {
    static func check(_ data: [UInt8]) throws {
        var input = FuzzInput(data)
        let n = 1 + Int(input.byte() % 8)
        let a = input.byte()
        let b = input.byte()
        let doc = Array(input.rest)
        let expected = reference(doc, n: n)
        for t in expected.tokens {
            try require(isValidUTF8(t), "token \(show(t)) is not valid UTF-8, in \(show(doc))")
            try require(String(decoding: t, as: UTF8.self).unicodeScalars.count == n, "token \(show(t)) is not \(n) characters")
        }
        var scanner = CharScanner(n: n)
        for chunks in chunkings(doc.count, a, b) {
            let got = run(&scanner, doc, chunks)
            guard got != expected else { continue }
            let i = firstDifference(got.tokens, expected.tokens)
            throw FuzzFailure(
                "char:\(n), chunks \(chunks.prefix(3))…: \(got.tokens.count) tokens, invalid \(got.invalid); "
                    + "reference \(expected.tokens.count), invalid \(expected.invalid); first difference at token \(i): "
                    + "\(i < got.tokens.count ? show(got.tokens[i]) : "none") vs "
                    + "\(i < expected.tokens.count ? show(expected.tokens[i]) : "none"); document \(show(doc))")
        }
    }

    static func run(_ scanner: inout CharScanner, _ doc: [UInt8], _ chunks: [Range<Int>]) -> TokenRun {
        var sink = ByteCollector()
        let invalid = scanner.invalidSequences
        doc.withUnsafeBufferPointer { d in
            for r in chunks { scanner.feed(UnsafeBufferPointer(rebasing: d[r]), into: &sink) }
        }
        scanner.finish(into: &sink)
        return TokenRun(tokens: sink.tokens, ranges: sink.ranges, invalid: scanner.invalidSequences - invalid)
    }

    static func reference(_ doc: [UInt8], n: Int) -> TokenRun {
        let s = decodeScalars(doc)
        let info = s.map { RefInfo.of($0.value) }
        var chars: [Unicode.Scalar] = []
        for i in s.indices { chars += String(decoding: lowered(s, info, i), as: UTF8.self).unicodeScalars }
        var text: [Unicode.Scalar] = []
        var i = 0
        while i < chars.count {
            var j = i
            while j < chars.count, RefInfo.of(chars[j].value).whitespace { j += 1 }
            if j - i >= 2 {
                text.append(" ")
                i = j
            } else {
                text.append(chars[i])
                i += 1
            }
        }
        var run = TokenRun(invalid: s.filter(\.invalid).count)
        var utf8: [UInt8] = []
        var starts: [Int] = []
        for u in text {
            starts.append(utf8.count)
            utf8 += UTF8.encode(u)!
        }
        starts.append(utf8.count)
        if text.count >= n {
            for k in 0...(text.count - n) {
                run.tokens.append(utf8[starts[k]..<starts[k + n]])
                run.ranges.append(0..<0)
            }
        }
        return run
    }
}
