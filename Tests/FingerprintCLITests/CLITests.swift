import FingerprintKit
import Foundation
import XCTest

/// Runs the real `fingerprint` binary and checks whole outputs and exit codes.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let fixtures = root.appendingPathComponent("Tests/FingerprintKitTests/Fixtures")

    /// The built binary, next to the test bundle.
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        for candidate in [
            dir.appendingPathComponent("fingerprint"),
            Bundle(for: CLITests.self).bundleURL.deletingLastPathComponent().appendingPathComponent("fingerprint"),
        ]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return dir.appendingPathComponent("fingerprint")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    func run(_ args: [String], stdin: String? = nil) throws -> Run { try CLITests.run(args, stdin: stdin) }

    /// Texts of words `w0`…`w(vocabulary − 1)` drawn by a seeded LCG, for
    /// tests that need documents unlike each other without fixtures.
    final class SeededWords {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        func text(_ words: Int, vocabulary: UInt64) -> String {
            (0..<words).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return "w\((state >> 33) % vocabulary)"
            }.joined(separator: " ")
        }
    }

    /// Runs the binary from the repository root; `environment` sets
    /// variables over this process's (a nil value unsets one).
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil, environment extra: [String: String?] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = CLITests.root
        if underSanitizer || !extra.isEmpty {
            var env = ProcessInfo.processInfo.environment
            for (k, v) in extra { env[k] = v }
            if underSanitizer {
                // Leaks inside Foundation are not ours (Tests/Sanitizers/lsan.supp).
                let supp = "print_suppressions=0:suppressions=" + CLITests.root.appendingPathComponent("Tests/Sanitizers/lsan.supp").path
                env["LSAN_OPTIONS"] = env["LSAN_OPTIONS"].map { $0 + ":" + supp } ?? supp
            }
            p.environment = env
        }
        let out = Pipe()
        let err = Pipe()
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs another program (`/bin/sh` to pass bytes Foundation's `Process`
    /// cannot, `/usr/bin/timeout` to bound a run that may hang) from the
    /// repository root, standard input empty. With `within`, a run still
    /// going after that many seconds is killed and reported as status −1
    /// (its output must then fit in the pipes: the programs here write little).
    static func runProgram(_ path: String, _ args: [String], within seconds: Double? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.currentDirectoryURL = CLITests.root
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var hung = false
        if let seconds {
            let deadline = Date().addingTimeInterval(seconds)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            hung = p.isRunning
            if hung { p.terminate() }
        }
        // Standard error first: the programs here write little to either.
        let e = err.fileHandleForReading.readDataToEndOfFile()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(
            status: hung ? -1 : p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs the binary under GNU time and returns its peak resident memory
    /// in bytes. A child's own `ru_maxrss` (wait4, or RUSAGE_CHILDREN)
    /// includes the resident size of the process that spawned it (Linux
    /// keeps the pre-exec high-water mark), so measured from this test
    /// process — hundreds of MB once the model tests have run — it says
    /// nothing about the binary; time(1) forks the binary from its own small
    /// image. `time` is installed by Scripts/setup.sh.
    static func runMeasured(_ args: [String], environment extra: [String: String] = [:]) throws -> (run: Run, peakBytes: Double) {
        let time = "/usr/bin/time"
        guard FileManager.default.isExecutableFile(atPath: time) else { throw XCTSkip("GNU time is not installed (Scripts/setup.sh)") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fp-peak-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: time)
        p.arguments = ["-f", "%M", "-o", file.path, binary.path] + args
        p.currentDirectoryURL = root
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let kb = (try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n").last.flatMap { Double($0) } ?? .nan
        return (
            Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self)),
            kb * 1024
        )
    }

    /// Whether this test process carries a sanitizer runtime, and so the CLI
    /// it runs (SwiftPM builds both alike): peak-memory bounds do not hold
    /// under `--sanitize=address` (shadow memory, quarantine) or `thread`.
    static let underSanitizer: Bool = {
        let me = dlopen(nil, RTLD_NOW)
        return dlsym(me, "__asan_init") != nil || dlsym(me, "__tsan_init") != nil
    }()

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testHelpListsCommandsAndExitCodes() throws {
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        for word in ["stats", "compare", "synth", "Exit codes", "64 bad usage", "66 input not found"] {
            XCTAssertTrue(r.stdout.contains(word), "help lacks \(word):\n\(r.stdout)")
        }
        let s = try run(["stats", "--help"])
        for word in [
            "--tokenizer", "--format", "--output", "--seed", "--threads", "--glob", "--field", "--strict", "--quiet",
            "values: table, json, csv;",
        ] {
            XCTAssertTrue(s.stdout.contains(word), "stats help lacks \(word)")
        }
    }

    /// `stats --format json` equals the Python reference (Fixtures/stats.json).
    func testStatsJSONMatchesPythonReference() throws {
        let expected =
            try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("stats.json")))
            as! [String: [String: Any]]
        for name in ["tiny", "zipfy", "mixed"] {
            let r = try run(["stats", "Tests/FingerprintKitTests/Fixtures/stats/\(name)", "--format", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stderr, "")
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let e = expected[name]!
            XCTAssertEqual(j["schema"] as? String, "fingerprint.stats/1")
            for key in ["documents", "tokens", "types", "bytes", "zipf_ranks"] {
                XCTAssertEqual(j[key] as? Int, e[key] as? Int, "\(name).\(key)")
            }
            for key in ["entropy_bits", "type_token_ratio", "yules_k", "zipf_exponent"] {
                let a = (j[key] as! NSNumber).doubleValue
                let b = (e[key] as! NSNumber).doubleValue
                XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), "\(name).\(key)")
            }
            let top = (j["top"] as! [[String: Any]]).map { "\($0["token"]!)=\($0["count"]!)" }
            XCTAssertEqual(top, (e["top"] as! [[Any]]).map { "\($0[0])=\($0[1])" })
        }
    }

    /// The whole table for the tiny corpus: layout pinned here, numbers from
    /// the Python reference.
    func testStatsTableWholeOutput() throws {
        let e =
            (try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("stats.json")))
            as! [String: [String: Any]])["tiny"]!
        let r = try run(["stats", "Tests/FingerprintKitTests/Fixtures/stats/tiny", "--top", "3"])
        XCTAssertEqual(r.status, 0)
        let top = (e["top"] as! [[Any]]).prefix(3)
        let tokens = e["tokens"] as! Int
        var lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.removeFirst(), "Corpus Tests/FingerprintKitTests/Fixtures/stats/tiny  (tokenizer word)")
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("documents  "), text)
        XCTAssertTrue(text.contains(" \(e["documents"]!)\n"))
        XCTAssertTrue(text.contains("entropy (bits/token)"))
        XCTAssertTrue(text.contains(Num.f((e["entropy_bits"] as! NSNumber).doubleValue, 5)))
        XCTAssertTrue(text.contains("Top 3 tokens"))
        for (i, t) in top.enumerated() {
            let count = t[1] as! Int
            let share = Num.pct(Double(count) / Double(tokens), 2)
            XCTAssertTrue(
                text.range(of: #"\s+\#(i + 1)\s+\#(t[0])\s+\#(count)\s+\#(share)"#, options: .regularExpression) != nil,
                "row \(i + 1) missing:\n\(text)")
        }
    }

    func testExitCodesAndOneLineErrors() throws {
        let missing = try run(["stats", "/nonexistent/corpus"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "fingerprint: error: /nonexistent/corpus: no such file or directory; check the path\n")
        XCTAssertEqual(missing.stdout, "")

        let empty = try tempDir()
        let e = try run(["stats", empty.path])
        XCTAssertEqual(e.status, 65)
        XCTAssertTrue(e.stderr.hasPrefix("fingerprint: error: \(empty.path): no documents found"), e.stderr)
        XCTAssertEqual(e.stderr.filter { $0 == "\n" }.count, 1)

        let bad = try run(["stats", empty.path, "--tokenizer", "char:0"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("char:0"), bad.stderr)

        let threshold = try run(["compare", "-", "-"])
        XCTAssertEqual(threshold.status, 64)
    }

    func testOutputIsAtomicAndMissingDirectoryIsIOError() throws {
        let dir = try tempDir()
        let target = dir.appendingPathComponent("missing/out.json")
        let r = try run(["stats", "Tests/FingerprintKitTests/Fixtures/stats/tiny", "--format", "json", "--output", target.path])
        XCTAssertEqual(r.status, 74)
        XCTAssertTrue(r.stderr.contains("does not exist"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing").path))

        let ok = dir.appendingPathComponent("out.json")
        try Data("previous".utf8).write(to: ok)
        let w = try run(["stats", "Tests/FingerprintKitTests/Fixtures/stats/tiny", "--format", "json", "-o", ok.path])
        XCTAssertEqual(w.status, 0)
        XCTAssertEqual(w.stdout, "")
        XCTAssertTrue(try String(contentsOf: ok, encoding: .utf8).contains("fingerprint.stats/1"))
        // A failing run leaves the previous output untouched.
        let f = try run(["stats", "/nonexistent", "-o", ok.path])
        XCTAssertEqual(f.status, 66)
        XCTAssertTrue(try String(contentsOf: ok, encoding: .utf8).contains("fingerprint.stats/1"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["out.json"])
    }

    func testStrictTurnsSkipsIntoErrors() throws {
        let dir = try tempDir()
        try Data("some words".utf8).write(to: dir.appendingPathComponent("a.txt"))
        try Data([0, 1, 2]).write(to: dir.appendingPathComponent("b.txt"))
        let lax = try run(["stats", dir.path, "--format", "json"])
        XCTAssertEqual(lax.status, 0)
        XCTAssertTrue(lax.stdout.contains("binary file"))
        let strict = try run(["stats", dir.path, "--strict"])
        XCTAssertEqual(strict.status, 65)
        XCTAssertTrue(strict.stderr.contains("b.txt"), strict.stderr)
    }

    func testStandardInputAndCSV() throws {
        let r = try run(["stats", "-", "--format", "csv"], stdin: "The cat and the hat. THE END")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "kind,name,value")
        XCTAssertTrue(lines.contains("measure,tokens,7"))
        XCTAssertTrue(lines.contains("measure,types,5"))
        XCTAssertTrue(lines.contains("top,the,3"))
    }

    /// A file of 8 MB and more is read in parts by several workers (issue
    /// 16): with 1 and 2 threads the report is the same bytes, and the counts
    /// are the ones derived by hand from the repeated line.
    func testLargeFileReadInPartsGivesTheSameReportWithAnyThreadCount() throws {
        // 3 tokens a line, each once (long ones: a debug build tokenizes slowly):
        // a 55-letter word, οδος (final σ), and naïve_ four times.
        let long = "AlphaBetaGammaDeltaEpsilonZetaEtaThetaIotaKappaLambdaMu"
        let line = "\(long), ΟΔΟΣ naïve_naïve_naïve_naïve_!\n"
        let lines = (9 << 20) / line.utf8.count
        let file = try tempDir().appendingPathComponent("big.txt")
        try Data(String(repeating: line, count: lines).utf8).write(to: file)
        let one = try run(["stats", file.path, "--format", "json", "--threads", "1"])
        let two = try run(["stats", file.path, "--format", "json", "--threads", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, two.stdout)
        let j = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(j["tokens"] as? Int, 3 * lines)
        XCTAssertEqual(j["types"] as? Int, 3)
        let top = (j["top"] as! [[String: Any]]).map { "\($0["token"]!)=\($0["count"]!)" }
        XCTAssertEqual(Set(top), Set([long.lowercased(), "οδος", "naïve_naïve_naïve_naïve_"].map { "\($0)=\(lines)" }))
    }

    /// compare: machine output carries its schema, and the same input and
    /// seed give the same bytes whatever the thread count.
    func testCompareJSONIsDeterministic() throws {
        let args = ["compare", "Corpora/source-a", "Corpora/mix-10", "--format", "json", "--permutations", "199", "--bootstrap", "50"]
        let one = try run(args + ["--threads", "1"])
        let two = try run(args + ["--threads", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, two.stdout)
        let j = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(j["schema"] as? String, "fingerprint.compare/1")
        XCTAssertNotNil(j["version"])
        XCTAssertEqual((j["options"] as? [String: Any])?["seed"] as? Int, 0)
        let table = try run(["compare", "Corpora/source-a", "Corpora/source-b", "--permutations", "99"])
        XCTAssertTrue(table.stdout.hasSuffix("share at least one 13-gram with A.\n"), table.stdout)
        XCTAssertTrue(
            table.stdout.contains("A and B are distinguishable (permutation test, p = 0.01, the smallest possible with 99 permutations"),
            table.stdout)
    }

    func testCompareRejectsAnEmptySide() throws {
        let dir = try tempDir()
        let r = try run(["compare", "Corpora/source-a", dir.path])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains(dir.path))
    }

    // MARK: - batch

    func testBatchCSVAndExitCodes() throws {
        let csv = try run(["batch", "Corpora/near-dups", "--format", "csv", "--top", "2"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(
            lines[0].hasPrefix("# fingerprint \(FingerprintKit.Fingerprint.version) batch Corpora/near-dups method=tfidf tokenizer=word"),
            lines[0])
        XCTAssertEqual(lines[1], "query,neighbor,rank,score")
        XCTAssertEqual(lines.count, 2 + 50 * 2)
        XCTAssertEqual(lines[2], "doc0001.txt,doc0043.txt,1," + lines[2].split(separator: ",")[3])

        XCTAssertEqual(try run(["batch", "Corpora/near-dups", "--threshold", "1.5"]).status, 64)
        XCTAssertEqual(try run(["batch", "Corpora/near-dups", "--fail-on-match"]).status, 64)
        let fail = try run(["batch", "Corpora/near-dups", "--threshold", "0.9", "--fail-on-match", "--format", "jsonl"])
        XCTAssertEqual(fail.status, 1)
        XCTAssertTrue(fail.stdout.contains("\"type\":\"pair\""))
        XCTAssertTrue(fail.stdout.contains("\"type\":\"cluster\""))
        let pass = try run(["batch", "Corpora/source-b", "--threshold", "0.99", "--fail-on-match", "-q"])
        XCTAssertEqual(pass.status, 0)

        let dir = try tempDir()
        try Data("alone".utf8).write(to: dir.appendingPathComponent("one.txt"))
        let one = try run(["batch", dir.path, "--format", "json"])
        XCTAssertEqual(one.status, 0)
        XCTAssertTrue(one.stdout.contains("no pairs to score"))
        XCTAssertTrue(one.stdout.contains("\"schema\" : \"fingerprint.batch/1\""))
    }

    /// Memory stays O(N·k + tile²): 12,000 documents, whose N × N float
    /// matrix would take 576 MB, run in well under that.
    func testBatchMemoryIsBoundedByTilesNotNSquared() throws {
        try XCTSkipIf(CLITests.underSanitizer, "peak memory is not bounded alike under a sanitizer")
        let dir = try tempDir()
        var rng = Xoshiro256(seed: 3)
        let words = (0..<400).map { "w\($0)" }
        var text = ""
        for _ in 0..<12_000 {
            let doc = (0..<12).map { _ in words[rng.next(below: 20) * rng.next(below: 20)] }.joined(separator: " ")
            text += "{\"text\": \"\(doc)\"}\n"
        }
        let file = dir.appendingPathComponent("docs.jsonl")
        try Data(text.utf8).write(to: file)
        let (r, peak) = try CLITests.runMeasured([
            "batch", file.path, "--top", "1", "--tile", "512", "--format", "csv", "-o", dir.appendingPathComponent("out.csv").path,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let peakMB = peak / 1_048_576
        XCTAssertLessThan(peakMB, 300, "peak \(peakMB) MB")
        let rows = try String(contentsOf: dir.appendingPathComponent("out.csv"), encoding: .utf8).split(separator: "\n").count
        XCTAssertEqual(rows, 2 + 12_000)
    }

    // MARK: - bench

    /// A small end-to-end bench: every figure present, accuracies in [0, 1],
    /// the planted truth recovered on the easy cases, the BLAS named; peers
    /// without their Python packages are skips, not failures.
    func testBenchSmallRunAndSkippedPeers() throws {
        let r = try run([
            "bench", "--size", "3MB", "--seeds", "3", "--permutations", "99", "--attribute-documents", "500", "--format", "json",
            "--peers", "--python", "/nonexistent/python3", "-q",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(j["schema"] as? String, "fingerprint.bench/1")
        let machine = j["machine"] as! [String: Any]
        XCTAssertTrue((machine["blas_library"] as! String).count > 3)
        XCTAssertNotNil(machine["blas_threads"] as? Int)
        let tasks = Dictionary(uniqueKeysWithValues: (j["tasks"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        XCTAssertEqual(
            Set(tasks.keys), ["stats", "compare", "passages", "permutation GEMM", "batch", "dedup (minhash)", "attribute (linear)"])
        let attribution = tasks["attribute (linear)"]!["figures"] as! [String: NSNumber]
        XCTAssertEqual(attribution["chance"]?.doubleValue, 0.2)
        XCTAssertGreaterThan(attribution["accuracy"]!.doubleValue, 0.3, "5 generated sources are told apart above chance")
        XCTAssertLessThanOrEqual(attribution["accuracy"]!.doubleValue, 1)
        XCTAssertEqual((tasks["passages"]!["figures"] as! [String: NSNumber])["planted_passage_recall"]?.doubleValue, 1)
        for (name, t) in tasks {
            XCTAssertGreaterThan((t["seconds"] as! NSNumber).doubleValue, 0, name)
            let f = t["figures"] as! [String: NSNumber]
            for key in ["precision", "recall", "f1", "near_dups_precision", "near_dups_recall", "copy_recall_at_1"] where f[key] != nil {
                XCTAssertTrue((0...1).contains(f[key]!.doubleValue), "\(name).\(key)")
            }
        }
        let batch = tasks["batch"]!["figures"] as! [String: NSNumber]
        XCTAssertEqual(batch["copy_recall_at_1"]?.doubleValue, 1)
        XCTAssertEqual(batch["near_dups_recall"]?.doubleValue, 1)
        let compare = tasks["compare"]!["figures"] as! [String: NSNumber]
        XCTAssertEqual(compare["mix50_detected"]?.doubleValue, 1)
        XCTAssertEqual(compare["copy_not_distinguished"]?.doubleValue, 1)
        XCTAssertEqual((tasks["dedup (minhash)"]!["figures"] as! [String: NSNumber])["precision"]?.doubleValue, 1)
        let cal = j["calibration"] as! [String: Any]
        for k in ["false_positive_rate", "power_mixture_10", "power_mixture_50", "paired_power"] {
            let rate = ((cal[k] as! [String: Any])["rate"] as! NSNumber).doubleValue
            XCTAssertTrue((0...1).contains(rate), k)
        }
        let peers = j["peers"] as! [[String: Any]]
        XCTAssertFalse(peers.isEmpty)
        for p in peers {
            XCTAssertEqual(p["ran"] as? Bool, false)
            XCTAssertTrue((p["reason"] as? String ?? "").contains("python3"), "\(p)")
        }
        XCTAssertTrue(peers.contains { $0["name"] as? String == "scikit-learn char TF-IDF + LogisticRegression" })
        let targets = (j["targets"] as! [[String: Any]]).filter { ($0["name"] as! String).hasPrefix("attribute") }
        XCTAssertEqual(targets.count, 2)
        XCTAssertTrue(targets.allSatisfy { $0["met"] == nil || $0["met"] is NSNull }, "no peer, nothing met or missed: \(targets)")
    }

    /// Too few documents for 10 folds of 5 sources is a usage error (0
    /// leaves the attribute task out).
    func testBenchAttributeDocuments() throws {
        let r = try run(["bench", "--attribute-documents", "20", "-q"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--attribute-documents"), r.stderr)
    }

    /// Regression: B's documents were re-read for passages with the field
    /// `text` whatever --field said, so a JSONL side with another field and
    /// a shared passage made compare fail with 65. Both sides are now
    /// re-read through their own corpus.
    func testComparePassagesReReadJSONLWithItsField() throws {
        let dir = try tempDir()
        let shared = "the quick brown fox jumps over the lazy dog while seven wise owls watch from an old oak tree"
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("a"), withIntermediateDirectories: true)
        try "an opening line. \(shared). a closing line.".write(
            to: dir.appendingPathComponent("a/one.txt"), atomically: true, encoding: .utf8)
        try "something else entirely, about rivers and boats.".write(
            to: dir.appendingPathComponent("a/two.txt"), atomically: true, encoding: .utf8)
        let lines = ["{\"body\": \"first: \(shared).\"}", "{\"body\": \"nothing shared here at all\"}"]
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("b.jsonl"), atomically: true, encoding: .utf8)
        let r = try run([
            "compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("b.jsonl").path,
            "--field", "body", "--permutations", "19", "--format", "json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let passages = try XCTUnwrap(j["passages"] as? [[String: Any]])
        XCTAssertEqual(passages.first?["b"] as? String, "b.jsonl:1")
        XCTAssertEqual(passages.first?["a"] as? String, "one.txt")
    }
}
