import Foundation
import XCTest

/// Regression tests for the findings of the hostile review (issue 15), each
/// named after its finding: `testFinding04…` pins finding 4. They run the
/// real binary. Device nodes are made privately in a temporary directory
/// (`mknod`, as root; skipped otherwise) — never the system's /dev.
final class ReliabilityTests: XCTestCase {
    func run(_ args: [String], stdin: String? = nil) throws -> CLITests.Run { try CLITests.run(args, stdin: stdin) }

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-rel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func write(_ s: String, _ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try s.write(to: url, atomically: false, encoding: .utf8)
    }

    /// A character device with the numbers of the system's null (1,3) or
    /// full (1,7) device, made in `dir`.
    func device(_ name: String, minor: UInt32, in dir: URL) throws -> URL {
        guard getuid() == 0 else { throw XCTSkip("making a device node needs root") }
        let url = dir.appendingPathComponent(name)
        // glibc's makedev(1, minor) for minor < 256: (major << 8) | minor.
        guard mknod(url.path, S_IFCHR | 0o666, dev_t((1 << 8) | minor)) == 0 else {
            throw XCTSkip("mknod failed: \(String(cString: strerror(errno)))")
        }
        return url
    }

    func mode(_ url: URL) -> mode_t {
        var st = stat()
        lstat(url.path, &st)
        return st.st_mode & S_IFMT
    }

    // MARK: - Crashes

    /// Finding 1: the whole permutations × features array was held at once
    /// (32 GB for 400,000 × 20,000). Relabellings are now drawn and
    /// multiplied in blocks of bounded memory (the blocking itself is
    /// checked bit for bit in PermutationTests): 10,000 permutations over
    /// 12,000 features run in well under the 480 MB their sums alone took.
    func testFinding01ManyPermutationsRunInBoundedMemory() throws {
        try XCTSkipIf(CLITests.underSanitizer, "peak memory is not bounded alike under a sanitizer")
        let dir = try tempDir()
        // 40 documents over a vocabulary of 20,000 types.
        for d in 0..<40 {
            let words = (0..<600).map { "w\(($0 * 37 + d * 1_009) % 20_000)" }
            try write(words.joined(separator: " "), dir.appendingPathComponent("\(d < 20 ? "a" : "b")/doc\(d).txt"))
        }
        let (r, peak) = try CLITests.runMeasured([
            "compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path,
            "--permutations", "10000", "--features", "20000", "--bootstrap", "0", "--passages", "0", "--format", "json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(peak, 400 * 1024 * 1024, "peak memory of the run over 400 MB")
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let test = try XCTUnwrap(j["test"] as? [String: Any])
        XCTAssertEqual(test["permutations"] as? Int, 10000)
        XCTAssertGreaterThan(test["features"] as? Int ?? 0, 10_000)
    }

    /// Finding 2: `batch --method minhash --shingle 0` trapped; finding 3:
    /// `--tile 9223372036854775807` overflowed. Both are usage errors now.
    func testFindings02And03OutOfRangeValuesAreUsageErrors() throws {
        for args in [
            ["--method", "minhash", "--shingle", "0"], ["--method", "minhash", "--shingle", "65"],
            ["--method", "minhash", "--shingle", "100000"], ["--tile", "9223372036854775807"], ["--tile", "15"],
        ] {
            let r = try run(["batch", "Corpora/source-a"] + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
        }
    }

    /// Shingles are words (or a model tokenizer's tokens): `dedup` and
    /// `batch --method minhash` with `--tokenizer char:N` or `ngram:N` used
    /// word shingles all the same, silently. Now a usage error naming
    /// --shingle; word stays accepted.
    func testShingleCommandsRefuseTokenizersTheyWouldIgnore() throws {
        for args in [
            ["dedup", "Corpora/near-dups", "--tokenizer", "char:3"], ["dedup", "Corpora/near-dups", "--tokenizer", "ngram:2"],
            ["batch", "Corpora/near-dups", "--method", "minhash", "--threshold", "0.5", "--tokenizer", "char:4"],
        ] {
            let r = try run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--shingle"), r.stderr)
        }
        XCTAssertEqual(try run(["dedup", "Corpora/near-dups", "--tokenizer", "word", "--format", "json"]).status, 0)
        XCTAssertEqual(try run(["batch", "Corpora/near-dups", "--tokenizer", "char:4", "--format", "json"]).status, 0)
    }

    // MARK: - Data destroyed

    /// An output that is a symbolic link to a path that does not exist
    /// became a regular file in the link's place (exit 0). It is refused
    /// with one line, for a report and for a fingerprint file, and the link
    /// stays as it was, pointing at nothing.
    func testOutputOntoADanglingLinkIsRefusedAndTheLinkKept() throws {
        let dir = try tempDir()
        let link = dir.appendingPathComponent("link.out")
        let target = dir.appendingPathComponent("missing").path
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target)
        for args in [
            ["stats", "Corpora/source-a", "--format", "json", "--output", link.path],
            ["sketch", "Corpora/source-a", "-o", link.path, "-q"],
        ] {
            let r = try run(args)
            XCTAssertEqual(r.status, 74, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("symbolic link to \(target)"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertEqual(mode(link), S_IFLNK, "the link was replaced")
            XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        }
    }

    /// Finding 4: `--output` onto a device node, FIFO or symlink replaced it
    /// with a regular file, and a full device reported success.
    func testFinding04OutputOntoDeviceFIFOOrSymlinkKeepsIt() throws {
        let dir = try tempDir()
        let null = try device("null", minor: 3, in: dir)
        var r = try run(["stats", "Corpora/source-a", "--format", "json", "--output", null.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(null), S_IFCHR, "the device node was replaced")

        let full = try device("full", minor: 7, in: dir)
        r = try run(["stats", "Corpora/source-a", "--output", full.path])
        XCTAssertEqual(r.status, 74, r.stderr)
        XCTAssertTrue(r.stderr.contains("No space left"), r.stderr)
        XCTAssertEqual(mode(full), S_IFCHR)

        let real = dir.appendingPathComponent("real.json")
        try write("old", real)
        let link = dir.appendingPathComponent("link.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        r = try run(["stats", "Corpora/source-a", "--format", "json", "--output", link.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(link), S_IFLNK, "the symbolic link was replaced")
        XCTAssertTrue(try String(contentsOf: real, encoding: .utf8).contains("fingerprint.stats/1"))

        let fifo = dir.appendingPathComponent("fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo.path]
        let pipe = Pipe()
        reader.standardOutput = pipe
        try reader.run()
        r = try run(["stats", "Corpora/source-a", "--format", "json", "--output", fifo.path])
        let read = pipe.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(fifo), S_IFIFO, "the FIFO was replaced")
        XCTAssertTrue(String(decoding: read, as: UTF8.self).contains("fingerprint.stats/1"))
    }

    /// Finding 5: an output naming an input replaced the input (or a corpus
    /// document, or left a 0-byte JSONL). It is refused before any work.
    func testFinding05OutputNamingAnInputIsRefused() throws {
        let dir = try tempDir()
        let one = dir.appendingPathComponent("one.txt")
        try write("some words here", one)
        var r = try run(["stats", one.path, "--output", one.path])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertEqual(try String(contentsOf: one, encoding: .utf8), "some words here")

        let corpus = dir.appendingPathComponent("corpus")
        try write("alpha beta gamma", corpus.appendingPathComponent("doc0001.txt"))
        try write("delta epsilon zeta", corpus.appendingPathComponent("doc0002.txt"))
        r = try run(["batch", corpus.path, "--output", corpus.appendingPathComponent("doc0001.txt").path])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertEqual(try String(contentsOf: corpus.appendingPathComponent("doc0001.txt"), encoding: .utf8), "alpha beta gamma")
        r = try run(["batch", corpus.path, "--output", corpus.appendingPathComponent("report.json").path])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("lies inside the input"), r.stderr)

        let jsonl = dir.appendingPathComponent("in.jsonl")
        let lines = "{\"text\": \"one two three four five six\"}\n{\"text\": \"one two three four five six\"}\n"
        try write(lines, jsonl)
        r = try run(["dedup", jsonl.path, "--format", "jsonl", "--output", jsonl.path])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertEqual(try String(contentsOf: jsonl, encoding: .utf8), lines)
    }

    /// Session 21's hostile review: the files a run reads besides its
    /// corpora (a tokenizer's ranks file or tokenizer.json, a key file, the
    /// two files `tokenizers` compares) were not guarded, so `--output`
    /// replaced them (a lost key); and `--output X --skipped X` left only the
    /// skip list. Each is refused before any work, the file as it was.
    func testOutputNamingAReadFileOrTheSkipListIsRefused() throws {
        let dir = try tempDir()
        func check(_ args: [String], _ file: URL, _ line: UInt = #line) throws {
            let before = try Data(contentsOf: file)
            let r = try run(args)
            XCTAssertEqual(r.status, 64, "\(args.joined(separator: " ")): \(r.stderr)", line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, line: line)
            XCTAssertEqual(try Data(contentsOf: file), before, "\(file.lastPathComponent) was changed", line: line)
        }
        let ranks = dir.appendingPathComponent("t.tiktoken")
        try write("not read: the output is refused first\n", ranks)
        try check(["stats", "Corpora/source-a", "--tokenizer", "cl100k:\(ranks.path)", "-o", ranks.path], ranks)
        try check(["batch", "Corpora/source-a", "--tokenizer", "cl100k:\(ranks.path)", "--skipped", ranks.path], ranks)
        let json = dir.appendingPathComponent("wp.json")
        try write("{}", json)
        try check(["dedup", "Corpora/source-a", "--tokenizer", "hf:\(json.path)", "-o", json.path], json)
        try check(["tokenizers", json.path, "cl100k:\(ranks.path)", "-o", json.path], json)
        try check(["tokenizers", json.path, "cl100k:\(ranks.path)", "-o", ranks.path], ranks)
        let key = dir.appendingPathComponent("key.txt")
        try write(String(repeating: "ab", count: 32) + "\n", key)
        try check(["sketch", "Corpora/source-a", "--key", key.path, "-o", key.path], key)
        try check(["index", "add", key.path, "Corpora/source-a", "--key", key.path], key)
        let fp = dir.appendingPathComponent("k.fp")
        XCTAssertEqual(try run(["sketch", "Corpora/source-a", "--key", key.path, "-o", fp.path, "-q"]).status, 0)
        try check(["index", "query", fp.path, "Corpora/source-b", "--key", key.path, "-o", key.path], key)
        // The report and the skip list in one file.
        let same = dir.appendingPathComponent("same.txt")
        try write("old", same)
        try check(["stats", "Corpora/source-a", "-o", same.path, "--skipped", same.path], same)
        // One device for both (a private null device) is fine.
        let null = try device("null", minor: 3, in: dir)
        let r = try run(["stats", "Corpora/source-a", "-o", null.path, "--skipped", null.path])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Numbers whose results lose every digit, or whose runs would take a
    /// week, are refused before any work: a denormal or huge --alpha (a
    /// cross-entropy below the entropy, or of 0), an infinite --prior (an
    /// empty keyness table), attribute's --bootstrap, --rounds and
    /// --permutations past their caps (--bootstrap 99999999999 ran on).
    func testNumbersOutsideTheirRangesAreRefused() throws {
        let compare = ["compare", "Corpora/source-a", "Corpora/source-b"]
        let attribute = ["attribute", "--reference", "Corpora/paired"]
        for args in [
            compare + ["--alpha", "1e-320"], compare + ["--alpha", "1e308"], compare + ["--alpha", "inf"],
            compare + ["--prior", "inf"], compare + ["--prior", "1e-320"],
            attribute + ["--bootstrap", "99999999999"], attribute + ["--rounds", "99999999999"],
            attribute + ["--permutations", "99999999999"],
        ] {
            let r = try run(args)
            XCTAssertEqual(r.status, 64, "\(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count <= 3, true, r.stderr)
        }
    }

    /// Small numbers are printed as given: --alpha 0.001 printed "0.00",
    /// a MinHash threshold of 0.01 "0.009999999776482582".
    func testSmallNumbersArePrintedAsGiven() throws {
        let c = try run(["compare", "Corpora/source-a", "Corpora/source-b", "--alpha", "0.001", "--permutations", "9", "-q"])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("KL(A||B), alpha = 0.001 "), c.stdout)
        let d = try run(["compare", "Corpora/source-a", "Corpora/source-b", "--permutations", "9", "-q"])
        XCTAssertTrue(d.stdout.contains("KL(A||B), alpha = 0.50 "), d.stdout)
        let b = try run(["batch", "Corpora/source-a", "--method", "minhash", "--threshold", "0.01", "-q"])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue(b.stdout.contains("Jaccard ≥ 0.01,"), b.stdout)
    }

    /// Finding 6: `dedup --write-kept EXISTING --output out.json` wrote the
    /// report, then failed. The destination is checked before any work.
    func testFinding06WriteKeptIntoNonEmptyDirectoryFailsBeforeTheReport() throws {
        let dir = try tempDir()
        try write("x", dir.appendingPathComponent("kept/x.txt"))
        let out = dir.appendingPathComponent("out.json")
        let r = try run(["dedup", "Corpora/near-dups", "--write-kept", dir.appendingPathComponent("kept").path, "--output", out.path])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// Finding 7: after SIGTERM or SIGINT the temporary `.NAME.tmp-PID`
    /// stayed behind.
    func testFinding07SignalsRemoveTheTemporaryFile() throws {
        let dir = try tempDir()
        // A corpus that takes long enough to stream: every document against every other.
        let gen = try run(["synth", dir.appendingPathComponent("big").path, "--size", "8MB", "--quiet"])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        for sig in [SIGTERM, SIGINT] {
            let out = dir.appendingPathComponent("out-\(sig).jsonl")
            let p = Process()
            p.executableURL = CLITests.binary
            p.arguments = ["batch", dir.appendingPathComponent("big").path, "--format", "jsonl", "--threads", "1", "--output", out.path]
            p.standardError = FileHandle.nullDevice
            try p.run()
            let temporary = dir.appendingPathComponent(".out-\(sig).jsonl.tmp-\(p.processIdentifier)")
            var waited = 0
            while !FileManager.default.fileExists(atPath: temporary.path) && p.isRunning && waited < 600 {
                usleep(10_000)
                waited += 1
            }
            guard p.isRunning else { throw XCTSkip("the run finished before it could be interrupted") }
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal)
            XCTAssertEqual(p.terminationStatus, sig)
            XCTAssertFalse(FileManager.default.fileExists(atPath: temporary.path), "signal \(sig) left \(temporary.lastPathComponent)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
    }

    // MARK: - Injection

    /// Finding 8: escapes in file names reached the terminal raw, and a
    /// newline in a name split a table row.
    func testFinding08ControlCharactersInNamesAreEscaped() throws {
        let dir = try tempDir()
        let evil = "evil\u{1B}[31mred\u{1B}]0;title\u{07}\nrow.txt"
        try write("alpha beta gamma delta", dir.appendingPathComponent(evil))
        try write("alpha beta gamma epsilon", dir.appendingPathComponent("plain.txt"))
        var r = try run(["batch", dir.path, "--top", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), r.stdout)
        XCTAssertTrue(r.stdout.contains(#"evil\e[31mred\e]0;title\x07\nrow.txt"#), r.stdout)
        r = try run(["stats", dir.appendingPathComponent("missing\u{1B}[2J.txt").path])
        XCTAssertEqual(r.status, 66)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), r.stderr)
        XCTAssertTrue(r.stderr.contains(#"missing\e[2J.txt"#), r.stderr)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1)
    }

    /// Finding 9: formula-leading CSV cells (`=cmd|' /C calc'!A0`) and raw
    /// ESC bytes were written as they are.
    func testFinding09CSVCellsAreNeutralised() throws {
        let dir = try tempDir()
        try write("alpha beta gamma", dir.appendingPathComponent("=cmd|' C calc'!A0.txt"))
        try write("alpha beta delta", dir.appendingPathComponent("\u{1B}[31mx.txt"))
        var r = try run(["batch", dir.path, "--top", "1", "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("'=cmd|' C calc'!A0.txt"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), r.stdout)
        XCTAssertTrue(r.stdout.contains(#"\e[31mx.txt"#), r.stdout)
        // Negative numbers are numbers, not formulas.
        XCTAssertFalse(r.stdout.contains("'-"), r.stdout)
        r = try run(["batch", dir.path, "--top", "1", "--format", "csv", "--csv-formulas"])
        XCTAssertTrue(r.stdout.contains("\n=cmd|' C calc'!A0.txt,"), r.stdout)
    }

    // MARK: - Memory that grows without bound

    /// Finding 20: `batch --threshold -1 --top 0 --format json` on 5,000
    /// small files held all 12.5 M pairs (8 GB). Pairs are no longer kept
    /// for clusters or evidence, and the JSON lists the 200,000 strongest
    /// with the total and a note (JSONL and CSV stream them all).
    func testFinding20PairListsAreBounded() throws {
        let dir = try tempDir()
        for i in 0..<800 {
            let words = (0..<12).map { "w\((i * 7 + $0 * 13) % 97)" }
            try write(words.joined(separator: " "), dir.appendingPathComponent(String(format: "c/d%04d.txt", i)))
        }
        let r = try run(["batch", dir.appendingPathComponent("c").path, "--threshold", "-1", "--top", "0", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["pairs_total"] as? Int, 800 * 799 / 2)
        let pairs = try XCTUnwrap(j["pairs"] as? [[String: Any]])
        XCTAssertEqual(pairs.count, 200_000)
        let scores = pairs.map { ($0["score"] as! NSNumber).doubleValue }
        XCTAssertEqual(scores, scores.sorted(by: >), "the strongest pairs, strongest first")
        XCTAssertTrue((j["notes"] as? [String] ?? []).contains { $0.contains("319600 pairs reached the threshold") })
        XCTAssertEqual((j["clusters"] as? [Any])?.count, 1)
    }

    // MARK: - Silent wrong answers and unclear messages

    /// Finding 10: `batch --method lsa` differed with --threads (scores by
    /// up to 2e-6, neighbour lists reordered): LAPACK and the GEMM ran on as
    /// many OpenBLAS threads as --threads, which changes the rounding.
    func testFinding10LSAIsTheSameWhateverTheThreads() throws {
        var outputs: [String] = []
        for t in ["1", "2", "3"] {
            let r = try run(["batch", "Corpora", "--method", "lsa", "--threads", t, "--format", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            outputs.append(r.stdout)
        }
        XCTAssertEqual(Set(outputs).count, 1)
    }

    /// Finding 11: tokens longer than 1 MiB were cut and counted as one
    /// type (two different 2 MiB tokens gave types = 1), and the cuts were
    /// not reported. Each long token now keeps a hash of its rest, and the
    /// count is reported.
    func testFinding11LongTokensStayDistinctAndAreReported() throws {
        let dir = try tempDir()
        let long = String(repeating: "x", count: 2 << 20)
        try write(long + " small " + long, dir.appendingPathComponent("a.txt"))
        try write(String(long.dropLast()) + "y small", dir.appendingPathComponent("b.txt"))
        let r = try run(["stats", dir.path, "--format", "json", "--top", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["types"] as? Int, 3)  // small, and the two long tokens
        XCTAssertEqual(j["truncated_tokens"] as? Int, 3)
        let t = try run(["stats", dir.path, "--top", "3"])
        XCTAssertTrue(t.stdout.contains("3 tokens were longer than 1 MiB"), t.stdout)
        XCTAssertLessThan(t.stdout.utf8.count, 4096, "a 1 MiB token printed whole in the table")
    }

    /// Finding 12: skipped inputs were missing from CSV output (and dedup's
    /// JSONL), and nothing went to standard error.
    func testFinding12SkippedInputsAreReportedForEveryFormat() throws {
        let top = try tempDir()
        let dir = top.appendingPathComponent("corpus")
        try write("alpha beta gamma delta epsilon", dir.appendingPathComponent("a.txt"))
        try write("alpha beta gamma delta zeta", dir.appendingPathComponent("b.txt"))
        try write("", dir.appendingPathComponent("empty.txt"))
        let list = top.appendingPathComponent("skipped.csv").path
        let r = try run(["batch", dir.path, "--format", "csv", "--skipped", list])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 inputs skipped") && r.stderr.contains("empty.txt"), r.stderr)
        let listed = try String(contentsOfFile: list, encoding: .utf8)
        XCTAssertTrue(listed.hasPrefix("path,reason\n") && listed.contains("empty.txt,empty document"), listed)
        let d = try run(["dedup", dir.path, "--format", "jsonl"])
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(d.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])
        XCTAssertEqual(header["type"] as? String, "header")
        XCTAssertEqual(header["schema"] as? String, "fingerprint.dedup/1")
        XCTAssertEqual((header["skipped"] as? [[String: Any]])?.count, 1)
    }

    /// Finding 13: `compare --passage-k 4` found no passage in a pair that
    /// shares no 13-gram: candidates came from 13-gram hits whatever the
    /// passage guarantee (w + k − 1 = 11 here) was.
    func testFinding13ShortPassagesAreFoundWithASmallK() throws {
        let dir = try tempDir()
        let shared = "purple elephants quietly juggle seven golden teacups beneath ancient willow trees"  // 11 tokens
        let filler = (0..<40).map { "filler\($0)" }.joined(separator: " ")
        try write("alpha beta \(shared) gamma delta " + filler, dir.appendingPathComponent("a/one.txt"))
        try write("epsilon zeta " + filler + " a b", dir.appendingPathComponent("a/two.txt"))
        try write("omega psi \(shared) chi phi", dir.appendingPathComponent("b/one.txt"))
        try write("unrelated words only here and nothing more", dir.appendingPathComponent("b/two.txt"))
        func passages(_ extra: [String]) throws -> [[String: Any]] {
            let r = try run(
                [
                    "compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path,
                    "--permutations", "9", "--format", "json",
                ] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return j["passages"] as? [[String: Any]] ?? []
        }
        XCTAssertTrue(try passages([]).isEmpty, "11 shared tokens are below the default guarantee of 15")
        let found = try passages(["--passage-k", "4"])
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual((found.first?["passage"] as? [String: Any])?["tokens"] as? Int, 11)
    }

    /// Finding 14: a file whose name is not valid UTF-8 was skipped as "No
    /// such file or directory". Names are handled as bytes, and shown with
    /// their invalid bytes as \xNN.
    func testFinding14FileNamesThatAreNotUTF8AreRead() throws {
        let dir = try tempDir()
        func create(_ bytes: [UInt8], _ text: String) {
            let path = Array(dir.path.utf8) + [0x2F] + bytes + [0]
            let fd = path.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT, 0o644) }
            }
            XCTAssertGreaterThanOrEqual(fd, 0)
            _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
            close(fd)
        }
        create(Array("caf".utf8) + [0xE9] + Array(".txt".utf8), "alpha beta gamma delta")
        create(Array("plain.txt".utf8), "alpha beta epsilon zeta")
        let r = try run(["batch", dir.path, "--top", "1", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["documents"] as? Int, 2)
        XCTAssertTrue(r.stdout.contains(#"caf\\xE9.txt"#), r.stdout)
        XCTAssertEqual((j["skipped"] as? [Any])?.count ?? 0, 0, r.stdout)
        // The --dry-run survey sizes and samples that file too: 22 + 23 bytes.
        let plan = try run(["stats", dir.path, "--dry-run", "--format", "json"])
        let corpus = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["corpora"] as? [[String: Any]]
        ).first
        XCTAssertEqual(corpus?["text_bytes"] as? Double, 45, plan.stdout)
        XCTAssertEqual(corpus?["sample_documents"] as? Int, 2, plan.stdout)
        // And a fingerprint file keeps it.
        let fp = try tempDir().appendingPathComponent("out.fp").path
        XCTAssertEqual(try run(["sketch", dir.path, "-o", fp, "-q"]).status, 0)
        XCTAssertTrue(try run(["index", "list", fp]).stdout.contains(#"caf\xE9.txt"#))
        // Named on the command line, such a name would reach us with U+FFFD
        // for its invalid byte (another file, or an output under another
        // name): refused in one line that shows the bytes, before any work.
        // (Foundation's Process takes strings, so sh builds the arguments.)
        let outDir = try tempDir()
        let out = outDir.appendingPathComponent("out").path
        func shell(_ script: String) throws -> CLITests.Run {
            try CLITests.runProgram("/bin/sh", ["-c", script, "sh", CLITests.binary.path, dir.path, out])
        }
        let named = try shell(#"exec "$1" stats "$2/$(printf 'caf\351.txt')" --format json"#)
        XCTAssertEqual(named.status, 64, named.stderr)
        XCTAssertTrue(named.stderr.contains(#"argument 2, '"# + dir.path + #"/caf\xE9.txt', is not valid UTF-8"#), named.stderr)
        XCTAssertEqual(named.stderr.split(separator: "\n").count, 1, named.stderr)
        let output = try shell(#"exec "$1" stats "$2" -o "$3$(printf '\376\033').json""#)
        XCTAssertEqual(output.status, 64, output.stderr)
        XCTAssertTrue(output.stderr.contains(#"out\xFE\e.json'"#), output.stderr)
        XCTAssertFalse(output.stderr.contains("\u{1B}"), output.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outDir.path), [])
    }

    /// Finding 15: a JSONL file that starts with a UTF-8 byte-order mark
    /// lost its first record as "invalid JSON at column 1".
    func testFinding15JSONLWithAByteOrderMark() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("bom.jsonl")
        try Data([0xEF, 0xBB, 0xBF] + Array("{\"text\": \"first record\"}\n{\"text\": \"second record\"}\n".utf8)).write(to: f)
        let r = try run(["stats", f.path, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["documents"] as? Int, 2)
        XCTAssertEqual(j["skipped"] as? Int, 0)
    }

    /// Finding 19: the "namesake" note fired on any two corpora with
    /// numbered file names. It now fires only when documents with the same
    /// name are more alike than documents without.
    func testFinding19NamesakeNoteOnlyForCorrespondingDocuments() throws {
        func notes(_ a: String, _ b: String) throws -> [String] {
            let r = try run(["compare", a, b, "--permutations", "9", "--bootstrap", "0", "--format", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return j["notes"] as? [String] ?? []
        }
        XCTAssertFalse(try notes("Corpora/source-a", "Corpora/source-b").contains { $0.contains("namesake") })
        XCTAssertFalse(try notes("Corpora/source-a", "Corpora/mix-10").contains { $0.contains("namesake") })
        XCTAssertTrue(try notes("Corpora/paired/a", "Corpora/paired/b").contains { $0.contains("namesake") })
    }

    /// Finding 16: `stats -dash.txt` printed help and exited 0.
    func testFinding16APathStartingWithADashIsRefusedWithAHint() throws {
        let dir = try tempDir()
        try write("alpha beta", dir.appendingPathComponent("-dash.txt"))
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = ["stats", "-dash.txt"]
        p.currentDirectoryURL = dir
        let err = Pipe()
        let out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 64)
        XCTAssertTrue(e.contains("fingerprint stats -- -dash.txt"), e)
        let ok = try run(["stats", "--", dir.appendingPathComponent("-dash.txt").path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
    }

    /// Finding 17: `compare … --boilerplate /nonexistent` was accepted.
    func testFinding17AMissingBoilerplateIsRefused() throws {
        let r = try run(["compare", "Corpora/source-a", "Corpora/mix-10", "--boilerplate", "/nonexistent/boilerplate"])
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    /// Finding 18: a closed standard input was 65 (bad data), not 66.
    func testFinding18ClosedStandardInputIsNoInput() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\"$0\" stats - <&-", CLITests.binary.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 66)
    }
}
