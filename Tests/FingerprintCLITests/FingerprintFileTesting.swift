import FingerprintCore
import Foundation
import XCTest

/// What the fingerprint-file CLI tests share: a temporary directory, a run
/// of the binary with its expected status, a sketch, and a copy of a file
/// damaged by one SQL statement.
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

    /// A copy of `clean` named `name` beside it, changed by `sql`.
    func damaged(_ clean: URL, _ name: String, _ sql: String) throws -> URL {
        let f = clean.deletingLastPathComponent().appendingPathComponent(name)
        try FileManager.default.copyItem(at: clean, to: f)
        try SQLiteDatabase(path: f.path, mode: .readWrite).execute(sql)
        return f
    }
}
