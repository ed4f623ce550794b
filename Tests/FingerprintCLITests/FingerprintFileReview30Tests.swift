import FingerprintCore
import Foundation
import XCTest

/// The findings of session 30's hostile review of the fingerprint-file
/// commands, each pinned by a test that failed before its fix: damaged
/// stored sets and counts that gave numbers with exit 0, `--strict` blind
/// to a file's stored skips, a merge that took the first file's LSH bands,
/// hashed names `index remove` did not take, an output named as another
/// file's SQLite log, a file cut inside its header read as text, and
/// `dedup` refusing a `char:3` file whose shingles are words.
final class FingerprintFileReview30Tests: XCTestCase, FingerprintFileTesting {
    /// A document of `url` with at least `bytes` of shingles, counts and 13-grams.
    func longDocument(_ url: URL, bytes: Int = 32) throws -> String {
        let db = try SQLiteDatabase(path: url.path, mode: .readOnly)
        let s = try db.prepare(
            "SELECT name FROM documents WHERE length(shingles) >= ?1 AND length(grams13) >= ?1 AND length(counts) >= ?1 ORDER BY id LIMIT 1"
        )
        s.bind(1, bytes)
        XCTAssertTrue(try s.step())
        return try XCTUnwrap(s.string(0))
    }

    /// `index query` verified candidates against their stored shingles
    /// without the check every other reader makes: two hashes swapped in a
    /// document's set gave it a Jaccard of 0.994 with its own text, and an
    /// emptied set 0, with exit 0.
    func testIndexQueryChecksItsCandidatesShingles() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("near.fp")
        try sketch("Corpora/near-dups", clean)
        let name = try longDocument(clean)
        let questioned = "Corpora/near-dups/\(name)"
        let whole = try run(["index", "query", clean.path, questioned, "--format", "json"]).stdout
        XCTAssertTrue(whole.contains("\"score\" : 1"), whole)
        for (k, sql) in [
            "UPDATE documents SET shingles = substr(shingles, 9, 8) || substr(shingles, 1, 8) || substr(shingles, 17) WHERE name = '\(name)'",
            "UPDATE documents SET shingles = substr(shingles, 1, 8) || shingles WHERE name = '\(name)'",
            "UPDATE documents SET shingles = x'' WHERE name = '\(name)'",
            // Not a whole number of hashes (a note before, exit 0).
            "UPDATE documents SET shingles = substr(shingles, 1, length(shingles) - 1) WHERE name = '\(name)'",
        ].enumerated() {
            let f = try damaged(clean, "s\(k).fp", sql)
            try refuses(["index", "query", f.path, questioned], "document '\(name)': damaged shingles")
        }
        // An emptied set is damage for dedup too (it listed the document as too short).
        let emptied = try damaged(clean, "e.fp", "UPDATE documents SET shingles = x'' WHERE name = '\(name)'")
        try refuses(["dedup", emptied.path], "document '\(name)': damaged shingles")
    }

    /// A document's counts were checked only for whole pairs, ids from 0
    /// and counts from 1: a pair given twice, an emptied blob or one count
    /// made 2^31 − 1 changed every count-based number with exit 0 (stats
    /// said 17,395 tokens for the text's 17,364). Counts must now be in id
    /// order, distinct, and sum to the document's `tokens`; and an emptied
    /// 13-gram set lowered compare's containment silently.
    func testCountsThatAreNotTheDocumentsAreDamage() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("near.fp")
        try sketch("Corpora/near-dups", clean)
        let name = try longDocument(clean)
        let tokens = try XCTUnwrap(
            try SQLiteDatabase(path: clean.path, mode: .readOnly).integer("SELECT tokens FROM documents WHERE name = '\(name)'"))
        XCTAssertGreaterThan(tokens, 1)
        for (k, sql) in [
            "UPDATE documents SET counts = substr(counts, 1, 8) || counts WHERE name = '\(name)'",
            "UPDATE documents SET counts = x'' WHERE name = '\(name)'",
            "UPDATE documents SET counts = substr(counts, 1, 4) || x'ffffff7f' || substr(counts, 9) WHERE name = '\(name)'",
            // The first two pairs swapped: ids out of order, the same sum.
            "UPDATE documents SET counts = substr(counts, 9, 8) || substr(counts, 1, 8) || substr(counts, 17) WHERE name = '\(name)'",
            "UPDATE documents SET tokens = tokens + 1 WHERE name = '\(name)'",
        ].enumerated() {
            let f = try damaged(clean, "c\(k).fp", sql)
            for command in [["stats", f.path], ["batch", f.path], ["compare", f.path, "Corpora/source-a"]] {
                try refuses(command, "document '\(name)': damaged counts")
            }
        }
        // merge, which mends a damaged index, does not copy damage on.
        for (k, sql) in [
            "UPDATE documents SET counts = substr(counts, 1, 8) || counts WHERE name = '\(name)'",
            "UPDATE documents SET shingles = substr(shingles, 9, 8) || substr(shingles, 1, 8) || substr(shingles, 17) WHERE name = '\(name)'",
        ].enumerated() {
            let f = try damaged(clean, "m\(k).fp", sql)
            try refuses(["merge", f.path, "-o", dir.appendingPathComponent("merged\(k).fp").path], "document '\(name)' is damaged")
        }
        let grams = try damaged(clean, "g.fp", "UPDATE documents SET grams13 = x'' WHERE name = '\(name)'")
        try refuses(["compare", grams.path, "Corpora/near-dups"], "document '\(name)': damaged n-grams")
        // A count capped at 2^31 − 1 (CountLimit) keeps the document's true
        // total in `tokens`: the counts sum to less, and the file is intact.
        let capped = dir.appendingPathComponent("capped.fp")
        try FileManager.default.copyItem(at: clean, to: capped)
        let db = try SQLiteDatabase(path: capped.path, mode: .readWrite)
        let read = try db.prepare("SELECT counts, tokens FROM documents WHERE name = ?")
        read.bind(1, name)
        XCTAssertTrue(try read.step())
        var pairs = try XCTUnwrap(read.array(0, of: Int32.self))
        let total = read.int(1) - Int(pairs[1]) + Int(Int32.max) + 5
        read.reset()
        pairs[1] = Int32.max
        let write = try db.prepare("UPDATE documents SET counts = ?, tokens = ? WHERE name = ?")
        write.bind(1, array: pairs)
        write.bind(2, total)
        write.bind(3, name)
        try write.run()
        try run(["stats", capped.path, "-q"])
        // The clean file reads.
        try run(["stats", clean.path, "-q"])
        try run(["compare", clean.path, "Corpora/near-dups", "-q", "--permutations", "99", "--bootstrap", "0"])
    }

    /// A file records the skips of the corpus it was made from and every
    /// reader reports them, but `--strict` exited 0 on them (65 on the
    /// text). A stored skip is now the strict read's error.
    func testStrictRefusesAFilesStoredSkips() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("S")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        for k in 1...3 {
            try FileManager.default.copyItem(
                at: CLITests.root.appendingPathComponent("Corpora/source-b/doc000\(k).txt"),
                to: corpus.appendingPathComponent("doc000\(k).txt"))
        }
        try Data([0x61, 0x00, 0x62]).write(to: corpus.appendingPathComponent("bin.txt"))
        let f = dir.appendingPathComponent("s.fp")
        try sketch(corpus.path, f)
        XCTAssertEqual(try SQLiteDatabase(path: f.path, mode: .readOnly).integer("SELECT count(*) FROM skips"), 1)
        for command in [
            ["stats", f.path], ["dedup", f.path], ["batch", f.path], ["compare", f.path, "Corpora/source-a"],
            ["batch", "--method", "minhash", f.path],
        ] {
            try run(command + ["-q"])
            let r = try run(command + ["--strict", "-q"], 65)
            XCTAssertTrue(r.stderr.contains("bin.txt") && r.stderr.contains("strict"), r.stderr)
        }
    }

    /// Files sketched for other LSH thresholds merged silently into the
    /// first file's banding, so `index query`'s default threshold followed
    /// the order of the arguments.
    func testMergeRefusesFilesOfOtherThresholds() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        let b = dir.appendingPathComponent("b.fp")
        try sketch("Corpora/source-a", a)
        try sketch("Corpora/source-b", b, ["--threshold", "0.5", "--name-prefix", "b/"])
        let out = dir.appendingPathComponent("m.fp")
        try refuses(["merge", a.path, b.path, "-o", out.path], "give merge --threshold")
        try refuses(["merge", b.path, a.path, "-o", out.path], "give merge --threshold")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let b8 = dir.appendingPathComponent("b8.fp")
        try sketch("Corpora/source-b", b8, ["--name-prefix", "b/"])
        try run(["merge", a.path, b8.path, "-o", out.path])
        // --threshold makes the merged file's bands again from the stored
        // signatures: the index a merge of files sketched at 0.5 has.
        let a5 = dir.appendingPathComponent("a5.fp")
        try sketch("Corpora/source-a", a5, ["--threshold", "0.5"])
        let expected = dir.appendingPathComponent("e.fp")
        try run(["merge", a5.path, b.path, "-o", expected.path])
        let merged = dir.appendingPathComponent("m5.fp")
        try run(["merge", a.path, b.path, "-o", merged.path, "--threshold", "0.5"])
        func meta(_ url: URL) throws -> [String] {
            let s = try SQLiteDatabase(path: url.path, mode: .readOnly).prepare(
                "SELECT key || '=' || value FROM meta WHERE key IN ('threshold', 'bands', 'rows') ORDER BY key")
            var out: [String] = []
            while try s.step() { out.append(s.string(0) ?? "") }
            return out
        }
        XCTAssertEqual(try meta(merged), try meta(expected))
        XCTAssertEqual(try meta(merged).count, 3)
        XCTAssertNotEqual(try meta(merged), try meta(a))
        XCTAssertEqual(try bandIndexByName(merged), try bandIndexByName(expected))
    }

    /// `index remove` takes names "as index list shows them", but in a
    /// keyed file without names the shown `#…` name was "not in the index".
    func testIndexRemoveTakesTheHashedNamesIndexListShows() throws {
        let dir = try tempDir()
        let key = dir.appendingPathComponent("k")
        try Data((0..<32).map { UInt8($0 * 7 + 3) }).write(to: key)
        let f = dir.appendingPathComponent("k.fp")
        try sketch("Corpora/source-a", f, ["--key", key.path])
        func names() throws -> [String] {
            let json = try run(["index", "list", f.path, "--format", "json"]).stdout
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let documents = try XCTUnwrap(object["documents"] as? [[String: Any]])
            return documents.compactMap { $0["name"] as? String }
        }
        let before = try names()
        XCTAssertEqual(before.count, 50)
        let shown = before[3]
        XCTAssertTrue(shown.hasPrefix("#"), shown)
        let r = try run(["index", "remove", f.path, shown, "--key", key.path])
        XCTAssertFalse(r.stderr.contains("not in the index"), r.stderr)
        XCTAssertEqual(try names(), before.filter { $0 != shown })
        // A document named twice, hashed and in clear, is removed once and
        // not "missing" (which hashed name a clear one has: removed from a copy).
        let clear = try FileManager.default.contentsOfDirectory(atPath: CLITests.root.appendingPathComponent("Corpora/source-a").path)
            .filter { $0.hasSuffix(".txt") }.sorted()[10]
        let copy = dir.appendingPathComponent("copy.fp")
        try FileManager.default.copyItem(at: f, to: copy)
        try run(["index", "remove", copy.path, clear, "--key", key.path])
        let left = try names()
        let copyNames = try run(["index", "list", copy.path, "--format", "json"]).stdout
        let hashed = try XCTUnwrap(left.first { !copyNames.contains("\"\($0)\"") })
        let twice = try run(["index", "remove", f.path, hashed, clear, "--key", key.path])
        XCTAssertFalse(twice.stderr.contains("not in the index"), twice.stderr)
        XCTAssertEqual(try names(), left.filter { $0 != hashed })
    }

    /// An output named `X.fp-wal` beside an SQLite file X.fp that is not
    /// among the inputs was written, and deleted by SQLite on the next read
    /// of X.fp, which took it for its log.
    func testAnOutputWhereAnotherFilesLogGoesIsRefused() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", a)
        for suffix in ["-wal", "-shm", "-journal"] {
            let out = a.path + suffix
            let r = try run(["sketch", "Corpora/source-b", "-o", out, "-q"], 64)
            XCTAssertTrue(r.stderr.contains("where SQLite keeps the \(suffix) file of \(a.path)"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
            try run(["stats", "Corpora/source-b", "-q", "--format", "json", "-o", out], 64)
        }
        // Beside a file that is not SQLite's, the name is free.
        let text = dir.appendingPathComponent("notes.txt")
        try Data("words".utf8).write(to: text)
        try run(["stats", "Corpora/source-b", "-q", "--format", "json", "-o", text.path + "-wal"])
    }

    /// A fingerprint file cut inside its 16-byte header (an interrupted
    /// copy) was read as a text of one document ("SQLite format …": 3
    /// tokens), exit 0.
    func testAFingerprintFileCutInsideItsHeaderIsRefused() throws {
        let dir = try tempDir()
        let whole = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", whole)
        let bytes = try Data(contentsOf: whole)
        for n in [0, 1, 15] {
            let cut = dir.appendingPathComponent("cut\(n).fp")
            try bytes.prefix(n).write(to: cut)
            try refuses(["stats", cut.path], "holds \(n) bytes, fewer than a fingerprint file's 16-byte header")
            try refuses(["compare", cut.path, "Corpora/source-a"], "fewer than a fingerprint file's 16-byte header")
        }
        // A short text file under another name is still a text.
        let text = dir.appendingPathComponent("short.txt")
        try bytes.prefix(15).write(to: text)
        try run(["stats", text.path, "-q"])
    }

    /// `dedup` of a `char:3` file said "set --tokenizer to match", and with
    /// `--tokenizer char:3` refused that dedup shingles words. The file's
    /// shingles are words (as every file's but a model tokenizer's): dedup
    /// reads them and finds what it finds in a word file.
    func testDedupReadsTheWordShinglesOfACharFile() throws {
        let dir = try tempDir()
        let words = dir.appendingPathComponent("w.fp")
        let chars = dir.appendingPathComponent("c.fp")
        try sketch("Corpora/near-dups", words)
        try sketch("Corpora/near-dups", chars, ["--tokenizer", "char:3"])
        func clusters(_ f: URL, _ extra: [String] = []) throws -> String {
            let json = try run(["dedup", f.path, "--format", "json", "-q"] + extra).stdout
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let c = try XCTUnwrap(object["clusters"])
            return String(decoding: try JSONSerialization.data(withJSONObject: c, options: [.sortedKeys]), as: UTF8.self)
        }
        let expected = try clusters(words)
        XCTAssertTrue(expected.contains("doc"), expected)
        XCTAssertEqual(try clusters(chars), expected)
        XCTAssertEqual(try clusters(chars, ["--method", "exact"]), try clusters(words, ["--method", "exact"]))
        try run(["dedup", chars.path, "--dry-run", "-q"])
        // The pairs, without the header comment naming the input.
        func pairs(_ f: URL) throws -> [Substring] {
            try run(["batch", f.path, "--method", "minhash", "--threshold", "0.5", "--format", "csv", "-q"]).stdout
                .split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        let expectedPairs = try pairs(words)
        XCTAssertGreaterThan(expectedPairs.count, 2)
        XCTAssertEqual(try pairs(chars), expectedPairs)
    }

    /// Removing a document whose counts were damaged subtracted nothing
    /// from the vocabulary (185 rows kept its counts; the summary said
    /// 1,443 types where a sketch of the 49 documents left has 1,442). The
    /// vocabulary is now summed again from the documents left.
    func testRemovingADocumentWithDamagedCountsRecountsTheVocabulary() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("near.fp")
        try sketch("Corpora/near-dups", f)
        let name = try longDocument(f)
        try SQLiteDatabase(path: f.path, mode: .readWrite).execute(
            "UPDATE documents SET counts = substr(counts, 1, length(counts) - 1) WHERE name = '\(name)'")
        try run(["index", "remove", f.path, name])
        // The vocabulary as a sketch of the documents left gives it, by token.
        let rest = dir.appendingPathComponent("rest")
        try FileManager.default.createDirectory(at: rest, withIntermediateDirectories: true)
        let source = CLITests.root.appendingPathComponent("Corpora/near-dups")
        for n in try FileManager.default.contentsOfDirectory(atPath: source.path) where n != name {
            try FileManager.default.copyItem(at: source.appendingPathComponent(n), to: rest.appendingPathComponent(n))
        }
        let fresh = dir.appendingPathComponent("fresh.fp")
        try sketch(rest.path, fresh)
        func vocabulary(_ url: URL) throws -> [String: [Int64]] {
            let s = try SQLiteDatabase(path: url.path, mode: .readOnly).prepare(
                "SELECT hex(token), count, documents FROM vocabulary WHERE count > 0 OR documents > 0")
            var out: [String: [Int64]] = [:]
            while try s.step() { out[s.string(0) ?? ""] = [s.int64(1), s.int64(2)] }
            return out
        }
        let expected = try vocabulary(fresh)
        XCTAssertGreaterThan(expected.count, 1000)
        let got = try vocabulary(f)
        let differing = Set(expected.keys).union(got.keys).filter { expected[$0] != got[$0] }
        XCTAssertEqual(differing.count, 0, "\(differing.count) tokens differ, e.g. \(differing.sorted().prefix(3))")
    }
}
