/// Fast 64-bit hashing of byte strings (tokens, shingles, n-grams).
///
/// A multiply–xorshift construction over 8-byte words (in the spirit of
/// wyhash/rapidhash) with the SplitMix64 finaliser; it is not
/// cryptographic. Values are stable across runs, platforms and thread
/// counts, so hashed features and sketches are reproducible.
package enum Hash64 {
    @inline(__always)
    static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    /// Hashes `count` bytes at `p` with `seed`.
    @inline(__always)
    public static func hash(_ p: UnsafePointer<UInt8>, _ count: Int, seed: UInt64 = 0) -> UInt64 {
        var h = seed ^ 0x2D35_8DCC_AA6C_78A5 ^ (UInt64(truncatingIfNeeded: count) &* 0x8BB8_4B93_962E_ACC9)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = mum(h ^ w, 0x9E37_79B9_7F4A_7C15)
            i += 8
        }
        if i < count {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                w |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = mum(h ^ w, 0xC2B2_AE3D_27D4_EB4F)
        }
        return SplitMix64.mix(h)
    }

    /// Hashes a buffer of bytes.
    @inline(__always)
    public static func hash(_ b: UnsafeBufferPointer<UInt8>, seed: UInt64 = 0) -> UInt64 {
        guard let base = b.baseAddress, b.count > 0 else { return hash(emptyByte, 0, seed: seed) }
        return hash(base, b.count, seed: seed)
    }

    /// Hashes the UTF-8 bytes of `s`.
    public static func hash(_ s: String, seed: UInt64 = 0) -> UInt64 {
        var s = s
        return s.withUTF8 { hash($0, seed: seed) }
    }

    /// Combines a running hash with the next 64-bit value (order-dependent);
    /// used for rolling n-gram hashes over token hashes.
    @inline(__always)
    public static func combine(_ h: UInt64, _ v: UInt64) -> UInt64 {
        mum(h ^ v, 0x9E37_79B9_7F4A_7C15) &+ v
    }

    private static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}
