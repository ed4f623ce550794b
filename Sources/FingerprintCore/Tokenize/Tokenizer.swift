import Foundation

/// Which tokenizer to use: `word`, `char:N`, `ngram:N`, or an LLM tokenizer
/// (`cl100k:FILE` and the other tiktoken presets) whose ids are the tokens
/// (see docs/DESIGN.md, Tokenisation).
public enum TokenizerSpec: Equatable, Hashable, Sendable, CustomStringConvertible, Codable {
    /// Words: maximal runs of letters, marks, numbers and `_`, lower-cased.
    case word
    /// Character N-grams of the lower-cased text (scikit-learn's `char`).
    case char(Int)
    /// Word N-grams joined by one space (scikit-learn's `ngram_range=(N, N)`).
    case ngram(Int)
    /// A tiktoken encoding (`r50k`, `p50k`, `cl100k`, `o200k` with a ranks
    /// file); each token is its id, as decimal text.
    case tiktoken(TiktokenEncoding)
    /// A Hugging Face tokenizer.json (`hf:PATH`; WordPiece); each token is its id, as decimal text.
    case huggingFace(HFTokenizer)

    /// The accepted forms, for messages and help.
    public static let forms = "word, char:N, ngram:N, r50k|p50k|cl100k|o200k[:RANKS-FILE], or hf:TOKENIZER-JSON"

    /// Checks the form of a `--tokenizer` value without reading any file.
    /// - Throws: `FingerprintError.invalidParameter` with the accepted forms.
    public static func checkSyntax(_ text: String) throws {
        let name = String(text.prefix { $0 != ":" })
        if TiktokenPreset(rawValue: name) != nil { return }
        if name == "hf" {
            guard text.count > 3 else {
                throw FingerprintError.invalidParameter(name: "tokenizer", value: text, reason: "needs a file, as in 'hf:tokenizer.json'")
            }
            return
        }
        _ = try TokenizerSpec(parsing: text)
    }

    /// Parses `word`, `char:N` or `ngram:N` (1 ≤ N ≤ 64), or a tiktoken
    /// preset with an optional ranks file (`cl100k:PATH`; without one, the
    /// file is looked for in `TIKTOKEN_CACHE_DIR`). A ranks file is read
    /// once per process and path.
    /// - Throws: `FingerprintError.invalidParameter` with the accepted forms;
    ///   `inputNotFound` / `badData` for a missing or malformed ranks file.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if let preset = TiktokenPreset(rawValue: parts[0]) {
            let path = parts.count == 2 && !parts[1].isEmpty ? parts[1] : try preset.locate()
            self = .tiktoken(try TiktokenCache.shared.load(preset, path))
            return
        }
        if parts[0] == "hf" {
            guard parts.count == 2, !parts[1].isEmpty else {
                throw FingerprintError.invalidParameter(name: "tokenizer", value: text, reason: "needs a file, as in 'hf:tokenizer.json'")
            }
            self = .huggingFace(try TiktokenCache.shared.loadHF(parts[1]))
            return
        }
        func number() throws -> Int {
            guard parts.count == 2, let n = Int(parts[1]), (1...64).contains(n) else {
                throw FingerprintError.invalidParameter(
                    name: "tokenizer", value: text, reason: "needs a size from 1 to 64, as in '\(parts[0]):3'")
            }
            return n
        }
        switch parts[0] {
        case "word" where parts.count == 1: self = .word
        case "char": self = .char(try number())
        case "ngram": self = .ngram(try number())
        default:
            throw FingerprintError.invalidParameter(name: "tokenizer", value: text, reason: "unknown; use \(TokenizerSpec.forms)")
        }
    }

    public var description: String {
        switch self {
        case .word: return "word"
        case .char(let n): return "char:\(n)"
        case .ngram(let n): return "ngram:\(n)"
        case .tiktoken(let e): return e.description
        case .huggingFace(let t): return t.description
        }
    }

    /// The description without a model tokenizer's file hash (`cl100k`), for
    /// labels repeated on every row; reports name the hash once elsewhere.
    public var shortName: String {
        if case .tiktoken(let e) = self { return e.preset.rawValue }
        if case .huggingFace = self { return "hf" }
        return description
    }

    /// A model token's text, for reports (the token is its id, decimal):
    /// a ranks file's bytes, invalid UTF-8 shown as \xNN as file names are;
    /// a tokenizer.json's vocabulary entry. Nil for other tokenizers and
    /// ids the model does not have.
    public func text(ofToken token: String) -> String? {
        guard let id = UInt32(token) else { return nil }
        switch self {
        case .tiktoken(let e): return e.bytes(of: id).map(FileName.display)
        case .huggingFace(let t): return t.token(of: id)
        default: return nil
        }
    }

    /// Whether tokens are model token ids (decimal text) rather than text.
    public var isModel: Bool {
        switch self {
        case .tiktoken, .huggingFace: return true
        default: return false
        }
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: s)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// The tokens of `text`, as strings (for tests and small inputs).
    public func tokens(of text: String) -> [String] {
        tokens(ofBytes: Array(text.utf8))
    }

    /// The tokens of raw bytes (invalid UTF-8 is replaced).
    public func tokens(ofBytes bytes: [UInt8]) -> [String] {
        var stream = TokenStream(self)
        defer { stream.release() }
        var out = StringCollector()
        bytes.withUnsafeBufferPointer { stream.feed($0, into: &out) }
        stream.finish(into: &out)
        return out.tokens
    }
}

/// One document's worth of tokenizer state for any `TokenizerSpec`; feed it
/// chunks, then `finish`. Reusable across documents after `finish`.
package struct TokenStream {
    public let spec: TokenizerSpec
    private var word: WordScanner?
    private var char: CharScanner?
    private var ring: NGramRing?
    private var bpe: TiktokenStream?
    private var hf: HFStream?

    public init(_ spec: TokenizerSpec) {
        self.spec = spec
        switch spec {
        case .word: word = WordScanner()
        case .char(let n): char = CharScanner(n: n)
        case .ngram(let n):
            word = WordScanner()
            ring = NGramRing(n: n)
        case .tiktoken(let e): bpe = TiktokenStream(e)
        case .huggingFace(let t): hf = HFStream(t)
        }
    }

    /// Invalid UTF-8 sequences replaced so far (all documents).
    public var invalidSequences: Int {
        word?.invalidSequences ?? char?.invalidSequences ?? bpe?.invalidSequences ?? hf?.invalidSequences ?? 0
    }

    /// Word tokens longer than the cap so far (all documents).
    public var truncatedTokens: Int { word?.truncatedTokens ?? 0 }

    public func release() { word?.release() }

    @inline(__always)
    public mutating func feed<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) {
        if let ring {
            withUnsafeMutablePointer(to: &sink) { sp in
                var j = NGramJoin(ring: ring, sink: sp)
                word!.feed(chunk, into: &j)
            }
        } else if word != nil {
            word!.feed(chunk, into: &sink)
        } else if char != nil {
            char!.feed(chunk, into: &sink)
        } else if bpe != nil {
            bpe!.feed(chunk, into: &sink)
        } else {
            hf!.feed(chunk, into: &sink)
        }
    }

    public mutating func finish<S: TokenSink>(into sink: inout S) {
        if let ring {
            withUnsafeMutablePointer(to: &sink) { sp in
                var j = NGramJoin(ring: ring, sink: sp)
                word!.finish(into: &j)
            }
            ring.reset()
        } else if word != nil {
            word!.finish(into: &sink)
        } else if char != nil {
            char!.finish(into: &sink)
        } else if bpe != nil {
            bpe!.finish(into: &sink)
        } else {
            hf!.finish(into: &sink)
        }
    }
}

final class NGramRing {
    let n: Int
    var slots: [[UInt8]]
    var seen = 0
    var scratch: [UInt8] = []
    init(n: Int) {
        self.n = n
        slots = Array(repeating: [], count: n)
    }
    func reset() { seen = 0 }
}

struct NGramJoin<S: TokenSink>: TokenSink {
    let ring: NGramRing
    let sink: UnsafeMutablePointer<S>
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {
        let n = ring.n
        let slot = ring.seen % n
        ring.slots[slot].removeAll(keepingCapacity: true)
        ring.slots[slot].append(contentsOf: token)
        ring.seen += 1
        guard ring.seen >= n else { return }
        ring.scratch.removeAll(keepingCapacity: true)
        for k in 0..<n {
            if k > 0 { ring.scratch.append(0x20) }
            ring.scratch.append(contentsOf: ring.slots[(ring.seen - n + k) % n])
        }
        ring.scratch.withUnsafeBufferPointer { sink.pointee.accept($0) }
    }
}

/// Ranks files read so far in this process, by preset and path.
final class TiktokenCache: @unchecked Sendable {
    static let shared = TiktokenCache()
    private let lock = NSLock()
    private var loaded: [String: TiktokenEncoding] = [:]
    private var loadedHF: [String: HFTokenizer] = [:]

    func loadHF(_ path: String) throws -> HFTokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let t = loadedHF[path] { return t }
        let t = try HFTokenizer(path: path)
        loadedHF[path] = t
        return t
    }

    func load(_ preset: TiktokenPreset, _ path: String) throws -> TiktokenEncoding {
        let key = preset.rawValue + ":" + path
        lock.lock()
        defer { lock.unlock() }
        if let e = loaded[key] { return e }
        let e = try TiktokenEncoding(preset: preset, path: path)
        loaded[key] = e
        return e
    }
}
