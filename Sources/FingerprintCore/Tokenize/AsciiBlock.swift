/// 64 bytes of text classified at once for the `word` tokenizer's ASCII fast
/// path: which bytes are ASCII word characters (`A-Z a-z 0-9 _`), which are
/// not ASCII (the Unicode path must decode them), and the bytes lower-cased.
///
/// Four `SIMD16<UInt8>` steps, compare-and-mask only (no branch per byte);
/// each lane mask becomes 16 bits with one multiply per 8 lanes. Built for
/// the baseline x86-64 target (SSE2), the word-mask classification alone
/// ran at ~2.7 GB/s on one core of the project's machine in a stand-alone
/// test; a first version on `SIMD64` with broadcast literals ran ~900×
/// slower in the same test, so keep the `SIMD16` steps and constants.
@usableFromInline
struct AsciiBlock {
    /// Bytes per block.
    @usableFromInline static let size = 64
    /// Bit k set: byte k is `A-Z`, `a-z`, `0-9` or `_`.
    @usableFromInline var word: UInt64
    /// Bit k set: byte k is ≥ 0x80 (part of a non-ASCII scalar or invalid).
    @usableFromInline var high: UInt64

    /// Classifies `p[0..<64]` and writes the bytes, `A-Z` lower-cased
    /// (others unchanged), to `lower[0..<64]`.
    @inline(__always) @usableFromInline
    init(_ p: UnsafeRawPointer, lower: UnsafeMutableRawPointer) {
        var word: UInt64 = 0
        var high: UInt64 = 0
        let c20 = SIMD16<UInt8>(repeating: 0x20)
        let c41 = SIMD16<UInt8>(repeating: 0x41)
        let c61 = SIMD16<UInt8>(repeating: 0x61)
        let c26 = SIMD16<UInt8>(repeating: 26)
        let c30 = SIMD16<UInt8>(repeating: 0x30)
        let c10 = SIMD16<UInt8>(repeating: 10)
        let c5f = SIMD16<UInt8>(repeating: 0x5F)
        let c7f = SIMD16<UInt8>(repeating: 0x7F)
        for k in 0..<4 {
            let v = p.loadUnaligned(fromByteOffset: 16 &* k, as: SIMD16<UInt8>.self)
            // Unsigned range checks by wrapping subtraction: x - lo < width.
            let upper = (v &- c41) .< c26
            let letter = ((v | c20) &- c61) .< c26
            let isWord = letter .| ((v &- c30) .< c10) .| (v .== c5f)
            lower.storeBytes(of: v.replacing(with: v | c20, where: upper), toByteOffset: 16 &* k, as: SIMD16<UInt8>.self)
            word |= AsciiBlock.bits(isWord) << UInt64(16 &* k)
            high |= AsciiBlock.bits(v .> c7f) << UInt64(16 &* k)
        }
        self.word = word
        self.high = high
    }

    /// The 16 lanes of a mask as the low 16 bits of a word (lane k → bit k).
    @inline(__always) @usableFromInline
    static func bits(_ m: SIMDMask<SIMD16<Int8>>) -> UInt64 {
        let ones = SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: m)
        let w = unsafeBitCast(ones, to: SIMD2<UInt64>.self)
        // Bytes that are 0 or 1: the multiply gathers byte j's bit into bit
        // 56 + j without carries (each product bit lands in its own place).
        let g = (w &* SIMD2<UInt64>(repeating: 0x0102_0408_1020_4080)) &>> SIMD2<UInt64>(repeating: 56)
        return g[0] | g[1] << 8
    }
}
