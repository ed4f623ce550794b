import Foundation
import XCTest

/// Inputs as users have them (issue 17): gzip and Zstandard files, detected by their magic bytes,
/// streamed, with the same JSON as the plain files apart from names; JSONL on standard input; groups of one JSONL file by a field.
final class InputTests: XCTestCase {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Runs a shell command (the system's gzip and zstd compress the fixtures).
    func sh(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, command)
    }

    /// A copy of `corpus` with every file compressed by `tool` (gzip or zstd).
    func compressedCopy(_ corpus: String, _ tool: String, in dir: URL) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(tool)") else { throw XCTSkip("\(tool) is not installed") }
        let out = dir.appendingPathComponent("\(tool)-\((corpus as NSString).lastPathComponent)").path
        try sh("cp -r '\(CLITests.root.path)/\(corpus)' '\(out)' && \(tool) -q \(tool == "zstd" ? "--rm" : "") '\(out)'/*.txt")
        return out
    }

    /// JSON with names and paths made comparable: compression suffixes and
    /// the corpus paths removed.
    func normalised(_ json: String, paths: [String]) -> String {
        var s = json.replacingOccurrences(of: ".txt.gz", with: ".txt").replacingOccurrences(of: ".txt.zst", with: ".txt")
        for p in paths { s = s.replacingOccurrences(of: p, with: "CORPUS") }
        return s
    }

    func testCompressedCorporaGiveTheSameJSON() throws {
        let dir = try tempDir()
        for tool in ["gzip", "zstd"] {
            let a = try compressedCopy("Corpora/source-a", tool, in: dir)
            let nd = try compressedCopy("Corpora/near-dups", tool, in: dir)
            let runs: [([String], [String], [String])] = [
                (["stats", "Corpora/source-a"], ["stats", a], ["Corpora/source-a", a]),
                (
                    ["compare", "Corpora/source-a", "Corpora/source-b", "--permutations", "99"],
                    ["compare", a, "Corpora/source-b", "--permutations", "99"], ["Corpora/source-a", a]
                ),
                (
                    ["compare", "Corpora/planted", "Corpora/source-a", "--permutations", "19"],
                    ["compare", "Corpora/planted", a, "--permutations", "19"], ["Corpora/source-a", a]
                ),
                (["batch", "Corpora/near-dups"], ["batch", nd], ["Corpora/near-dups", nd]),
                (["dedup", "Corpora/near-dups"], ["dedup", nd], ["Corpora/near-dups", nd]),
            ]
            for (plain, packed, paths) in runs {
                let p = try CLITests.run(plain + ["--format", "json"])
                let c = try CLITests.run(packed + ["--format", "json"])
                XCTAssertEqual(p.status, 0, p.stderr)
                XCTAssertEqual(c.status, 0, c.stderr)
                XCTAssertEqual(normalised(c.stdout, paths: paths), normalised(p.stdout, paths: paths), "\(tool): \(packed)")
            }
        }
    }

    func testCompressedJSONLAndCorruptStreams() throws {
        let dir = try tempDir()
        let lines = "{\"text\": \"one two three four\"}\n{\"text\": \"five six seven\"}\n"
        try lines.write(to: dir.appendingPathComponent("d.jsonl"), atomically: true, encoding: .utf8)
        try sh("cd '\(dir.path)' && gzip -k d.jsonl && (command -v zstd >/dev/null && zstd -q -k d.jsonl || true)")
        for name in ["d.jsonl.gz"]
            + (FileManager.default.fileExists(atPath: dir.appendingPathComponent("d.jsonl.zst").path) ? ["d.jsonl.zst"] : [])
        {
            let r = try CLITests.run(["stats", dir.appendingPathComponent(name).path, "--format", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(j["documents"] as? Int, 2, name)
            XCTAssertEqual(j["tokens"] as? Int, 7, name)
        }
        // A truncated stream is a skip that says where, never a partial document.
        let bad = dir.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try sh(
            "cp '\(CLITests.root.path)/Corpora/source-a/doc0001.txt' '\(bad.path)/ok.txt' && gzip -c '\(CLITests.root.path)/Corpora/source-a/doc0002.txt' | head -c 200 > '\(bad.path)/cut.txt.gz'"
        )
        let r = try CLITests.run(["stats", bad.path, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["documents"] as? Int, 1)
        let skips = try XCTUnwrap(j["skips"] as? [[String: Any]])
        XCTAssertEqual(skips.count, 1)
        XCTAssertTrue((skips[0]["reason"] as? String ?? "").contains("truncated gzip stream (ends at byte 200)"), "\(skips)")
        let strict = try CLITests.run(["stats", bad.path, "--strict"])
        XCTAssertEqual(strict.status, 65)
        // The skipped document's tokens, counted before the stream broke,
        // are not types of the corpus: the vocabulary is ok.txt's alone
        // (its distinct words, counted here), in stats and in compare.
        let ok = try String(contentsOf: bad.appendingPathComponent("ok.txt"), encoding: .utf8)
        let words = Set(ok.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_") })
        XCTAssertEqual(j["types"] as? Int, words.count)
        let clean = dir.appendingPathComponent("clean")
        try FileManager.default.createDirectory(at: clean, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: bad.appendingPathComponent("ok.txt"), to: clean.appendingPathComponent("ok.txt"))
        func compare(_ a: URL) throws -> String {
            let r = try CLITests.run(["compare", a.path, "Corpora/source-b", "--format", "json", "--permutations", "99", "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
            var j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            j["a"] = nil
            j["skips"] = nil
            j["notes"] = nil
            return String(decoding: try JSONSerialization.data(withJSONObject: j, options: [.sortedKeys]), as: UTF8.self)
                .replacingOccurrences(of: a.path, with: "A")
        }
        XCTAssertEqual(try compare(bad), try compare(clean))
    }

    /// `dedup --write-kept` of JSONL files: two files of one name in two
    /// subdirectories keep their paths (the second overwrote the first), a
    /// gzip file's kept lines are written decompressed under its name
    /// without `.gz` (they were cut out of the compressed bytes), and
    /// standard input, which cannot be read again, is refused before work.
    func testWriteKeptOfJSONLKeepsPathsAndDecompresses() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("c")
        func line(_ words: String) -> String { "{\"text\": \"\(words)\"}\n" }
        let a = line("alpha beta gamma delta epsilon zeta eta theta") + line("one two three four five six seven eight")
        let b = line("iota kappa lambda mu nu xi omicron pi rho") + line("one two three four five six seven eight")
        let z = line("sigma tau upsilon phi chi psi omega and more")
        for (path, text) in [("a/data.jsonl", a), ("b/data.jsonl", b), ("z/more.jsonl", z)] {
            let url = corpus.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try sh("gzip '\(corpus.path)/z/more.jsonl'")
        let out = dir.appendingPathComponent("kept")
        let r = try CLITests.run(["dedup", corpus.path, "--glob", "*.jsonl", "--glob", "*.jsonl.gz", "--write-kept", out.path, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        func read(_ p: String) -> String? { try? String(contentsOf: out.appendingPathComponent(p), encoding: .utf8) }
        // The duplicate line's first occurrence (a/data.jsonl:2) is kept.
        XCTAssertEqual(read("a/data.jsonl"), a)
        XCTAssertEqual(read("b/data.jsonl"), line("iota kappa lambda mu nu xi omicron pi rho"))
        XCTAssertEqual(read("z/more.jsonl"), z)
        XCTAssertNil(read("data.jsonl"))
        // d.jsonl beside d.jsonl.gz would be one file: refused, nothing written.
        try "{\"text\": \"zebra yak xenops wolf vole\"}\n".write(
            to: corpus.appendingPathComponent("z/more.jsonl"), atomically: true, encoding: .utf8)
        let out2 = dir.appendingPathComponent("kept2")
        let clash = try CLITests.run(["dedup", corpus.path, "--glob", "*.jsonl", "--glob", "*.jsonl.gz", "--write-kept", out2.path, "-q"])
        XCTAssertEqual(clash.status, 74, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("would hold the kept lines of both"), clash.stderr)
        // Found before the run: no report was printed (it was, then exit 74 — review, session 29).
        XCTAssertEqual(clash.stdout, "")
        XCTAssertTrue((try? FileManager.default.contentsOfDirectory(atPath: out2.path))?.isEmpty ?? true)
        let stdin = try CLITests.run(["dedup", "-", "--write-kept", dir.appendingPathComponent("k2").path], stdin: a)
        XCTAssertEqual(stdin.status, 64, stdin.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("k2").path))
    }

    /// Standard input follows the NUL rule of files: its first read is the
    /// few bytes sniffed for compression, and the NUL after them was not
    /// looked for (the same bytes as a file were skipped as binary).
    func testStandardInputWithANulByteIsSkippedAsBinary() throws {
        let r = try CLITests.run(["stats", "-", "--format", "json"], stdin: "hello\u{0}world and more words\n")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("binary file"), r.stderr)
        let ok = try CLITests.run(["stats", "-", "--format", "json"], stdin: "hello world and more words\n")
        XCTAssertEqual(ok.status, 0, ok.stderr)
    }

    /// `compare --paired` of two folders of JSONL files pairs each line with
    /// the same line of the same-named file (every file's line 1 was one
    /// name, "line 1", so no line paired and the run failed).
    func testComparePairedMatchesLinesOfSameNamedJSONLFiles() throws {
        let dir = try tempDir()
        let words = CLITests.SeededWords(seed: 5)
        func text() -> String { words.text(40, vocabulary: 200) }
        for side in ["A", "B"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(side), withIntermediateDirectories: true)
            for f in ["x", "y"] {
                let lines = (0..<6).map { _ in "{\"text\": \"\(text())\"}\n" }.joined()
                try lines.write(to: dir.appendingPathComponent("\(side)/\(f).jsonl"), atomically: true, encoding: .utf8)
            }
        }
        let r = try CLITests.run([
            "compare", dir.appendingPathComponent("A").path, dir.appendingPathComponent("B").path, "--glob", "*.jsonl", "--paired",
            "--permutations", "99", "--format", "json", "-q",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((j["test"] as? [String: Any])?["pairs"] as? Int, 12)
        // Differently named JSONL files beside a same-named text file: the
        // text pairs by name, the JSONL lines by line number.
        try FileManager.default.moveItem(at: dir.appendingPathComponent("B/x.jsonl"), to: dir.appendingPathComponent("B/other.jsonl"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("A/y.jsonl"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("B/y.jsonl"))
        for side in ["A", "B"] { try text().write(to: dir.appendingPathComponent("\(side)/t.txt"), atomically: true, encoding: .utf8) }
        let m = try CLITests.run([
            "compare", dir.appendingPathComponent("A").path, dir.appendingPathComponent("B").path, "--glob", "*.jsonl", "--glob", "*.txt",
            "--paired", "--permutations", "99", "--format", "json", "-q",
        ])
        XCTAssertEqual(m.status, 0, m.stderr)
        let mj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((mj["test"] as? [String: Any])?["pairs"] as? Int, 7)
    }

    /// `--pair-field` values that repeat on a side pair nothing in A: when
    /// no pair is left, the error says why instead of only "no document
    /// matches".
    func testRepeatedPairValuesAreNamedInTheError() throws {
        let dir = try tempDir()
        func lines(_ ids: [Int]) -> String {
            ids.enumerated().map { k, id in "{\"id\": \(id), \"text\": \"words of document \(k) with id \(id) and more words\"}\n" }
                .joined()
        }
        try lines([1, 1, 2, 2]).write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try lines([1, 2]).write(to: dir.appendingPathComponent("b.jsonl"), atomically: true, encoding: .utf8)
        let r = try CLITests.run([
            "compare", dir.appendingPathComponent("a.jsonl").path, dir.appendingPathComponent("b.jsonl").path, "--paired",
            "--pair-field", "id", "-q",
        ])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 values are held by more than one document of a side"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    /// `--stdin jsonl` reads standard input as JSON Lines, streamed, with
    /// broken lines as counted skips (`-:LINE`); the default stays one text.
    func testJSONLOnStandardInput() throws {
        let input = "{\"body\": \"alpha beta gamma\"}\n{\"body\": \"delta epsilon\"}\nnot json\n"
        let r = try CLITests.run(["stats", "-", "--stdin", "jsonl", "--field", "body", "--format", "json"], stdin: input)
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["documents"] as? Int, 2)
        XCTAssertEqual(j["tokens"] as? Int, 5)
        XCTAssertEqual((j["skips"] as? [[String: Any]])?.first?["path"] as? String, "-:3")
        let text = try CLITests.run(["stats", "-", "--format", "json"], stdin: input)
        let t = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(t["documents"] as? Int, 1)
    }

    /// Compressed standard input: gzip and Zstandard told by their first
    /// bytes, as text and as JSONL, give the plain input's JSON; a corrupt
    /// stream is a reported skip.
    func testCompressedStandardInput() throws {
        for tool in ["gzip", "zstd"] where !FileManager.default.isExecutableFile(atPath: "/usr/bin/\(tool)") {
            throw XCTSkip("\(tool) is not installed")
        }
        let dir = try tempDir()
        let bin = CLITests.binary.path
        let doc = CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt").path
        let jsonl = dir.appendingPathComponent("r.jsonl").path
        try "{\"text\": \"alpha beta\"}\n{\"text\": \"gamma delta epsilon\"}\n".write(toFile: jsonl, atomically: true, encoding: .utf8)
        func out(_ command: String) throws -> String {
            let file = dir.appendingPathComponent("out-\(UUID().uuidString).json").path
            try sh("\(command) -o '\(file)'")
            return try String(contentsOfFile: file, encoding: .utf8)
        }
        let plain = try out("'\(bin)' stats - --format json < '\(doc)'")
        let plainJSONL = try out("'\(bin)' stats - --stdin jsonl --format json < '\(jsonl)'")
        XCTAssertTrue(plainJSONL.contains("\"documents\" : 2"), plainJSONL)
        for tool in ["gzip", "zstd"] {
            XCTAssertEqual(try out("\(tool) -c -q '\(doc)' | '\(bin)' stats - --format json"), plain, tool)
            XCTAssertEqual(try out("\(tool) -c -q '\(jsonl)' | '\(bin)' stats - --stdin jsonl --format json"), plainJSONL, tool)
        }
        // A gzip stream cut short: a skip with its offset, so no documents (65).
        let r = Process()
        r.executableURL = URL(fileURLWithPath: "/bin/sh")
        r.arguments = ["-c", "gzip -c '\(doc)' | head -c 200 | '\(bin)' stats -"]
        let err = Pipe()
        r.standardError = err
        r.standardOutput = Pipe()
        try r.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        r.waitUntilExit()
        XCTAssertEqual(r.terminationStatus, 65, e)
        XCTAssertTrue(e.contains("truncated gzip stream"), e)
        // A valid Zstandard frame whose window is over the decoder's limit
        // (compressed from a pipe with --long=30, so its size is unknown and
        // its window 1 GiB) is said to be so, not "corrupt" (review, session 29).
        let zl = try tempDir()
        try sh("zstd -q --long=30 -c < '\(doc)' > '\(zl.path)/a.txt.zst'")
        let w = try CLITests.run(["stats", zl.path])
        XCTAssertEqual(w.status, 65, w.stderr)
        XCTAssertTrue(w.stderr.contains("Zstandard frame needs a window over 128 MiB") && !w.stderr.contains("corrupt"), w.stderr)
    }

    /// Streams as inputs: standard input (piped, gzip-piped, redirected),
    /// bash's `<(…)` and a named FIFO, as text and as JSONL, report what
    /// the same text given as a file reports — also in commands that read
    /// an input twice (`index query --top` counts the questioned text
    /// again, `compare`'s shared passages read the documents again), which
    /// keep a stream first (a copy in an unlinked temporary file). (Before,
    /// `index query - --top` said "no usable documents", `compare A -`
    /// "standard input cannot be read twice", and `<(…)` was refused.)
    func testStreamsAreReadAsTheirTextAndReadTwice() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") else { throw XCTSkip("gzip is not installed") }
        let dir = try tempDir()
        let bin = CLITests.binary.path
        let idx = dir.appendingPathComponent("idx.fp").path
        XCTAssertEqual(try CLITests.run(["index", "add", idx, "Corpora/source-a", "-q"]).status, 0)
        let doc = dir.appendingPathComponent("q.txt").path
        let text = try String(contentsOfFile: CLITests.root.appendingPathComponent("Corpora/copy-a/doc0003.txt").path, encoding: .utf8)
        try text.write(toFile: doc, atomically: true, encoding: .utf8)
        let jsonl = dir.appendingPathComponent("q.jsonl").path
        let lines = [
            text, try String(contentsOfFile: CLITests.root.appendingPathComponent("Corpora/planted/doc0001.txt").path, encoding: .utf8),
        ]
        try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
            .joined(separator: "\n").write(toFile: jsonl, atomically: true, encoding: .utf8)
        func out(_ command: String) throws -> [String: Any] {
            let file = dir.appendingPathComponent("out-\(UUID().uuidString).json").path
            let r = try CLITests.runProgram("/bin/bash", ["-c", "cd '\(CLITests.root.path)' && \(command) -q --format json -o '\(file)'"])
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        }
        /// Each result's findings, without the document's name.
        func findings(_ report: [String: Any]) -> [String] {
            (report["results"] as! [[String: Any]]).map { r in
                let neighbours = (r["neighbors"] as! [[String: Any]]).map { "\($0["document"]!) \($0["score"]!)" }
                let near = (r["near_duplicates"] as! [[String: Any]]).map { "\($0["document"]!) \($0["score"]!)" }
                return "\(r["containment"]!) \(near) \(neighbours)"
            }
        }
        for (input, flags) in [(doc, ""), (jsonl, "--stdin jsonl")] {
            let expected = findings(try out("'\(bin)' index query '\(idx)' '\(input)' --top 3"))
            XCTAssertTrue(expected[0].contains("doc0003.txt 1"), expected[0])
            for feed in ["cat '\(input)' |", "gzip -c '\(input)' |"] {
                XCTAssertEqual(findings(try out("\(feed) '\(bin)' index query '\(idx)' - \(flags) --top 3")), expected, feed)
            }
            XCTAssertEqual(findings(try out("'\(bin)' index query '\(idx)' - \(flags) --top 3 < '\(input)'")), expected)
            for pipe in ["<(cat '\(input)')", "<(gzip -c '\(input)')"] {
                XCTAssertEqual(findings(try out("'\(bin)' index query '\(idx)' \(pipe) \(flags) --top 3")), expected, pipe)
            }
            let fifo = dir.appendingPathComponent("fifo-\(UUID().uuidString)").path
            XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            XCTAssertEqual(
                findings(try out("(cat '\(input)' > '\(fifo)' &) && '\(bin)' index query '\(idx)' '\(fifo)' \(flags) --top 3")), expected)
        }
        // compare's shared passages, with standard input on either side.
        func passages(_ report: [String: Any]) -> [String] {
            (report["passages"] as! [[String: Any]]).map { p in
                let at = p["passage"] as! [String: Any]
                return "\(p["a_index"]!) \(p["b_index"]!) \(at["tokens"]!) \(at["a_start"]!) \(at["b_start"]!) \(at["snippet"]!)"
            }
        }
        let expected = passages(try out("'\(bin)' compare Corpora/source-a '\(doc)'"))
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(passages(try out("cat '\(doc)' | '\(bin)' compare Corpora/source-a -")), expected)
        let reversed = passages(try out("'\(bin)' compare '\(doc)' Corpora/source-a"))
        XCTAssertEqual(passages(try out("gzip -c '\(doc)' | '\(bin)' compare - Corpora/source-a")), reversed)
        XCTAssertEqual(passages(try out("'\(bin)' compare Corpora/source-a <(cat '\(doc)')")), expected)
        let other = CLITests.root.appendingPathComponent("Corpora/source-a/doc0003.txt").path
        let both = passages(try out("'\(bin)' compare '\(doc)' '\(other)'"))
        XCTAssertFalse(both.isEmpty)
        XCTAssertEqual(passages(try out("'\(bin)' compare <(gzip -c '\(doc)') <(cat '\(other)')")), both)
    }

    /// One stream given twice — `-` and `/dev/stdin` while standard input
    /// is a pipe, the same name twice, a FIFO and a link to it — gives its
    /// bytes once: a command that reads it twice without keeping a copy
    /// says so in one line (before, the second read found it empty, and a
    /// FIFO opened again waited for ever for a writer); one that keeps a
    /// copy (`compare` with passages) reads the copy under both names.
    func testOneStreamGivenTwice() throws {
        let dir = try tempDir()
        let bin = CLITests.binary.path
        let doc = CLITests.root.appendingPathComponent("Corpora/source-a/doc0003.txt").path
        let size = try FileManager.default.attributesOfItem(atPath: doc)[.size] as! Int
        func run(_ command: String) throws -> (status: Int32, stderr: String, out: String) {
            let out = "\(dir.path)/out-\(UUID().uuidString)"
            let r = try CLITests.runProgram("/bin/bash", ["-c", "cd '\(dir.path)' || exit 1\n\(command) > '\(out)'"])
            return (r.status, r.stderr, out)
        }
        func bytes(_ out: String) throws -> [Int] {
            let r = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
            return ["a", "b"].map { ((r[$0] as! [String: Any])["bytes"] as! NSNumber).intValue }
        }
        let twice = "is the same stream as '-' (standard input), and a stream can be read only once; "
        for (command, says) in [
            ("cat '\(doc)' | '\(bin)' compare - /dev/stdin --passages 0 -q", "input '/dev/stdin': " + twice),
            ("cat '\(doc)' | '\(bin)' compare /dev/stdin - --passages 0 -q", "input '-': is the same stream as '/dev/stdin'"),
            ("cat '\(doc)' | '\(bin)' batch - --against - -q", "input '-': is a stream given twice"),
        ] {
            let r = try run(command)
            XCTAssertEqual(r.status, 65, command)
            XCTAssertTrue(r.stderr.contains(says), "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        }
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertEqual(symlink(fifo, dir.appendingPathComponent("link").path), 0)
        let r = try run("(cat '\(doc)' > fifo &) && '\(bin)' compare fifo fifo --passages 0 -q")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("input 'fifo': is a stream given twice"), r.stderr)
        // Kept (compare with passages): both names read the one copy.
        for command in [
            "cat '\(doc)' | '\(bin)' compare - /dev/stdin -q --format json",
            "(cat '\(doc)' > fifo &) && '\(bin)' compare fifo link -q --format json",
            "'\(bin)' compare - /dev/stdin --passages 0 -q --format json < '\(doc)'",
        ] {
            let r = try run(command)
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
            XCTAssertEqual(try bytes(r.out), [size, size], command)
        }
    }

    /// Streams in the places a review found wanting: the HTML report of
    /// JSONL read from a pipe shows the documents' text as the file's does
    /// (their names were looked up by the pipe's last path component);
    /// `attribute --group-field` reads a piped reference's records again
    /// for their groups (every document was "ungrouped"); a FIFO its
    /// writer removes once written is read from the kept copy; `compare`
    /// copies a stream only when it reads it twice (with --passages 0 an
    /// unwritable $TMPDIR does not matter).
    func testStreamsInHTMLAttributionAndRemovedFIFOs() throws {
        let dir = try tempDir()
        let bin = CLITests.binary.path
        let jsonl = dir.appendingPathComponent("nd.jsonl").path
        var lines: [String] = []
        for (k, src) in ["source-a", "copy-a", "source-b"].enumerated() {
            for i in 1...8 {
                let text = try String(
                    contentsOfFile: CLITests.root.appendingPathComponent("Corpora/\(src)/doc000\(i).txt").path, encoding: .utf8)
                let data = try JSONSerialization.data(
                    withJSONObject: ["src": k == 2 ? "b" : "a", "set": src, "topic": "t\(i % 4)", "text": text], options: [.sortedKeys])
                lines.append(String(decoding: data, as: UTF8.self))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: jsonl, atomically: true, encoding: .utf8)
        /// Runs `command` with its standard output to a file (an HTML report
        /// does not fit in a pipe that is read only at the end), and returns it.
        @discardableResult func bash(_ command: String, _ status: Int32 = 0) throws -> CLITests.Run {
            let out = dir.appendingPathComponent("out-\(UUID().uuidString)").path
            var r = try CLITests.runProgram("/bin/bash", ["-c", "cd '\(dir.path)' || exit 1\n\(command) > '\(out)'"])
            XCTAssertEqual(r.status, status, "\(command): \(r.stderr)")
            r.stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            return r
        }
        func normalised(_ html: String) -> String {
            html.replacingOccurrences(of: #"/dev/fd/[0-9]+"#, with: "nd.jsonl", options: .regularExpression)
        }
        let compare = "compare --where set=source-a --vs set=copy-a --format html -q"
        let file = try bash("'\(bin)' \(compare) nd.jsonl").stdout
        XCTAssertEqual(normalised(try bash("'\(bin)' \(compare) <(cat nd.jsonl) --stdin jsonl").stdout), file)
        let attribute = "attribute --label-field src --group-field topic --format json"
        let byFile = try bash("'\(bin)' \(attribute) --reference nd.jsonl").stdout
        XCTAssertTrue(byFile.contains("\"accuracy\""), byFile)
        XCTAssertEqual(
            try bash("'\(bin)' \(attribute) --reference <(gzip -c nd.jsonl) --stdin jsonl").stdout
                .replacingOccurrences(of: #"/dev/fd/[0-9]+"#, with: "nd.jsonl", options: .regularExpression), byFile)
        // A FIFO removed by its writer once written, read twice (index query --top).
        let idx = dir.appendingPathComponent("idx.fp").path
        XCTAssertEqual(try CLITests.run(["index", "add", idx, "Corpora/source-a", "-q"]).status, 0)
        let query = "index query idx.fp --stdin jsonl --top 2 --format json -q"
        let expected = try bash("'\(bin)' \(query) nd.jsonl").stdout
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("jf").path, 0o600), 0)
        let fromFIFO = try bash("(cat nd.jsonl > jf; rm -f jf) & '\(bin)' \(query) jf").stdout
        XCTAssertEqual(fromFIFO.replacingOccurrences(of: "jf", with: "nd.jsonl"), expected)
        // No copy when nothing is read twice.
        let a = CLITests.root.appendingPathComponent("Corpora/source-a").path
        try bash("TMPDIR=/nonexistent '\(bin)' compare --passages 0 <(cat nd.jsonl) '\(a)' -q")
        try bash("TMPDIR=/nonexistent '\(bin)' compare <(cat nd.jsonl) '\(a)' -q", 74)
    }

    /// One JSONL file with a `model` field holding three corpora of Corpora/.
    func groupedJSONL(in dir: URL) throws -> URL {
        var lines: [String] = []
        for sub in ["source-a", "source-b", "copy-a"] {
            let folder = CLITests.root.appendingPathComponent("Corpora/\(sub)")
            for f in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
                let text = try String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8)
                let data = try JSONSerialization.data(withJSONObject: ["model": sub, "id": f, "text": text], options: [.sortedKeys])
                lines.append(String(decoding: data, as: UTF8.self))
            }
        }
        let url = dir.appendingPathComponent("all.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `batch --by-field F` on a JSONL equals `--by-subdir` on the same
    /// documents split into folders.
    func testByFieldEqualsBySubdir() throws {
        let dir = try tempDir()
        let jsonl = try groupedJSONL(in: dir)
        try sh("mkdir '\(dir.path)/dirs' && cd '\(CLITests.root.path)/Corpora' && cp -r source-a source-b copy-a '\(dir.path)/dirs/'")
        let f = try CLITests.run(["batch", jsonl.path, "--by-field", "model", "--format", "json"])
        let s = try CLITests.run(["batch", dir.appendingPathComponent("dirs").path, "--by-subdir", "--format", "json"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(s.status, 0, s.stderr)
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any])
        let b = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])
        for key in ["jsd", "centroid_cosine", "merges", "order", "corpora", "features"] {
            XCTAssertEqual(a[key] as? NSObject, b[key] as? NSObject, key)
        }
        XCTAssertEqual(a["mode"] as? String, "by-field model")
    }

    /// `batch DIR --labels FILE.csv` (path,corpus) on one flat folder equals
    /// `--by-subdir` on the same documents split into folders; documents
    /// without a row are left out with a note; the CSV is checked.
    func testLabelsEqualBySubdir() throws {
        let dir = try tempDir()
        try sh(
            "mkdir '\(dir.path)/flat' '\(dir.path)/dirs' && cd '\(CLITests.root.path)/Corpora' && cp -r source-a source-b copy-a '\(dir.path)/dirs/'"
                + " && for s in source-a source-b copy-a; do for f in $s/*.txt; do cp \"$f\" '\(dir.path)/flat/'\"$s-$(basename $f)\"; done; done"
        )
        var csv = "path,corpus\n"
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("flat").path).sorted() {
            let corpus = ["source-a", "source-b", "copy-a"].first { f.hasPrefix($0 + "-") }!
            csv += "\(f),\(corpus)\n"
        }
        let labels = dir.appendingPathComponent("labels.csv")
        try csv.write(to: labels, atomically: true, encoding: .utf8)
        let l = try CLITests.run(["batch", dir.appendingPathComponent("flat").path, "--labels", labels.path, "--format", "json"])
        let s = try CLITests.run(["batch", dir.appendingPathComponent("dirs").path, "--by-subdir", "--format", "json"])
        XCTAssertEqual(l.status, 0, l.stderr)
        XCTAssertEqual(s.status, 0, s.stderr)
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(l.stdout.utf8)) as? [String: Any])
        let b = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])
        for key in ["jsd", "centroid_cosine", "merges", "order", "corpora", "features", "self_baseline", "tests"] {
            XCTAssertEqual(a[key] as? NSObject, b[key] as? NSObject, key)
        }
        XCTAssertEqual(a["mode"] as? String, "labels \(labels.path)")
        let table = try CLITests.run(["batch", dir.appendingPathComponent("flat").path, "--labels", labels.path, "-q"])
        XCTAssertTrue(table.stdout.contains("(one per corpus named in \(labels.path))"), table.stdout)
        try sh("cp '\(CLITests.root.path)/Corpora/source-a/doc0001.txt' '\(dir.path)/flat/unlabelled.txt'")
        let u = try CLITests.run(["batch", dir.appendingPathComponent("flat").path, "--labels", labels.path, "--format", "json"])
        let uj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(u.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(uj["notes"] as? [String], ["1 documents have no row in \(labels.path) and were left out"])
        let bad = dir.appendingPathComponent("bad.csv")
        try "path,corpus\nsource-a-doc0001.txt\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try CLITests.run(["batch", dir.appendingPathComponent("flat").path, "--labels", bad.path])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.csv:2: needs a path and a value"), r.stderr)
        XCTAssertEqual(try CLITests.run(["batch", "Corpora", "--labels", bad.path, "--by-subdir"]).status, 64)
        // A path labelled twice with two values is refused; twice alike is fine.
        let twice = dir.appendingPathComponent("twice.csv")
        try (csv + "source-a-doc0001.txt,copy-a\n").write(to: twice, atomically: true, encoding: .utf8)
        let t = try CLITests.run(["batch", dir.appendingPathComponent("flat").path, "--labels", twice.path])
        XCTAssertEqual(t.status, 65, t.stderr)
        XCTAssertTrue(t.stderr.contains("gives 'source-a-doc0001.txt' another value than line"), t.stderr)
        try (csv + "source-a-doc0001.txt,source-a\n").write(to: twice, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLITests.run(["batch", dir.appendingPathComponent("flat").path, "--labels", twice.path, "-q"]).status, 0)
    }

    /// `compare FILE --where F=V1 --vs F=V2` equals compare of the two
    /// folders; `--paired --pair-field` pairs records across the groups.
    func testWhereAndVsCompareTwoGroupsOfOneFile() throws {
        let dir = try tempDir()
        let jsonl = try groupedJSONL(in: dir)
        let g = try CLITests.run([
            "compare", jsonl.path, "--where", "model=source-a", "--vs", "model=source-b", "--permutations", "99", "--format", "json",
        ])
        let f = try CLITests.run(["compare", "Corpora/source-a", "Corpora/source-b", "--permutations", "99", "--format", "json"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as? [String: Any])
        let b = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any])
        for key in ["divergence", "test", "mmd", "keyness", "table_tests"] {
            XCTAssertEqual(a[key] as? NSObject, b[key] as? NSObject, key)
        }
        let p = try CLITests.run([
            "compare", jsonl.path, "--where", "model=source-a", "--vs", "model=copy-a", "--paired", "--pair-field", "id",
            "--permutations", "99", "--format", "json",
        ])
        XCTAssertEqual(p.status, 0, p.stderr)
        let t = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any])?["test"] as? [String: Any])
        XCTAssertEqual(t["design"] as? String, "paired")
        XCTAssertEqual(t["pairs"] as? Int, 50)
        XCTAssertEqual(try CLITests.run(["compare", jsonl.path, "--where", "model"]).status, 64)
    }

    /// `--where`/`--vs` and `--by-field` select records by a JSONL field; a
    /// directory or a fingerprint file has none, and the options were
    /// ignored: the whole corpora were compared, exit 0, no note (review,
    /// session 29). Now a usage error naming the option and the input.
    func testFieldOptionsOnInputsWithoutFieldsAreRefused() throws {
        let dir = try tempDir()
        let jsonl = try groupedJSONL(in: dir)
        let fp = dir.appendingPathComponent("a.fp")
        XCTAssertEqual(try CLITests.run(["sketch", "Corpora/source-a", "-o", fp.path, "-q"]).status, 0)
        for (args, words) in [
            (
                ["compare", "Corpora/source-a", "Corpora/source-a", "--where", "src=x", "--vs", "src=y"],
                "--where 'src=x': Corpora/source-a is a directory"
            ),
            (
                ["compare", jsonl.path, "Corpora/source-b", "--where", "model=source-a", "--vs", "model=x"],
                "--vs 'model=x': Corpora/source-b is a directory"
            ),
            (["compare", fp.path, jsonl.path, "--where", "model=source-a", "--vs", "model=source-b"], "is a fingerprint file"),
            (["batch", "Corpora/source-a", "--by-field", "model"], "--by-field 'model': Corpora/source-a is a directory"),
        ] {
            let r = try CLITests.run(args)
            XCTAssertEqual(r.status, 64, "\(args) \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("fingerprint: error: ") && r.stderr.contains(words), r.stderr)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
    }

    /// `/dev/stdin` follows `--stdin jsonl` as `-` does when standard input
    /// is redirected from a file: it was read as one text file, the JSON's
    /// keys counted as words (review, session 29). The shell redirects.
    func testDevStdinRedirectedFromAFileFollowsStdin() throws {
        let dir = try tempDir()
        let two = dir.appendingPathComponent("two.jsonl")
        try Data(#"{"text":"alpha beta"}"#.utf8 + [0x0A] + #"{"text":"gamma delta"}"#.utf8 + [0x0A]).write(to: two)
        let bin = CLITests.binary.path
        for name in ["-", "/dev/stdin", "/dev/fd/0"] {
            let r = try CLITests.runProgram("/bin/sh", ["-c", "'\(bin)' stats \(name) --stdin jsonl --format json -q < '\(two.path)'"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], name)
            XCTAssertEqual(j["documents"] as? Int, 2, name)
            XCTAssertEqual(j["types"] as? Int, 4, name)
        }
    }
}
