import FingerprintCore
import Foundation
import XCTest

/// The keyed functions of fingerprint files against published vectors.
final class KeyedHashTests: XCTestCase {
    /// SipHash-2-4 with key 00 01 … 0f on messages 00 01 … (n − 1): the
    /// reference implementation's vectors (vectors.h; n = 15 is the paper's
    /// Appendix A example), as the `siphash24` PyPI package 1.9 also gives them.
    func testSipHash24ReferenceVectors() {
        let h = SipHash24(key: Array(0..<16))
        let vectors: [(Int, UInt64)] = [
            (0, 0x726f_db47_dd0e_0e31), (1, 0x74f8_39c5_93dc_67fd), (7, 0xab02_00f5_8b01_d137), (8, 0x93f5_f579_9a93_2462),
            (15, 0xa129_ca61_49be_45e5), (16, 0x3f2a_cc7f_57c2_9bdb), (31, 0x32d8_92fa_d841_c342), (63, 0x958a_324c_eb06_4572),
        ]
        for (n, expected) in vectors {
            let m = (0..<n).map { UInt8($0) }
            XCTAssertEqual(m.withUnsafeBytes { h.hash($0) }, expected, "length \(n)")
        }
        // The 8-byte form hashes the value's little-endian bytes.
        XCTAssertEqual(h.hash(UInt64(0x0706_0504_0302_0100)), 0x93f5_f579_9a93_2462)
    }

    /// HMAC-SHA-256: RFC 4231 test case 2, and a 32-byte key on 200 bytes
    /// (Python's hmac module: c4d78316…).
    func testHMACSHA256() {
        func tag(_ key: [UInt8], _ message: [UInt8]) -> String {
            var m = HMACSHA256(key: key)
            message.withUnsafeBufferPointer { m.update($0) }
            return SHA256.hexString(m.digest())
        }
        XCTAssertEqual(
            tag(Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(
            tag(Array(0..<32), (0..<200).map { UInt8($0) }), "c4d78316aa3de9ce6bd0b2e61c4f4dd6bdf0ec95aab84ab87fc2a11903991ad3")
    }

    /// Key files: 32 raw bytes or 64 hex digits give the same key; anything else is refused.
    func testKeyFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = (0..<32).map { UInt8($0 * 7 + 3) }
        try Data(raw).write(to: dir.appendingPathComponent("raw"))
        try (SHA256.hexString(raw).uppercased() + "\n").write(to: dir.appendingPathComponent("hex"), atomically: true, encoding: .utf8)
        try "not a key".write(to: dir.appendingPathComponent("bad"), atomically: true, encoding: .utf8)
        let a = try FingerprintKey.read(path: dir.appendingPathComponent("raw").path)
        let b = try FingerprintKey.read(path: dir.appendingPathComponent("hex").path)
        XCTAssertEqual(a.id, b.id)
        XCTAssertEqual(a.name("x.txt"), b.name("x.txt"))
        XCTAssertNotEqual(a.id, FingerprintKey(bytes: [UInt8](repeating: 0, count: 32)).id)
        XCTAssertThrowsError(try FingerprintKey.read(path: dir.appendingPathComponent("bad").path))
        XCTAssertThrowsError(try FingerprintKey.read(path: dir.appendingPathComponent("missing").path))
    }
}
