import CKernels
import Foundation

/// Per-scalar facts the tokenizers need: is it part of a word, is it a token
/// of its own (CJK), its lower-case mapping, and the two properties of the
/// Unicode Final_Sigma rule (Cased, Case_Ignorable).
@usableFromInline
struct ScalarInfo: Sendable {
    /// 0: separator, 1: word character, 2: a token on its own (CJK ideograph,
    /// Hiragana, Katakana).
    @usableFromInline var kind: UInt8
    @usableFromInline var cased: Bool
    @usableFromInline var caseIgnorable: Bool
    @usableFromInline var whitespace: Bool
    /// UTF-8 bytes of the full lower-case mapping (at most 4: one scalar,
    /// or U+0130's i + U+0307), little-endian in one word, and how many.
    /// Held inline rather than as an `[UInt8]`: an array's reference count,
    /// bumped by every copy of the info, was one cache line that both cores
    /// wrote for each non-ASCII letter (`swift_retain` 5% of a two-thread
    /// `stats` on text with a few accented words, 0.5% with one thread).
    @usableFromInline var lowerBytes: UInt64
    @usableFromInline var lowerCount: UInt8

    /// The lower-case mapping's UTF-8 bytes as an array.
    var lower: [UInt8] { (0..<Int(lowerCount)).map { UInt8(truncatingIfNeeded: lowerBytes >> (8 * UInt64($0))) } }

    /// `bytes` (at most 8) packed as `lowerBytes`.
    static func pack(_ bytes: [UInt8]) -> UInt64 {
        precondition(bytes.count <= 8, "a lower-case mapping of \(bytes.count) bytes")
        return bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    static let separator: UInt8 = 0
    static let word: UInt8 = 1
    static let single: UInt8 = 2

    @usableFromInline
    init(_ value: UInt32) {
        guard let s = Unicode.Scalar(value) else {
            // Surrogate code points never come out of the decoder; treat as U+FFFD.
            kind = 0
            cased = false
            caseIgnorable = false
            whitespace = false
            lowerBytes = ScalarInfo.pack([0xEF, 0xBF, 0xBD])
            lowerCount = 3
            return
        }
        let p = s.properties
        let isWord: Bool
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber:
            isWord = true
        default:
            isWord = value == 0x5F
        }
        if isWord && ScalarInfo.isCJKSingle(value) {
            kind = ScalarInfo.single
        } else {
            kind = isWord ? ScalarInfo.word : ScalarInfo.separator
        }
        cased = p.isCased
        caseIgnorable = p.isCaseIgnorable
        // Python's str.isspace(): White_Space, plus the separators U+001C–U+001F.
        whitespace = p.isWhitespace || (0x1C...0x1F).contains(value)
        let lower = Array(p.lowercaseMapping.utf8)
        lowerBytes = ScalarInfo.pack(lower)
        lowerCount = UInt8(lower.count)
    }

    /// CJK ideographs, Hiragana and Katakana: each is a token of its own.
    @inline(__always) @usableFromInline
    static func isCJKSingle(_ v: UInt32) -> Bool {
        switch v {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F,
            0x3006, 0x3007, 0x3021...0x3029, 0x3038...0x303A,
            0x3040...0x309F, 0x30A0...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F:
            return true
        default:
            return false
        }
    }
}

/// A process-wide table of `ScalarInfo` for the scalars below U+3400
/// (Latin, Greek, Cyrillic, and most alphabets), built a page of 256
/// scalars at a time, when a scalar of the page is first looked up; the
/// scanners cache the rest themselves.
///
/// Built whole, the table cost 30 M instructions (13,312 scalars' Unicode
/// properties and lower-case mappings, ~2,300 instructions each): ~7 ms
/// at the start of every run that met a non-ASCII scalar, with the other
/// threads waiting for it — 5% of `stats` of 104 MB on two cores, more of
/// a small input. Text with é, ü, ß, σ and ж needs three pages.
///
/// The table is never freed, and is read through a pointer: an array read
/// would retain and release its buffer, a reference count all threads share.
/// A page's flag is set with release order after its entries are written,
/// and read with acquire order before them; pages are built under a lock.
@usableFromInline
final class ScalarTable: @unchecked Sendable {
    @usableFromInline static let shared = ScalarTable()
    @usableFromInline static let flatLimit: UInt32 = 0x3400
    private static let pageBits: UInt32 = 8
    private let flat: UnsafeMutablePointer<ScalarInfo>
    private let ready: UnsafeMutablePointer<UInt8>
    private let lock = NSLock()

    private init() {
        flat = .allocate(capacity: Int(ScalarTable.flatLimit))
        let pages = Int(ScalarTable.flatLimit >> ScalarTable.pageBits)
        ready = .allocate(capacity: pages)
        ready.initialize(repeating: 0, count: pages)
    }

    /// The facts of scalar `v` (< `flatLimit`).
    @inline(__always) @usableFromInline
    func info(_ v: UInt32) -> ScalarInfo {
        let page = Int(v &>> ScalarTable.pageBits)
        if fp_load_acquire_u8(ready + page) == 0 { build(page) }
        return flat[Int(v)]
    }

    @inline(never)
    private func build(_ page: Int) {
        lock.lock()
        defer { lock.unlock() }
        if ready[page] != 0 { return }
        let first = page << Int(ScalarTable.pageBits)
        for v in first..<(first + (1 << Int(ScalarTable.pageBits))) {
            (flat + v).initialize(to: ScalarInfo(UInt32(v)))
        }
        fp_store_release_u8(ready + page, 1)
    }
}

/// Decodes one scalar from UTF-8 at `p[i..<n]` with the W3C/Unicode
/// "maximal subpart" replacement practice (the one Python's
/// `decode("utf-8", "replace")` follows).
///
/// - Returns: `(scalar, length)`, where an invalid sequence gives
///   `(0xFFFD, length of the maximal subpart ≥ 1)`, or `nil` when the bytes
///   at the end of the buffer are a valid but incomplete prefix and more
///   input may follow (only when `final` is false).
@inline(__always) @usableFromInline
func decodeUTF8(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, final: Bool) -> (UInt32, Int)? {
    let b0 = p[i]
    if b0 < 0x80 { return (UInt32(b0), 1) }
    var need: Int
    var lo: UInt8 = 0x80
    var hi: UInt8 = 0xBF
    var v: UInt32
    switch b0 {
    case 0xC2...0xDF:
        need = 1
        v = UInt32(b0 & 0x1F)
    case 0xE0:
        need = 2
        v = UInt32(b0 & 0x0F)
        lo = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF:
        need = 2
        v = UInt32(b0 & 0x0F)
    case 0xED:
        need = 2
        v = UInt32(b0 & 0x0F)
        hi = 0x9F
    case 0xF0:
        need = 3
        v = UInt32(b0 & 0x07)
        lo = 0x90
    case 0xF1...0xF3:
        need = 3
        v = UInt32(b0 & 0x07)
    case 0xF4:
        need = 3
        v = UInt32(b0 & 0x07)
        hi = 0x8F
    default: return (0xFFFD, 1)
    }
    var k = 1
    while k <= need {
        if i + k >= n {
            return final ? (0xFFFD, k) : nil
        }
        let b = p[i + k]
        if k == 1 {
            if b < lo || b > hi { return (0xFFFD, 1) }
        } else if b & 0xC0 != 0x80 {
            return (0xFFFD, k)
        }
        v = (v << 6) | UInt32(b & 0x3F)
        k += 1
    }
    return (v, need + 1)
}

/// The UTF-8 encoding of `v`: its bytes little-endian in the low 32 bits,
/// their count in the bits above (`CharScanner`'s ring holds characters so).
@inline(__always)
func packedUTF8(_ v: UInt32) -> UInt64 {
    if v < 0x80 { return 1 << 32 | UInt64(v) }
    if v < 0x800 { return 2 << 32 | UInt64(0xC0 | v >> 6) | UInt64(0x80 | v & 0x3F) << 8 }
    if v < 0x10000 {
        return 3 << 32 | UInt64(0xE0 | v >> 12) | UInt64(0x80 | (v >> 6) & 0x3F) << 8 | UInt64(0x80 | v & 0x3F) << 16
    }
    return 4 << 32 | UInt64(0xF0 | v >> 18) | UInt64(0x80 | (v >> 12) & 0x3F) << 8 | UInt64(0x80 | (v >> 6) & 0x3F) << 16
        | UInt64(0x80 | v & 0x3F) << 24
}

/// Appends the UTF-8 encoding of `v` to `out`.
@inline(__always)
func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
    let p = packedUTF8(v)
    for k in 0..<Int(p >> 32) { out.append(UInt8(truncatingIfNeeded: p >> UInt64(8 * k))) }
}
