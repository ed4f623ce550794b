import CKernels

/// 64 bytes of text classified at once for the `word` tokenizer's ASCII fast
/// path: which bytes are ASCII word characters (`A-Z a-z 0-9 _`), which are
/// not ASCII (the Unicode path must decode them), and the bytes lower-cased.
///
/// The work is `fp_ascii_block` (CKernels.h), a C inline function Swift's
/// optimiser inlines here: four 16-byte SSE2 steps of compares, each mask
/// taken with `pmovmskb`. Swift's own `SIMD16<UInt8>` did the same compares
/// but has no byte-mask operation, so each mask cost a select and two
/// 64-bit multiplies (perf: ~9% of `stats`, against ~4% now); a version on
/// `SIMD64` with broadcast literals had run ~900× slower still.
@usableFromInline
struct AsciiBlock {
    /// Bytes per block.
    @usableFromInline static let size = 64
    /// Bit k set: byte k is `A-Z`, `a-z`, `0-9` or `_`.
    @usableFromInline var word: UInt64
    /// Bit k set: byte k is ≥ 0x80 (part of a non-ASCII scalar or invalid).
    @usableFromInline var high: UInt64

    /// Classifies `p[0..<64]` and writes the bytes, `A-Z` lower-cased
    /// (others unchanged), to `lower[0..<64]` (`fp_ascii_block`, inlined
    /// from CKernels.h).
    @inline(__always) @usableFromInline
    init(_ p: UnsafeRawPointer, lower: UnsafeMutableRawPointer) {
        var word: UInt64 = 0
        var high: UInt64 = 0
        fp_ascii_block(p, lower, &word, &high)
        self.word = word
        self.high = high
    }
}
