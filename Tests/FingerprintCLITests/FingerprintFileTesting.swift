import FingerprintCore
import Foundation
import XCTest

/// What the fingerprint-file CLI tests share: a temporary directory, a run
/// of the binary with its expected status, a sketch, a copy of a file
/// damaged by one SQL statement, and the band index decoded.
protocol FingerprintFileTesting: XCTestCase {}

extension FingerprintFileTesting {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    @discardableResult
    func run(_ args: [String], _ status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> CLITests.Run {
        let r = try CLITests.run(args)
        XCTAssertEqual(r.status, status, "\(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    /// `args` exits 65 with one line on standard error holding `words`, and nothing on standard output.
    func refuses(_ args: [String], _ words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(args, 65, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    func sketch(_ corpus: String, _ out: URL, _ extra: [String] = []) throws {
        try run(["sketch", corpus, "-o", out.path, "-q"] + extra)
    }

    /// Copies of `clean`, each changed by one of `sqls` (named `name`0.fp,
    /// `name`1.fp, … beside it): `index query` of each against `questioned`
    /// refuses with one line holding `words`.
    func queryRefuses(
        _ clean: URL, damagedBy sqls: [String], named name: String, _ words: String, questioned: String = "Corpora/source-a",
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        for (k, sql) in sqls.enumerated() {
            let f = try damaged(clean, "\(name)\(k).fp", sql)
            try refuses(["index", "query", f.path, questioned], words, file: file, line: line)
        }
    }

    /// A copy of `clean` named `name` beside it, changed by `sql`.
    func damaged(_ clean: URL, _ name: String, _ sql: String) throws -> URL {
        let f = clean.deletingLastPathComponent().appendingPathComponent(name)
        try FileManager.default.copyItem(at: clean, to: f)
        try SQLiteDatabase(path: f.path, mode: .readWrite).execute(sql)
        return f
    }

    /// The file's band index decoded by the test: the (band, key, document)
    /// entries whose counts sum to 1 over the runs. Checks each block: keys
    /// of one band ascending by (key, document), keyed by its first key with
    /// the top bit flipped, documents 4 or 8 bytes each, counts (position,
    /// count) pairs inside it; a key in one block of its run's band; every
    /// entry's sum 0 or 1.
    func bandIndex(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [(band: Int, hash: UInt64, document: Int64)] {
        let db = try SQLiteDatabase(path: url.path, mode: .readOnly)
        let s = try db.prepare("SELECT run, band, first, hashes, documents, counts FROM band_blocks ORDER BY run, band, first")
        var sums: [[UInt64]: Int] = [:]
        var lastKey: (run: Int64, band: Int64, hash: UInt64)? = nil
        while try s.step() {
            let hashes = s.array(3, of: UInt64.self) ?? []
            XCTAssertFalse(hashes.isEmpty, file: file, line: line)
            let raw = s.bytes(4)
            var documents: [Int64] = []
            if raw.count == 4 * hashes.count {
                for k in stride(from: 0, to: raw.count, by: 4) {
                    var d: Int64 = 0
                    for b in (0..<4).reversed() { d = d << 8 | Int64(raw[k + b]) }
                    documents.append(d)
                }
            } else {
                XCTAssertEqual(raw.count, 8 * hashes.count, "documents 4 or 8 bytes each", file: file, line: line)
                documents = s.array(4, of: Int64.self) ?? []
            }
            XCTAssertEqual(UInt64(bitPattern: s.int64(2)), hashes.first.map { $0 ^ (1 << 63) }, file: file, line: line)
            for k in hashes.indices.dropFirst() {
                XCTAssertTrue(
                    hashes[k] > hashes[k - 1] || (hashes[k] == hashes[k - 1] && documents[k] > documents[k - 1]), file: file, line: line)
            }
            let (run, band) = (s.int64(0), s.int64(1))
            if let l = lastKey, l.run == run, l.band == band {
                XCTAssertGreaterThan(hashes.first ?? 0, l.hash, "a key in two blocks of a run's band", file: file, line: line)
            }
            lastKey = (run, band, hashes.last ?? 0)
            let mine = blockCounts(s, 5, values: hashes.count, file: file, line: line)
            for k in hashes.indices { sums[[UInt64(band), hashes[k], UInt64(bitPattern: documents[k])], default: 0] += mine[k] }
        }
        XCTAssertTrue(sums.values.allSatisfy { $0 == 0 || $0 == 1 }, "an entry's counts sum to neither 0 nor 1", file: file, line: line)
        return sums.filter { $0.value == 1 }.keys.map { (Int($0[0]), $0[1], Int64(bitPattern: $0[2])) }
    }

    /// The band index as (band, key, document name) lines, sorted.
    func bandIndexByName(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let db = try SQLiteDatabase(path: url.path, mode: .readOnly)
        let names = try db.prepare("SELECT name FROM documents WHERE id = ?")
        return try bandIndex(url, file: file, line: line).map { e in
            names.bind(1, e.document)
            defer { names.reset() }
            return "\(e.band)|\(e.hash)|" + (try names.step() ? names.string(0) ?? "" : "?")
        }.sorted()
    }

    /// A block's counts (the gram index's and the band index's), decoded
    /// by the test from column `c`: NULL, 1 a value; else (position,
    /// count) pairs inside the block, each count other than 0 and 1.
    func blockCounts(_ s: SQLiteStatement, _ c: Int, values n: Int, file: StaticString = #filePath, line: UInt = #line) -> [Int] {
        var counts = [Int](repeating: 1, count: n)
        guard !s.isNull(c) else { return counts }
        let pairs = s.array(c, of: Int32.self) ?? [-1]
        XCTAssertTrue(pairs.count % 2 == 0 && !pairs.isEmpty, file: file, line: line)
        for k in stride(from: 0, to: pairs.count - 1, by: 2) {
            XCTAssertTrue(pairs[k] >= 0 && Int(pairs[k]) < n, file: file, line: line)
            XCTAssertTrue(pairs[k + 1] != 0 && pairs[k + 1] != 1, "a count stored for nothing", file: file, line: line)
            if pairs[k] >= 0 && Int(pairs[k]) < n { counts[Int(pairs[k])] = Int(pairs[k + 1]) }
        }
        return counts
    }
}
