import FingerprintCore
import FingerprintKit
import Foundation
import XCTest

/// Fingerprint files (issue 13): `sketch`, a `.fp` read wherever a corpus is,
/// keyed files, `merge`, and the incremental index.
final class FingerprintFileTests: XCTestCase, FingerprintFileTesting {
    /// A report with the given input paths replaced by one placeholder, so
    /// that the text run and the file run can be compared as strings.
    func normalised(_ json: String, _ paths: [String]) -> String {
        var s = json
        for p in paths.sorted(by: { $0.count > $1.count }) { s = s.replacingOccurrences(of: p, with: "INPUT") }
        return s
    }

    /// Every command that reads counts or sketches gives the same JSON from
    /// the file as from the text it was made from (apart from the input path).
    func testFileGivesTheSameJSONAsTheText() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        let b = dir.appendingPathComponent("b.fp")
        let n = dir.appendingPathComponent("n.fp")
        try sketch("Corpora/source-a", a)
        try sketch("Corpora/copy-a", b)
        try sketch("Corpora/near-dups", n)
        let runs: [(text: [String], file: [String])] = [
            (["stats", "Corpora/source-a"], ["stats", a.path]),
            (
                ["compare", "Corpora/source-a", "Corpora/copy-a", "--permutations", "99", "--passages", "0"],
                ["compare", a.path, b.path, "--permutations", "99", "--passages", "0"]
            ),
            (
                ["compare", "Corpora/source-a", "Corpora/copy-a", "--permutations", "99", "--passages", "0"],
                ["compare", a.path, "Corpora/copy-a", "--permutations", "99", "--passages", "0"]
            ),
            (
                ["batch", "Corpora/copy-a", "--against", "Corpora/source-a", "--top", "3"],
                ["batch", b.path, "--against", a.path, "--top", "3"]
            ),
            (["batch", "Corpora/source-a", "--method", "lsa", "--dims", "16"], ["batch", a.path, "--method", "lsa", "--dims", "16"]),
            (
                ["batch", "Corpora/near-dups", "--method", "minhash", "--threshold", "0.5"],
                ["batch", n.path, "--method", "minhash", "--threshold", "0.5"]
            ),
            (["dedup", "Corpora/near-dups"], ["dedup", n.path]),
            (
                ["dedup", "Corpora/near-dups", "--perms", "64", "--seed", "7", "--threshold", "0.6"],
                ["dedup", n.path, "--perms", "64", "--seed", "7", "--threshold", "0.6"]
            ),
            (["dedup", "Corpora/near-dups", "--method", "simhash"], ["dedup", n.path, "--method", "simhash"]),
            (["dedup", "Corpora/near-dups", "--method", "exact"], ["dedup", n.path, "--method", "exact"]),
        ]
        let paths = [a.path, b.path, n.path, "Corpora/source-a", "Corpora/copy-a", "Corpora/near-dups"]
        for (text, file) in runs {
            let t = try run(text + ["--format", "json"])
            let f = try run(file + ["--format", "json"])
            XCTAssertFalse(t.stdout.isEmpty)
            XCTAssertEqual(normalised(f.stdout, paths), normalised(t.stdout, paths), "\(file.joined(separator: " "))")
        }
        // What needs the text is said to be unavailable, not left silently empty.
        let c =
            try JSONSerialization.jsonObject(
                with: Data(try run(["compare", a.path, b.path, "--permutations", "19", "--format", "json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual((c["passages"] as? [Any])?.count, 0)
        XCTAssertTrue((c["notes"] as! [String]).contains { $0.contains("shared passages: unavailable") }, "\(c["notes"]!)")
        let textPassages =
            try JSONSerialization.jsonObject(
                with: Data(
                    try run(["compare", "Corpora/source-a", "Corpora/copy-a", "--permutations", "19", "--format", "json"]).stdout.utf8))
            as! [String: Any]
        XCTAssertGreaterThan((textPassages["passages"] as! [Any]).count, 0, "the text run finds passages the file run cannot")
        let e = try run(["batch", b.path, "--against", a.path, "--evidence", "1", "--format", "json"])
        XCTAssertTrue(e.stdout.contains("evidence: unavailable"), e.stdout)
        // dedup --write-kept needs the text: refused before any work.
        let w = try run(["dedup", n.path, "--write-kept", dir.appendingPathComponent("kept").path], 65)
        XCTAssertTrue(w.stderr.contains("fingerprint file"), w.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("kept").path))
        // Reading left no -wal or -shm file beside the inputs.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["a.fp", "b.fp", "n.fp"])
    }

    /// A file the user may not write is still read (SQLite falls back to
    /// reading only), and reading it does not change it. (Run as root, the
    /// permission stops nothing, and this checks only the latter.)
    func testFileWithoutWritePermissionIsRead() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", a)
        let before = try Data(contentsOf: a)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: a.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: a.path) }
        let t = try run(["stats", "Corpora/source-a", "--format", "json"])
        let f = try run(["stats", a.path, "--format", "json"])
        XCTAssertEqual(normalised(f.stdout, [a.path, "Corpora/source-a"]), normalised(t.stdout, [a.path, "Corpora/source-a"]))
        XCTAssertEqual(try Data(contentsOf: a), before)
    }

    /// A file made with one tokenizer or shingle size is refused by a run
    /// that asks for another, with one line naming the mismatch.
    func testMismatchedParametersAreRefused() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", a)
        let t = try run(["stats", a.path, "--tokenizer", "char:3"], 65)
        XCTAssertTrue(t.stderr.contains("was sketched with tokenizer word"), t.stderr)
        XCTAssertEqual(t.stderr.split(separator: "\n").count, 1)
        let s = try run(["dedup", a.path, "--shingle", "7"], 65)
        XCTAssertTrue(s.stderr.contains("5-token shingles"), s.stderr)
        let c = dir.appendingPathComponent("c.fp")
        try sketch("Corpora/copy-a", c, ["--tokenizer", "char:3"])
        try run(["compare", c.path, "Corpora/source-a", "--tokenizer", "char:3", "--permutations", "19"])
        let m = try run(["merge", a.path, c.path, "-o", dir.appendingPathComponent("m.fp").path], 65)
        XCTAssertTrue(m.stderr.contains("tokenizers differ"), m.stderr)
    }

    /// Sketches with other shingle sizes than the default (1 and 64 are the
    /// ends of the range) give `dedup` and `batch --method minhash` the same
    /// answers as the text: the file's shingles come from the n-gram
    /// collector, the text's from `dedup`'s shingler.
    func testOtherShingleSizesAgreeWithTheText() throws {
        let dir = try tempDir()
        for shingle in ["1", "2", "13", "63", "64"] {
            let f = dir.appendingPathComponent("\(shingle).fp")
            try sketch("Corpora/near-dups", f, ["--shingle", shingle])
            for command in [["dedup"], ["dedup", "--method", "simhash"], ["batch", "--method", "minhash"]] {
                // --threshold is MinHash's (dedup refuses it with simhash).
                let options = ["--shingle", shingle] + (command.contains("simhash") ? [] : ["--threshold", "0.4"]) + ["--format", "json"]
                let fromFile = try run([command[0], f.path] + command.dropFirst() + options).stdout
                let fromText = try run([command[0], "Corpora/near-dups"] + command.dropFirst() + options).stdout
                let what = "\(command.joined(separator: " ")) --shingle \(shingle)"
                if command == ["dedup"] { XCTAssertTrue(fromText.contains("\"doc00"), what) }
                XCTAssertEqual(normalised(fromFile, [f.path]), normalised(fromText, ["Corpora/near-dups"]), what)
            }
        }
    }

    /// `--shingle 64`: a file agrees with `dedup` on its text (the 64-token
    /// shingles were wrong before 7c63b9b). A file made then (its meta has
    /// no `shingle_hash`) is refused, in one line, wherever its shingles
    /// meet current ones; its counts and n-grams still serve `compare`, and
    /// two such files still merge (into a file marked the same way).
    func testOldSixtyFourTokenShinglesAreRefused() throws {
        let dir = try tempDir()
        let new = dir.appendingPathComponent("new.fp")
        try sketch("Corpora/near-dups", new, ["--shingle", "64"])
        let dedup = ["--shingle", "64", "--threshold", "0.3", "--format", "json"]
        XCTAssertEqual(
            normalised(try run(["dedup", new.path] + dedup).stdout, [new.path]),
            normalised(try run(["dedup", "Corpora/near-dups"] + dedup).stdout, ["Corpora/near-dups"]))
        let old = dir.appendingPathComponent("old.fp")
        try FileManager.default.copyItem(at: new, to: old)
        try SQLiteDatabase(path: old.path, mode: .readWrite).execute("DELETE FROM meta WHERE key = 'shingle_hash'")
        let refusals: [[String]] = [
            ["dedup", old.path, "--shingle", "64"],
            ["batch", old.path, "--method", "minhash", "--shingle", "64"],
            ["index", "query", old.path, "Corpora/near-dups"],
            ["index", "add", old.path, "Corpora/source-a", "--shingle", "64"],
            ["merge", new.path, old.path, "-o", dir.appendingPathComponent("mixed.fp").path],
        ]
        for args in refusals {
            let r = try run(args, 65)
            XCTAssertTrue(r.stderr.contains("64-token shingles were wrong") && r.stderr.contains("sketch its text again"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("mixed.fp").path))
        try run(["compare", old.path, "Corpora/near-dups", "--permutations", "19", "--passages", "0"])
        let both = dir.appendingPathComponent("both.fp")
        let other = dir.appendingPathComponent("other.fp")
        try sketch("Corpora/source-a", other, ["--shingle", "64", "--name-prefix", "a/"])
        try SQLiteDatabase(path: other.path, mode: .readWrite).execute("DELETE FROM meta WHERE key = 'shingle_hash'")
        try run(["merge", old.path, other.path, "-o", both.path])
        try run(["dedup", both.path, "--shingle", "64"], 65)
        // Another shingle size never had the fault: a file without the key is current.
        let five = dir.appendingPathComponent("five.fp")
        try sketch("Corpora/near-dups", five)
        let db = try SQLiteDatabase(path: five.path, mode: .readWrite)
        try db.execute("DELETE FROM meta WHERE key = 'shingle_hash'")
        try run(["dedup", five.path])
        try db.execute("INSERT INTO meta VALUES ('shingle_hash', '7')")
        let r = try run(["dedup", five.path], 65)
        XCTAssertTrue(r.stderr.contains("meta 'shingle_hash' is 7"), r.stderr)
    }

    /// Damaged and foreign files: one line, exit 65, never a crash.
    func testBadFilesAreRefused() throws {
        let dir = try tempDir()
        let garbage = dir.appendingPathComponent("g.fp")
        try Data(Array("SQLite format 3\0".utf8) + (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: garbage)
        let foreign = dir.appendingPathComponent("f.fp")
        let db = try SQLiteDatabase(path: foreign.path, mode: .create)
        try db.execute("CREATE TABLE t(x); INSERT INTO t VALUES(1);")
        let future = dir.appendingPathComponent("v99.fp")
        try sketch("Corpora/source-a", future)
        let f = try SQLiteDatabase(path: future.path, mode: .readWrite)
        try f.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        for (path, words) in [(garbage, "not a fingerprint file"), (foreign, "not a fingerprint file"), (future, "schema version 99")] {
            for args in [["stats", path.path], ["index", "list", path.path], ["dedup", path.path]] {
                let r = try run(args, 65)
                XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            }
        }
        let truncated = dir.appendingPathComponent("t.fp")
        let whole = try Data(contentsOf: future)
        try whole.prefix(whole.count / 2).write(to: truncated)
        let r = try CLITests.run(["stats", truncated.path])
        XCTAssertTrue([65, 66].contains(r.status), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    /// Every stored row of a fingerprint file, documents by name (the content, not the SQLite pages).
    func dump(_ url: URL) throws -> [String] {
        let db = try SQLiteDatabase(path: url.path, mode: .readOnly)
        var rows: [String] = []
        let s = try db.prepare(
            """
            SELECT name, hex(ord), path, line, bytes, hex(digest), tokens, hex(counts), shingle_tokens, exact, simhash,
              hex(minhash), hex(shingles), hex(grams8), hex(grams13) FROM documents ORDER BY name
            """)
        while try s.step() { rows.append((0..<15).map { s.string($0) ?? "NULL" }.joined(separator: "|")) }
        let v = try db.prepare("SELECT id, hex(token), count, documents FROM vocabulary ORDER BY id")
        while try v.step() { rows.append((0..<4).map { v.string($0) ?? "" }.joined(separator: "|")) }
        // The band index as a set of (band, key, document name).
        rows += try bandIndexByName(url)
        // The gram index as a set (how it is cut into runs and blocks may differ).
        rows.append("grams|" + (try gramIndexValues(url)).sorted().map { String($0, radix: 16) }.joined(separator: ","))
        return rows
    }

    /// The file's gram index decoded by the test: each value's counts
    /// summed over the runs (a block without counts: 1 a value; a schema-2
    /// file has no counts column), and the number of runs; checks each block
    /// is sorted, distinct and keyed by its first value with the top bit
    /// flipped, and its counts are (position, count) pairs inside it.
    func gramIndex(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> (counts: [UInt64: Int], runs: Int) {
        let db = try SQLiteDatabase(path: url.path, mode: .readOnly)
        let schema = try db.integer("SELECT value FROM meta WHERE key = 'schema_version'") ?? 0
        let s = try db.prepare("SELECT run, first, grams, \(schema >= 3 ? "counts" : "NULL") FROM gram_blocks")
        var counts: [UInt64: Int] = [:]
        var runs = Set<Int64>()
        while try s.step() {
            runs.insert(s.int64(0))
            let block = s.array(2, of: UInt64.self) ?? []
            XCTAssertFalse(block.isEmpty, file: file, line: line)
            XCTAssertEqual(block, block.sorted(), file: file, line: line)
            XCTAssertEqual(Set(block).count, block.count, file: file, line: line)
            XCTAssertEqual(UInt64(bitPattern: s.int64(1)), block.first.map { $0 ^ (1 << 63) }, file: file, line: line)
            let mine = blockCounts(s, 3, values: block.count, file: file, line: line)
            for (v, c) in zip(block, mine) { counts[v, default: 0] += schema >= 3 ? c : 1 }
        }
        return (counts.filter { $0.value != 0 }, runs.count)
    }

    /// The values some document holds, by the gram index (their counts sum above 0; none below).
    func gramIndexValues(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> Set<UInt64> {
        let counts = try gramIndex(url, file: file, line: line).counts
        XCTAssertFalse(counts.values.contains { $0 < 0 }, "a count below zero", file: file, line: line)
        return Set(counts.filter { $0.value > 0 }.keys)
    }

    /// A copy of `idx` (as `old.fp` beside it) changed by `sql` and marked
    /// schema version `schema`: how a file of an older schema looks (below
    /// 4, its band keys in a table, a row a key, as schemas 1–3 kept them).
    func olderCopy(of idx: URL, _ sql: String, schema: Int) throws -> (URL, SQLiteDatabase) {
        let old = idx.deletingLastPathComponent().appendingPathComponent("old.fp")
        try FileManager.default.copyItem(at: idx, to: old)
        let db = try SQLiteDatabase(path: old.path, mode: .readWrite)
        try db.execute("\(sql); UPDATE meta SET value = '\(schema)' WHERE key = 'schema_version'")
        if schema < 4 {
            try db.execute(
                """
                CREATE TABLE bands(band INTEGER NOT NULL, hash INTEGER NOT NULL, document INTEGER NOT NULL,
                  PRIMARY KEY(band, hash, document)) WITHOUT ROWID;
                DROP TABLE band_blocks
                """)
            let insert = try db.prepare("INSERT INTO bands VALUES(?, ?, ?)")
            for e in try bandIndex(idx) {
                insert.bind(1, e.band)
                insert.bind(2, Int64(bitPattern: e.hash))
                insert.bind(3, e.document)
                try insert.run()
            }
        }
        return (old, db)
    }

    /// `index query FILE QUESTIONED --format json`, the file's path replaced.
    func queryReport(_ f: URL, _ questioned: URL) throws -> String {
        normalised(try run(["index", "query", f.path, questioned.path, "--format", "json", "-q"]).stdout, [f.path])
    }

    /// The union of the documents' stored 13-gram sets.
    func documentGrams(_ url: URL) throws -> Set<UInt64> { Set(try documentGramCounts(url).keys) }

    /// For each 13-gram, how many documents hold it (from their stored sets).
    func documentGramCounts(_ url: URL) throws -> [UInt64: Int] {
        let db = try SQLiteDatabase(path: url.path, mode: .readOnly)
        let s = try db.prepare("SELECT grams13 FROM documents")
        var out: [UInt64: Int] = [:]
        while try s.step() { for g in s.array(0, of: UInt64.self) ?? [] { out[g, default: 0] += 1 } }
        return out
    }

    /// `sketch --shard K/N`: every file in exactly one shard, shards
    /// consecutive in reading order and cut where the byte rule says; an
    /// empty shard is an empty file; the shards merged in order are the
    /// whole corpus's file.
    func testShardsOfOneCorpusMergeToTheWhole() throws {
        let dir = try tempDir()
        let corpus = "Corpora/near-dups"
        let whole = dir.appendingPathComponent("whole.fp")
        try sketch(corpus, whole)
        // The rule, derived here from the file sizes: file f goes to shard ⌊P·N / T⌋,
        // P the bytes of the files before it, T of all of them.
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".txt") }.sorted()
        let sizes = try names.map {
            (try FileManager.default.attributesOfItem(atPath: "\(corpus)/\($0)")[.size] as! NSNumber).intValue
        }
        let total = sizes.reduce(0, +)
        for n in [5, 100] {
            var expected = [[String]](repeating: [], count: n)
            var before = 0
            for (f, name) in names.enumerated() {
                expected[min(n - 1, before * n / total)].append(name)
                before += sizes[f]
            }
            if n == 100 { XCTAssertTrue(expected.contains { $0.isEmpty }, "some shard of 100 is empty") }
            var parts: [String] = []
            for k in 0..<n where n == 5 || expected[k].isEmpty || k < 3 {
                let part = dir.appendingPathComponent("s\(k)-\(n).fp")
                try sketch(corpus, part, ["--shard", "\(k)/\(n)"])
                let db = try SQLiteDatabase(path: part.path, mode: .readOnly)
                var got: [String] = []
                let s = try db.prepare("SELECT name FROM documents ORDER BY ord")
                while try s.step() { got.append(s.string(0) ?? "") }
                XCTAssertEqual(got, expected[k], "shard \(k)/\(n)")
                parts.append(part.path)
            }
            if n == 5 {
                let merged = dir.appendingPathComponent("merged.fp")
                try run(["merge"] + parts + ["-o", merged.path])
                XCTAssertEqual(try dump(merged), try dump(whole))
            }
        }
        for bad in ["5/5", "-1/3", "1/0", "a/b", "1", "0/1000001"] {
            let r = try run(["sketch", corpus, "--shard=\(bad)", "-o", dir.appendingPathComponent("bad.fp").path], 64)
            XCTAssertTrue(r.stderr.contains("--shard must be K/N"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.fp").path))
    }

    /// Shards sketched apart and merged hold what sketching the whole gives:
    /// the same rows, the same vocabulary ids and counts.
    func testMergeOfShardsEqualsTheWhole() throws {
        let dir = try tempDir()
        let whole = dir.appendingPathComponent("whole")
        try FileManager.default.createDirectory(at: whole, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: CLITests.root.appendingPathComponent("Corpora/source-a"), to: whole.appendingPathComponent("a"))
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/mix-10"), to: whole.appendingPathComponent("b"))
        let w = dir.appendingPathComponent("w.fp")
        let a = dir.appendingPathComponent("a.fp")
        let b = dir.appendingPathComponent("b.fp")
        let m = dir.appendingPathComponent("m.fp")
        try sketch(whole.path, w)
        try sketch(whole.appendingPathComponent("a").path, a, ["--name-prefix", "a/"])
        try sketch(whole.appendingPathComponent("b").path, b, ["--name-prefix", "b/"])
        try run(["merge", a.path, b.path, "-o", m.path])
        let expected = try dump(w)
        XCTAssertEqual(expected.filter { $0.hasPrefix("a/") || $0.hasPrefix("b/") }.count, 100)
        XCTAssertEqual(try dump(m), expected)
        // Names must be distinct across the shards.
        let again = try run(["merge", a.path, a.path, "-o", dir.appendingPathComponent("x.fp").path], 65)
        XCTAssertTrue(again.stderr.contains("an earlier input holds too"), again.stderr)
        XCTAssertTrue(again.stderr.contains(a.path + ":"), "names the input, not the temporary file: \(again.stderr)")
        XCTAssertFalse(again.stderr.contains(".tmp-"), again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.fp").path))
    }

    /// A keyed file holds no token, n-gram or name in clear; two files of
    /// one key compare as their texts do; other keys and text are refused.
    func testKeyedFilesKeepNoTextAndCompareOnlyUnderOneKey() throws {
        let dir = try tempDir()
        let k1 = dir.appendingPathComponent("k1")
        let k2 = dir.appendingPathComponent("k2")
        try Data((0..<32).map { UInt8($0 * 5 + 1) }).write(to: k1)
        try (String(repeating: "ab", count: 32) + "\n").write(to: k2, atomically: true, encoding: .utf8)
        let a = dir.appendingPathComponent("a.fp")
        let b = dir.appendingPathComponent("b.fp")
        let b2 = dir.appendingPathComponent("b2.fp")
        try sketch("Corpora/source-a", a, ["--key", k1.path])
        try sketch("Corpora/mix-10", b, ["--key", k1.path])
        try sketch("Corpora/mix-10", b2, ["--key", k2.path])
        // Nothing of the text in the file: not its words, not its names.
        let bytes = try Data(contentsOf: a)
        let text = try String(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt"), encoding: .utf8)
        let words = text.lowercased().split { !$0.isLetter }.map(String.init).filter { $0.count >= 5 }
        XCTAssertGreaterThan(words.count, 20)
        for w in Set(words).prefix(40) { XCTAssertNil(bytes.range(of: Data(w.utf8)), "'\(w)' is in the keyed file") }
        XCTAssertNil(bytes.range(of: Data("doc0001".utf8)))
        // The divergences are sums over the same counts: equal to the text run's up to rounding.
        func divergence(_ args: [String]) throws -> [String: Double] {
            let r = try run(["compare"] + args + ["--permutations", "19", "--bootstrap", "0", "--format", "json"])
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["divergence"] as! [String: Double]
        }
        let t = try divergence(["Corpora/source-a", "Corpora/mix-10"])
        let k = try divergence([a.path, b.path])
        XCTAssertEqual(Set(t.keys), Set(k.keys))
        for (key, v) in t { XCTAssertEqual(k[key]!, v, accuracy: 1e-12 * max(1, abs(v)), key) }
        let other = try run(["compare", a.path, b2.path], 65)
        XCTAssertTrue(other.stderr.contains("another key"), other.stderr)
        let plain = try run(["compare", a.path, "Corpora/mix-10"], 65)
        XCTAssertTrue(plain.stderr.contains("is keyed"), plain.stderr)
        try run(["batch", a.path, "--against", "Corpora/mix-10"], 65)
        // The index: queries and changes need the key.
        try run(["index", "query", a.path, "Corpora/copy-a"], 65)
        let q = try run(["index", "query", a.path, "Corpora/copy-a", "--key", k1.path, "--format", "json"])
        let report = try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["containment"] as? Double, 1)
        let first = (report["results"] as! [[String: Any]])[0]
        XCTAssertEqual(((first["near_duplicates"] as! [[String: Any]])[0]["score"] as? Double), 1)
        try run(["index", "remove", a.path, "doc0001.txt"], 65)
        try run(["index", "remove", a.path, "doc0001.txt", "--key", k1.path])
        XCTAssertTrue(try run(["index", "list", a.path]).stdout.contains("49 documents"))
    }

    /// The distinct word 13-grams of a text, lower-cased ASCII words (the
    /// corpora are ASCII): the test's own tokenizer and hashing by string.
    func thirteenGrams(_ text: String) -> Set<String> {
        let w = text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
        guard w.count >= 13 else { return [] }
        return Set((0...(w.count - 13)).map { w[$0..<($0 + 13)].joined(separator: " ") })
    }

    /// A stream's documents are named by its path, the same in every run:
    /// a second stream given to `index add` replaces the first's documents,
    /// and says so on standard error, pointing at --name-prefix (which
    /// keeps both, and needs no note). A stream equal to the stored one is
    /// unchanged, without a note.
    func testIndexAddOfASecondStreamNotesTheReplacedNames() throws {
        let dir = try tempDir()
        let idx = dir.appendingPathComponent("idx.fp").path
        let first = #"{"text": "alpha beta gamma delta"}"# + "\n" + #"{"text": "epsilon zeta eta theta"}"# + "\n"
        let second = #"{"text": "iota kappa lambda mu"}"# + "\n" + #"{"text": "nu xi omicron pi"}"# + "\n"
        func add(_ text: String, _ extra: [String] = []) throws -> (change: [String: Any], stderr: String) {
            let r = try CLITests.run(["index", "add", idx, "-", "--stdin", "jsonl", "--format", "json"] + extra, stdin: text)
            XCTAssertEqual(r.status, 0, r.stderr)
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any], r.stderr)
        }
        var r = try add(first)
        XCTAssertEqual(r.change["added"] as? Int, 2)
        r = try add(first)
        XCTAssertEqual(r.change["unchanged"] as? Int, 2)
        XCTAssertFalse(r.stderr.contains("note:"), r.stderr)
        r = try add(second)
        XCTAssertEqual(r.change["replaced"] as? Int, 2)
        XCTAssertEqual(r.change["documents"] as? Int, 2)
        XCTAssertTrue(r.stderr.contains("note: 2 documents replaced stored ones of the same names"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--name-prefix"), r.stderr)
        r = try add(first, ["--name-prefix", "first/"])
        XCTAssertEqual(r.change["added"] as? Int, 2)
        XCTAssertEqual(r.change["documents"] as? Int, 4)
        XCTAssertFalse(r.stderr.contains("note:"), r.stderr)
    }

    /// index add / remove / list / query: changes by SHA-256, containment
    /// against every reference document, near-duplicates verified.
    func testIndexAddRemoveAndQuery() throws {
        let dir = try tempDir()
        let ref = dir.appendingPathComponent("ref")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/source-a"), to: ref)
        let idx = dir.appendingPathComponent("idx.fp")
        func change(_ args: [String]) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(try run(args + ["--format", "json", "-q"]).stdout.utf8)) as! [String: Any]
        }
        var c = try change(["index", "add", idx.path, ref.path])
        XCTAssertEqual(c["added"] as? Int, 50)
        c = try change(["index", "add", idx.path, ref.path])
        XCTAssertEqual(c["unchanged"] as? Int, 50)
        XCTAssertEqual(c["added"] as? Int, 0)
        // One document changed, one new: replaced and added; the rest unchanged.
        let doc2 = try String(contentsOf: ref.appendingPathComponent("doc0002.txt"), encoding: .utf8)
        try (doc2 + " an extra sentence at the end.").write(
            to: ref.appendingPathComponent("doc0002.txt"), atomically: true, encoding: .utf8)
        let doc7 = try String(contentsOf: ref.appendingPathComponent("doc0007.txt"), encoding: .utf8)
        let doc9 = try String(contentsOf: ref.appendingPathComponent("doc0009.txt"), encoding: .utf8)
        try (doc7 + "\n" + doc9).write(to: ref.appendingPathComponent("extra.txt"), atomically: true, encoding: .utf8)
        c = try change(["index", "add", idx.path, ref.path])
        XCTAssertEqual([c["added"] as? Int, c["replaced"] as? Int, c["unchanged"] as? Int], [1, 1, 49])
        XCTAssertEqual(c["documents"] as? Int, 51)
        // The index now equals a fresh sketch of the same corpus (counts of the replaced document subtracted).
        let fresh = dir.appendingPathComponent("fresh.fp")
        try sketch(ref.path, fresh)
        let s1 = try run(["stats", idx.path, "--format", "json"]).stdout
        let s2 = try run(["stats", fresh.path, "--format", "json"]).stdout
        XCTAssertEqual(normalised(s1, [idx.path, fresh.path]), normalised(s2, [idx.path, fresh.path]))
        try run(["index", "remove", idx.path, "extra.txt"])
        try FileManager.default.removeItem(at: ref.appendingPathComponent("extra.txt"))
        try sketch(ref.path, fresh.deletingLastPathComponent().appendingPathComponent("fresh2.fp"))
        XCTAssertEqual(
            normalised(try run(["stats", idx.path, "--format", "json"]).stdout, [idx.path]),
            normalised(
                try run(["stats", dir.appendingPathComponent("fresh2.fp").path, "--format", "json"]).stdout,
                [dir.appendingPathComponent("fresh2.fp").path]))
        // A questioned document: half of doc0003, half of doc0001 shuffled; containment by the test's own 13-grams.
        let q = dir.appendingPathComponent("q")
        try FileManager.default.createDirectory(at: q, withIntermediateDirectories: true)
        let d3 = try String(contentsOf: ref.appendingPathComponent("doc0003.txt"), encoding: .utf8)
        let d1 = try String(contentsOf: ref.appendingPathComponent("doc0001.txt"), encoding: .utf8)
        let half = d3.split(separator: " ").prefix(120).joined(separator: " ")
        var rng = SystemRandomNumberGenerator()
        let shuffled = d1.split(separator: " ").map(String.init).shuffled(using: &rng).joined(separator: " ")
        let questioned = half + " " + shuffled
        try questioned.write(to: q.appendingPathComponent("q.txt"), atomically: true, encoding: .utf8)
        try d3.write(to: q.appendingPathComponent("copy.txt"), atomically: true, encoding: .utf8)
        var referenceGrams = Set<String>()
        for f in try FileManager.default.contentsOfDirectory(atPath: ref.path) where f.hasSuffix(".txt") {
            referenceGrams.formUnion(thirteenGrams(try String(contentsOf: ref.appendingPathComponent(f), encoding: .utf8)))
        }
        let mine = thirteenGrams(questioned)
        let expected = Double(mine.intersection(referenceGrams).count) / Double(mine.count)
        XCTAssertGreaterThan(expected, 0.1)
        XCTAssertLessThan(expected, 0.9)
        let r = try run(["index", "query", idx.path, q.path, "--format", "json", "--top", "3"])
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let results = Dictionary(uniqueKeysWithValues: (report["results"] as! [[String: Any]]).map { ($0["document"] as! String, $0) })
        XCTAssertEqual(results["q.txt"]!["containment"] as! Double, expected, accuracy: 1e-12)
        XCTAssertEqual(results["q.txt"]!["grams"] as? Int, mine.count)
        XCTAssertEqual((results["q.txt"]!["near_duplicates"] as! [Any]).count, 0)
        XCTAssertEqual(results["copy.txt"]!["containment"] as? Double, 1)
        let near = results["copy.txt"]!["near_duplicates"] as! [[String: Any]]
        XCTAssertEqual(near.first?["document"] as? String, "doc0003.txt")
        XCTAssertEqual(near.first?["score"] as? Double, 1)
        XCTAssertEqual(((results["copy.txt"]!["neighbors"] as! [[String: Any]]).first?["document"] as? String), "doc0003.txt")
        // --fail-on-match: 1 when a document matches, 0 when none does.
        try run(["index", "query", idx.path, q.path, "--fail-on-match", "-q"], 1)
        try run(["index", "query", idx.path, "Corpora/source-b", "--fail-on-match", "-q"], 0)
        for format in ["jsonl", "csv", "table"] { try run(["index", "query", idx.path, q.path, "--format", format]) }
    }

    /// The containment of each questioned document, from the test's own
    /// 13-grams against the texts in `reference`.
    func expectedContainment(_ questioned: [String: String], reference: [String]) -> [String: Double] {
        var grams = Set<String>()
        for t in reference { grams.formUnion(thirteenGrams(t)) }
        return questioned.mapValues { t in
            let mine = thirteenGrams(t)
            return mine.isEmpty ? 0 : Double(mine.intersection(grams).count) / Double(mine.count)
        }
    }

    func containments(_ idx: URL, _ q: URL) throws -> [String: Double] {
        let r = try run(["index", "query", idx.path, q.path, "--format", "json", "-q"])
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return Dictionary(
            uniqueKeysWithValues: (report["results"] as! [[String: Any]]).map {
                ($0["document"] as! String, $0["containment"] as! Double)
            })
    }

    /// A text of `n` words drawn from `words` with a seeded generator: its
    /// 13-grams are (almost surely) found nowhere else.
    func scrambled(_ words: [Substring], _ n: Int, seed: UInt64) -> String {
        var state = seed
        return (0..<n).map { _ -> String in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return String(words[Int((state >> 33) % UInt64(words.count))])
        }.joined(separator: " ")
    }

    /// The gram index follows removals and replacements: a removed
    /// document's 13-grams stop counting, a replaced one's old text too; the
    /// index always holds exactly the union of the documents' sets.
    func testGramIndexFollowsRemovalsAndReplacements() throws {
        let dir = try tempDir()
        let ref = dir.appendingPathComponent("ref")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/source-a"), to: ref)
        let words = try String(contentsOf: ref.appendingPathComponent("doc0001.txt"), encoding: .utf8).split(separator: " ")
        let unique = scrambled(words, 400, seed: 7)
        try unique.write(to: ref.appendingPathComponent("unique.txt"), atomically: true, encoding: .utf8)
        let idx = dir.appendingPathComponent("idx.fp")
        try run(["index", "add", idx.path, ref.path, "-q"])
        XCTAssertEqual(try gramIndexValues(idx), try documentGrams(idx))
        let q = dir.appendingPathComponent("q")
        try FileManager.default.createDirectory(at: q, withIntermediateDirectories: true)
        let oldDoc4 = try String(contentsOf: ref.appendingPathComponent("doc0004.txt"), encoding: .utf8)
        let questioned = [
            "unique.txt": unique,
            "mixed.txt": unique.split(separator: " ").prefix(200).joined(separator: " ") + " " + oldDoc4,
            "doc4.txt": oldDoc4,
        ]
        for (name, text) in questioned { try text.write(to: q.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        func referenceTexts() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: ref.path).map {
                try String(contentsOf: ref.appendingPathComponent($0), encoding: .utf8)
            }
        }
        func check(_ what: String) throws {
            let got = try containments(idx, q)
            let want = expectedContainment(questioned, reference: try referenceTexts())
            for (name, value) in want { XCTAssertEqual(got[name]!, value, accuracy: 1e-12, "\(what): \(name)") }
            XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx), what)
        }
        try check("added")
        XCTAssertEqual(try containments(idx, q)["unique.txt"], 1)
        // Removed: its 13-grams no longer count.
        try run(["index", "remove", idx.path, "unique.txt"])
        try FileManager.default.removeItem(at: ref.appendingPathComponent("unique.txt"))
        try check("removed")
        XCTAssertLessThan(try containments(idx, q)["unique.txt"]!, 0.05)
        // Replaced: doc0004's old text no longer counts, its new text does.
        try scrambled(words, 300, seed: 11).write(to: ref.appendingPathComponent("doc0004.txt"), atomically: true, encoding: .utf8)
        let c =
            try JSONSerialization.jsonObject(
                with: Data(try run(["index", "add", idx.path, ref.path, "--format", "json", "-q"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(c["replaced"] as? Int, 1)
        try check("replaced")
        XCTAssertLessThan(try containments(idx, q)["doc4.txt"]!, 0.5)
    }

    /// Removing a document subtracts its 13-grams in one new run (a −1 for
    /// each) and leaves the runs before it as they were; a 13-gram two
    /// documents hold stays in the index until both are gone.
    func testRemovalSubtractsFromTheGramIndex() throws {
        let dir = try tempDir()
        let ref = dir.appendingPathComponent("ref")
        try FileManager.default.createDirectory(at: ref, withIntermediateDirectories: true)
        let source = CLITests.root.appendingPathComponent("Corpora/source-a")
        for k in 1...6 {
            let name = String(format: "doc%04d.txt", k)
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: ref.appendingPathComponent(name))
        }
        let doc1 = try String(contentsOf: ref.appendingPathComponent("doc0001.txt"), encoding: .utf8)
        try doc1.write(to: ref.appendingPathComponent("twin.txt"), atomically: true, encoding: .utf8)
        let idx = dir.appendingPathComponent("idx.fp")
        try run(["index", "add", idx.path, ref.path, "-q"])
        let q = dir.appendingPathComponent("q")
        try FileManager.default.createDirectory(at: q, withIntermediateDirectories: true)
        try doc1.write(to: q.appendingPathComponent("doc1.txt"), atomically: true, encoding: .utf8)
        func blocks() throws -> [String] {
            let db = try SQLiteDatabase(path: idx.path, mode: .readOnly)
            let s = try db.prepare("SELECT run, first, hex(grams), hex(counts) FROM gram_blocks ORDER BY run, first")
            var out: [String] = []
            while try s.step() { out.append((0..<4).map { s.string($0) ?? "NULL" }.joined(separator: "|")) }
            return out
        }
        let stored = try SQLiteDatabase(path: idx.path, mode: .readOnly).prepare("SELECT grams13 FROM documents WHERE name = 'twin.txt'")
        XCTAssertTrue(try stored.step())
        let twinGrams = Set(stored.array(0, of: UInt64.self)!)
        XCTAssertEqual(twinGrams.count, thirteenGrams(doc1).count)
        let held = try documentGramCounts(idx)
        XCTAssertTrue(twinGrams.allSatisfy { held[$0]! >= 2 }, "doc0001's 13-grams, held twice")
        XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx))
        let before = try blocks()
        let runsBefore = try gramIndex(idx).runs

        try run(["index", "remove", idx.path, "twin.txt"])
        let after = try blocks()
        XCTAssertEqual(Array(after.prefix(before.count)), before, "the runs before the removal are untouched")
        XCTAssertEqual(try gramIndex(idx).runs, runsBefore + 1)
        // The new run: each of the twin's 13-grams with −1.
        let db = try SQLiteDatabase(path: idx.path, mode: .readOnly)
        let newest = try db.integer("SELECT max(run) FROM gram_blocks")!
        let s = try db.prepare("SELECT grams, counts FROM gram_blocks WHERE run = ?")
        s.bind(1, newest)
        var subtracted = Set<UInt64>()
        while try s.step() {
            let values = s.array(0, of: UInt64.self)!
            let pairs = s.array(1, of: Int32.self)!
            XCTAssertEqual(pairs, (0..<values.count).flatMap { [Int32($0), -1] })
            subtracted.formUnion(values)
        }
        XCTAssertEqual(subtracted, twinGrams)
        XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx))
        XCTAssertEqual(try containments(idx, q)["doc1.txt"], 1, "doc0001 still holds them")

        try run(["index", "remove", idx.path, "doc0001.txt"])
        XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx))
        let others = try (2...6).map {
            try String(contentsOf: ref.appendingPathComponent(String(format: "doc%04d.txt", $0)), encoding: .utf8)
        }
        let want = expectedContainment(["doc1.txt": doc1], reference: others)["doc1.txt"]!
        XCTAssertLessThan(want, 0.5)
        XCTAssertEqual(try containments(idx, q)["doc1.txt"]!, want, accuracy: 1e-12)
        // Added back: the +1s and the −1s of one 13-gram meet in the sum.
        try run(["index", "add", idx.path, ref.path, "-q"])
        XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx))
        XCTAssertEqual(try containments(idx, q)["doc1.txt"], 1)
    }

    /// Removing a document whose stored 13-gram set is damaged but whole
    /// (not sorted and distinct any more) rebuilds the gram index from the
    /// other documents instead of subtracting hashes it never added.
    func testRemovingADocumentWithADamagedSetRebuildsTheGramIndex() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("f.fp")
        try sketch("Corpora/source-a", f)
        let db = try SQLiteDatabase(path: f.path, mode: .readWrite)
        let s = try db.prepare("SELECT grams13 FROM documents WHERE name = 'doc0005.txt'")
        XCTAssertTrue(try s.step())
        var grams = s.array(0, of: UInt64.self)!
        s.reset()
        XCTAssertGreaterThan(grams.count, 100)
        grams[0] = UInt64.max  // a hash the index never had, out of order
        let u = try db.prepare("UPDATE documents SET grams13 = ? WHERE name = 'doc0005.txt'")
        u.bind(1, array: grams)
        try u.run()
        try run(["index", "remove", f.path, "doc0005.txt"])
        XCTAssertEqual(try gramIndex(f).counts, try documentGramCounts(f))
    }

    /// `index add --threshold` on an existing file: its LSH bands were made
    /// for the file's threshold, so another one is refused (it was silently
    /// ignored); the same one, or none, adds as usual.
    func testIndexAddRefusesAnotherThreshold() throws {
        let dir = try tempDir()
        let idx = dir.appendingPathComponent("i.fp")
        try run(["index", "add", idx.path, "Corpora/source-a", "--threshold", "0.5", "-q"])
        let r = try run(["index", "add", idx.path, "Corpora/source-b", "--threshold", "0.8", "-q"], 64)
        XCTAssertTrue(r.stderr.contains("Jaccard ≥ 0.5"), r.stderr)
        try run(["index", "add", idx.path, "Corpora/source-b", "--threshold", "0.5", "-q"])
        try run(["index", "add", idx.path, "Corpora/mix-10", "-q"])
        let db = try SQLiteDatabase(path: idx.path, mode: .readOnly)
        XCTAssertEqual(try db.integer("SELECT CAST(CAST(value AS REAL) * 10 AS INTEGER) FROM meta WHERE key = 'threshold'"), 5)
    }

    /// `index remove` takes a name as `index list` shows it: with its
    /// control characters escaped (it took only the raw name, which a user
    /// cannot copy from the table).
    func testRemoveTakesANameAsListShowsIt() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("c")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let source = CLITests.root.appendingPathComponent("Corpora/source-a")
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("doc0001.txt"), to: corpus.appendingPathComponent("x\u{1B}[31mred.txt"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("doc0002.txt"), to: corpus.appendingPathComponent("plain.txt"))
        let idx = dir.appendingPathComponent("i.fp")
        try run(["index", "add", idx.path, corpus.path, "-q"])
        let list = try run(["index", "list", idx.path])
        XCTAssertTrue(list.stdout.contains("x\\e[31mred.txt"), list.stdout)
        let r = try run(["index", "remove", idx.path, "x\\e[31mred.txt"])
        XCTAssertTrue(r.stdout.contains("removed 1"), r.stdout)
        let after = try run(["index", "list", idx.path, "--format", "json"]).stdout
        XCTAssertFalse(after.contains("red.txt"), after)
        XCTAssertTrue(after.contains("plain.txt"), after)
        XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx))
    }

    /// An index of source-a and `twin.txt`, a copy of its doc0001.txt: a
    /// temporary directory, the corpus (`ref`) and the index.
    func indexWithATwin() throws -> (dir: URL, ref: URL, idx: URL) {
        let dir = try tempDir()
        let ref = dir.appendingPathComponent("ref")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/source-a"), to: ref)
        let doc1 = try String(contentsOf: ref.appendingPathComponent("doc0001.txt"), encoding: .utf8)
        try doc1.write(to: ref.appendingPathComponent("twin.txt"), atomically: true, encoding: .utf8)
        let idx = dir.appendingPathComponent("idx.fp")
        try run(["index", "add", idx.path, ref.path, "-q"])
        return (dir, ref, idx)
    }

    /// A schema-2 file (runs of the gram index without counts) gives the
    /// same answers, and its first write upgrades it: the index rebuilt with
    /// counts, schema 4, and the write's removal applied.
    func testSchemaTwoFilesAreReadAndUpgraded() throws {
        let (_, ref, idx) = try indexWithATwin()
        // Made by additions only: every run's values are the distinct
        // 13-grams of its documents, as schema 2 stored them.
        let (old, db) = try olderCopy(of: idx, "ALTER TABLE gram_blocks DROP COLUMN counts", schema: 2)
        let report = { (f: URL) in try self.queryReport(f, ref) }
        XCTAssertEqual(try report(old), try report(idx))
        XCTAssertTrue(try documentGramCounts(old).values.contains(2), "doc0001's 13-grams, held twice")
        try run(["index", "remove", old.path, "twin.txt"])
        try run(["index", "remove", idx.path, "twin.txt"])
        XCTAssertEqual(try db.integer("SELECT value FROM meta WHERE key = 'schema_version'"), 4)
        XCTAssertEqual(try gramIndex(old).counts, try documentGramCounts(old))
        XCTAssertEqual(try report(old), try report(idx))
        XCTAssertEqual(try containments(old, ref)["twin.txt"], 1, "doc0001 still holds the twin's 13-grams")
    }

    /// A schema-3 file (band keys in a table, a row a key) gives the same
    /// answers, and its first write converts the table into the band index:
    /// the same entries as the file that never had the table, after the
    /// same removal and addition.
    func testSchemaThreeFilesAreReadAndTheirBandTableConverted() throws {
        let (dir, ref, idx) = try indexWithATwin()
        let (old, db) = try olderCopy(of: idx, "SELECT 1", schema: 3)
        XCTAssertEqual(try db.integer("SELECT count(*) FROM bands"), 51 * 9)
        let report = { (f: URL) in try self.queryReport(f, ref) }
        XCTAssertEqual(try report(old), try report(idx))
        XCTAssertTrue(try report(old).contains("twin.txt"))
        let more = dir.appendingPathComponent("more")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/source-b"), to: more)
        for f in [old, idx] {
            try run(["index", "remove", f.path, "twin.txt", "doc0002.txt"])
            try run(["index", "add", f.path, more.path, "--name-prefix", "b/", "-q"])
        }
        XCTAssertEqual(try db.integer("SELECT value FROM meta WHERE key = 'schema_version'"), 4)
        XCTAssertNil(try db.integer("SELECT 1 FROM sqlite_master WHERE name = 'bands'"), "the table is dropped")
        XCTAssertEqual(try dump(old), try dump(idx))
        XCTAssertEqual(try report(old), try report(idx))
        XCTAssertEqual(try bandIndex(idx).count, (49 + 50) * 9)
    }

    /// Many small additions make many runs; past 16 the smallest are merged.
    /// Lookups across runs and blocks give the test's own containment; a
    /// schema-1 copy (no gram index) gives the same report by reading every
    /// stored set, and is upgraded by its next write.
    func testGramIndexRunsMergeAndSchemaOneFilesStillWork() throws {
        let dir = try tempDir()
        let idx = dir.appendingPathComponent("idx.fp")
        let source = CLITests.root.appendingPathComponent("Corpora/source-a")
        let names = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".txt") }.sorted()
        var texts: [String] = []
        var runCounts: [Int] = []
        for (k, name) in names.prefix(20).enumerated() {
            let one = dir.appendingPathComponent("in\(k)")
            try FileManager.default.createDirectory(at: one, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: one.appendingPathComponent(name))
            texts.append(try String(contentsOf: one.appendingPathComponent(name), encoding: .utf8))
            try run(["index", "add", idx.path, one.path, "-q"])
            runCounts.append(try gramIndex(idx).runs)
        }
        XCTAssertEqual(Array(runCounts.prefix(16)), Array(1...16), "one run an addition")
        XCTAssertEqual(runCounts[16], 8, "the 17th addition merges the 10 smallest runs into one")
        XCTAssertEqual(runCounts.last, 11)
        XCTAssertEqual(try gramIndex(idx).counts, try documentGramCounts(idx))
        // Questioned: documents in the index, documents not in it, and mixtures.
        let q = dir.appendingPathComponent("q")
        try FileManager.default.createDirectory(at: q, withIntermediateDirectories: true)
        var questioned: [String: String] = [:]
        for (k, name) in names.enumerated() where k % 3 == 0 {
            let t = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
            let other = try String(contentsOf: source.appendingPathComponent(names[(k + 23) % names.count]), encoding: .utf8)
            questioned["q\(k).txt"] = String(t.prefix(t.count / 2)) + " " + String(other.suffix(other.count / 3))
        }
        for (name, text) in questioned { try text.write(to: q.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let want = expectedContainment(questioned, reference: texts)
        XCTAssertTrue(want.values.contains { $0 > 0.2 && $0 < 0.99 } && want.values.contains { $0 < 0.01 })
        let got = try containments(idx, q)
        for (name, value) in want { XCTAssertEqual(got[name]!, value, accuracy: 1e-12, name) }
        // A schema-1 file: the same documents without the gram index.
        let (old, db) = try olderCopy(of: idx, "DROP TABLE gram_blocks", schema: 1)
        let report = { (f: URL) in try self.queryReport(f, q) }
        XCTAssertEqual(try report(old), try report(idx))
        // merge of the one file: a copy in schema 4, the same documents and answers.
        let copy = dir.appendingPathComponent("copy.fp")
        try run(["merge", old.path, "-o", copy.path])
        XCTAssertEqual(
            try SQLiteDatabase(path: copy.path, mode: .readOnly).integer("SELECT value FROM meta WHERE key = 'schema_version'"), 4)
        XCTAssertEqual(try gramIndex(copy).counts, try documentGramCounts(old))
        XCTAssertEqual(try report(copy), try report(idx))
        // Its next write (here: nothing new) upgrades it in place.
        try run(["index", "add", old.path, dir.appendingPathComponent("in0").path, "-q"])
        XCTAssertEqual(try db.integer("SELECT value FROM meta WHERE key = 'schema_version'"), 4)
        XCTAssertEqual(try gramIndex(old).counts, try documentGramCounts(old))
        XCTAssertEqual(try report(old), try report(idx))
    }

    /// A schema-1 file with one damaged 13-gram set: a write that needs the
    /// gram index fails with one line naming the document, and removing that
    /// document (which upgrades the file) works; damaged gram blocks get one
    /// line saying how to rebuild them.
    func testUpgradeOfAFileWithADamagedDocument() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("f.fp")
        try sketch("Corpora/source-a", f)
        let db = try SQLiteDatabase(path: f.path, mode: .readWrite)
        try db.execute(
            """
            DROP TABLE gram_blocks; UPDATE meta SET value = '1' WHERE key = 'schema_version';
            UPDATE documents SET grams13 = x'01020304' WHERE name = 'doc0005.txt';
            """)
        // New documents (names unlike the file's, so none replaces doc0005).
        let more = dir.appendingPathComponent("more")
        try FileManager.default.createDirectory(at: more, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: CLITests.root.appendingPathComponent("Corpora/source-b/doc0001.txt"), to: more.appendingPathComponent("new.txt"))
        let r = try run(["index", "add", f.path, more.path, "-q"], 65)
        XCTAssertTrue(r.stderr.contains("doc0005.txt") && r.stderr.contains("damaged"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(try db.integer("SELECT value FROM meta WHERE key = 'schema_version'"), 1, "the failed write changed nothing")
        try run(["index", "remove", f.path, "doc0005.txt"])
        XCTAssertEqual(try db.integer("SELECT value FROM meta WHERE key = 'schema_version'"), 4)
        XCTAssertEqual(try gramIndex(f).counts, try documentGramCounts(f))
        XCTAssertEqual(try documentGrams(f).count > 1000, true)
        // A damaged block: queries and writes refuse the file with one line.
        try db.execute("UPDATE gram_blocks SET grams = x'0102' WHERE id = (SELECT min(id) FROM gram_blocks)")
        let q = try run(["index", "query", f.path, "Corpora/source-a", "-q"], 65)
        XCTAssertTrue(q.stderr.contains("fingerprint merge"), q.stderr)
        XCTAssertEqual(q.stderr.split(separator: "\n").count, 1, q.stderr)
        // merge rebuilds it from the documents.
        let fixed = dir.appendingPathComponent("fixed.fp")
        try run(["merge", f.path, "-o", fixed.path])
        XCTAssertEqual(try gramIndexValues(fixed), try documentGrams(f))
        try run(["index", "query", fixed.path, "Corpora/source-a", "-q"])
    }

    /// fpfile-1 (the `fpfile` fuzz target, session 9, after 211,815
    /// executions): a keyed file's vocabulary holds 8-byte keyed hashes, and
    /// a shorter token was loaded as a UInt64 all the same, reading past
    /// its end (AddressSanitizer: heap-buffer-overflow). Every command that
    /// reads the vocabulary now refuses such a file with one line.
    func testFpfile1AKeyedTokenOfAnotherLengthIsADamagedFile() throws {
        let dir = try tempDir()
        let key = dir.appendingPathComponent("key")
        try Data((0..<32).map { UInt8($0 * 7 + 3) }).write(to: key)
        let f = dir.appendingPathComponent("k.fp")
        try sketch("Corpora/source-a", f, ["--key", key.path])
        try run(["stats", f.path, "--format", "json"])
        let db = try SQLiteDatabase(path: f.path, mode: .readWrite)
        try db.execute("UPDATE vocabulary SET token = x'0102030405' WHERE id = (SELECT min(id) FROM vocabulary)")
        for args in [["stats", f.path], ["compare", f.path, f.path, "--permutations", "9"], ["batch", f.path]] {
            try refuses(args, "holds 5 bytes, not a keyed hash's 8 (damaged file)")
        }
    }

    /// A file's vocabulary ids are 1, 2, … (rows are never deleted), and the
    /// counted corpus is built through arrays indexed by them: an id far
    /// past the rows, or below 1, is a damaged file refused in one line (an
    /// array of 10¹² entries, or a negative index, would end the process).
    func testVocabularyIdsOutsideTheRowsAreADamagedFile() throws {
        let dir = try tempDir()
        for (k, id) in ["1000000000000", "-5"].enumerated() {
            let f = dir.appendingPathComponent("v\(k).fp")
            try sketch("Corpora/source-a", f)
            let db = try SQLiteDatabase(path: f.path, mode: .readWrite)
            try db.execute("UPDATE vocabulary SET id = \(id) WHERE id = (SELECT max(id) FROM vocabulary)")
            for args in [["stats", f.path], ["batch", f.path]] {
                try refuses(args, "vocabulary ids run outside 1…")
            }
        }
    }

    /// A vocabulary that holds one token in two rows (the column is UNIQUE,
    /// so only a damaged or hand-made file has it: here the schema is
    /// edited to drop the constraint) would count one type as two, or split
    /// its counts between the rows on `index add`. Every reader refuses it
    /// with one line naming the rows, and the file is left as it was.
    func testAVocabularyTokenInTwoRowsIsADamagedFile() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/source-a", clean)
        let f = dir.appendingPathComponent("twice.fp")
        try sketch("Corpora/source-a", f)
        do {
            let db = try SQLiteDatabase(path: f.path, mode: .readWrite)
            try db.execute(
                """
                PRAGMA writable_schema=ON;
                UPDATE sqlite_master SET sql = 'CREATE TABLE vocabulary(id INTEGER PRIMARY KEY, token BLOB NOT NULL,
                  count INTEGER NOT NULL DEFAULT 0, documents INTEGER NOT NULL DEFAULT 0)' WHERE name = 'vocabulary';
                DELETE FROM sqlite_master WHERE name = 'sqlite_autoindex_vocabulary_1';
                """)
        }
        try SQLiteDatabase(path: f.path, mode: .readWrite).execute(
            "UPDATE vocabulary SET token = (SELECT token FROM vocabulary WHERE id = 3) WHERE id = 7")
        let before = try Data(contentsOf: f)
        let out = dir.appendingPathComponent("merged.fp")
        for args in [
            ["stats", f.path], ["compare", clean.path, f.path], ["batch", f.path], ["index", "add", f.path, "Corpora/near-dups"],
            ["merge", clean.path, f.path, "-o", out.path],
        ] {
            try refuses(args, "vocabulary rows 3 and 7 hold the same token (damaged file)")
        }
        XCTAssertEqual(try Data(contentsOf: f), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// Found while fixing fpfile-1: a stored MinHash signature shorter than
    /// the file's permutations went into `dedup`'s bands as it was (an
    /// index out of range: a trap), bands × rows in the meta table could
    /// overflow, and a count of 0 or less (or a negative token id) was taken
    /// as it was. All are damaged files now, refused with one line.
    func testAShortSignatureOrOverflowingBandsAreADamagedFile() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/near-dups", clean)
        try run(["dedup", clean.path, "--format", "json"])
        /// A fresh sketch of near-dups, damaged by `sql`: `command` refuses it
        /// with one line holding `message`.
        func refuses(_ name: String, _ sql: String, _ command: String, _ message: String) throws {
            let f = dir.appendingPathComponent(name)
            try sketch("Corpora/near-dups", f)
            try SQLiteDatabase(path: f.path, mode: .readWrite).execute(sql)
            let r = try run([command, f.path], 65)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let first = "WHERE id = (SELECT min(id) FROM documents)"
        try refuses("f.fp", "UPDATE documents SET minhash = x'010000000200000003000000' \(first)", "dedup", "damaged minhash")
        try refuses(
            "g.fp", "UPDATE meta SET value = '4611686018427387904' WHERE key = 'bands'", "stats", "impossible sketch parameters")
        // (token id, count) pairs of little-endian Int32: (0, 0), then (-1, 2).
        for counts in ["0000000000000000", "ffffffff02000000"] {
            try refuses("h-\(counts).fp", "UPDATE documents SET counts = x'\(counts)' \(first)", "stats", "damaged counts")
        }
    }

    /// kill -9 during `index add` leaves the file as it was before (or after),
    /// never between: one transaction, and the file passes SQLite's integrity check.
    func testIndexAddKilledLeavesTheFileWhole() throws {
        let dir = try tempDir()
        let big = dir.appendingPathComponent("big")
        try FileManager.default.createDirectory(at: big, withIntermediateDirectories: true)
        let words = try String(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt"), encoding: .utf8)
            .split(separator: " ").map(String.init)
        var rng = Xoshiro256(seed: 5)
        for i in 0..<2000 {
            var w = words
            rng.shuffle(&w)
            try w.joined(separator: " ").write(
                to: big.appendingPathComponent(String(format: "d%05d.txt", i)), atomically: false, encoding: .utf8)
        }
        let idx = dir.appendingPathComponent("idx.fp")
        try run(["index", "add", idx.path, "Corpora/source-a", "-q"])
        for delay in [0.05, 0.2, 0.5] {
            let p = Process()
            p.executableURL = CLITests.binary
            p.arguments = ["index", "add", idx.path, big.path, "-q", "--threads", "1"]
            p.currentDirectoryURL = CLITests.root
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the run finished before it was killed")
            let db = try SQLiteDatabase(path: idx.path, mode: .readOnly)
            let s = try db.prepare("PRAGMA integrity_check")
            XCTAssertTrue(try s.step())
            XCTAssertEqual(s.string(0), "ok")
            let n = try db.integer("SELECT count(*) FROM documents")
            XCTAssertTrue(n == 50 || n == 2050, "after kill -9 at \(delay) s: \(n ?? -1) documents")
        }
        try run(["index", "add", idx.path, big.path, "-q"])
        XCTAssertTrue(try run(["index", "list", idx.path]).stdout.contains("2,050 documents"))
    }
    /// The file's generation (the header's user_version): 1 when made, one
    /// more for every write transaction, untouched by readers and by a
    /// write refused before it starts.
    func testGenerationCountsWriteTransactions() throws {
        let dir = try tempDir()
        let idx = dir.appendingPathComponent("idx.fp")
        func generation() throws -> Int64? { try SQLiteDatabase(path: idx.path, mode: .readOnly).integer("PRAGMA user_version") }
        try sketch("Corpora/source-a", idx)
        XCTAssertEqual(try generation(), 1)
        try run(["index", "add", idx.path, "Corpora/source-b", "--name-prefix", "b/", "-q"])
        XCTAssertEqual(try generation(), 2)
        try run(["index", "query", idx.path, "Corpora/mix-10", "-q"])
        try run(["stats", idx.path, "-q"])
        XCTAssertEqual(try generation(), 2)
        try run(["index", "remove", idx.path, "b/doc0001.txt"])
        XCTAssertEqual(try generation(), 3)
        try run(["index", "add", idx.path, "Corpora/source-a", "--threshold", "0.5", "-q"], 64)
        XCTAssertEqual(try generation(), 3)
        let merged = dir.appendingPathComponent("merged.fp")
        try run(["merge", idx.path, "-o", merged.path])
        XCTAssertEqual(try SQLiteDatabase(path: merged.path, mode: .readOnly).integer("PRAGMA user_version"), 1)
    }

    /// What lets `index query` read on two connections at once: a read
    /// transaction keeps the commit it started on while a writer commits, and
    /// a connection that starts reading after the commit sees another
    /// generation, so the query can tell that the two would disagree.
    func testAReaderStartedAfterACommitSeesAnotherGeneration() throws {
        let dir = try tempDir()
        let idx = dir.appendingPathComponent("idx.fp")
        try run(["index", "add", idx.path, "Corpora/source-a", "-q"])
        let first = try FingerprintFile(path: idx.path)
        try first.database.reading {
            let before = try first.generation()
            let documents = try first.documentCount()
            try run(["index", "add", idx.path, "Corpora/source-b", "--name-prefix", "b/", "-q"])
            let second = try FingerprintFile(path: idx.path)
            try second.database.reading {
                XCTAssertEqual(try second.generation(), before + 1)
                XCTAssertEqual(try second.documentCount(), documents + 50)
            }
            XCTAssertEqual(try first.generation(), before)
            XCTAssertEqual(try first.documentCount(), documents)
        }
    }

    /// `index query` on two threads (near-duplicates and containment on two
    /// connections at once) reports exactly what it reports on one, and what
    /// it reports on a file whose generation is 0 (made before generations:
    /// read on one connection); on an index of several runs and a removal.
    func testQueryOnTwoConnectionsEqualsOne() throws {
        let dir = try tempDir()
        let idx = dir.appendingPathComponent("idx.fp")
        try run(["index", "add", idx.path, "Corpora/source-a", "-q"])
        try run(["index", "add", idx.path, "Corpora/near-dups", "--name-prefix", "n/", "-q"])
        try run(["index", "add", idx.path, "Corpora/source-b", "--name-prefix", "b/", "-q"])
        try run([
            "index", "remove", idx.path, "b/doc0002.txt",
            "n/"
                + (try FileManager.default.contentsOfDirectory(
                    atPath: CLITests.root.appendingPathComponent("Corpora/near-dups").path
                ).filter { $0.hasSuffix(".txt") }.sorted()[0]),
        ])
        for corpus in ["Corpora/near-dups", "Corpora/planted"] {
            let query = ["index", "query", idx.path, corpus, "--format", "json", "-q", "--top", "2"]
            func traced(_ extra: [String]) throws -> (stdout: String, parallel: Bool) {
                let r = try CLITests.runMeasured(query + extra, environment: ["FINGERPRINT_TRACE": "1"]).run
                XCTAssertEqual(r.status, 0, r.stderr)
                return (r.stdout, r.stderr.contains("near-duplicates and containment, in parallel"))
            }
            let (two, parallel) = try traced(["--threads", "2"])
            XCTAssertTrue(parallel)
            let report = try JSONSerialization.jsonObject(with: Data(two.utf8)) as! [String: Any]
            let results = report["results"] as! [[String: Any]]
            XCTAssertTrue(results.contains { !($0["near_duplicates"] as! [Any]).isEmpty } || corpus.hasSuffix("planted"))
            XCTAssertGreaterThan(report["shared_grams"] as! Int, 0)
            let one = try traced(["--threads", "1"])
            XCTAssertEqual(one.stdout, two)
            XCTAssertFalse(one.parallel)
            let db = try SQLiteDatabase(path: idx.path, mode: .readWrite)
            try db.execute("PRAGMA user_version = 0")
            let old = try traced(["--threads", "2"])
            XCTAssertEqual(old.stdout, two)
            XCTAssertFalse(old.parallel)
            try db.execute("PRAGMA user_version = 7")
        }
    }

    /// The two connections of a parallel query must hold one file: a file
    /// replaced by another (`sketch -o` renames a new file over it; every
    /// new file starts at generation 1) while the query waits for its
    /// questioned stream gave near-duplicates from the old file and
    /// containment from the new. Now the second connection's file (device
    /// and inode) is compared, and the query reads the old file alone, on
    /// one connection, as the file it opened.
    func testAQueryReadsOneFileWhenThePathIsReplaced() throws {
        let dir = try tempDir()
        let old = dir.appendingPathComponent("old.fp")
        let idx = dir.appendingPathComponent("idx.fp")
        try sketch("Corpora/source-a", old)
        try FileManager.default.copyItem(at: old, to: idx)
        let doc = CLITests.root.appendingPathComponent("Corpora/source-b/doc0001.txt").path
        let query = "index query '\(idx.path)' <(sleep 2; cat '\(doc)') --top 1 --format json -q"
        let r = try CLITests.runProgram(
            "/bin/bash",
            [
                "-c",
                "(sleep 0.5; '\(CLITests.binary.path)' sketch Corpora/source-b -o '\(idx.path)' -q --force > '\(dir.path)/sketch.out') & "
                    + "FINGERPRINT_TRACE=1 '\(CLITests.binary.path)' \(query); wait",
            ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("in parallel"), r.stderr)
        let expected = try run(["index", "query", old.path, doc, "--top", "1", "--format", "json", "-q"]).stdout
        func findings(_ json: String) throws -> [String] {
            let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            return (report["results"] as! [[String: Any]]).map { r in
                let near = (r["near_duplicates"] as! [[String: Any]]).map { "\($0["document"]!) \($0["score"]!)" }
                let neighbours = (r["neighbors"] as! [[String: Any]]).map { "\($0["document"]!) \($0["score"]!)" }
                return "\(r["containment"]!) \(r["shared_grams"]!) \(near) \(neighbours)"
            }
        }
        XCTAssertEqual(try findings(r.stdout), try findings(expected))
    }
}
