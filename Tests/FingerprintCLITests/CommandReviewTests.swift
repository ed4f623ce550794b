import FingerprintCore
import Foundation
import XCTest

/// Regression tests for a hostile review of `attribute`, `tokenizers`,
/// `merge` and `index` (4 December 2026), one test a finding or a group of
/// alike findings. They run the real binary.
final class CommandReviewTests: XCTestCase {
    func run(_ args: [String], stdin: String? = nil) throws -> CLITests.Run { try CLITests.run(args, stdin: stdin) }

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Three documents and an empty file (one skip) in a new folder.
    func corpus(in dir: URL) throws -> URL {
        let c = dir.appendingPathComponent("corp")
        try FileManager.default.createDirectory(at: c, withIntermediateDirectories: true)
        for name in ["doc0001.txt", "doc0002.txt", "doc0003.txt"] {
            try FileManager.default.copyItem(
                at: CLITests.root.appendingPathComponent("Corpora/source-a/\(name)"), to: c.appendingPathComponent(name))
        }
        try Data().write(to: c.appendingPathComponent("empty.txt"))
        return c
    }

    func bytes(_ url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

    /// `index add --skipped` replaced the index, the corpus or the key with
    /// the skip list (exit 0), and `-o` was accepted and never written.
    func testIndexAddRefusesASkipListOverItsInputsAndAnOutput() throws {
        let dir = try tempDir()
        let c = try corpus(in: dir)
        let idx = dir.appendingPathComponent("idx.fp")
        XCTAssertEqual(try run(["index", "add", idx.path, c.path, "-q"]).status, 0)
        let before = try XCTUnwrap(bytes(idx))
        let key = dir.appendingPathComponent("k.hex")
        try (String(repeating: "ab", count: 32) + "\n").write(to: key, atomically: true, encoding: .utf8)
        let keyBytes = bytes(key)
        let doc = c.appendingPathComponent("doc0001.txt")
        let docBytes = bytes(doc)
        for (skipped, extra) in [(idx.path, [String]()), (doc.path, []), (c.appendingPathComponent("skips.csv").path, [])] {
            let r = try run(["index", "add", idx.path, c.path, "--skipped", skipped] + extra)
            XCTAssertEqual(r.status, 64, "\(skipped): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--skipped"), r.stderr)
        }
        let keyed = dir.appendingPathComponent("keyed.fp")
        let k = try run(["index", "add", keyed.path, c.path, "--key", key.path, "--skipped", key.path])
        XCTAssertEqual(k.status, 64, k.stderr)
        XCTAssertEqual(bytes(key), keyBytes)
        XCTAssertEqual(bytes(doc), docBytes)
        XCTAssertEqual(bytes(idx), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: c.appendingPathComponent("skips.csv").path))
        let o = try run(["index", "add", idx.path, c.path, "-o", dir.appendingPathComponent("sum.txt").path])
        XCTAssertEqual(o.status, 64, o.stderr)
        XCTAssertTrue(o.stderr.contains("takes no --output"), o.stderr)
        // A skip list elsewhere is written, and the index still lists its documents.
        let list = dir.appendingPathComponent("skips.csv")
        XCTAssertEqual(try run(["index", "add", idx.path, c.path, "--skipped", list.path, "-q"]).status, 0)
        XCTAssertEqual(
            String(decoding: try XCTUnwrap(bytes(list)), as: UTF8.self),
            "path,reason\n\(c.appendingPathComponent("empty.txt").path),empty document\n")
        XCTAssertEqual(try run(["index", "list", idx.path, "--format", "csv"]).stdout.split(separator: "\n").count, 4)
    }

    /// A damaged `permutations` in a file's meta sized a signature of
    /// 400 GB (a trap) or hung; it is an impossible parameter (exit 65).
    func testADamagedPermutationCountIsRefused() throws {
        let dir = try tempDir()
        let c = try corpus(in: dir)
        let fp = dir.appendingPathComponent("p.fp")
        XCTAssertEqual(try run(["sketch", c.path, "-o", fp.path, "-q"]).status, 0)
        for value in ["99999999999", "2147483647", "4097"] {
            try SQLiteDatabase(path: fp.path, mode: .readWrite).execute("UPDATE meta SET value = '\(value)' WHERE key = 'permutations'")
            for args in [["index", "query", fp.path, c.path], ["index", "list", fp.path]] {
                let r = try run(args)
                XCTAssertEqual(r.status, 65, "\(value) \(args[1]): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("impossible sketch parameters"), r.stderr)
            }
        }
    }

    /// Escape sequences from a label and from a file's meta reached the
    /// terminal raw (`attribute`'s candidates line, `index list`'s parameters).
    func testLabelsAndMetaValuesAreEscapedOnTheTerminal() throws {
        let dir = try tempDir()
        let ref = dir.appendingPathComponent("r")
        try FileManager.default.createDirectory(at: ref, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/source-a"), to: ref.appendingPathComponent("A"))
        try FileManager.default.copyItem(
            at: CLITests.root.appendingPathComponent("Corpora/source-b"), to: ref.appendingPathComponent("B\u{1B}[31mRED\u{07}"))
        let a = try run(["attribute", "--reference", ref.path, "--cv", "3", "--method", "delta"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertFalse(a.stdout.contains("\u{1B}"), a.stdout)
        XCTAssertTrue(a.stdout.contains(#"candidates: A (50), B\e[31mRED\x07 (50)"#), a.stdout)
        let c = try corpus(in: dir)
        let fp = dir.appendingPathComponent("e.fp")
        XCTAssertEqual(try run(["sketch", c.path, "-o", fp.path, "-q"]).status, 0)
        try SQLiteDatabase(path: fp.path, mode: .readWrite).execute(
            "UPDATE meta SET value = char(27) || ']0;pwned' || char(7) || '0.2.0' WHERE key = 'tool_version'")
        let l = try run(["index", "list", fp.path])
        XCTAssertEqual(l.status, 0, l.stderr)
        XCTAssertFalse(l.stdout.contains("\u{1B}") || l.stdout.contains("\u{07}"), l.stdout)
        XCTAssertTrue(l.stdout.contains(#"made by fingerprint \e]0;pwned\x070.2.0"#), l.stdout)
    }

    /// The skips a file stores were shown only by `index list --format json`
    /// and `stats`: the table and `index query` said nothing.
    func testAFilesStoredSkipsAreShownByListAndQuery() throws {
        let dir = try tempDir()
        let c = try corpus(in: dir)
        let fp = dir.appendingPathComponent("s.fp")
        XCTAssertEqual(try run(["sketch", c.path, "-o", fp.path, "-q"]).status, 0)
        let l = try run(["index", "list", fp.path])
        XCTAssertTrue(l.stdout.contains("skipped when sketched"), l.stdout)
        XCTAssertTrue(l.stdout.contains("empty.txt") && l.stdout.contains("empty document"), l.stdout)
        let q = try run(["index", "query", fp.path, c.appendingPathComponent("doc0001.txt").path, "--format", "json"])
        XCTAssertEqual(q.status, 0, q.stderr)
        let notes = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any])?["notes"] as? [String])
        XCTAssertTrue(notes.contains { $0.contains("had 1 skipped when they were sketched") }, "\(notes)")
    }

    /// `index remove F doc doc` removed the document and then called the
    /// second name "not in the index".
    func testANameGivenTwiceIsRemovedOnceAndNotMissing() throws {
        let dir = try tempDir()
        let c = try corpus(in: dir)
        let fp = dir.appendingPathComponent("r.fp")
        XCTAssertEqual(try run(["sketch", c.path, "-o", fp.path, "-q"]).status, 0)
        let r = try run(["index", "remove", fp.path, "doc0001.txt", "doc0001.txt", "nothere.txt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("removed 1 documents; now 2"), r.stdout)
        XCTAssertTrue(r.stderr.contains("1 names not in the index: nothere.txt"), r.stderr)
    }

    /// A FIFO without a writer as a corpus, a fingerprint file, a label
    /// table, a key or a ranks file hung the command (opening it waits for
    /// a writer); `<(…)` lost its first 16 bytes to the fingerprint-file
    /// sniff. A fingerprint file, a label table, a key or a ranks file that
    /// is a pipe is one line, exit 66, at once; a corpus that is a pipe is
    /// read as a stream (StreamInput): a FIFO waits for its writer with a
    /// note saying so, and `/dev/stdin` is read whole. (sh's `timeout`
    /// bounds a regression.)
    func testPipesAndDevicesAreRefusedWithoutOpeningThem() throws {
        let dir = try tempDir()
        let fifo = dir.appendingPathComponent("f.fp")
        guard mkfifo(fifo.path, 0o644) == 0 else { throw XCTSkip("mkfifo failed") }
        let c = try corpus(in: dir)
        let fp = dir.appendingPathComponent("ok.fp")
        XCTAssertEqual(try run(["sketch", c.path, "-o", fp.path, "-q"]).status, 0)
        // A corpus that is a FIFO waits for its writer, as cat does, and
        // says so; a writer that comes late is read whole.
        let waiting = try CLITests.runProgram("/usr/bin/timeout", ["4", CLITests.binary.path, "stats", fifo.path])
        XCTAssertEqual(waiting.status, 124, waiting.stderr)
        XCTAssertTrue(waiting.stderr.contains("waiting for a writer to open this pipe"), waiting.stderr)
        let late = try CLITests.runProgram(
            "/bin/sh",
            [
                "-c", #"(sleep 0.5; echo hello late world > "$1") & timeout 20 "$0" stats "$1" --format json"#, CLITests.binary.path,
                fifo.path,
            ])
        XCTAssertEqual(late.status, 0, late.stderr)
        XCTAssertTrue(late.stdout.contains("\"tokens\" : 3"), late.stdout)
        let cases: [[String]] = [
            ["index", "list", fifo.path],
            ["merge", fifo.path, fp.path, "-o", dir.appendingPathComponent("m.fp").path],
            ["attribute", "--reference", "Corpora/source-a", "--labels", fifo.path],
            ["sketch", c.path, "-o", dir.appendingPathComponent("k.fp").path, "--key", fifo.path],
            ["stats", c.path, "--tokenizer", "cl100k:" + fifo.path],
        ]
        for args in cases {
            let r = try CLITests.runProgram("/usr/bin/timeout", ["20", CLITests.binary.path] + args)
            XCTAssertEqual(r.status, 66, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("not a regular file"), "\(args): \(r.stderr)")
        }
        // A stream given as a path (bash's <(…) is /dev/fd/N): read whole, not half read.
        let r = try CLITests.runProgram(
            "/bin/sh", ["-c", #"echo hello world | timeout 20 "$0" stats /dev/stdin --format json"#, CLITests.binary.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"tokens\" : 2"), r.stdout)
        // A device is not a corpus.
        let zero = try CLITests.runProgram("/usr/bin/timeout", ["20", CLITests.binary.path, "stats", "/dev/zero"])
        XCTAssertEqual(zero.status, 66, zero.stderr)
        XCTAssertTrue(zero.stderr.contains("is a device"), zero.stderr)
    }

    /// JSONL labels `null` and `["A"]` became candidates named "null" and
    /// `["A"]`; they are no label, as a missing field is.
    func testNullAndArrayLabelsAreNoLabel() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("ref.jsonl")
        let a = try String(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt"), encoding: .utf8)
        let b = try String(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-b/doc0001.txt"), encoding: .utf8)
        func line(_ text: String, _ label: String) throws -> String {
            let t = String(decoding: try JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), as: UTF8.self)
            return "{\"text\": \(t.dropFirst().dropLast()), \"label\": \(label)}\n"
        }
        var s = ""
        for i in 0..<6 { s += try line(a + " \(i)", "\"A\"") + line(b + " \(i)", "\"B\"") }
        s += try line(a, "null") + line(b, "[\"A\"]") + line(a, "true") + line(b, "{\"x\": 1}")
        try s.write(to: f, atomically: true, encoding: .utf8)
        let r = try run(["attribute", "--reference", f.path, "--label-field", "label", "--cv", "3", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let names = (j["candidates"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(names, ["A", "B"], r.stdout)
    }

    /// Options of another method, or of a mode not asked for, were accepted
    /// and ignored (exit 0); a candidate with one document was "evaluated"
    /// by folds that never saw it.
    func testAttributeRefusesIgnoredOptionsAndUnlearnableCandidates() throws {
        let refused: [[String]] = [
            ["--method", "linear", "--rounds", "5"], ["--method", "delta", "--impostors", "3"], ["--abstain-alpha", "0.1"],
            ["--permutations", "99"], ["--corpus-distance", "jsd"], ["--char-features", "100"],
            ["--method", "delta", "--C", "1"], ["--method", "impostors", "--C", "1"], ["--delta", "burrows"],
            ["--method", "impostors", "--delta", "burrows"], ["--cv", "3", "--groups", "x.csv"],
        ]
        for extra in refused {
            let r = try run(["attribute", "--reference", "Corpora/paired"] + extra)
            XCTAssertEqual(r.status, 64, "\(extra): \(r.stderr)")
        }
        let q = try run(["attribute", "--reference", "Corpora/paired", "Corpora/mix-10", "--cv", "5"])
        XCTAssertEqual(q.status, 64, q.stderr)
        XCTAssertTrue(q.stderr.contains("--cv is for evaluation"), q.stderr)

        let dir = try tempDir()
        let ref = dir.appendingPathComponent("r")
        for (label, source, n) in [("A", "source-a", 1), ("B", "source-b", 4)] {
            let d = ref.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for i in 1...n {
                let name = String(format: "doc%04d.txt", i)
                try FileManager.default.copyItem(
                    at: CLITests.root.appendingPathComponent("Corpora/\(source)/\(name)"), to: d.appendingPathComponent(name))
            }
        }
        let one = try run(["attribute", "--reference", ref.path, "--cv", "2"])
        XCTAssertEqual(one.status, 65, one.stderr)
        XCTAssertTrue(one.stderr.contains("candidate A has 1 document"), one.stderr)
        // Two documents against 3 folds: evaluated, with a note.
        try FileManager.default.copyItem(
            at: CLITests.root.appendingPathComponent("Corpora/source-a/doc0002.txt"),
            to: ref.appendingPathComponent("A/doc0002.txt"))
        let few = try run(["attribute", "--reference", ref.path, "--cv", "3", "--method", "delta", "--format", "json"])
        XCTAssertEqual(few.status, 0, few.stderr)
        let notes = (try JSONSerialization.jsonObject(with: Data(few.stdout.utf8)) as? [String: Any])?["notes"] as? [String] ?? []
        XCTAssertTrue(notes.contains { $0.contains("fewer documents than the 3 folds (A: 2)") }, "\(notes)")
    }

    /// A repeated rank, a repeated token and a rank too large in a
    /// `.tiktoken` file named no line.
    func testTiktokenVocabularyProblemsNameTheirLine() throws {
        let dir = try tempDir()
        // 256 single bytes (lines 1–256), then the problem on lines 257–258.
        let bytesLines = (0..<256).map { Data([UInt8($0)]).base64EncodedString() + " \($0)" }
        let ab = Data("ab".utf8).base64EncodedString()
        let ac = Data("ac".utf8).base64EncodedString()
        for (extra, expected) in [
            (["\(ab) 300", "\(ac) 300"], "line 258: rank 300 is given to two tokens"),
            (["\(ab) 300", "\(ab) 9999"], "line 258: token"),
            (["\(ab) 67108864"], "line 257: rank 67108864 is too large"),
        ] {
            let f = dir.appendingPathComponent("t.tiktoken")
            try ((bytesLines + extra).joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
            let r = try run(["stats", "Corpora/source-a", "--tokenizer", "cl100k:" + f.path])
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), r.stderr)
        }
        let missing = try run(["tokenizers", dir.appendingPathComponent("missing.tiktoken").path, "cl100k"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("missing.tiktoken: no such file"), missing.stderr)
    }

    /// The JSON summary of `sketch`, `merge` and `index add` had no schema
    /// or version and a camelCase key; `index add --dry-run` was headed
    /// `sketch`.
    func testChangeSummariesFollowTheJSONContract() throws {
        let dir = try tempDir()
        let c = try corpus(in: dir)
        let fp = dir.appendingPathComponent("j.fp")
        let r = try run(["index", "add", fp.path, c.path, "--format", "json", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["schema"] as? String, "fingerprint.change/1")
        XCTAssertNotNil(j["version"] as? String)
        XCTAssertEqual(j["file_bytes"] as? Int, try FileManager.default.attributesOfItem(atPath: fp.path)[.size] as? Int)
        XCTAssertNil(j["fileBytes"])
        let plan = try run(["index", "add", fp.path, c.path, "--dry-run"])
        XCTAssertTrue(plan.stdout.contains("index add"), plan.stdout)
    }
}
