import Foundation
import XCTest

/// `batch --by-subdir` calibrated (issue 11, item 4): each corpus's
/// self-baseline on the diagonal and, for every pair, the permutation test
/// of `compare`, so the matrix says which sources are indistinguishable.
final class CorpusMatrixTests: XCTestCase {
    func json(_ args: [String]) throws -> [String: Any] {
        let r = try CLITests.run(args + ["--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func testPairTestsAreCompareTestsAndFindTheIndistinguishable() throws {
        let m = try json(["batch", "Corpora", "--by-subdir", "--permutations", "99"])
        let tests = try XCTUnwrap(m["tests"] as? [[String: Any]])
        let n = (m["corpora"] as? [Any])?.count ?? 0
        XCTAssertEqual(tests.count, n * (n - 1) / 2)
        func test(_ a: String, _ b: String) -> [String: Any]? {
            tests.first { ($0["a"] as? String == a && $0["b"] as? String == b) || ($0["a"] as? String == b && $0["b"] as? String == a) }
        }
        // The statistic is compare's: JSD over the pair's top 1000 types + other.
        let c = try json(["compare", "Corpora/source-a", "Corpora/source-b", "--permutations", "9", "--bootstrap", "0", "--passages", "0"])
        let ct = try XCTUnwrap(c["test"] as? [String: Any])
        let ab = try XCTUnwrap(test("source-a", "source-b"))
        XCTAssertEqual((ab["statistic"] as! NSNumber).doubleValue, (ct["statistic"] as! NSNumber).doubleValue, accuracy: 1e-12)
        XCTAssertEqual(ab["features"] as? Int, ct["features"] as? Int)
        // A copy is not distinguishable from its source; another source is.
        XCTAssertGreaterThan((test("source-a", "copy-a")?["p_value"] as? NSNumber)?.doubleValue ?? 0, 0.5)
        XCTAssertEqual((ab["p_value"] as? NSNumber)?.doubleValue, 0.01)
        // Self-baselines: one per corpus, positive, with a spread.
        let baselines = try XCTUnwrap(m["self_baseline"] as? [[String: Any]])
        XCTAssertEqual(baselines.count, n)
        for b in baselines {
            XCTAssertGreaterThan((b["mean"] as? NSNumber)?.doubleValue ?? 0, 0)
            XCTAssertGreaterThanOrEqual((b["sd"] as? NSNumber)?.doubleValue ?? -1, 0)
        }
    }

    /// Two corpora answering the same prompts are distinguishable only in
    /// the paired design (as compare --paired), which matches documents by
    /// their name inside each folder.
    func testPairedDesignMatchesDocumentsByName() throws {
        func p(_ extra: [String]) throws -> Double {
            let m = try json(["batch", "Corpora/paired", "--by-subdir", "--permutations", "99"] + extra)
            let t = try XCTUnwrap((m["tests"] as? [[String: Any]])?.first)
            if !extra.isEmpty { XCTAssertEqual(t["pairs"] as? Int, 50) }
            return (t["p_value"] as! NSNumber).doubleValue
        }
        XCTAssertEqual(try p(["--paired"]), 0.01)
        XCTAssertGreaterThan(try p([]), 0.05)
        XCTAssertEqual(try CLITests.run(["batch", "Corpora/paired", "--paired"]).status, 64)
    }

    /// Subdirectory names with an escape sequence and a newline: every
    /// header of the matrices is escaped as the rows are (the column headers
    /// were written raw; found by a hostile review in session 21).
    func testCorpusNamesAreEscapedInTheHeaders() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-matrix-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let source = CLITests.root.appendingPathComponent("Corpora")
        for (sub, from) in [("e\u{1B}[2Jx", "source-a"), ("n\nl", "source-b"), ("plain", "source-a")] {
            let d = dir.appendingPathComponent(sub)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for k in 1...4 {
                let name = String(format: "doc%04d.txt", k + (sub == "plain" ? 10 : 0))
                try FileManager.default.copyItem(
                    at: source.appendingPathComponent(from).appendingPathComponent(name), to: d.appendingPathComponent(name))
            }
        }
        let r = try CLITests.run(["batch", dir.path, "--by-subdir", "--permutations", "19"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), "a raw escape")
        XCTAssertFalse(r.stdout.contains("n\nl"), "a raw newline in a name")
        XCTAssertTrue(r.stdout.contains("plain"))
    }

    /// The options of document pairs are refused with the corpus-matrix
    /// modes (they were ignored: `--threshold 0.5 --fail-on-match` exited 0),
    /// and a MinHash threshold outside (0, 1] is refused (a Jaccard of −0.5
    /// reported no pair at all).
    func testOptionsThatWouldBeIgnoredAreRefused() throws {
        for args in [
            ["batch", "Corpora", "--by-subdir", "--threshold", "0.5", "--fail-on-match"],
            ["batch", "Corpora", "--by-subdir", "--method", "minhash"],
            ["batch", "Corpora", "--by-subdir", "--top", "3"],
            ["batch", "Corpora", "--by-subdir", "--evidence", "2"],
            ["batch", "Corpora/source-a", "--method", "minhash", "--threshold", "-0.5"],
            ["batch", "Corpora/source-a", "--method", "minhash", "--threshold", "0"],
        ] {
            let r = try CLITests.run(args)
            XCTAssertEqual(r.status, 64, "\(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, args.joined(separator: " "))
        }
    }

    /// A skipped input is counted and listed in the corpus-matrix reports
    /// as in every other (it vanished from table, JSON, CSV and HTML).
    func testSkipsAreReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-matrix-skips-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for (sub, from) in [("x", "source-a"), ("y", "source-b")] {
            let d = dir.appendingPathComponent(sub)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for k in 1...4 {
                let name = String(format: "doc%04d.txt", k)
                try FileManager.default.copyItem(
                    at: CLITests.root.appendingPathComponent("Corpora").appendingPathComponent(from).appendingPathComponent(name),
                    to: d.appendingPathComponent(name))
            }
        }
        try Data().write(to: dir.appendingPathComponent("y/empty.txt"))
        let j = try json(["batch", dir.path, "--by-subdir", "--permutations", "19"])
        let skips = try XCTUnwrap(j["skips"] as? [[String: Any]])
        XCTAssertEqual(skips.count, 1)
        XCTAssertTrue((skips.first?["path"] as? String ?? "").hasSuffix("y/empty.txt"), "\(skips)")
        let table = try CLITests.run(["batch", dir.path, "--by-subdir", "--permutations", "19"])
        XCTAssertTrue(table.stdout.contains("skipped 1: "), table.stdout)
        let csv = try CLITests.run(["batch", dir.path, "--by-subdir", "--permutations", "19", "--format", "csv"])
        XCTAssertTrue(csv.stderr.contains("1 inputs skipped"), csv.stderr)
    }

    /// The p-value table's header counts the relabellings of the tests that
    /// ran: a corpus of one document runs none, and when its pair came first
    /// the header said "0 relabellings".
    func testTheHeaderCountsTheTestsThatRan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-matrix-header-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let words = CLITests.SeededWords(seed: 9)
        func text() -> String { words.text(50, vocabulary: 300) }
        let groups = ["a"] + Array(repeating: "b", count: 5) + Array(repeating: "c", count: 5)
        let lines = groups.map { "{\"model\": \"\($0)\", \"text\": \"\(text())\"}\n" }.joined()
        let file = dir.appendingPathComponent("g.jsonl")
        try lines.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLITests.run(["batch", file.path, "--by-field", "model", "--permutations", "19", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("19 relabellings"), r.stdout)
        XCTAssertFalse(r.stdout.contains(" 0 relabellings"), r.stdout)
    }
}
