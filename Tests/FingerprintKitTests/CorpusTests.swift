import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// Corpus input and the bad-input policy (docs/DESIGN.md, Bad input).
final class CorpusTests: XCTestCase {
    func count(_ path: String, globs: [String] = CorpusInput.defaultGlobs, strict: Bool = false) throws -> CountedCorpus {
        try Counter.count(try CorpusInput(path: path, globs: globs), options: ReadOptions(threads: 2, strict: strict))
    }

    func testMissingPathIsNoInput() {
        XCTAssertThrowsError(try CorpusInput(path: "/nonexistent/corpus")) { e in
            XCTAssertEqual(errorCase(e), "inputNotFound")
            XCTAssertTrue("\(e)".contains("/nonexistent/corpus"))
        }
    }

    func testEmptyDirectoryIsDataErrorNamingThePath() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try count(dir.path)) { e in
            XCTAssertEqual(errorCase(e), "noDocuments")
            XCTAssertTrue("\(e)".contains(dir.path))
        }
    }

    func testDirectoryIsRecursiveSortedAndFiltered() throws {
        let dir = try temporaryDirectory(self)
        try write("beta beta", to: dir.appendingPathComponent("b.txt"))
        try write("alpha", to: dir.appendingPathComponent("sub/a.md"))
        try write("gamma", to: dir.appendingPathComponent("a.text"))
        try write("ignored", to: dir.appendingPathComponent("c.csv"))
        try write("hidden", to: dir.appendingPathComponent(".hidden.txt"))
        let c = try count(dir.path)
        XCTAssertEqual(c.documents.map(\.name), ["a.text", "b.txt", "sub/a.md"])
        XCTAssertEqual(c.matrix.lengths, [1, 2, 1])
        let only = try count(dir.path, globs: ["*.csv"])
        XCTAssertEqual(only.documents.map(\.name), ["c.csv"])
    }

    func testEmptyBinaryAndUnreadableFilesAreCountedSkips() throws {
        let dir = try temporaryDirectory(self)
        try write("good text here", to: dir.appendingPathComponent("good.txt"))
        try write("", to: dir.appendingPathComponent("empty.txt"))
        try Data([0x68, 0x69, 0x00, 0x01, 0x02]).write(to: dir.appendingPathComponent("binary.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("dangling.txt").path,
            withDestinationPath: dir.appendingPathComponent("nowhere").path)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("dir.txt"), withIntermediateDirectories: true)
        let c = try count(dir.path)
        XCTAssertEqual(c.documents.map(\.name), ["good.txt"])
        let reasons = Dictionary(uniqueKeysWithValues: c.skips.map { (($0.path as NSString).lastPathComponent, $0.reason) })
        XCTAssertTrue(reasons["empty.txt"]?.contains("empty") ?? false, "\(reasons)")
        XCTAssertTrue(reasons["binary.txt"]?.contains("binary") ?? false, "\(reasons)")
        XCTAssertTrue(reasons["dangling.txt"]?.contains("broken symlink") ?? false, "\(reasons)")
        XCTAssertEqual(c.skips.count, 3, "\(c.skips)")
        XCTAssertThrowsError(try count(dir.path, strict: true)) { e in
            XCTAssertEqual(errorCase(e), "strictSkip")
        }
    }

    func testAllSkippedIsDataError() throws {
        let dir = try temporaryDirectory(self)
        try write("", to: dir.appendingPathComponent("empty.txt"))
        XCTAssertThrowsError(try count(dir.path)) { e in
            XCTAssertEqual(errorCase(e), "noDocuments")
            XCTAssertTrue("\(e)".contains("empty"), "\(e)")
        }
    }

    func testSymlinkLoopDoesNotHang() throws {
        let dir = try temporaryDirectory(self)
        try write("some words", to: dir.appendingPathComponent("sub/a.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("sub/loop").path, withDestinationPath: dir.path)
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("self.txt").path,
            withDestinationPath: dir.appendingPathComponent("self.txt").path)
        let c = try count(dir.path)
        XCTAssertEqual(c.documents.map(\.name), ["sub/a.txt"])
        XCTAssertTrue(c.skips.contains { $0.reason.contains("symlink loop") }, "\(c.skips)")
    }

    func testInvalidUTF8IsReplacedAndCounted() throws {
        let dir = try temporaryDirectory(self)
        try Data([0x61, 0x62, 0xFF, 0x63, 0xC3]).write(to: dir.appendingPathComponent("bad.txt"))
        let c = try count(dir.path)
        XCTAssertEqual(c.invalidSequences, 2)
        XCTAssertEqual(c.matrix.vocabulary.token(0), "ab")
        XCTAssertEqual(c.matrix.typeCount, 2)
    }

    func testJSONLLinesFieldsAndBrokenLines() throws {
        let dir = try temporaryDirectory(self)
        let f = dir.appendingPathComponent("docs.jsonl")
        try write(
            """
            {"text": "Hello world", "id": 1}
            {"text": "caf\\u00e9 \\ud83d\\ude00 ok", "meta": {"a": [1, 2.5e3, null, true]}}
            {"text": broken}

            {"body": "no text field"}
            {"text": 42}
            [1, 2]
            {"text": "last line without newline"}
            """, to: f)
        let c = try Counter.count(try CorpusInput(path: f.path))
        XCTAssertEqual(c.documents.map(\.name), ["docs.jsonl:1", "docs.jsonl:2", "docs.jsonl:8"])
        XCTAssertEqual(c.documents.map(\.line), [1, 2, 8])
        XCTAssertEqual(c.matrix.lengths, [2, 2, 4])
        let skipped = c.skips.map(\.path)
        XCTAssertEqual(skipped, [f.path + ":3", f.path + ":5", f.path + ":6", f.path + ":7"])
        XCTAssertTrue(c.skips[0].reason.contains("invalid JSON"))
        XCTAssertTrue(c.skips[1].reason.contains("no field 'text'"), c.skips[1].reason)
        // Another field.
        let body = try Counter.count(try CorpusInput(path: f.path, field: "body"))
        XCTAssertEqual(body.documents.map(\.line), [5])
    }

    /// A name given twice in one object: the last value counts, as Python's
    /// `json.loads` keeps it (`json.loads('{"text": "a", "text": "b"}')` is
    /// `{'text': 'b'}`); a last value that is not a string is a skip.
    func testDuplicateNamesTakeTheLastValue() throws {
        func extract(_ line: String, key: String? = nil) -> Result<(text: [UInt8], key: String?, group: String?), JSONLine.Failure> {
            Array(line.utf8).withUnsafeBufferPointer {
                JSONLine.extract($0, field: Array("text".utf8), keyField: key.map { Array($0.utf8) }, groupField: nil)
            }
        }
        guard case .success(let v) = extract(#"{"text": "first", "id": 1, "text": "second", "id": 2}"#, key: "id") else {
            return XCTFail("a valid line")
        }
        XCTAssertEqual(String(decoding: v.text, as: UTF8.self), "second")
        XCTAssertEqual(v.key, "2")
        guard case .failure(.notString) = extract(#"{"text": "a string", "text": 5}"#) else { return XCTFail("the last value is 5") }
        guard case .success(let w) = extract(#"{"text": 5, "text": "now a string"}"#) else { return XCTFail("the last value is a string") }
        XCTAssertEqual(String(decoding: w.text, as: UTF8.self), "now a string")
    }

    /// JSONL split into many ranges keeps line numbers and order.
    func testLargeJSONLIsSplitButOrdered() throws {
        let dir = try temporaryDirectory(self)
        var s = ""
        for i in 0..<4000 { s += "{\"text\": \"doc \(i) " + String(repeating: "word ", count: 2000) + "\"}\n" }
        let f = dir.appendingPathComponent("big.jsonl")
        try write(s, to: f)
        XCTAssertGreaterThan(s.utf8.count, UnitPlanner.jsonlRangeBytes * 2)
        XCTAssertGreaterThan(try UnitPlanner.jsonlRanges(f.path).count, 2)
        let c = try Counter.count(try CorpusInput(path: f.path), options: ReadOptions(threads: 3))
        XCTAssertEqual(c.documents.count, 4000)
        XCTAssertEqual(c.documents.map(\.line), (1...4000).map { $0 })
        let v = c.matrix.vocabulary
        XCTAssertEqual(v.totalCounts[v.id(of: "word")!], 8_000_000)
        XCTAssertEqual(v.documentFrequency[v.id(of: "3999")!], 1)
    }

    /// A file much larger than one read buffer is streamed, with tokens
    /// split across chunk boundaries counted once.
    func testLargeFileIsStreamed() throws {
        let dir = try temporaryDirectory(self)
        let f = dir.appendingPathComponent("big.txt")
        let unit = "Ελληνικά words ünïcode 東京 "
        let text = String(repeating: unit, count: 200_000)
        try write(text, to: f)
        let c = try Counter.count(try CorpusInput(path: f.path))
        XCTAssertEqual(c.documents.count, 1)
        XCTAssertEqual(c.matrix.tokenCount, 200_000 * 5)
        XCTAssertEqual(c.matrix.typeCount, 5)
        XCTAssertEqual(c.invalidSequences, 0)
    }

    func testAtomicWriteLeavesNothingBehindOnFailure() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir.appendingPathComponent("missing/out.json").path)) { e in
            XCTAssertEqual(errorCase(e), "outputFailed")
        }
        let target = dir.appendingPathComponent("out.txt")
        try AtomicFile.write("first", to: target.path)
        try AtomicFile.write("second", to: target.path)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.txt"])
    }
}
