import Foundation

/// A Hugging Face `tokenizer.json`, read for the components it is made of.
/// Supported: the WordPiece model (BERT) with the `BertNormalizer` (or no
/// normalizer) and the `BertPreTokenizer`, and added tokens that are matched
/// in the raw text (`normalized: false`, no `lstrip`/`rstrip`/`single_word`).
/// Anything else — a byte-level BPE model, another normalizer or
/// pre-tokenizer — is refused with a one-line error naming the component,
/// never tokenised differently. The ids are those of `Tokenizer.encode(text,
/// add_special_tokens=False)`: the post-processor's `[CLS]`/`[SEP]`,
/// truncation and padding are not applied (they are not text).
public final class HFTokenizer: @unchecked Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let sha256: String
    /// Vocabulary token (UTF-8 bytes: compared byte for byte, as the Rust
    /// library does, never by Swift's canonical equivalence) → id, and id → token.
    let vocab: [[UInt8]: UInt32]
    /// The same vocabulary in an open-addressing table (fast look-ups of byte ranges).
    let table: BPEVocabulary?
    let tokens: [UInt32: String]
    let unknown: UInt32
    let prefix: String
    let maxChars: Int
    let cleanText: Bool
    let chineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool
    /// Added tokens matched in the raw text, longest first.
    let added: [(String, UInt32)]
    /// The same as UTF-8 bytes, and which bytes start one (the BPE path).
    let addedBytes: [([UInt8], UInt32)]
    let addedFirst: [Bool]
    /// Whether a document may be cut at an ASCII space (no added token holds one).
    let cutAtSpace: Bool
    /// The byte-level BPE model, when the file has one (else WordPiece).
    package let bpe: HFByteLevelBPE?
    /// Decimal text of each id (the counting pipeline's token strings).
    let decimal: DecimalIDs

    public static func == (a: HFTokenizer, b: HFTokenizer) -> Bool { a.sha256 == b.sha256 }
    public func hash(into h: inout Hasher) { h.combine(sha256) }
    /// `hf (sha256 …)`.
    public var description: String { "hf (sha256 \(sha256))" }

    public convenience init(path: String) throws {
        guard let data = try FileName.contents(ofRegularFile: path) else {
            throw FingerprintError.inputNotFound(path: path, reason: "cannot read the tokenizer.json file")
        }
        try self.init(contents: [UInt8](data), path: path)
    }

    /// Parses a tokenizer.json. - Throws: `badData` naming the first
    /// unsupported or malformed component.
    public init(contents: [UInt8], path: String) throws {
        self.path = path
        sha256 = SHA256.hex(contents)
        // Names in the file (types, tokens) can hold control characters: the error stays one line.
        func bad(_ reason: String) -> FingerprintError { .badData(path: path, reason: reason.terminalSafe) }
        // A byte-level BPE file's vocab and merges are read by `BPEJSONScan`
        // and the rest by JSONSerialization; any other file whole by JSONSerialization.
        func parse(_ bytes: [UInt8]) -> [String: Any]? { try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] }
        var large = BPEJSONScan.scan(contents)
        var root = parse(large?.rest ?? contents)
        if large != nil && ((root?["model"] as? [String: Any])?["type"] as? String) != "BPE" {
            large = nil
            root = parse(contents)
        }
        guard let root else { throw bad("not a JSON object: not a tokenizer.json file") }
        guard let model = root["model"] as? [String: Any] else { throw bad("no \"model\": not a tokenizer.json file") }
        let type = model["type"] as? String ?? "?"
        guard type == "WordPiece" || type == "BPE" else {
            throw bad("model \(type) is not supported (only WordPiece and byte-level BPE); nothing was tokenised")
        }
        if type == "BPE" {
            var vocabModel = model
            do {
                bpe = try HFByteLevelBPE(root: root, model: model, large: large, bad: bad)
            } catch  where large != nil {
                // The scan keeps a vocab key given twice (the vocabulary then
                // refuses it): the whole file through JSONSerialization decides.
                large = nil
                guard let full = parse(contents), let m = full["model"] as? [String: Any] else {
                    throw bad("not a JSON object: not a tokenizer.json file")
                }
                bpe = try HFByteLevelBPE(root: full, model: m, large: nil, bad: bad)
                vocabModel = m
            }
            vocab = [:]
            table = nil
            unknown = 0
            prefix = ""
            maxChars = 0
            cleanText = false
            chineseChars = false
            stripAccents = false
            lowercase = false
            var tokens: [UInt32: String] = [:]
            if let large {
                tokens.reserveCapacity(large.vocab.count)
                for (t, id) in large.vocab { tokens[id] = String(decoding: t, as: UTF8.self) }
            } else {
                for (t, idv) in vocabModel["vocab"] as? [String: Any] ?? [:] {
                    if let n = idv as? NSNumber, let id = UInt32(exactly: n.doubleValue) { tokens[id] = t }
                }
            }
            let at = try Self.addedTokens(root, &tokens, bad)
            added = at.0
            cutAtSpace = at.1
            (addedBytes, addedFirst) = Self.bytes(of: at.0)
            self.tokens = tokens
            decimal = DecimalIDs(count: Int(tokens.keys.max() ?? 0) + 1)
            return
        }
        bpe = nil
        guard let v = model["vocab"] as? [String: Any], !v.isEmpty else { throw bad("WordPiece model without a vocab") }
        var vocab: [[UInt8]: UInt32] = [:]
        var tokens: [UInt32: String] = [:]
        for (t, idv) in v {
            guard let n = idv as? NSNumber, let id = UInt32(exactly: n.doubleValue) else { throw bad("vocab entry \(t) has no id") }
            vocab[Array(t.utf8)] = id
            tokens[id] = t
        }
        guard let unk = model["unk_token"] as? String, let unkID = vocab[Array(unk.utf8)] else {
            throw bad("WordPiece unk_token missing or not in the vocab")
        }
        self.unknown = unkID
        prefix = model["continuing_subword_prefix"] as? String ?? "##"
        maxChars = (model["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100
        // Normalizer.
        var clean = false
        var chinese = false
        var strip = false
        var lower = false
        if let n = root["normalizer"], !(n is NSNull) {
            guard let nd = n as? [String: Any], let nt = nd["type"] as? String else { throw bad("malformed normalizer") }
            guard nt == "BertNormalizer" else {
                throw bad("normalizer \(nt) is not supported (only BertNormalizer); nothing was tokenised")
            }
            clean = (nd["clean_text"] as? Bool) ?? true
            chinese = (nd["handle_chinese_chars"] as? Bool) ?? true
            lower = (nd["lowercase"] as? Bool) ?? true
            strip = (nd["strip_accents"] as? Bool) ?? lower
        }
        cleanText = clean
        chineseChars = chinese
        stripAccents = strip
        lowercase = lower
        // Pre-tokenizer.
        guard let p = root["pre_tokenizer"] as? [String: Any], let pt = p["type"] as? String else {
            throw bad("no pre_tokenizer (only BertPreTokenizer is supported); nothing was tokenised")
        }
        guard pt == "BertPreTokenizer" else {
            throw bad("pre_tokenizer \(pt) is not supported (only BertPreTokenizer); nothing was tokenised")
        }
        let at = try Self.addedTokens(root, &tokens, bad)
        added = at.0
        cutAtSpace = at.1
        (addedBytes, addedFirst) = Self.bytes(of: at.0)
        self.vocab = vocab
        self.tokens = tokens
        decimal = DecimalIDs(count: Int(tokens.keys.max() ?? 0) + 1)
        do {
            table = try BPEVocabulary(tokens: Array(vocab.keys), ranks: Array(vocab.values), requireAllBytes: false)
        } catch {
            throw bad("vocab: \(error)")
        }
    }

    /// Added tokens (matched in the raw text, longest first), and whether a
    /// document may be cut at an ASCII space (no added token holds white space).
    static func addedTokens(_ root: [String: Any], _ tokens: inout [UInt32: String], _ bad: (String) -> FingerprintError) throws -> (
        [(String, UInt32)], Bool
    ) {
        var added: [(String, UInt32)] = []
        for a in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let content = a["content"] as? String, let n = a["id"] as? NSNumber, let id = UInt32(exactly: n.doubleValue) else {
                throw bad("malformed added token")
            }
            for flag in ["lstrip", "rstrip", "single_word", "normalized"] where (a[flag] as? Bool) == true {
                throw bad("added token \(content) with \(flag) is not supported; nothing was tokenised")
            }
            if !content.isEmpty { added.append((content, id)) }
            tokens[id] = tokens[id] ?? content
        }
        added.sort { $0.0.utf8.count > $1.0.utf8.count }
        return (added, !added.contains { $0.0.unicodeScalars.contains { $0.properties.isWhitespace } })
    }

    static func bytes(of added: [(String, UInt32)]) -> ([([UInt8], UInt32)], [Bool]) {
        var first = [Bool](repeating: false, count: 256)
        for (t, _) in added { first[Int(t.utf8.first!)] = true }
        return (added.map { (Array($0.0.utf8), $0.1) }, first)
    }

    /// The token text of an id, or nil.
    public func token(of id: UInt32) -> String? { tokens[id] }

    /// The ids of `bytes` (invalid UTF-8 replaced as Python's decoder does);
    /// with a byte-level BPE model, through `cache` when given.
    public func encode(_ bytes: [UInt8]) -> [UInt32] { encode(bytes, cache: nil) }

    func encode(_ bytes: [UInt8], cache: PieceCache?) -> [UInt32] {
        if bpe != nil {
            var out: [UInt32] = []
            bytes.withUnsafeBufferPointer { b in
                if let (fixed, _) = repairUTF8(b) {
                    fixed.withUnsafeBufferPointer { encodeBPE($0, into: &out, cache: cache) }
                } else {
                    encodeBPE(b, into: &out, cache: cache)
                }
            }
            return out
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var out: [UInt32] = []
        // Split on added tokens: leftmost, then longest.
        let scalars = Array(text.unicodeScalars)
        let addedScalars = added.map { (Array($0.0.unicodeScalars), $0.1) }
        var segment: [Unicode.Scalar] = []
        var i = 0
        while i < scalars.count {
            var matched: ([Unicode.Scalar], UInt32)?
            if !addedScalars.isEmpty {
                for a in addedScalars where a.0.first == scalars[i] && i + a.0.count <= scalars.count {
                    if Array(scalars[i..<i + a.0.count]) == a.0 {
                        matched = a
                        break
                    }
                }
            }
            if let (s, id) = matched {
                encodeSegment(segment, into: &out)
                segment.removeAll(keepingCapacity: true)
                out.append(id)
                i += s.count
            } else {
                segment.append(scalars[i])
                i += 1
            }
        }
        encodeSegment(segment, into: &out)
        return out
    }

    static func isChinese(_ v: UInt32) -> Bool {
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B920...0x2CEAF,
            0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// What `clean_text` removes besides NUL and U+FFFD: the `is_other` of
    /// the `unicode_categories` crate `tokenizers` uses, which in practice is
    /// Cc, Cf and Co — unassigned code points (Cn) are kept (checked against
    /// `tokenizers` 0.23: U+0378, U+FDD0 and U+10FFFF stay, U+E000 and
    /// U+E0001 go). That crate's tables are older than Swift's: a scalar
    /// made Cf by a recent Unicode version may be kept there and removed here.
    static func isOther(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation, .initialPunctuation,
            .otherPunctuation, .openPunctuation:
            return true
        default: return false
        }
    }

    /// The byte-level BPE model on valid UTF-8: the added tokens are split
    /// out where they occur (leftmost, then longest, as in `encode`), the
    /// text between them goes to the model.
    func encodeBPE(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt32], cache: PieceCache?) {
        let bpe = bpe!
        guard !addedBytes.isEmpty, let p = b.baseAddress else {
            bpe.encode(b, into: &out, cache: cache)
            return
        }
        let n = b.count
        var start = 0
        var i = 0
        while i < n {
            guard addedFirst[Int(p[i])] else {
                i += 1
                continue
            }
            var matched = false
            for (t, id) in addedBytes where t.count <= n - i && t[0] == p[i] {
                if t.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p + i, t.count) }) == 0 {
                    bpe.encode(UnsafeBufferPointer(rebasing: b[start..<i]), into: &out, cache: cache)
                    out.append(id)
                    i += t.count
                    start = i
                    matched = true
                    break
                }
            }
            if !matched { i += 1 }
        }
        bpe.encode(UnsafeBufferPointer(rebasing: b[start..<n]), into: &out, cache: cache)
    }

    /// BertNormalizer, BertPreTokenizer and WordPiece on text between added tokens.
    func encodeSegment(_ segment: [Unicode.Scalar], into out: inout [UInt32]) {
        guard !segment.isEmpty else { return }
        // WordPiece: an ASCII space ends every word in every supported
        // normalizer and pre-tokenizer, so the text is taken run by run
        // between spaces, all-ASCII runs by a byte-level fast path.
        var start = 0
        var ascii = true
        for i in 0...segment.count {
            if i == segment.count || segment[i] == " " {
                if i > start {
                    if ascii { encodeASCII(segment[start..<i], into: &out) } else { encodeGeneral(Array(segment[start..<i]), into: &out) }
                }
                start = i + 1
                ascii = true
            } else if !segment[i].isASCII {
                ascii = false
            }
        }
    }

    /// The ASCII fast path: BertNormalizer's clean_text (controls other than
    /// TAB, LF, CR removed; those become spaces) and lower-casing, then the
    /// BertPreTokenizer's splits, on bytes.
    func encodeASCII(_ run: ArraySlice<Unicode.Scalar>, into out: inout [UInt32]) {
        var word: [UInt8] = []
        for s in run {
            var b = UInt8(s.value)
            if cleanText && (b < 0x20 || b == 0x7F) {
                if b == 9 || b == 10 || b == 13 {
                    b = 0x20
                } else {
                    continue
                }
            }
            if b == 0x20 || b == 9 || b == 10 || b == 13 || b == 0x0B || b == 0x0C {
                wordPieceBytes(word, into: &out)
                word.removeAll(keepingCapacity: true)
            } else if Self.isPunctuation(Unicode.Scalar(b)) {
                wordPieceBytes(word, into: &out)
                word.removeAll(keepingCapacity: true)
                wordPieceBytes([b], into: &out)
            } else {
                word.append(lowercase && b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
            }
        }
        wordPieceBytes(word, into: &out)
    }

    /// Any text: the normalizer and pre-tokenizer scalar by scalar.
    func encodeGeneral(_ segment: [Unicode.Scalar], into out: inout [UInt32]) {
        var norm: [Unicode.Scalar] = []
        norm.reserveCapacity(segment.count)
        for s in segment {
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || (s.value != 9 && s.value != 10 && s.value != 13 && Self.isOther(s)) { continue }
                if s.value == 9 || s.value == 10 || s.value == 13 || s.properties.isWhitespace {
                    norm.append(" ")
                    continue
                }
            }
            if chineseChars && Self.isChinese(s.value) {
                norm += [" ", s, " "]
            } else {
                norm.append(s)
            }
        }
        if stripAccents {
            var u = String.UnicodeScalarView()
            u.append(contentsOf: norm)
            let nfd = String(u).decomposedStringWithCanonicalMapping
            norm = nfd.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            var l: [Unicode.Scalar] = []
            l.reserveCapacity(norm.count)
            for s in norm { l.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) }
            norm = l
        }
        // BertPreTokenizer: white space splits and goes; punctuation is a word of its own.
        var word: [Unicode.Scalar] = []
        for s in norm {
            if s.properties.isWhitespace || s.value == 9 || s.value == 10 || s.value == 13 {
                wordPiece(word, into: &out)
                word.removeAll(keepingCapacity: true)
            } else if Self.isPunctuation(s) {
                wordPiece(word, into: &out)
                word.removeAll(keepingCapacity: true)
                wordPiece([s], into: &out)
            } else {
                word.append(s)
            }
        }
        wordPiece(word, into: &out)
    }

    /// Greedy longest-match-first WordPiece of one word; a word longer than
    /// `maxChars` scalars, or with a part not in the vocabulary, is `unk`.
    func wordPiece(_ word: [Unicode.Scalar], into out: inout [UInt32]) {
        guard !word.isEmpty else { return }
        var bytes: [UInt8] = []
        for s in word { appendUTF8(s.value, to: &bytes) }
        wordPieceBytes(bytes, into: &out)
    }

    /// WordPiece on a word's UTF-8 bytes: shorter candidates end one scalar
    /// earlier each time; a continuation is looked up with the prefix.
    func wordPieceBytes(_ word: [UInt8], into out: inout [UInt32]) {
        guard !word.isEmpty, let table else { return }
        var scalars = 0
        for b in word where b & 0xC0 != 0x80 { scalars += 1 }
        if scalars > maxChars {
            out.append(unknown)
            return
        }
        let first = out.count
        let prefixBytes = Array(prefix.utf8)
        var sub: [UInt8] = prefixBytes
        var start = 0
        while start < word.count {
            var end = word.count
            var found = BPEVocabulary.none
            while start < end {
                if start == 0 {
                    found = word.withUnsafeBufferPointer { table.rank($0.baseAddress!, end) }
                } else {
                    sub.removeSubrange(prefixBytes.count...)
                    sub.append(contentsOf: word[start..<end])
                    found = sub.withUnsafeBufferPointer { table.rank($0.baseAddress!, $0.count) }
                }
                if found != BPEVocabulary.none { break }
                end -= 1
                while end > start && word[end] & 0xC0 == 0x80 { end -= 1 }
            }
            guard found != BPEVocabulary.none else {
                out.removeSubrange(first...)
                out.append(unknown)
                return
            }
            out.append(found)
            start = end
        }
    }
}

/// A streaming `HFTokenizer` for `TokenStream`: buffers a document and
/// encodes it in parts cut at an ASCII space (which no supported component
/// lets a token span) once past 1 MiB. Each id reaches the sink as its
/// decimal text. A byte-level BPE model encodes through a `PieceCache`.
struct HFStream {
    let tokenizer: HFTokenizer
    private var buffer: [UInt8] = []
    private var ids: [UInt32] = []
    private let cache: PieceCache?
    private(set) var invalidSequences = 0
    private var searched = 0
    static let flushAt = 1 << 20

    init(_ tokenizer: HFTokenizer) {
        self.tokenizer = tokenizer
        cache = tokenizer.bpe.map { PieceCache(wide: $0.vocabulary.count < 20_000) }
    }

    mutating func feed<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) {
        buffer.append(contentsOf: chunk)
        guard tokenizer.cutAtSpace, buffer.count >= Self.flushAt else { return }
        var cut = buffer.count - 1
        while cut > searched && buffer[cut] != 0x20 { cut -= 1 }
        searched = buffer.count
        guard cut > 0 && buffer[cut] == 0x20 else { return }
        emit(upTo: cut, into: &sink)
        buffer.removeSubrange(0..<cut)
        searched = buffer.count
    }

    mutating func finish<S: TokenSink>(into sink: inout S) {
        emit(upTo: buffer.count, into: &sink)
        buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * Self.flushAt)
        searched = 0
    }

    private mutating func emit<S: TokenSink>(upTo n: Int, into sink: inout S) {
        ids.removeAll(keepingCapacity: true)
        buffer.withUnsafeBufferPointer { all in
            let b = UnsafeBufferPointer(rebasing: all[0..<n])
            let repaired = repairUTF8(b)
            if let (_, replaced) = repaired { invalidSequences += replaced }
            if tokenizer.bpe != nil {
                if let (fixed, _) = repaired {
                    fixed.withUnsafeBufferPointer { tokenizer.encodeBPE($0, into: &ids, cache: cache) }
                } else {
                    tokenizer.encodeBPE(b, into: &ids, cache: cache)
                }
            } else {
                ids = tokenizer.encode(Array(b))
            }
        }
        for id in ids { tokenizer.decimal.emit(id, into: &sink) }
    }
}
