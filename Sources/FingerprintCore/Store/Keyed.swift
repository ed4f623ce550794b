import Foundation

/// SipHash-2-4 (Aumasson & Bernstein 2012), a keyed pseudo-random function
/// with a 128-bit key and a 64-bit output.
package struct SipHash24 {
    let k0: UInt64
    let k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// The key from 16 bytes, read little-endian as the reference does.
    public init(key: [UInt8]) {
        precondition(key.count == 16)
        func le(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(key[at + $1]) << (8 * UInt64($1)) } }
        self.init(k0: le(0), k1: le(8))
    }

    @inline(__always)
    private static func round(_ v0: inout UInt64, _ v1: inout UInt64, _ v2: inout UInt64, _ v3: inout UInt64) {
        v0 = v0 &+ v1
        v1 = (v1 << 13 | v1 >> 51) ^ v0
        v0 = v0 << 32 | v0 >> 32
        v2 = v2 &+ v3
        v3 = (v3 << 16 | v3 >> 48) ^ v2
        v0 = v0 &+ v3
        v3 = (v3 << 21 | v3 >> 43) ^ v0
        v2 = v2 &+ v1
        v1 = (v1 << 17 | v1 >> 47) ^ v2
        v2 = v2 << 32 | v2 >> 32
    }

    /// The PRF of `bytes`.
    public func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var v0 = k0 ^ 0x736f_6d65_7073_6575
        var v1 = k1 ^ 0x646f_7261_6e64_6f6d
        var v2 = k0 ^ 0x6c79_6765_6e65_7261
        var v3 = k1 ^ 0x7465_6462_7974_6573
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            let m = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            v3 ^= m
            SipHash24.round(&v0, &v1, &v2, &v3)
            SipHash24.round(&v0, &v1, &v2, &v3)
            v0 ^= m
            i += 8
        }
        var last = UInt64(truncatingIfNeeded: n) << 56
        var s: UInt64 = 0
        while i < n {
            last |= UInt64(bytes[i]) << s
            s += 8
            i += 1
        }
        v3 ^= last
        SipHash24.round(&v0, &v1, &v2, &v3)
        SipHash24.round(&v0, &v1, &v2, &v3)
        v0 ^= last
        v2 ^= 0xFF
        for _ in 0..<4 { SipHash24.round(&v0, &v1, &v2, &v3) }
        return v0 ^ v1 ^ v2 ^ v3
    }

    /// The PRF of a 64-bit value's 8 little-endian bytes.
    @inline(__always)
    public func hash(_ x: UInt64) -> UInt64 {
        var le = x.littleEndian
        return withUnsafeBytes(of: &le) { hash($0) }
    }
}

/// HMAC-SHA-256 (RFC 2104), streamed.
package struct HMACSHA256 {
    private var inner = SHA256()
    private var outerKey: [UInt8]

    public init(key: [UInt8]) {
        var k =
            key.count > 64
            ? {
                var d = SHA256()
                d.update(key)
                return d.digest()
            }() : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        outerKey = k.map { $0 ^ 0x5c }
        inner.update(k.map { $0 ^ 0x36 })
    }

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) { inner.update(bytes) }

    /// The 32-byte tag; the value is used up.
    public mutating func digest() -> [UInt8] {
        var outer = SHA256()
        outer.update(outerKey)
        outer.update(inner.digest())
        return outer.digest()
    }
}

/// The secret of a keyed fingerprint file (`sketch --key KEYFILE`): 256
/// bits, from which separate PRF keys are derived for tokens, n-grams and
/// names, and an identifier that tells two keys apart without revealing
/// either.
public struct FingerprintKey: Sendable {
    let secret: [UInt8]
    let tokens: SipHash24
    let grams: SipHash24
    let names: SipHash24
    /// 16 hex digits of SHA-256("fingerprint key id" ‖ key): equal for equal keys.
    public let id: String

    /// A key of exactly 32 bytes.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        secret = bytes
        func derive(_ label: String) -> [UInt8] {
            var d = SHA256()
            d.update(Array(label.utf8))
            d.update(bytes)
            return d.digest()
        }
        tokens = SipHash24(key: Array(derive("fingerprint/v1/tokens").prefix(16)))
        grams = SipHash24(key: Array(derive("fingerprint/v1/ngrams").prefix(16)))
        names = SipHash24(key: Array(derive("fingerprint/v1/names").prefix(16)))
        id = SHA256.hexString(derive("fingerprint key id").prefix(8))
    }

    /// Reads a key file: 32 raw bytes, or 64 hex digits (surrounding white
    /// space ignored), as `head -c 32 /dev/urandom > k` or
    /// `openssl rand -hex 32 > k` make.
    /// - Throws: `.inputNotFound` when unreadable, `.badData` for any other content.
    public static func read(path: String) throws -> FingerprintKey {
        guard let data = try FileName.contents(ofRegularFile: path) else {
            throw FingerprintError.inputNotFound(path: path, reason: "cannot read the key file")
        }
        let bytes = [UInt8](data)
        if bytes.count == 32 { return FingerprintKey(bytes: bytes) }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count == 64, let parsed = hexBytes(text) { return FingerprintKey(bytes: parsed) }
        throw FingerprintError.badData(
            path: path, reason: "a key file holds 32 random bytes or 64 hex digits (make one with: openssl rand -hex 32 > KEYFILE)")
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            case 65...70: v = c - 55
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }

    /// The keyed hash of a token's bytes.
    @inline(__always)
    public func token(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 { tokens.hash(UnsafeRawBufferPointer(bytes)) }

    /// The keyed image of an n-gram or shingle hash.
    @inline(__always)
    public func gram(_ h: UInt64) -> UInt64 { grams.hash(h) }

    /// A document's name under the key: `#` and 16 hex digits.
    public func name(_ s: String) -> String {
        var s = s
        let h = s.withUTF8 { names.hash(UnsafeRawBufferPointer($0)) }
        let hex = String(h, radix: 16)
        return "#" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// An HMAC-SHA-256 of a document's text, in place of its SHA-256.
    package func textDigest() -> HMACSHA256 { HMACSHA256(key: secret) }
}

extension CountedCorpus {
    /// The same counts with each token replaced by its keyed hash, as a
    /// keyed fingerprint file made with `key` stores them: comparable with
    /// such files, and with nothing else.
    package func keyed(with key: FingerprintKey) -> CountedCorpus {
        let v = matrix.vocabulary
        precondition(!v.hashed, "a corpus counted with hashed tokens cannot be keyed")
        let h = (0..<v.count).map { i in
            v.arena.withUnsafeBufferPointer { key.token(UnsafeBufferPointer(rebasing: $0[v.offsets[i]..<v.offsets[i + 1]])) }
        }
        let order = (0..<v.count).sorted { h[$0] < h[$1] }
        var rank = [Int32](repeating: 0, count: v.count)
        for (r, i) in order.enumerated() { rank[i] = Int32(r) }
        let vocabulary = Vocabulary(
            hashed: true, arena: [], offsets: [0], hashes: order.map { h[$0] }, totalCounts: order.map { v.totalCounts[$0] },
            documentFrequency: order.map { v.documentFrequency[$0] })
        var columns = matrix.columns
        var counts = matrix.counts
        for d in 0..<matrix.documentCount {
            let r = matrix.rowStart[d]..<matrix.rowStart[d + 1]
            let row = r.map { (rank[Int(matrix.columns[$0])], matrix.counts[$0]) }.sorted { $0.0 < $1.0 }
            for (k, e) in zip(r, row) {
                columns[k] = e.0
                counts[k] = e.1
            }
        }
        var c = self
        c.matrix = DocumentTermMatrix(
            rowStart: matrix.rowStart, columns: columns, counts: counts, lengths: matrix.lengths, vocabulary: vocabulary)
        c.keyID = key.id
        return c
    }
}
