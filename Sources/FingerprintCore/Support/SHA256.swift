import CKernels

/// SHA-256 (FIPS 180-4): every document's digest in a fingerprint file,
/// tokenizer files' names in reports, the tests' digests of long id lists.
/// Foundation on Linux has no digest API, and the package takes no
/// dependency for it. Whole blocks go to `fp_sha256_blocks` (in C), which
/// uses the CPU's SHA extensions when it has them; this type keeps the
/// buffering and the padding.
///
/// - Complexity: O(bytes).
package struct SHA256 {
    private var h: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        length &+= UInt64(bytes.count)
        var i = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            i = take
            if pending.count == 64 {
                let block = pending
                pending.removeAll(keepingCapacity: true)
                block.withUnsafeBufferPointer { compress($0.baseAddress!, blocks: 1) }
            }
        }
        let blocks = (bytes.count - i) / 64
        if blocks > 0 {
            compress(bytes.baseAddress! + i, blocks: blocks)
            i += 64 * blocks
        }
        if i < bytes.count { pending.append(contentsOf: bytes[i...]) }
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let a = Array(bytes)
        a.withUnsafeBufferPointer { update($0) }
    }

    /// The 32-byte digest; the value is used up.
    public mutating func digest() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        while (pending.count + tail.count) % 64 != 56 { tail.append(0) }
        for s in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(s))) }
        let saved = length
        tail.withUnsafeBufferPointer { update($0) }
        length = saved
        precondition(pending.isEmpty)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in h { for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }
        return out
    }

    /// The digest as 64 lower-case hex digits; the value is used up.
    public mutating func hexDigest() -> String { SHA256.hexString(digest()) }

    /// Bytes as lower-case hex.
    public static func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let hex: [Character] = Array("0123456789abcdef")
        var s = ""
        for b in bytes {
            s.append(hex[Int(b >> 4)])
            s.append(hex[Int(b & 0xF)])
        }
        return s
    }

    /// The SHA-256 of `bytes` as hex.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var d = SHA256()
        d.update(bytes)
        return d.hexDigest()
    }

    /// Compresses `blocks` whole 64-byte blocks at `p` (in C: with the
    /// SHA extensions when the CPU has them, else portable).
    private mutating func compress(_ p: UnsafePointer<UInt8>, blocks: Int) {
        h.withUnsafeMutableBufferPointer { fp_sha256_blocks($0.baseAddress, p, blocks) }
    }
}
