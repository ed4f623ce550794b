import Foundation
import XCTest

/// gzip and Zstandard inputs (issue 17): detected by their magic bytes,
/// streamed, and giving the same JSON as the plain files apart from names.
final class CompressedInputTests: XCTestCase {
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
}
