/// The character classes the LLM pre-tokenisers distinguish, one byte per
/// Unicode scalar, from the scalar's general category and White_Space.
///
/// `\p{L}` is Lu, Ll, Lt, Lm, Lo (marks are not letters); `\p{N}` is Nd, Nl,
/// No; `\s` is the White_Space property (as in Rust's `regex` crate and
/// Python's `regex` module, so U+001C–U+001F are not space here); unassigned
/// code points fall in `other`.
@usableFromInline
enum PieceClass {
    /// Not a letter, number or space: punctuation, symbols, controls, unassigned.
    @usableFromInline static let other: UInt8 = 0
    /// Lu, Lt: upper- or title-case letters (o200k's "upper only").
    @usableFromInline static let upper: UInt8 = 1
    /// Ll: lower-case letters (o200k's "lower only").
    @usableFromInline static let lower: UInt8 = 2
    /// Lm, Lo: letters without case (in both of o200k's letter sets).
    @usableFromInline static let caseless: UInt8 = 3
    /// Mn, Mc, Me: marks (in both of o200k's letter sets, never `\p{L}`).
    @usableFromInline static let mark: UInt8 = 4
    /// Nd, Nl, No.
    @usableFromInline static let number: UInt8 = 5
    /// White_Space other than CR and LF.
    @usableFromInline static let space: UInt8 = 6
    /// CR or LF.
    @usableFromInline static let newline: UInt8 = 7

    @inline(__always) @usableFromInline
    static func isLetter(_ c: UInt8) -> Bool { c >= 1 && c <= 3 }
    /// `[^\s\p{L}\p{N}]`
    @inline(__always) @usableFromInline
    static func isPunct(_ c: UInt8) -> Bool { c == 0 || c == 4 }
    @inline(__always) @usableFromInline
    static func isSpace(_ c: UInt8) -> Bool { c >= 6 }

    /// The class of scalar value `v` (any UInt32: not a scalar is `other`).
    static func classify(_ v: UInt32) -> UInt8 {
        if v == 0x0D || v == 0x0A { return newline }
        guard let s = Unicode.Scalar(v) else { return other }
        let p = s.properties
        if p.isWhitespace { return space }
        return classify(category: p.generalCategory)
    }

    static func classify(category: Unicode.GeneralCategory) -> UInt8 {
        switch category {
        case .uppercaseLetter, .titlecaseLetter: return upper
        case .lowercaseLetter: return lower
        case .modifierLetter, .otherLetter: return caseless
        case .nonspacingMark, .spacingMark, .enclosingMark: return mark
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }

    /// One class per code point U+0000–U+10FFFF, built on first use (about
    /// 1.1 MB), shared by all threads. `classify` gives the same for every
    /// code point (`testPieceClassTableEqualsClassify`), faster: one
    /// property look-up per scalar (White_Space is looked up only for the
    /// categories that hold it: Cc, Zs, Zl, Zp), and none in planes 4–13
    /// (unassigned) and 15–16 (private use and noncharacters), all `other`.
    @usableFromInline static let table: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x11_0000)
        t.initialize(repeating: other, count: 0x11_0000)
        for range in [0..<UInt32(0x4_0000), 0xE_0000..<0xF_0000] {
            for v in range {
                guard let s = Unicode.Scalar(v) else { continue }
                let p = s.properties
                let category = p.generalCategory
                switch category {
                case .control, .spaceSeparator, .lineSeparator, .paragraphSeparator:
                    t[Int(v)] = v == 0x0D || v == 0x0A ? newline : p.isWhitespace ? space : other
                default:
                    t[Int(v)] = classify(category: category)
                }
            }
        }
        return UnsafePointer(t)
    }()
}

/// A scanner over valid UTF-8 that yields the class and length of the scalar
/// at a byte offset.
@usableFromInline
struct ClassCursor {
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let n: Int
    @usableFromInline let table: UnsafePointer<UInt8>

    @inline(__always) @usableFromInline
    init(_ p: UnsafePointer<UInt8>, _ n: Int) {
        self.p = p
        self.n = n
        table = PieceClass.table
    }

    /// Class and byte length of the scalar at `i` (< n; valid UTF-8).
    @inline(__always) @usableFromInline
    func at(_ i: Int) -> (UInt8, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (table[Int(b0)], 1) }
        if b0 < 0xE0 {
            let v = UInt32(b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F)
            return (table[Int(v)], 2)
        }
        if b0 < 0xF0 {
            let v = UInt32(b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F)
            return (table[Int(v)], 3)
        }
        let v = UInt32(b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F)
        return (table[Int(v)], 4)
    }
}

/// Replaces invalid UTF-8 in `bytes` by U+FFFD (EF BF BD), one replacement
/// per maximal subpart — what Python's `bytes.decode("utf-8", "replace")`
/// gives, so that the text a tokenizer sees equals what tiktoken and Hugging
/// Face `tokenizers` see after Python decodes the same bytes.
///
/// - Returns: nil when `bytes` is valid already (nothing copied), else the
///   repaired bytes and the number of replacements.
package func repairUTF8(_ b: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], replaced: Int)? {
    let n = b.count
    guard let p = b.baseAddress, n > 0 else { return nil }
    var i = 0
    // Fast path: find the first invalid sequence.
    while i < n {
        if p[i] < 0x80 {
            i += 1
            continue
        }
        let (v, l) = decodeUTF8(p, i, n, final: true)!
        if v == 0xFFFD && !(l == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD) { break }
        i += l
    }
    if i == n { return nil }
    var out = [UInt8]()
    out.reserveCapacity(n + 16)
    out.append(contentsOf: UnsafeBufferPointer(start: p, count: i))
    var replaced = 0
    while i < n {
        if p[i] < 0x80 {
            out.append(p[i])
            i += 1
            continue
        }
        let (v, l) = decodeUTF8(p, i, n, final: true)!
        if v == 0xFFFD && !(l == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD) {
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            replaced += 1
        } else {
            out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: l))
        }
        i += l
    }
    return (out, replaced)
}
