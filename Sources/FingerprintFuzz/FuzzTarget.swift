import Foundation

/// The fuzz targets: one check function each, run on arbitrary bytes by
/// libFuzzer (`fingerprint-fuzz` built with `-DFUZZING`), by the corpus
/// replay (`fingerprint-fuzz` in a normal build), and by the test suite
/// (`FuzzCorpusTests`), so that a committed corpus is re-checked on every
/// `swift test`. A check throws `FuzzFailure` when an invariant does not hold;
/// out-of-bounds reads and writes are left to the sanitizers.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `JSONLine.extract` on arbitrary lines, and the round trip of any text
    /// through a JSONL line written in any legal way.
    case jsonl
    /// The `word` tokenizer (and `ngram:N` on top of it): chunking does not
    /// change the tokens, and they match a plain one-pass reference.
    case word
    /// The `char:N` tokenizer: chunking does not change the tokens, and they
    /// match a plain one-pass reference.
    case char
    /// `SafeText.terminal`: no control character survives.
    case safetext
    /// `CSV.row`/`CSV.field`: the row parses back (RFC 4180) to the escaped,
    /// neutralised fields.
    case csv
    /// `SafetensorsHeader.parse` and the header JSON parser: refuse with
    /// `.badData` or accept a header whose tensors lie inside the data
    /// without overlap; an accepted header round-trips through the writer.
    case safetensors
    /// The tiktoken pre-tokenisers (r50k, cl100k, o200k) and byte-pair
    /// merging: pieces tile the text, a safe cut changes no piece, the heap
    /// merge equals tiktoken's scan, ids spell the text, chunking changes
    /// no id.
    case bpe
    /// The `.tiktoken` ranks reader: a clean one-line error or a usable
    /// vocabulary.
    case tiktoken
    /// The Hugging Face `tokenizer.json` reader: a clean one-line error
    /// naming the unsupported component, or a tokenizer whose ids are tokens.
    case hfjson
    /// The fingerprint-file reader: a clean one-line error, or a file whose
    /// documents, counts and vocabulary agree.
    case fpfile

    /// Runs this target's checks on one input.
    package func check(_ data: [UInt8]) throws {
        switch self {
        case .jsonl: try JSONLChecks.check(data)
        case .word: try WordChecks.check(data)
        case .char: try CharChecks.check(data)
        case .safetext: try TextChecks.safeText(data)
        case .csv: try TextChecks.csv(data)
        case .safetensors: try SafetensorsChecks.check(data)
        case .bpe: try BPEChecks.check(data)
        case .tiktoken: try BPEChecks.ranksFile(data)
        case .hfjson: try HFChecks.check(data)
        case .fpfile: try FingerprintFileChecks.check(data)
        }
    }
}

/// An invariant that did not hold, with what was expected and what came out.
package struct FuzzFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Throws `FuzzFailure(message())` unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw FuzzFailure(message()) }
}

/// A short, printable rendering of bytes for failure messages.
func show(_ bytes: some Collection<UInt8>) -> String {
    let head = bytes.prefix(200).map { b -> String in
        (0x20..<0x7F).contains(b) && b != 0x5C ? String(UnicodeScalar(b)) : String(format: "\\x%02X", b)
    }.joined()
    return "\"" + head + (bytes.count > 200 ? "…(\(bytes.count) bytes)" : "") + "\""
}

/// Reads control values off the front of a fuzz input; what is left is the
/// payload. Missing bytes read as 0, so every input is usable.
struct FuzzInput {
    let data: [UInt8]
    var at = 0
    init(_ data: [UInt8]) { self.data = data }

    mutating func byte() -> UInt8 {
        defer { at += 1 }
        return at < data.count ? data[at] : 0
    }

    var rest: ArraySlice<UInt8> { data[min(at, data.count)...] }
}

/// Cuts `count` bytes into three chunks at two points taken from `a` and `b`
/// (as fractions of 256), so that every split position is reachable.
func splitPoints(_ count: Int, _ a: UInt8, _ b: UInt8) -> [Range<Int>] {
    let p = count * Int(a) / 255
    let q = p + (count - p) * Int(b) / 255
    return [0..<p, p..<q, q..<count]
}
