import Foundation
import XCTest

/// `fingerprint weights` as a user runs it: outputs, exit codes, one-line errors.
final class WeightsCLITests: XCTestCase {
    let dir = "Tests/FingerprintKitTests/Fixtures/weights"
    var a: String { dir + "/a.safetensors" }
    var b: String { dir + "/b.safetensors" }

    func testTableJSONAndCSV() throws {
        let t = try CLITests.run(["weights", a, b])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("1 vs 2: DERIVED"), t.stdout)
        XCTAssertTrue(t.stdout.contains("layers.1.up.weight"), t.stdout)
        XCTAssertTrue(t.stdout.contains("not compared: position_ids"), t.stdout)

        let j = try CLITests.run(["weights", a, b, "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["schema"] as? String, "fingerprint.weights/1")
        let pair = (json["pairs"] as! [[String: Any]])[0]
        XCTAssertEqual(pair["verdict"] as? String, "derived")
        let up = (pair["tensors"] as! [[String: Any]]).first { $0["name"] as? String == "layers.1.up.weight" }!
        XCTAssertEqual(((up["alignment"] as! [String: Any])["permutation"] as! [Int]).count, 24)

        let c = try CLITests.run(["weights", a, b, "--format", "csv"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let lines = c.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 11)
        XCTAssertTrue(lines[0].hasPrefix("model_a,model_b,verdict,tensor,"))

        let h = try CLITests.run(["weights", a, b, "--format", "html"])
        XCTAssertEqual(h.status, 0, h.stderr)
        XCTAssertTrue(h.stdout.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(h.stdout.contains("a.safetensors vs b.safetensors: derived"), h.stdout)
    }

    /// Same bytes with one thread or two; three models give a matrix and one lineage.
    func testThreadsAndThreeModels() throws {
        let one = try CLITests.run(["weights", a, b, dir + "/b-sharded", "--format", "json", "--threads", "1"])
        let two = try CLITests.run(["weights", a, b, dir + "/b-sharded", "--format", "json", "--threads", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, two.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((json["pairs"] as! [Any]).count, 3)
        XCTAssertEqual(json["lineages"] as? [[Int]], [[0, 1, 2]])
        let matrix = json["matrix"] as! [[Double]]
        XCTAssertEqual(matrix.count, 3)
        XCTAssertEqual(matrix[1][2], 1, "b and its sharded copy are identical")
        let table = try CLITests.run(["weights", a, b, dir + "/b-sharded"])
        XCTAssertTrue(table.stdout.contains("Lineages"), table.stdout)
    }

    /// A malformed file: exit 65 and one line naming the file and the fault;
    /// a missing one: 66; bad usage: 64.
    func testExitCodesAndOneLineErrors() throws {
        for (name, fault) in [("overlap", "overlap"), ("size-mismatch", "needs 24 bytes"), ("length-past-end", "runs past the end")] {
            let path = "\(dir)/bad/\(name).safetensors"
            let r = try CLITests.run(["weights", a, path])
            XCTAssertEqual(r.status, 65, name)
            XCTAssertTrue(r.stdout.isEmpty)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("fingerprint: error: \(path): not a valid safetensors file: "), r.stderr)
            XCTAssertTrue(r.stderr.contains(fault), r.stderr)
        }
        let missing = try CLITests.run(["weights", a, "\(dir)/no-such.safetensors"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertEqual(try CLITests.run(["weights", a]).status, 64)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--null", "-1"]).status, 64)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--null", "0", "--inits", "1"]).status, 64)
        let flat = try CLITests.run(["weights", a, b, "--null", "0", "--inits", "0", "--align", "none", "--no-spectra"])
        XCTAssertEqual(flat.status, 0, flat.stderr)
        XCTAssertTrue(flat.stdout.contains("INCONCLUSIVE"), flat.stdout)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--format", "jsonl"]).status, 64)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--output", a]).status, 64, "never overwrite an input")
    }

    /// `stats` on a checkpoint: a file or a sharded directory, the same
    /// numbers; a malformed one is exit 65.
    func testStatsOnACheckpoint() throws {
        let single = try CLITests.run(["stats", b, "--format", "json"])
        let sharded = try CLITests.run(["stats", dir + "/b-sharded", "--format", "json", "--threads", "1"])
        XCTAssertEqual(single.status, 0, single.stderr)
        let x = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as! [String: Any]
        let y = try JSONSerialization.jsonObject(with: Data(sharded.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(x["schema"] as? String, "fingerprint.weights-stats/1")
        XCTAssertEqual((x["tensors"] as! [[String: Any]]).count, 11)
        XCTAssertEqual((x["layers"] as! [[String: Any]]).map { $0["layer"] as! Int }, [0, 1, 2])
        XCTAssertEqual(x["tensors"] as? NSArray, y["tensors"] as? NSArray)
        XCTAssertEqual(y["sharded"] as? Bool, true)
        let t = try CLITests.run(["stats", a])
        XCTAssertTrue(t.stdout.contains("Per-layer profile"), t.stdout)
        let c = try CLITests.run(["stats", a, "--format", "csv"])
        XCTAssertEqual(c.stdout.split(separator: "\n").count, 1 + 11 + 3)
        let bad = try CLITests.run(["stats", "\(dir)/bad/overlap.safetensors"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }
}
