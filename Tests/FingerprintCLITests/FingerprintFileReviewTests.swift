import FingerprintCore
import Foundation
import XCTest

/// The findings of session 27's hostile review of fingerprint files, each
/// pinned by a test that failed before its fix. They run the real binary;
/// device nodes are made privately in a temporary directory (`mknod`, as
/// root; skipped otherwise), never the system's /dev.
final class FingerprintFileReviewTests: XCTestCase, FingerprintFileTesting {
    /// Each document's name and SHA-256, as `index list` shows them.
    func listing(_ url: URL) throws -> [String] {
        let r = try run(["index", "list", url.path, "--format", "csv"])
        return r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }

    /// A file replaced by `sketch -o`, `merge -o` or a first `index add`
    /// may have a write-ahead log beside it, from a writer that committed
    /// and stopped before a checkpoint. SQLite replayed that log into the
    /// new file on its next open: `index list` showed the old file's names
    /// over the new file's pages (exit 0). The log is now removed with the
    /// file it belonged to.
    func testAReplacedFilesLeftoverLogIsNotReplayedIntoTheNewFile() throws {
        let dir = try tempDir()
        let fresh = dir.appendingPathComponent("fresh.fp")
        try sketch("Corpora/source-b", fresh)
        let expected = try listing(fresh)
        XCTAssertEqual(expected.count, 51)
        let makers: [(URL) throws -> Void] = [
            { x in try self.sketch("Corpora/source-b", x) },
            { x in try self.run(["merge", fresh.path, "-o", x.path]) },
            { x in
                try FileManager.default.removeItem(at: x)
                try self.run(["index", "add", x.path, "Corpora/source-b", "-q"])
            },
        ]
        for (k, make) in makers.enumerated() {
            let x = dir.appendingPathComponent("x\(k).fp")
            try sketch("Corpora/source-a", x)
            // A writer of the old file that has committed and not checkpointed.
            let writer = try SQLiteDatabase(path: x.path, mode: .readWrite)
            try writer.execute("PRAGMA wal_autocheckpoint=0; UPDATE documents SET name = 'STALE-' || name")
            XCTAssertTrue(FileManager.default.fileExists(atPath: x.path + "-wal"), "case \(k)")
            try make(x)
            let got = try listing(x)
            XCTAssertFalse(got.joined().contains("STALE-"), "case \(k)")
            XCTAssertEqual(got, expected, "case \(k)")
            withExtendedLifetime(writer) {}
        }
    }

    /// `merge -o` to a device or a FIFO replaced it with a regular file
    /// (`sketch -o` refused them already); now both refuse, exit 74.
    func testMergeDoesNotReplaceADeviceOrAFIFO() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", a)
        let fifo = dir.appendingPathComponent("fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        var targets = [fifo]
        if getuid() == 0 {
            let full = dir.appendingPathComponent("full")
            // glibc's makedev(1, 7): the numbers of the system's full device.
            if mknod(full.path, S_IFCHR | 0o666, dev_t((1 << 8) | 7)) == 0 { targets.append(full) }
        }
        for t in targets {
            var before = stat()
            lstat(t.path, &before)
            for args in [["merge", a.path, "-o", t.path], ["sketch", "Corpora/source-b", "-o", t.path]] {
                let r = try run(args, 74)
                XCTAssertTrue(r.stderr.contains("is not a regular file"), r.stderr)
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            }
            var after = stat()
            lstat(t.path, &after)
            XCTAssertEqual(after.st_mode & S_IFMT, before.st_mode & S_IFMT, t.lastPathComponent)
            XCTAssertEqual(after.st_ino, before.st_ino, t.lastPathComponent)
        }
    }

    /// `sketch -o LINK` and `merge -o LINK` replaced the symbolic link
    /// itself with the new file, leaving its target stale; now the target
    /// is replaced and the link stays (DESIGN §10; `index add` always wrote
    /// through it).
    func testANewFileReplacesASymbolicLinksTarget() throws {
        let dir = try tempDir()
        let source = dir.appendingPathComponent("b.fp")
        try sketch("Corpora/source-b", source)
        for (k, args) in [["sketch", "Corpora/source-b", "-q"], ["merge", source.path]].enumerated() {
            let target = dir.appendingPathComponent("target\(k).fp")
            try sketch("Corpora/source-a", target)
            let link = dir.appendingPathComponent("link\(k).fp")
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.lastPathComponent)
            try run(args + ["-o", link.path])
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), target.lastPathComponent)
            XCTAssertEqual(try listing(target), try listing(source))
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [], "no temporary left")
        }
    }

    /// Sizes a damaged file holds at any value: summing them trapped
    /// (exit 132) in `stats`, `compare`, `batch`, `index query --top`,
    /// `index list` and the dry runs. Now one line, exit 65; a negative
    /// size is refused too.
    func testHugeOrNegativeStoredSizesAreADamagedFile() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/source-a", clean)
        let max = "9223372036854775807"
        let second = "name IN ('doc0002.txt', 'doc0003.txt')"
        let bytes = try damaged(clean, "bytes.fp", "UPDATE documents SET bytes = \(max) WHERE \(second)")
        for args in [
            ["stats", bytes.path], ["compare", bytes.path, "Corpora/source-b"], ["batch", bytes.path],
            ["batch", "Corpora/source-b", "--against", bytes.path], ["index", "query", bytes.path, "Corpora/source-b", "--top", "3"],
            ["stats", bytes.path, "--dry-run"], ["compare", bytes.path, "Corpora/source-b", "--dry-run"],
            ["dedup", bytes.path, "--dry-run"], ["index", "list", bytes.path],
        ] {
            try refuses(args, "damaged")
        }
        let tokens = try damaged(clean, "tokens.fp", "UPDATE documents SET tokens = \(max) WHERE \(second)")
        try refuses(["index", "list", tokens.path], "damaged")
        for column in ["invalid", "truncated"] {
            try refuses(
                ["stats", try damaged(clean, "\(column).fp", "UPDATE documents SET \(column) = \(max) WHERE \(second)").path], "damaged")
        }
        try refuses(
            ["stats", try damaged(clean, "negative.fp", "UPDATE documents SET bytes = -5 WHERE name = 'doc0002.txt'").path], "damaged")
        try refuses(
            ["index", "list", try damaged(clean, "ntokens.fp", "UPDATE documents SET tokens = -5 WHERE name = 'doc0002.txt'").path],
            "damaged")
    }

    /// A threshold in the meta table outside (0, 1] (as `sketch
    /// --threshold` takes it): NaN, infinity or 2 made `index query` report
    /// no near-duplicates at all, exit 0.
    func testAnImpossibleStoredThresholdIsADamagedFile() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/near-dups", clean)
        XCTAssertTrue(try run(["index", "query", clean.path, "Corpora/near-dups", "--format", "json"]).stdout.contains("\"score\""))
        for (k, value) in ["nan", "inf", "2", "0", "-1"].enumerated() {
            let f = try damaged(clean, "t\(k).fp", "UPDATE meta SET value = '\(value)' WHERE key = 'threshold'")
            try refuses(["index", "query", f.path, "Corpora/near-dups"], "meta 'threshold' is \(value), not in (0, 1]")
            try refuses(["stats", f.path], "meta 'threshold'")
        }
    }

    /// The gram index's directory was trusted: a block filed under another
    /// first value was looked up in the wrong place (containment 3.1%
    /// instead of 100%, exit 0), and an emptied index said 0%. Both are a
    /// damaged file now.
    func testAMisfiledOrEmptiedGramIndexIsADamagedFile() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/source-a", clean)
        let whole = try run(["index", "query", clean.path, "Corpora/source-a", "--format", "json"]).stdout
        XCTAssertTrue(whole.contains("\"containment\" : 1"), whole)
        try queryRefuses(
            clean, damagedBy: ["UPDATE gram_blocks SET first = 0", "DELETE FROM gram_blocks"], named: "g", "the gram index is damaged")
    }

    /// A stored shingle or n-gram set that is not sorted and distinct, as
    /// every set is written, is damage wherever it is read: `dedup` of a
    /// file with one document's shingles reversed lost a whole cluster with
    /// exit 0 while `stats` refused the file (review, session 29). Each set
    /// is checked by the commands that read it.
    func testAnUnsortedStoredSetIsADamagedFileForEveryReader() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("near.fp")
        try sketch("Corpora/near-dups", clean)
        let db = try SQLiteDatabase(path: clean.path, mode: .readOnly)
        let s = try db.prepare("SELECT name FROM documents WHERE length(shingles) >= 16 AND length(grams13) >= 16 ORDER BY id LIMIT 1")
        XCTAssertTrue(try s.step())
        let name = try XCTUnwrap(s.string(0))
        s.reset()
        // SQLite cannot reverse a blob; swapping its first two hashes is enough.
        func swapped(_ column: String) -> String {
            "UPDATE documents SET \(column) = substr(\(column), 9, 8) || substr(\(column), 1, 8) || substr(\(column), 17) WHERE name = '\(name)'"
        }
        // Each set, to the commands that read it.
        for (column, what, commands) in [
            ("shingles", "damaged shingles", [["dedup"], ["batch", "--method", "minhash"]]),
            ("grams13", "damaged n-grams", [["compare", "Corpora/near-dups"]]),
        ] {
            let f = try damaged(clean, "\(column).fp", swapped(column))
            for c in commands {
                try refuses([c[0], f.path] + c.dropFirst(), "document '\(name)': \(what)")
            }
        }
    }

    /// The band index is checked as the gram index is: a misfiled or
    /// emptied directory, a block whose lengths disagree or whose entries
    /// are out of order, a block of a band the file does not have, and
    /// entries held twice (a run copied) each stop `index query` with one
    /// line, where they would have hidden or invented near-duplicates.
    func testADamagedBandIndexIsADamagedFile() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/source-a", clean)
        let whole = try run(["index", "query", clean.path, "Corpora/source-a", "--format", "json"]).stdout
        XCTAssertTrue(whole.contains("\"candidates\" : 50"), whole)
        let damage = [
            "UPDATE band_blocks SET first = 0",
            "DELETE FROM band_blocks",
            "UPDATE band_blocks SET documents = substr(documents, 1, 8)",
            // Entries 1 and 2 swapped (the first stays where the directory puts it).
            "UPDATE band_blocks SET hashes = substr(hashes, 1, 8) || substr(hashes, 17, 8) || substr(hashes, 9, 8) || substr(hashes, 25)",
            "UPDATE band_blocks SET band = 99 WHERE band = 0",
            """
            INSERT INTO band_blocks(run, band, first, hashes, documents, counts)
              SELECT run + 100, band, first, hashes, documents, counts FROM band_blocks
            """,
            "UPDATE band_blocks SET documents = zeroblob(length(documents))",
            "DROP TABLE band_blocks",
        ]
        try queryRefuses(clean, damagedBy: damage, named: "b", "the band index is damaged")
        // Every entry held by a row id past every document's (50 entries a block here).
        let past = try damaged(clean, "past.fp", "SELECT 1")
        let u = try SQLiteDatabase(path: past.path, mode: .readWrite).prepare("UPDATE band_blocks SET documents = ?")
        u.bind(1, array: [UInt32](repeating: 0x7FFF_FFFF, count: 50))
        try u.run()
        try refuses(["index", "query", past.path, "Corpora/source-a"], "past every document's")
    }

    /// Writes to damaged indexes: a run numbered Int64.max made the next
    /// run's number overflow (a trap, exit 132, in `index add` and `index
    /// remove`, for either index); an emptied index took the write's run
    /// and then looked merely incomplete to a query (exit 0, no matches).
    /// Both are refused with one line now, and the file is left as it was.
    func testAWriteRefusesAnEmptiedIndexOrARunNumberedInt64Max() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/source-a", clean)
        for (k, (sql, words)) in [
            ("UPDATE band_blocks SET run = 9223372036854775807", "the band index is damaged (a run numbered"),
            ("UPDATE gram_blocks SET run = 9223372036854775807", "the gram index is damaged (a run numbered"),
            ("DELETE FROM band_blocks", "the band index is damaged (it has no blocks"),
            ("DELETE FROM gram_blocks", "the gram index is damaged (it has no blocks"),
        ].enumerated() {
            let f = try damaged(clean, "w\(k).fp", sql)
            try refuses(["index", "remove", f.path, "doc0001.txt"], words)
            try refuses(["index", "add", f.path, "Corpora/source-b", "--name-prefix", "b/", "-q"], words)
            XCTAssertEqual(try SQLiteDatabase(path: f.path, mode: .readOnly).integer("SELECT count(*) FROM documents"), 50)
        }
    }

    /// Removing a document whose stored signature is damaged cannot
    /// subtract its band keys (they are recomputed from it): the band index
    /// is rebuilt from the other documents, and holds what a sketch of them
    /// holds.
    func testRemovingADocumentWithADamagedSignatureRebuildsTheBandIndex() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("f.fp")
        try sketch("Corpora/source-a", f)
        try SQLiteDatabase(path: f.path, mode: .readWrite).execute("UPDATE documents SET minhash = x'0102' WHERE name = 'doc0005.txt'")
        try run(["index", "remove", f.path, "doc0005.txt"])
        let rest = dir.appendingPathComponent("rest")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Corpora/source-a"), to: rest)
        try FileManager.default.removeItem(at: rest.appendingPathComponent("doc0005.txt"))
        let fresh = dir.appendingPathComponent("fresh.fp")
        try sketch(rest.path, fresh)
        let got = try bandIndexByName(f)
        XCTAssertEqual(got.count, 49 * 9)
        XCTAssertEqual(got, try bandIndexByName(fresh))
    }

    /// A name that is one document's own and also how `index list` shows
    /// another's (an escape character there, a backslash and an `e` here):
    /// `index remove` removes the one it names, as before, and now says
    /// with one line that the other was kept (it said nothing). The other
    /// goes by its raw name.
    func testRemoveOfANameThatAlsoShowsAnotherSaysSo() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("c")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let source = CLITests.root.appendingPathComponent("Corpora/source-a")
        let raw = "x\u{1B}[31mred.txt"
        let literal = "x\\e[31mred.txt"
        try FileManager.default.copyItem(at: source.appendingPathComponent("doc0001.txt"), to: corpus.appendingPathComponent(raw))
        try FileManager.default.copyItem(at: source.appendingPathComponent("doc0002.txt"), to: corpus.appendingPathComponent(literal))
        let idx = dir.appendingPathComponent("i.fp")
        try run(["index", "add", idx.path, corpus.path, "-q"])
        let list = try run(["index", "list", idx.path]).stdout
        XCTAssertEqual(list.components(separatedBy: literal).count, 3, "both shown alike: \(list)")
        let r = try run(["index", "remove", idx.path, literal])
        XCTAssertTrue(r.stdout.contains("removed 1"), r.stdout)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("the other kept"), r.stderr)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), "an escape on the terminal")
        func names() throws -> [String] {
            let s = try SQLiteDatabase(path: idx.path, mode: .readOnly).prepare("SELECT name FROM documents")
            var out: [String] = []
            while try s.step() { out.append(s.string(0) ?? "") }
            return out
        }
        XCTAssertEqual(try names(), [raw])
        let second = try run(["index", "remove", idx.path, raw])
        XCTAssertTrue(second.stdout.contains("removed 1"), second.stdout)
        XCTAssertEqual(second.stderr, "")
        XCTAssertEqual(try names(), [])
    }

    /// A file whose name is not UTF-8 is shown with \xNN escapes, and a
    /// valid name can spell the same text: the two were one document name,
    /// so a fresh sketch said "1 added, 1 replaced" and kept one of them,
    /// and every later `index add` replaced it again. The later file in the
    /// walk's order is now a counted skip, in every command.
    func testTwoFilesWhoseNamesReadAlikeAreNotOneDocument() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("u")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let a = try Data(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt"))
        let b = try Data(contentsOf: CLITests.root.appendingPathComponent("Corpora/source-b/doc0002.txt"))
        // "bad\xFF.txt" spelled out (a backslash), and "bad" + the byte 0xFF + ".txt".
        try b.write(to: corpus.appendingPathComponent("bad\\xFF.txt"))
        let raw = Array(corpus.path.utf8) + Array("/bad".utf8) + [0xFF] + Array(".txt".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        }
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = a.withUnsafeBytes { write(fd, $0.baseAddress, a.count) }
        close(fd)
        let f = dir.appendingPathComponent("u.fp")
        for args in [
            ["sketch", corpus.path, "-o", f.path, "--format", "json"], ["index", "add", f.path, corpus.path, "--format", "json"],
        ] {
            let r = try run(args)
            let change = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(change["added"] as? Int ?? -1, args[0] == "sketch" ? 1 : 0, r.stdout)
            XCTAssertEqual(change["replaced"] as? Int, 0, r.stdout)
            let skipped = change["skipped"] as? [[String: Any]] ?? []
            XCTAssertEqual(skipped.count, 1, r.stdout)
            XCTAssertTrue((skipped.first?["reason"] as? String ?? "").contains("reads as another file's"), r.stdout)
        }
        // The one kept is the first in the walk's order (by bytes: the backslash, 0x5C, before 0xFF).
        let stats = try run(["stats", corpus.path, "--format", "json", "-q"]).stdout
        XCTAssertTrue(stats.contains("\"documents\" : 1"), stats)
        let kept = try run(["stats", f.path, "--format", "json", "-q"]).stdout
        let text = try run(["stats", corpus.appendingPathComponent("bad\\xFF.txt").path, "--format", "json", "-q"]).stdout
        func bytes(_ json: String) throws -> Int? {
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["bytes"] as? Int
        }
        XCTAssertEqual(try bytes(kept), b.count)
        XCTAssertEqual(try bytes(text), b.count)
        XCTAssertNotEqual(a.count, b.count)
    }

    /// A JSONL file's records are named FILE:LINE, and a file of the same
    /// directory can carry such a name ("a.jsonl:1" beside a.jsonl): the
    /// two were one document, and every `index add` replaced one with the
    /// other. The file is now a counted skip, in every run.
    func testAFileNamedAsAJSONLRecordIsSkipped() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("c")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try "{\"text\": \"alpha beta gamma delta epsilon zeta\"}\n{\"text\": \"one two three four five six\"}\n".write(
            to: corpus.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try "completely different words here now\n".write(
            to: corpus.appendingPathComponent("a.jsonl:1"), atomically: true, encoding: .utf8)
        try "a file of its own\n".write(to: corpus.appendingPathComponent("b.jsonl:1"), atomically: true, encoding: .utf8)
        let f = dir.appendingPathComponent("c.fp")
        for (k, args) in [
            ["sketch", corpus.path, "-o", f.path], ["index", "add", f.path, corpus.path], ["index", "add", f.path, corpus.path],
        ].enumerated() {
            let r = try run(args + ["--glob", "*", "--format", "json"])
            let change = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(change["added"] as? Int, k == 0 ? 3 : 0, r.stdout)
            XCTAssertEqual(change["unchanged"] as? Int, k == 0 ? 0 : 3, r.stdout)
            XCTAssertEqual(change["replaced"] as? Int, 0, r.stdout)
            let skipped = change["skipped"] as? [[String: Any]] ?? []
            XCTAssertEqual(skipped.count, 1, r.stdout)
            XCTAssertTrue((skipped.first?["reason"] as? String ?? "").contains("line 1 of a.jsonl"), r.stdout)
        }
        let listed = try run(["index", "list", f.path, "--format", "csv"]).stdout
        XCTAssertTrue(listed.contains("a.jsonl:1,35,"), listed)
        XCTAssertTrue(listed.contains("b.jsonl:1,"), listed)
        let stats = try run(["stats", corpus.path, "--glob", "*", "--format", "json", "-q"]).stdout
        XCTAssertTrue(stats.contains("\"documents\" : 3"), stats)
    }

    /// `compare` and `batch` read token counts and 8- and 13-gram sets,
    /// which do not depend on the shingle size, the permutations or the
    /// seed: files that differ only there give the reports their texts give
    /// (FINGERPRINT-FILES.md said they were refused, which only `merge` and
    /// `index add` do).
    func testCompareTakesFilesThatDifferOnlyInTheirSketches() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        let b = dir.appendingPathComponent("b.fp")
        let other = dir.appendingPathComponent("other.fp")
        try sketch("Corpora/source-a", a)
        try sketch("Corpora/source-b", b)
        try sketch("Corpora/source-b", other, ["--shingle", "7", "--perms", "64", "--seed", "9"])
        func report(_ args: [String], _ path: String) throws -> String {
            try run(args + ["--format", "json", "-q"]).stdout.replacingOccurrences(of: path, with: "B")
        }
        XCTAssertEqual(try report(["compare", a.path, other.path], other.path), try report(["compare", a.path, b.path], b.path))
        XCTAssertEqual(
            try report(["batch", other.path, "--against", a.path], other.path), try report(["batch", b.path, "--against", a.path], b.path))
        try refuses(["merge", a.path, other.path, "-o", dir.appendingPathComponent("m.fp").path], "shingle sizes differ")
    }

    /// `index add`'s "bytes on disk" was read before the log was
    /// checkpointed (at the last close), so it was the file's old size.
    /// And `index remove` with the wrong key said a key was needed.
    func testIndexAddReportsTheSizeTheFileEndsAtAndRemoveNamesAWrongKey() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("z.fp")
        try sketch("Corpora/source-a", f)
        let r = try run(["index", "add", f.path, "Corpora/source-b", "--format", "json", "-q"])
        let change = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let size = (try FileManager.default.attributesOfItem(atPath: f.path)[.size] as? NSNumber)?.intValue
        XCTAssertEqual(change["file_bytes"] as? Int, size)
        XCTAssertFalse(FileManager.default.fileExists(atPath: f.path + "-wal"))

        let k1 = dir.appendingPathComponent("k1")
        let k2 = dir.appendingPathComponent("k2")
        try (String(repeating: "ab", count: 32) + "\n").write(to: k1, atomically: true, encoding: .utf8)
        try (String(repeating: "cd", count: 32) + "\n").write(to: k2, atomically: true, encoding: .utf8)
        let keyed = dir.appendingPathComponent("k.fp")
        try sketch("Corpora/source-a", keyed, ["--key", k1.path])
        try refuses(["index", "remove", keyed.path, "doc0001.txt", "--key", k2.path], "was made with another key")
        try refuses(["index", "remove", keyed.path, "doc0001.txt"], "needs its key (--key)")
    }

    // MARK: - The second pass over the same commands

    /// An output named as an input fingerprint file's `-wal` (or `-shm`,
    /// `-journal`) was taken: SQLite deleted it when the input closed (the
    /// output gone, exit 0), or it replaced the log of commits not yet in
    /// the file. Refused now, exit 64.
    func testAnOutputWhereSQLiteKeepsAnInputsLogIsRefused() throws {
        let dir = try tempDir()
        let w = dir.appendingPathComponent("W.fp")
        try sketch("Corpora/source-a", w)
        for suffix in ["-wal", "-shm", "-journal"] {
            for args in [
                ["stats", w.path, "-o", w.path + suffix], ["index", "query", w.path, "Corpora/source-a", "-o", w.path + suffix],
                ["index", "add", w.path, "Corpora/source-b", "--skipped", w.path + suffix],
            ] {
                let r = try run(args, 64)
                XCTAssertTrue(r.stderr.contains("is where SQLite keeps the \(suffix) file of the input"), r.stderr)
            }
        }
        XCTAssertEqual(try listing(w).count, 51, "index add was refused before it wrote")
    }

    /// An empty fingerprint file (an empty shard, or every document
    /// removed) read as a corpus: `compare` of it against text said JSD 0,
    /// "identical", exit 0, where an empty folder exits 65.
    func testAnEmptyFingerprintFileIsNoCorpus() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("c")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        for k in 1...3 {
            try FileManager.default.copyItem(
                at: CLITests.root.appendingPathComponent("Corpora/source-a/doc000\(k).txt"),
                to: corpus.appendingPathComponent("doc000\(k).txt"))
        }
        let empty = dir.appendingPathComponent("s1.fp")
        try sketch(corpus.path, empty, ["--shard", "1/8"])
        XCTAssertEqual(try listing(empty).count, 1, "a header and no document")
        for args in [
            ["compare", empty.path, corpus.path], ["stats", empty.path], ["batch", empty.path],
            ["batch", corpus.path, "--against", empty.path],
            ["dedup", empty.path], ["index", "query", empty.path, corpus.path, "--top", "2"],
        ] {
            try refuses(args, "holds no document")
        }
        // Without --top a query of an empty index is an answer: nothing found.
        try run(["index", "query", empty.path, corpus.path])
    }

    /// `merge` took the first file's `keep_names`: a keyed file that hashes
    /// its names merged with one that keeps them held names and paths in
    /// clear under a meta table saying "names hashed". And `index add
    /// --keep-names` to a file that hashes names ignored the flag.
    func testKeyedFilesThatKeepAndHashNamesDoNotMerge() throws {
        let dir = try tempDir()
        let key = dir.appendingPathComponent("k")
        try (String(repeating: "5a", count: 32) + "\n").write(to: key, atomically: true, encoding: .utf8)
        let hashed = dir.appendingPathComponent("kh.fp")
        let kept = dir.appendingPathComponent("kn.fp")
        try sketch("Corpora/source-b", hashed, ["--key", key.path])
        try sketch("Corpora/source-a", kept, ["--key", key.path, "--keep-names"])
        for (a, b) in [(hashed, kept), (kept, hashed)] {
            let m = dir.appendingPathComponent("m.fp")
            try refuses(["merge", a.path, b.path, "-o", m.path], "one keeps its documents' names in clear")
            XCTAssertFalse(FileManager.default.fileExists(atPath: m.path))
        }
        let r = try run(["index", "add", hashed.path, "Corpora/source-a", "--key", key.path, "--keep-names"], 64)
        XCTAssertTrue(r.stderr.contains("hashes its documents' names"), r.stderr)
    }

    /// A run's skips were appended to the file's at every `index add`: a
    /// file skipped once and stored since was still listed, and three runs
    /// over one folder showed each skip three times. An input's skips now
    /// replace those earlier runs recorded under its path.
    func testTheSkipsAreTheInputsAsOfItsLastRun() throws {
        let dir = try tempDir()
        let corpus = dir.appendingPathComponent("d")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: CLITests.root.appendingPathComponent("Corpora/source-a/doc0001.txt"), to: corpus.appendingPathComponent("doc0001.txt"))
        try Data().write(to: corpus.appendingPathComponent("e.txt"))
        let f = dir.appendingPathComponent("y.fp")
        func skips() throws -> [String] {
            let db = try SQLiteDatabase(path: f.path, mode: .readOnly)
            let s = try db.prepare("SELECT path, reason FROM skips ORDER BY rowid")
            var out: [String] = []
            while try s.step() { out.append("\(s.string(0)!): \(s.string(1)!)") }
            return out
        }
        for _ in 0..<3 { try run(["index", "add", f.path, corpus.path, "-q"]) }
        XCTAssertEqual(try skips(), ["\(corpus.path)/e.txt: empty document"])
        try "now it has words\n".write(to: corpus.appendingPathComponent("e.txt"), atomically: true, encoding: .utf8)
        try run(["index", "add", f.path, corpus.path, "-q"])
        XCTAssertEqual(try skips(), [])
        XCTAssertEqual(try listing(f).count, 3)
    }

    /// Merging many files opened them all at once (three descriptors each
    /// in WAL mode): past the descriptor limit, the open that failed called
    /// a good file "not a fingerprint file". A limit of 64 against 40
    /// shards: they merge, equal to the whole, one file open at a time.
    func testMergeOfManyShardsOpensOneAtATime() throws {
        let dir = try tempDir()
        var shards: [String] = []
        for k in 0..<40 {
            let s = dir.appendingPathComponent(String(format: "s%02d.fp", k))
            try sketch("Corpora/source-a", s, ["--shard", "\(k)/40"])
            shards.append(s.path)
        }
        let whole = dir.appendingPathComponent("whole.fp")
        try sketch("Corpora/source-a", whole)
        let merged = dir.appendingPathComponent("merged.fp")
        let r = try CLITests.runProgram(
            "/bin/sh", ["-c", "ulimit -n 64 && exec \"$0\" merge \"$@\" -o '\(merged.path)'", CLITests.binary.path] + shards)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try listing(merged), try listing(whole))
    }

    /// A damaged size was copied on by `merge` (exit 0), the documented way
    /// to mend a damaged gram index; and a gram index whose directory was
    /// edited past a run's last block (first = the largest value) still
    /// gave a wrong containment. Both are refused now.
    func testMergeAndTheGramIndexCheckWhatTheyOtherwiseMissed() throws {
        let dir = try tempDir()
        let clean = dir.appendingPathComponent("clean.fp")
        try sketch("Corpora/source-a", clean)
        let sizes = try damaged(clean, "sizes.fp", "UPDATE documents SET bytes = -1 WHERE id = 1")
        let m = dir.appendingPathComponent("m.fp")
        try refuses(["merge", sizes.path, "-o", m.path], "is damaged")
        XCTAssertFalse(FileManager.default.fileExists(atPath: m.path))
        let largest = "9223372036854775807"
        try queryRefuses(
            clean,
            damagedBy: [
                "UPDATE gram_blocks SET first = \(largest) WHERE id = (SELECT min(id) FROM gram_blocks)",
                "UPDATE gram_blocks SET first = \(largest)",
            ], named: "g", "the gram index is damaged", questioned: "Corpora/source-a/doc0003.txt")
    }

    /// Minor findings: a document of fewer than 13 words showed
    /// containment "0/0" with no word why, and `index remove --key` on a
    /// file that is not keyed took the key silently.
    func testAShortQuestionedDocumentGetsANoteAndRemoveRefusesAKeyItCannotUse() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", f)
        let short = dir.appendingPathComponent("short.txt")
        try "one two three\n".write(to: short, atomically: true, encoding: .utf8)
        let r = try run(["index", "query", f.path, short.path, "--format", "json"])
        XCTAssertTrue(r.stdout.contains("1 documents hold no 13-gram (fewer than 13 words)"), r.stdout)
        let key = dir.appendingPathComponent("k")
        try (String(repeating: "ab", count: 32) + "\n").write(to: key, atomically: true, encoding: .utf8)
        try refuses(["index", "remove", f.path, "doc0001.txt", "--key", key.path], "is not keyed")
        XCTAssertEqual(try listing(f).count, 51)
    }

    /// `--dry-run` printed a plan (exit 0) for runs the real command
    /// refuses: a file of another tokenizer, `dedup` of a file of another
    /// shingle size, `attribute` of a file (it reads the text), a keyed
    /// file beside text. It refuses them alike now; a file the run takes
    /// still gets its plan.
    func testADryRunRefusesWhatTheRunRefuses() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a.fp")
        try sketch("Corpora/source-a", a)
        try refuses(["stats", a.path, "--tokenizer", "char:3", "--dry-run"], "was sketched with tokenizer word")
        try refuses(["batch", a.path, "--tokenizer", "char:3", "--dry-run"], "was sketched with tokenizer word")
        try refuses(["compare", a.path, "Corpora/source-b", "--tokenizer", "char:3", "--dry-run"], "was sketched with tokenizer word")
        try refuses(["dedup", a.path, "--shingle", "3", "--dry-run"], "5-token shingles; this run asks for 3")
        try refuses(["attribute", "--reference", a.path, "--dry-run"], "is a fingerprint file")
        try refuses(["attribute", "--reference", a.path], "is a fingerprint file")
        let key = dir.appendingPathComponent("k")
        try (String(repeating: "ab", count: 32) + "\n").write(to: key, atomically: true, encoding: .utf8)
        let keyed = dir.appendingPathComponent("k.fp")
        try sketch("Corpora/source-a", keyed, ["--key", key.path])
        for args in [["compare", keyed.path, "Corpora/source-b"], ["batch", "Corpora/source-b", "--against", keyed.path]] {
            try refuses(args + ["--dry-run"], "is keyed (sketch --key) and Corpora/source-b is not")
            try refuses(args, "is keyed (sketch --key) and Corpora/source-b is not")
        }
        for args in [["stats", a.path], ["dedup", a.path], ["compare", a.path, "Corpora/source-b"]] {
            XCTAssertFalse(try run(args + ["--dry-run"]).stdout.isEmpty, "\(args)")
        }
    }
}
