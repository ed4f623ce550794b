import Foundation

/// The OpenAI encodings `--tokenizer` knows: each has its pre-tokenisation
/// pattern, special tokens, the SHA-256 of the official ranks file, and the
/// names that file has in a tiktoken cache directory.
public enum TiktokenPreset: String, Sendable, Hashable, CaseIterable {
    case r50k, p50k, cl100k, o200k

    public var pattern: PrePattern {
        switch self {
        case .r50k, .p50k: return .r50k
        case .cl100k: return .cl100k
        case .o200k: return .o200k
        }
    }

    /// tiktoken's encoding name.
    public var encodingName: String { rawValue + "_base" }

    /// The special tokens and their ids (`encode_ordinary` never produces
    /// them: their text is encoded as ordinary text).
    public var specialTokens: [(String, UInt32)] {
        switch self {
        case .r50k: return [("<|endoftext|>", 50256)]
        case .p50k: return [("<|endoftext|>", 50256)]
        case .cl100k:
            return [
                ("<|endoftext|>", 100257), ("<|fim_prefix|>", 100258), ("<|fim_middle|>", 100259),
                ("<|fim_suffix|>", 100260), ("<|endofprompt|>", 100276),
            ]
        case .o200k: return [("<|endoftext|>", 199999), ("<|endofprompt|>", 200018)]
        }
    }

    /// SHA-256 of the official ranks file (tiktoken's `expected_hash`).
    public var officialSHA256: String {
        switch self {
        case .r50k: return "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
        case .p50k: return "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"
        case .cl100k: return "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
        case .o200k: return "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
        }
    }

    /// File names tried in a cache directory: tiktoken's own cache key (the
    /// SHA-1 of the download URL) and the plain `<encoding>.tiktoken`.
    public var cacheFileNames: [String] {
        let key: String
        switch self {
        case .r50k: key = "0ea1e91bbb3a60f729a8dc8f777fd2fc07cd8df4"
        case .p50k: key = "ec7223a39ce59f226a68acc30dc1af2788490e15"
        case .cl100k: key = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
        case .o200k: key = "fb374d419588a4632f3f557e76b4b70aebbca790"
        }
        return [key, encodingName + ".tiktoken"]
    }

    /// The ranks file for `preset` with no path given: the first of
    /// `cacheFileNames` in `TIKTOKEN_CACHE_DIR`, then `DATA_GYM_CACHE_DIR`
    /// (tiktoken's order). - Throws: `inputNotFound` naming every path tried.
    public func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        var tried: [String] = []
        for variable in ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"] {
            guard let dir = environment[variable], !dir.isEmpty else { continue }
            for name in cacheFileNames {
                let path = (dir as NSString).appendingPathComponent(name)
                if FileManager.default.isReadableFile(atPath: path) { return path }
                tried.append(path)
            }
        }
        let looked =
            tried.isEmpty
            ? "TIKTOKEN_CACHE_DIR and DATA_GYM_CACHE_DIR are not set"
            : "looked in " + tried.joined(separator: ", ")
        throw FingerprintError.inputNotFound(
            path: rawValue,
            reason: "no \(encodingName) ranks file (\(looked)); name one as \(rawValue):PATH (as in --tokenizer \(rawValue):PATH)")
    }
}

/// A tiktoken encoding: a ranks file read with a preset's pattern.
/// Encoding follows `Encoding.encode_ordinary`: special-token text is
/// ordinary text; invalid UTF-8 is first replaced as Python's decoder does
/// (`repairUTF8`).
public final class TiktokenEncoding: @unchecked Sendable, Hashable, CustomStringConvertible {
    public let preset: TiktokenPreset
    public let path: String
    /// SHA-256 of the ranks file, hex.
    public let sha256: String
    package let vocabulary: BPEVocabulary
    /// Decimal text of each id (the counting pipeline's token strings).
    let decimal: DecimalIDs

    /// Reads a `.tiktoken` file: one `base64 rank` line per token (empty
    /// lines skipped). - Throws: `inputNotFound` if it cannot be read,
    /// `badData` naming the line on anything malformed.
    public convenience init(preset: TiktokenPreset, path: String) throws {
        guard let data = try FileName.contents(ofRegularFile: path) else {
            let why = access(path, F_OK) != 0 ? "no such file; check the path" : "cannot be read as a ranks file"
            throw FingerprintError.inputNotFound(path: path, reason: why)
        }
        try self.init(preset: preset, contents: [UInt8](data), path: path)
    }

    /// Parses the contents of a `.tiktoken` file (`path` names it in errors).
    /// - Throws: `badData` naming the line on anything malformed.
    public init(preset: TiktokenPreset, contents bytes: [UInt8], path: String) throws {
        self.preset = preset
        self.path = path
        sha256 = SHA256.hex(bytes)
        var tokens: [[UInt8]] = []
        var ranks: [UInt32] = []
        var lines: [Int] = []
        var line = 0
        var i = 0
        while i < bytes.count {
            line += 1
            var e = i
            while e < bytes.count && bytes[e] != 0x0A { e += 1 }
            var stop = e
            if stop > i && bytes[stop - 1] == 0x0D { stop -= 1 }
            defer { i = e + 1 }
            if stop == i { continue }
            // Token and rank are separated by spaces or tabs, as tiktoken's
            // own reader splits a line on any whitespace.
            func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
            guard let space = bytes[i..<stop].firstIndex(where: blank),
                let token = Base64.decode(bytes[i..<space]),
                let first = bytes[space..<stop].firstIndex(where: { !blank($0) }),
                let last = bytes[first..<stop].lastIndex(where: { !blank($0) }),
                let rank = UInt32(String(decoding: bytes[first...last], as: UTF8.self)), !token.isEmpty
            else {
                throw FingerprintError.badData(
                    path: path, reason: "line \(line) is not '<base64 token> <rank>': not a .tiktoken ranks file")
            }
            tokens.append(token)
            ranks.append(rank)
            lines.append(line)
        }
        guard !tokens.isEmpty else { throw FingerprintError.badData(path: path, reason: "no tokens: not a .tiktoken ranks file") }
        do {
            vocabulary = try BPEVocabulary(tokens: tokens, ranks: ranks)
        } catch {
            let at = Self.entry(showing: error, tokens: tokens, ranks: ranks)
            throw FingerprintError.badData(path: path, reason: (at.map { "line \(lines[$0]): " } ?? "") + "\(error)")
        }
        decimal = DecimalIDs(count: Int(ranks.max()!) + 1)
    }

    /// The entry a vocabulary problem shows on: a rank's first when it is
    /// too large, the second of a repeated rank or token; nil for a missing byte.
    static func entry(showing problem: BPEVocabulary.Problem, tokens: [[UInt8]], ranks: [UInt32]) -> Int? {
        switch problem {
        case .rankTooLarge(let r): return ranks.firstIndex(of: r)
        case .duplicateRank(let r): return ranks.indices.filter { ranks[$0] == r }.dropFirst().first
        case .duplicateToken(let t, _, let b): return ranks.indices.first { ranks[$0] == b && tokens[$0] == t }
        case .missingByte: return nil
        }
    }

    /// `cl100k (sha256 …)`: the preset and the ranks file's hash, as reports print it.
    public var description: String { "\(preset.rawValue) (sha256 \(sha256))" }

    public static func == (a: TiktokenEncoding, b: TiktokenEncoding) -> Bool { a.preset == b.preset && a.sha256 == b.sha256 }
    public func hash(into h: inout Hasher) {
        h.combine(preset)
        h.combine(sha256)
    }

    /// The ids of `bytes` (one document), as `encode_ordinary` gives them.
    public func encode(_ bytes: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        bytes.withUnsafeBufferPointer { b in
            if let (fixed, _) = repairUTF8(b) {
                fixed.withUnsafeBufferPointer { encodeValid($0, into: &out) }
            } else {
                encodeValid(b, into: &out)
            }
        }
        return out
    }

    /// Encodes valid UTF-8.
    @inline(__always)
    func encodeValid(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt32], cache: PieceCache? = nil) {
        guard let p = b.baseAddress, b.count > 0 else { return }
        let v = vocabulary
        if let cache {
            preset.pattern.pieces(p, b.count) { s, e in cache.encode(p + s, e - s, v, into: &out) }
        } else {
            preset.pattern.pieces(p, b.count) { s, e in v.encode(p + s, e - s, into: &out) }
        }
    }

    /// The bytes of token `id` (special tokens included), or nil.
    public func bytes(of id: UInt32) -> [UInt8]? {
        if let b = vocabulary.bytes(ofRank: id) { return b }
        return preset.specialTokens.first { $0.1 == id }.map { Array($0.0.utf8) }
    }

}

/// RFC 4648 base64 (the `.tiktoken` format), with padding.
enum Base64 {
    private static let values: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    static func decode(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        guard s.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 4 * 3)
        var acc: UInt32 = 0
        var bits = 0
        var pad = 0
        for c in s {
            if c == 0x3D {
                pad += 1
                continue
            }
            guard pad == 0 else { return nil }
            let v = values[Int(c)]
            guard v >= 0 else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        guard pad <= 2 else { return nil }
        return out
    }
}

/// A streaming tiktoken tokenizer for `TokenStream`: buffers a document and
/// encodes it in pieces cut where no piece can span (`PrePattern.safeCut`),
/// so memory stays near 1 MB per worker on ordinary text. Each id reaches
/// the sink as its decimal text.
package struct TiktokenStream {
    let encoding: TiktokenEncoding
    private var buffer: [UInt8] = []
    private var ids: [UInt32] = []
    private let cache = PieceCache(wide: false)
    package private(set) var invalidSequences = 0
    /// Bytes of `buffer` already searched for a cut in vain.
    private var searched = 0
    /// Buffered bytes past which a cut is looked for (1 MiB; smaller in the fuzz checks).
    let flushAt: Int

    package init(_ encoding: TiktokenEncoding, flushAt: Int = 1 << 20) {
        self.encoding = encoding
        self.flushAt = max(16, flushAt)
    }

    package mutating func feed<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) {
        buffer.append(contentsOf: chunk)
        guard buffer.count >= flushAt else { return }
        let from = searched
        searched = buffer.count
        let cut = buffer.withUnsafeBufferPointer { b in
            PrePattern.safeCut(b.baseAddress!, b.count, minimum: max(from - 1, 1))
        }
        guard let cut else { return }
        emit(upTo: cut, into: &sink)
        buffer.removeSubrange(0..<cut)
        searched = buffer.count
    }

    package mutating func finish<S: TokenSink>(into sink: inout S) {
        emit(upTo: buffer.count, into: &sink)
        buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * flushAt)
        searched = 0
    }

    private mutating func emit<S: TokenSink>(upTo n: Int, into sink: inout S) {
        ids.removeAll(keepingCapacity: true)
        buffer.withUnsafeBufferPointer { all in
            let b = UnsafeBufferPointer(rebasing: all[0..<n])
            if let (fixed, replaced) = repairUTF8(b) {
                invalidSequences += replaced
                fixed.withUnsafeBufferPointer { encoding.encodeValid($0, into: &ids, cache: cache) }
            } else {
                encoding.encodeValid(b, into: &ids, cache: cache)
            }
        }
        for id in ids { encoding.decimal.emit(id, into: &sink) }
    }
}

/// What a `PieceCache` stands in front of: the ids of one piece of
/// pre-tokenised text (`BPEVocabulary` for tiktoken, `HFByteLevelBPE`).
protocol PieceEncoder: AnyObject {
    func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32])
}

extension BPEVocabulary: PieceEncoder {
    @inline(__always)
    func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) { encode(p, n, into: &out) }
}

/// A direct-mapped cache of the ids of short pieces (at most 16 bytes, and
/// 3 or 11 ids), one per stream: most pieces of a text are frequent words, and a
/// hit costs two 8-byte compares in one cache line instead of the merges (a
/// hash of the bytes and several cache misses in the vocabulary's table per
/// pair). A miss or a longer piece goes to the encoder; the result is the
/// same either way (fuzz target `bpe` and the tests run the streaming path
/// against `encode`).
///
/// An entry is 32 or 64 bytes: the piece's bytes as two little-endian
/// words (zero past the end), its length (0: empty slot), the number of
/// ids, and the ids.
final class PieceCache {
    static let bits = 14
    /// Bytes per entry: 32 (up to 3 ids) or 64 (up to 11).
    let entryBytes: Int
    let maxIDs: Int
    private let shift: Int
    private let slots: UnsafeMutableRawPointer
    private var scratch: [UInt32] = []

    /// `wide`: 64-byte entries of up to 11 ids (a small vocabulary, whose
    /// words take several ids); else 32-byte entries of up to 3 (a large
    /// one, where nearly every word is one id: a smaller table).
    init(wide: Bool) {
        entryBytes = wide ? 64 : 32
        maxIDs = wide ? 11 : 3
        shift = wide ? 6 : 5
        let size = entryBytes << Self.bits
        slots = .allocate(byteCount: size, alignment: entryBytes)
        slots.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    }
    deinit { slots.deallocate() }

    /// The ids of `p[0..<n]` (n ≥ 1) from the cache, or from `e` (and kept).
    @inline(__always)
    func encode<E: PieceEncoder>(_ p: UnsafePointer<UInt8>, _ n: Int, _ e: E, into out: inout [UInt32]) {
        guard n <= 16 else {
            e.encodePiece(p, n, into: &out)
            return
        }
        let (k0, k1) = Self.key(p, n)
        let h = SplitMix64.mix(k0 &+ k1 &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(n))
        let slot = slots + Int(truncatingIfNeeded: h >> UInt64(64 - Self.bits)) << shift
        if slot.load(fromByteOffset: 16, as: UInt8.self) == UInt8(n) && slot.load(as: UInt64.self) == k0
            && slot.load(fromByteOffset: 8, as: UInt64.self) == k1
        {
            let count = Int(slot.load(fromByteOffset: 17, as: UInt8.self))
            if count == 1 {
                out.append(slot.load(fromByteOffset: 20, as: UInt32.self))
            } else {
                (slot + 20).assumingMemoryBound(to: UInt8.self).withMemoryRebound(to: UInt32.self, capacity: count) {
                    out.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
                }
            }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        e.encodePiece(p, n, into: &scratch)
        out.append(contentsOf: scratch)
        guard scratch.count <= maxIDs else { return }
        slot.storeBytes(of: k0, as: UInt64.self)
        slot.storeBytes(of: k1, toByteOffset: 8, as: UInt64.self)
        slot.storeBytes(of: UInt8(n), toByteOffset: 16, as: UInt8.self)
        slot.storeBytes(of: UInt8(scratch.count), toByteOffset: 17, as: UInt8.self)
        for (i, id) in scratch.enumerated() { slot.storeBytes(of: id, toByteOffset: 20 + 4 * i, as: UInt32.self) }
    }

    /// The bytes of a piece of 1…16 bytes as two little-endian words, zero
    /// past its end, by (overlapping) unaligned loads inside the piece.
    @inline(__always)
    static func key(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
        let r = UnsafeRawPointer(p)
        if n >= 8 {
            let k0 = r.loadUnaligned(as: UInt64.self)
            if n == 8 { return (k0, 0) }
            let tail = r.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            return (k0, tail >> UInt64(8 * (16 - n)))
        }
        if n >= 4 {
            let lo = UInt64(r.loadUnaligned(as: UInt32.self))
            let hi = UInt64(r.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            return (lo | hi << UInt64(8 * (n - 4)), 0)
        }
        var k: UInt64 = UInt64(p[0])
        if n > 1 { k |= UInt64(p[1]) << 8 }
        if n > 2 { k |= UInt64(p[2]) << 16 }
        return (k, 0)
    }
}
