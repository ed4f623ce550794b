import Foundation
import XCTest

/// The findings of session 31's hostile review of `compare`, `batch` and
/// `stats` (review 31a), each pinned by a test that failed before its fix.
/// Expected values come from the files the test writes (byte slices,
/// counts of copies) or from hand derivations written here.
final class Review31Tests: XCTestCase {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-review31-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func json(_ r: CLITests.Run, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], file: file, line: line)
    }

    /// Words no other test text holds: w0000, w0001, …
    func words(_ range: Range<Int>, prefix: String = "w") -> String {
        range.map { String(format: "%@%04d", prefix, $0) }.joined(separator: " ")
    }

    /// `batch --method lsa` trapped (SIGILL, a temporary file left) when no
    /// document held a feature: the SVD of a matrix without columns.
    func testLSAWithoutAFeatureScoresZero() throws {
        let dir = try tempDir()
        var lines = ""
        for t in ["Stocks rise again", "Rain expected Monday", "New bridge opens", "Prices fall"] {
            lines += "{\"text\": \"\(t)\"}\n"
        }
        let input = dir.appendingPathComponent("heads.jsonl")
        try Data(lines.utf8).write(to: input)
        for method in ["lsa", "tfidf"] {
            let out = dir.appendingPathComponent("\(method).json")
            let r = try CLITests.run([
                "batch", input.path, "--tokenizer", "ngram:5", "--method", method, "--format", "json", "-q", "-o", out.path,
            ])
            XCTAssertEqual(r.status, 0, "\(method): \(r.stderr)")
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
            let rows = try XCTUnwrap(j["neighbors"] as? [[String: Any]])
            XCTAssertEqual(rows.count, 4)
            for row in rows {
                for n in try XCTUnwrap(row["neighbors"] as? [[String: Any]]) { XCTAssertEqual(n["score"] as? Double, 0, method) }
            }
            let notes = try XCTUnwrap(j["notes"] as? [String])
            XCTAssertTrue(notes.contains { $0.hasPrefix("no document holds a ngram:5 token") }, "\(method) \(notes)")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
            XCTAssertEqual(left, [], method)
        }
    }

    /// `--threshold 1` missed exact copies that the neighbour lists showed
    /// with a score of 1 (the float32 rows are unit vectors only to float32
    /// precision), and `--fail-on-match` passed: the copies are counted here
    /// by comparing the files' bytes.
    func testThresholdOneFindsEveryCopy() throws {
        let root = CLITests.root.appendingPathComponent("Corpora")
        let a = root.appendingPathComponent("source-a")
        let b = root.appendingPathComponent("copy-a")
        let fm = FileManager.default
        var copies = 0
        for name in try fm.contentsOfDirectory(atPath: a.path) where name.hasSuffix(".txt") {
            let x = try Data(contentsOf: a.appendingPathComponent(name))
            for other in try fm.contentsOfDirectory(atPath: b.path) where other.hasSuffix(".txt") {
                if try Data(contentsOf: b.appendingPathComponent(other)) == x { copies += 1 }
            }
        }
        XCTAssertGreaterThan(copies, 40)
        for method in ["tfidf", "lsa"] {
            let j = try json(
                CLITests.run([
                    "batch", a.path, "--against", b.path, "--threshold", "1", "--top", "1", "--method", method, "--format", "json", "-q",
                ]))
            XCTAssertEqual(j["pairs_total"] as? Int, copies, method)
        }
        // Three copies and another text: every pair of copies is a match.
        let dir = try tempDir()
        let text = try Data(contentsOf: a.appendingPathComponent("doc0001.txt"))
        for i in 1...3 { try text.write(to: dir.appendingPathComponent("c\(i).txt")) }
        try Data(contentsOf: a.appendingPathComponent("doc0002.txt")).write(to: dir.appendingPathComponent("x.txt"))
        let r = try CLITests.run(["batch", dir.path, "--threshold", "1", "--fail-on-match", "--format", "json", "-q"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["pairs_total"] as? Int, 3)
    }

    /// The MMD test lost the tie between a balanced design's labelling and
    /// its complement (float32 sums against a float64 observed value). With
    /// 3 documents a side there are C(6, 3) = 20 relabellings, and the
    /// observed one and its complement give the same MMD² (it is symmetric
    /// in the two groups), so at least 2 of 20 reach it: p ≥ 0.1, less the
    /// Monte Carlo error of 9,999 draws (sd 0.003). Before the fix: 0.05.
    func testMMDCountsTheComplementAsATie() throws {
        let dir = try tempDir()
        for side in ["A", "B"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(side), withIntermediateDirectories: true)
        }
        // Side A writes one vocabulary and B another, so the observed labelling is the most extreme.
        for i in 0..<3 {
            try Data((words(i * 30..<(i * 30 + 40)) + "\n").utf8).write(to: dir.appendingPathComponent("A/a\(i).txt"))
            try Data((words(i * 30..<(i * 30 + 40), prefix: "v") + "\n").utf8).write(to: dir.appendingPathComponent("B/b\(i).txt"))
        }
        let j = try json(
            CLITests.run([
                "compare", dir.appendingPathComponent("A").path, dir.appendingPathComponent("B").path, "--permutations", "9999",
                "--bootstrap", "0", "--format", "json", "-q",
            ]))
        let mmd = try XCTUnwrap(j["mmd"] as? [String: Any])
        let p = try XCTUnwrap(mmd["p_value"] as? Double)
        XCTAssertGreaterThan(p, 0.09)
        XCTAssertLessThan(p, 0.12)
    }

    /// `batch --evidence` gave document b's offsets as a's in JSON and JSON
    /// Lines: each side's range must slice the shared text out of its own
    /// document.
    func testEvidenceOffsetsBelongToTheirDocument() throws {
        let dir = try tempDir()
        let shared = words(0..<30)
        try Data((shared + " tail words here\n").utf8).write(to: dir.appendingPathComponent("a.txt"))
        try Data((String(repeating: "prefix ", count: 20) + "\n" + shared + "\n").utf8).write(to: dir.appendingPathComponent("b.txt"))
        let j = try json(CLITests.run(["batch", dir.path, "--evidence", "3", "--format", "json", "-q"]))
        let evidence = try XCTUnwrap((j["evidence"] as? [[String: Any]])?.first)
        let passage = try XCTUnwrap((evidence["passages"] as? [[String: Any]])?.first)
        for side in ["a", "b"] {
            let name = try XCTUnwrap(evidence[side] as? String)
            let bytes = try Data(contentsOf: dir.appendingPathComponent(name))
            let start = try XCTUnwrap(passage["\(side)_start"] as? Int)
            let end = try XCTUnwrap(passage["\(side)_end"] as? Int)
            guard 0 <= start, start <= end, end <= bytes.count else {
                XCTFail("\(side): \(start)..<\(end) is outside \(name)'s \(bytes.count) bytes")
                continue
            }
            XCTAssertEqual(String(decoding: bytes[start..<end], as: UTF8.self), shared, side)
            let line = try XCTUnwrap(passage["\(side)_line"] as? Int)
            XCTAssertEqual(bytes[..<start].filter { $0 == 0x0A }.count + 1, line, side)
        }
    }

    /// Shared passages stopped at the 8 documents of A that hold the most of
    /// a B document's sampled n-grams, with no note: a document stitched from
    /// 12 sources listed 8.
    func testAPassageFromEverySource() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("A")
        let b = dir.appendingPathComponent("B")
        for d in [a, b] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        var stitched: [String] = []
        for i in 0..<12 {
            // Source i: 200 words of its own; B takes 30 of them, with a word of its own between runs.
            let text = words(i * 1000..<(i * 1000 + 200))
            try Data((text + "\n").utf8).write(to: a.appendingPathComponent(String(format: "s%02d.txt", i)))
            stitched.append(words((i * 1000 + 50)..<(i * 1000 + 80)))
            stitched.append("glue\(i)")
        }
        try Data((stitched.joined(separator: " ") + "\n").utf8).write(to: b.appendingPathComponent("b.txt"))
        let j = try json(
            CLITests.run(["compare", a.path, b.path, "--permutations", "9", "--bootstrap", "0", "--format", "json", "-q"]))
        let passages = try XCTUnwrap(j["passages"] as? [[String: Any]])
        let sources = Set(passages.compactMap { $0["a"] as? String })
        XCTAssertEqual(sources, Set((0..<12).map { String(format: "s%02d.txt", $0) }))
        for p in passages { XCTAssertEqual((p["passage"] as? [String: Any])?["tokens"] as? Int, 30) }
    }

    /// `--by-subdir`: documents left out (directly in DIR) still set the
    /// vocabulary and idf, and a corpus without a token had a JSD of 0 to
    /// every other and joined the first at distance 0.
    func testCorporaLeftOutTakeNoPart() throws {
        let dir = try tempDir()
        let fm = FileManager.default
        for (path, text) in [
            ("x/1.txt", "apple banana cherry"), ("x/2.txt", "apple date"), ("y/1.txt", "banana cherry elder"), ("y/2.txt", "fig apple"),
        ] {
            try fm.createDirectory(at: dir.appendingPathComponent(path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data((text + "\n").utf8).write(to: dir.appendingPathComponent(path))
        }
        let clean = try json(CLITests.run(["batch", dir.path, "--by-subdir", "--permutations", "0", "--format", "json", "-q"]))
        for i in 0..<30 { try Data("banana cherry banana cherry\n".utf8).write(to: dir.appendingPathComponent("root\(i).txt")) }
        try fm.createDirectory(at: dir.appendingPathComponent("z"), withIntermediateDirectories: true)
        try Data("... !!!\n".utf8).write(to: dir.appendingPathComponent("z/a.txt"))
        let loose = try json(CLITests.run(["batch", dir.path, "--by-subdir", "--permutations", "0", "--format", "json", "-q"]))
        for key in ["centroid_cosine", "jsd"] {
            XCTAssertEqual(loose[key] as? [[Double]], clean[key] as? [[Double]], key)
        }
        XCTAssertEqual(loose["features"] as? Int, clean["features"] as? Int)
        XCTAssertEqual((loose["corpora"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["x", "y"])
        let notes = try XCTUnwrap(loose["notes"] as? [String])
        XCTAssertTrue(notes.contains("corpus 'z' holds no word token and was left out"), "\(notes)")
    }

    /// Two sides without a token ran the permutation test (p = 1, "not
    /// distinguishable"): there is nothing to test.
    func testNoTokensNoTest() throws {
        let dir = try tempDir()
        for side in ["A", "B"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(side), withIntermediateDirectories: true)
            for i in 0..<3 { try Data("... !!! ???\n".utf8).write(to: dir.appendingPathComponent("\(side)/\(i).txt")) }
        }
        let j = try json(
            CLITests.run([
                "compare", dir.appendingPathComponent("A").path, dir.appendingPathComponent("B").path, "--format", "json", "-q",
            ]))
        let test = try XCTUnwrap(j["test"] as? [String: Any])
        XCTAssertEqual(test["ran"] as? Bool, false)
        XCTAssertEqual(test["reason"] as? String, "A and B hold no token among the features")
    }

    /// The paired note counted min(nA, nB) − pairs documents without a
    /// partner: 12 and 11 documents in 9 pairs leave 3 + 2 = 5.
    func testUnpairedDocumentsAreCounted() throws {
        let dir = try tempDir()
        var a = ""
        var b = ""
        for i in 0..<12 { a += "{\"id\": \"k\(i)\", \"text\": \"\(words(i * 20..<(i * 20 + 15)))\"}\n" }
        for i in 3..<14 { b += "{\"id\": \"k\(i)\", \"text\": \"\(words(i * 20..<(i * 20 + 12)))\"}\n" }
        try Data(a.utf8).write(to: dir.appendingPathComponent("a.jsonl"))
        try Data(b.utf8).write(to: dir.appendingPathComponent("b.jsonl"))
        let j = try json(
            CLITests.run([
                "compare", dir.appendingPathComponent("a.jsonl").path, dir.appendingPathComponent("b.jsonl").path, "--paired",
                "--pair-field", "id", "--permutations", "9", "--bootstrap", "0", "--format", "json", "-q",
            ]))
        XCTAssertEqual((j["test"] as? [String: Any])?["pairs"] as? Int, 9)
        let notes = try XCTUnwrap(j["notes"] as? [String])
        XCTAssertTrue(notes.contains("5 documents have no partner and keep their side in the paired test"), "\(notes)")
    }

    /// Options of another method or mode were accepted and ignored.
    func testBatchRefusesOptionsItWouldIgnore() throws {
        let c = "Corpora/source-a"
        for (args, message) in [
            (["--permutations", "5"], "--permutations applies to --by-subdir"),
            (["--dims", "5"], "--dims applies to --method lsa"),
            (["--shingle", "3"], "--shingle applies to --method minhash"),
            (["--method", "minhash", "--sublinear"], "--sublinear applies to TF-IDF"),
            (["--method", "minhash", "--features", "100"], "--features applies to TF-IDF"),
            (["--boilerplate", c], "--boilerplate applies to --evidence"),
        ] {
            let r = try CLITests.run(["batch", c] + args)
            XCTAssertEqual(r.status, 64, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    /// A character device with the numbers of the system's full device
    /// (1,7), made in `dir` (never the system's /dev).
    func fullDevice(in dir: URL) throws -> URL {
        guard getuid() == 0 else { throw XCTSkip("making a device node needs root") }
        let url = dir.appendingPathComponent("full")
        guard mknod(url.path, S_IFCHR | 0o666, dev_t((1 << 8) | 7)) == 0 else {
            throw XCTSkip("mknod failed: \(String(cString: strerror(errno)))")
        }
        return url
    }

    /// Review 31b: `-o`'s file was replaced before `--skipped` (or
    /// `--write-kept`) was written, so a run that then failed (exit 74) had
    /// already lost the previous report; and an interrupted or failed kept
    /// copy was left half-written under the name asked for.
    func testAFailedRunLeavesItsOutputsAsTheyWere() throws {
        let dir = try tempDir()
        let full = try fullDevice(in: dir)
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let text = try Data(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt"))
        try text.write(to: corpus.appendingPathComponent("a.txt"))
        try text.write(to: corpus.appendingPathComponent("b.txt"))
        try Data("another text altogether, short\n".utf8).write(to: corpus.appendingPathComponent("c.txt"))
        try Data([0x00, 0x01, 0x02]).write(to: corpus.appendingPathComponent("binary.bin"))
        let report = dir.appendingPathComponent("report.json")
        for command in [["dedup"], ["batch"], ["stats"], ["compare", corpus.path]] {
            try Data("previous\n".utf8).write(to: report)
            let r = try CLITests.run(command + [corpus.path, "--format", "json", "-q", "-o", report.path, "--skipped", full.path])
            XCTAssertEqual(r.status, 74, "\(command): \(r.stderr)")
            XCTAssertEqual(try String(contentsOf: report, encoding: .utf8), "previous\n", "\(command)")
        }
        // The report fails after the kept copy was made: no copy under either name.
        let kept = dir.appendingPathComponent("kept")
        let r = try CLITests.run(["dedup", corpus.path, "-q", "-o", full.path, "--write-kept", kept.path])
        XCTAssertEqual(r.status, 74, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: kept.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [])
        // And when all goes well, the copy is there, without the duplicate.
        let ok = try CLITests.run(["dedup", corpus.path, "-q", "-o", report.path, "--force", "--write-kept", kept.path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: kept.path).sorted(), ["a.txt", "c.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [])
    }

    /// `bench` with a damaged manifest printed a raw DecodingError and exited
    /// 1 (the --fail-on-match status); it ignored shared options it has no
    /// use for (review 31b).
    func testBenchRefusesADamagedManifestAndOptionsItIgnores() throws {
        let dir = try tempDir()
        try Data("{\"schema\": \"fingerprint.synth/1\", \"generator\": \"x\"}".utf8).write(to: dir.appendingPathComponent("manifest.json"))
        let r = try CLITests.run(["bench", "--corpus", dir.path, "-q"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("manifest.json: not a manifest written by `fingerprint synth` (no field 'seed')"), r.stderr)
        for args in [
            ["--glob", "*.md"], ["--strict"], ["--tokenizer", "char:3"], ["--skipped", dir.appendingPathComponent("s.csv").path],
        ] {
            let x = try CLITests.run(["bench", "--corpus", dir.path] + args)
            XCTAssertEqual(x.status, 64, "\(args): \(x.stderr)")
        }
    }

    /// Review 31c: under a vote that counted stretches of shared n-grams, a
    /// 100-word copy lost to documents sharing seven 16-word phrases each, and
    /// only 16-token passages were listed. The longest passage comes first.
    func testTheLongestPassageIsFound() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("A")
        let b = dir.appendingPathComponent("B")
        for d in [a, b] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        var next = 0
        func fresh(_ n: Int, _ tag: String) -> [String] {
            (0..<n).map { _ in
                next += 1
                return "\(tag)\(next)"
            }
        }
        let run = fresh(100, "long")
        try Data(((fresh(40, "lf") + run + fresh(40, "lf")).joined(separator: " ") + "\n").utf8).write(
            to: a.appendingPathComponent("L.txt"))
        var body = fresh(10, "bf") + run + fresh(10, "bf")
        for s in 0..<28 {
            var doc: [String] = []
            for _ in 0..<7 {
                let phrase = fresh(16, "s\(s)p")
                doc += phrase + fresh(20, "sf")
                body += phrase + fresh(5, "bf")
            }
            try Data((doc.joined(separator: " ") + "\n").utf8).write(to: a.appendingPathComponent(String(format: "S%02d.txt", s)))
        }
        try Data((body.joined(separator: " ") + "\n").utf8).write(to: b.appendingPathComponent("b.txt"))
        let j = try json(CLITests.run(["compare", a.path, b.path, "--permutations", "9", "--bootstrap", "0", "--format", "json", "-q"]))
        let first = try XCTUnwrap((j["passages"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["a"] as? String, "L.txt")
        XCTAssertEqual((first["passage"] as? [String: Any])?["tokens"] as? Int, 100)
    }

    /// Review 31c: `--write-kept` into an existing empty directory named
    /// through a link, as ".", or as "DIR/." failed (74) after the kept copy
    /// was made; `--method exact` refused the `--shingle` a fingerprint file
    /// sketched with another size needs; one side without a token still ran
    /// the MMD test; "needs at least 2" did not say a corpus had been left out.
    func testSecondReviewOfTheFixes() throws {
        let dir = try tempDir()
        let corpus = CLITests.root.appendingPathComponent("Corpora/near-dups").path
        let fm = FileManager.default
        let empty = dir.appendingPathComponent("empty")
        try fm.createDirectory(at: empty, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: empty.path)
        let viaLink = try CLITests.run([
            "dedup", corpus, "-q", "-o", dir.appendingPathComponent("r1.json").path, "--write-kept",
            dir.appendingPathComponent("link").path,
        ])
        XCTAssertEqual(viaLink.status, 0, viaLink.stderr)
        XCTAssertFalse(try fm.contentsOfDirectory(atPath: empty.path).isEmpty)
        let dot = dir.appendingPathComponent("dot")
        try fm.createDirectory(at: dot, withIntermediateDirectories: true)
        let viaDot = try CLITests.run([
            "dedup", corpus, "-q", "-o", dir.appendingPathComponent("r2.json").path, "--write-kept", dot.path + "/.",
        ])
        XCTAssertEqual(viaDot.status, 0, viaDot.stderr)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dot.path).sorted(), try fm.contentsOfDirectory(atPath: empty.path).sorted())

        let fp = dir.appendingPathComponent("s3.fp")
        let sketch = try CLITests.run(["sketch", corpus, "--shingle", "3", "-o", fp.path, "-q"])
        XCTAssertEqual(sketch.status, 0, sketch.stderr)
        let exact = try CLITests.run(["dedup", fp.path, "--method", "exact", "--shingle", "3", "--format", "json", "-q"])
        XCTAssertEqual(exact.status, 0, exact.stderr)

        let sides = dir.appendingPathComponent("sides")
        for side in ["A", "B"] { try fm.createDirectory(at: sides.appendingPathComponent(side), withIntermediateDirectories: true) }
        for i in 0..<3 {
            try Data("... !!! ???\n".utf8).write(to: sides.appendingPathComponent("A/\(i).txt"))
            try Data((words(i * 20..<(i * 20 + 20)) + "\n").utf8).write(to: sides.appendingPathComponent("B/\(i).txt"))
        }
        let c = try json(
            CLITests.run([
                "compare", sides.appendingPathComponent("A").path, sides.appendingPathComponent("B").path, "--format", "json", "-q",
            ]))
        XCTAssertEqual((c["mmd"] as? [String: Any])?["ran"] as? Bool, false)
        XCTAssertEqual((c["mmd"] as? [String: Any])?["reason"] as? String, "A holds no token among the features")

        let two = dir.appendingPathComponent("two")
        for (path, text) in [("x/a.txt", "alpha beta"), ("z/a.txt", "...")] {
            try fm.createDirectory(at: two.appendingPathComponent(path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data((text + "\n").utf8).write(to: two.appendingPathComponent(path))
        }
        let r = try CLITests.run(["batch", two.path, "--by-subdir", "-q"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("(found 1 with a token; 'z' holds none)"), r.stderr)
    }

    /// Review 31c, seen on the way: with `--dims` at or past the matrix's
    /// rank, LSA gave a document without a token a unit vector of SVD noise
    /// (0.07 against another document); it is the zero vector, as in TF-IDF.
    func testLSAKeepsATokenlessDocumentAtZero() throws {
        let dir = try tempDir()
        // 36 documents of 60 words drawn from 400, 5 copies of one, one repeated twice and
        // three times: a matrix short of full rank, whose null directions the noise fills.
        var x: UInt64 = 12345
        func next() -> UInt64 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return x >> 33
        }
        var texts: [String] = []
        for i in 0..<36 {
            let t = (0..<60).map { _ in "w\(next() % 400)" }.joined(separator: " ")
            texts.append(t)
            try Data((t + "\n").utf8).write(to: dir.appendingPathComponent(String(format: "d%02d.txt", i)))
        }
        for i in 1...5 { try Data((texts[0] + "\n").utf8).write(to: dir.appendingPathComponent("copy\(i).txt")) }
        try Data((texts[1] + " " + texts[1] + "\n").utf8).write(to: dir.appendingPathComponent("rep2.txt"))
        try Data((Array(repeating: texts[1], count: 3).joined(separator: " ") + "\n").utf8).write(
            to: dir.appendingPathComponent("rep3.txt"))
        try Data("... !!! ???\n".utf8).write(to: dir.appendingPathComponent("punct.txt"))
        let j = try json(CLITests.run(["batch", dir.path, "--method", "lsa", "--dims", "64", "--format", "json", "-q"]))
        let rows = try XCTUnwrap(j["neighbors"] as? [[String: Any]])
        let punct = try XCTUnwrap(rows.first { $0["query"] as? String == "punct.txt" })
        let scores = try XCTUnwrap(punct["neighbors"] as? [[String: Any]]).compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores.count, 10)
        XCTAssertEqual(Set(scores), [0])
    }
}
