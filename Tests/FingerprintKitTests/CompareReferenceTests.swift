import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// `compare`'s permutation test, bootstrap interval and MMD² through the
/// code path the command runs (`Comparison.run` with a seed), against the
/// independent NumPy reference in `Fixtures/compare_reference.py`, which
/// re-implements the seeded relabellings (SplitMix64, xoshiro256**,
/// Lemire's bounded draws, Fisher–Yates) and every statistic.
final class CompareReferenceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: CompareReferenceTests.fixtures.appendingPathComponent("compare_null.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A UInt64 written as a decimal string (above 2^53) or a small number.
    func u64(_ x: Any?) -> UInt64 {
        if let s = x as? String { return UInt64(s)! }
        return (x as! NSNumber).uint64Value
    }

    /// The generator the relabellings come from, value for value.
    func testRandomStreamsEqualThePythonPort() throws {
        let rng = try XCTUnwrap(reference()["rng"] as? [String: Any])
        let sm = rng["splitmix64"] as! [String: Any]
        var s = SplitMix64(seed: u64(sm["seed"]))
        XCTAssertEqual((sm["outputs"] as! [Any]).map(u64), (0..<5).map { _ in s.next() })
        for case let x as [String: Any] in rng["xoshiro256"] as! [Any] {
            var g =
                x["stream"] is NSNull
                ? Xoshiro256(seed: u64(x["seed"])) : Xoshiro256(seed: u64(x["seed"]), stream: u64(x["stream"]))
            let expected = (x["outputs"] as! [Any]).map(u64)
            XCTAssertEqual(expected, expected.map { _ in g.next() })
        }
        let nb = rng["next_below"] as! [String: Any]
        var g = Xoshiro256(seed: u64(nb["seed"]), stream: u64(nb["stream"]))
        let bounds = (nb["bounds"] as! [Any]).map(u64)
        let values = (nb["values"] as! [Any]).map(u64)
        for (b, v) in zip(bounds, values) {
            // Bounds past Int.max are drawn by the UInt64 arithmetic alone.
            if b <= UInt64(Int.max) {
                XCTAssertEqual(UInt64(g.next(below: Int(b))), v, "bound \(b)")
            } else {
                var m = g.next().multipliedFullWidth(by: b)
                if m.low < b {
                    let t = (0 &- b) % b
                    while m.low < t { m = g.next().multipliedFullWidth(by: b) }
                }
                XCTAssertEqual(m.high, v)
            }
        }
        let sh = rng["shuffle"] as! [String: Any]
        var sg = Xoshiro256(seed: u64(sh["seed"]), stream: u64(sh["stream"]))
        var items = (sh["input"] as! [Int])
        sg.shuffle(&items)
        XCTAssertEqual(items, sh["output"] as! [Int])
    }

    func testPermutationTestBootstrapAndMMDEqualTheReference() throws {
        let ref = try reference()
        let tol = ref["tolerances"] as! [String: Any]
        let rel = tol["jsd_relative"] as! Double
        let mmdTol = tol["mmd2_absolute"] as! Double
        func close(_ a: Double?, _ b: Any?, _ what: String, _ name: String) {
            guard let a, let b = b as? Double else {
                return XCTFail("\(name) \(what): \(String(describing: a)) vs \(String(describing: b))")
            }
            XCTAssertEqual(a, b, accuracy: rel * max(1e-300, abs(b)), "\(name) \(what)")
        }
        let configurations = ref["configurations"] as! [[String: Any]]
        XCTAssertEqual(configurations.count, 3)
        for c in configurations {
            let name = c["name"] as! String
            let opt = c["options"] as! [String: Any]
            var o = CompareOptions()
            o.features = opt["features"] as! Int
            o.permutations = opt["permutations"] as! Int
            o.bootstrap = opt["bootstrap"] as! Int
            o.seed = UInt64(opt["seed"] as! Int)
            o.paired = opt["paired"] as! Bool
            o.mmdFeatures = opt["mmd_features"] as! Int
            o.mmdMaxDocuments = opt["mmd_max_documents"] as! Int
            o.passages = 0
            o.read.threads = 2
            let dir = CompareReferenceTests.fixtures
            let r = try Comparison.run(
                try CorpusInput(path: dir.appendingPathComponent(c["a"] as! String).path),
                try CorpusInput(path: dir.appendingPathComponent(c["b"] as! String).path), options: o)
            XCTAssertEqual(r.a.tokens, c["tokens_a"] as? Int, name)
            XCTAssertEqual(r.b.tokens, c["tokens_b"] as? Int, name)
            XCTAssertEqual(r.divergence.vocabulary, c["vocabulary"] as? Int, name)

            // The relabellings themselves, before any statistic.
            let labels = (c["labels"] as! [Int]).map(UInt8.init)
            let strata = (c["strata"] as? [Int]).map { $0.map(Int32.init) }
            let design = Design(labels: labels, strata: strata)
            let diag = c["diagnostics"] as! [String: Any]
            for (i, p) in (diag["first_permutations"] as! [[Int]]).enumerated() {
                XCTAssertEqual(design.permutation(i, seed: o.seed).map(Int.init), p, "\(name) relabelling \(i)")
            }

            let t = c["test"] as! [String: Any]
            XCTAssertTrue(r.test.ran, name)
            XCTAssertEqual(r.test.design, t["design"] as? String, name)
            XCTAssertEqual(r.test.features, t["features"] as? Int, name)
            XCTAssertEqual(r.test.permutations, t["permutations"] as? Int, name)
            XCTAssertEqual(r.test.bootstrap, t["bootstrap"] as? Int, name)
            XCTAssertEqual(r.test.pValue, t["p_value"] as? Double, name)
            XCTAssertEqual(r.test.minimumPValue, t["min_p_value"] as? Double, name)
            close(r.test.statistic, t["statistic"], "statistic", name)
            close(r.test.nullMean, t["null_mean"], "null mean", name)
            close(r.test.nullP95, t["null_p95"], "null p95", name)
            close(r.test.effect, t["effect"], "effect", name)
            close(r.test.ciLow, t["ci_low"], "ci low", name)
            close(r.test.ciHigh, t["ci_high"], "ci high", name)
            close(r.test.bootstrapBias, t["bootstrap_bias"], "bootstrap bias", name)
            let null = diag["null_statistics"] as! [Double]
            let boot = diag["bootstrap_statistics"] as! [Double]
            XCTAssertEqual(r.nullStatistics.count, null.count, name)
            for (x, y) in zip(r.nullStatistics, null) { close(x, y, "null statistic", name) }
            XCTAssertEqual(r.bootstrapStatistics.count, boot.count, name)
            for (x, y) in zip(r.bootstrapStatistics, boot) { close(x, y, "bootstrap statistic", name) }

            let m = c["mmd"] as! [String: Any]
            XCTAssertTrue(r.mmd.ran, name)
            XCTAssertEqual(r.mmd.features, m["features"] as? Int, name)
            XCTAssertEqual(r.mmd.documentsA, m["documents_a"] as? Int, name)
            XCTAssertEqual(r.mmd.documentsB, m["documents_b"] as? Int, name)
            XCTAssertEqual(r.mmd.subsampled, m["subsampled"] as? Bool, name)
            XCTAssertEqual(r.mmd.mmd2, m["mmd2"] as! Double, accuracy: mmdTol, name)
            XCTAssertEqual(r.mmd.pValue, m["p_value"] as? Double, name)
        }
    }

    /// Regression: a paired MMD with one matched pair left 1 document a side,
    /// where the unbiased estimate divides by zero and the NaN was reported
    /// with the smallest p-value. It now does not run, and says why.
    func testPairedMMDWithOnePairDoesNotRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-mmd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (side, names) in [("a", ["p.txt", "x1.txt", "x2.txt"]), ("b", ["p.txt", "y1.txt", "y2.txt"])] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(side), withIntermediateDirectories: true)
            for (i, n) in names.enumerated() {
                try "alpha beta gamma \(side) \(i) delta \(n)".write(
                    to: dir.appendingPathComponent("\(side)/\(n)"), atomically: true, encoding: .utf8)
            }
        }
        var o = CompareOptions()
        o.paired = true
        o.permutations = 19
        o.passages = 0
        let r = try Comparison.run(
            try CorpusInput(path: dir.appendingPathComponent("a").path),
            try CorpusInput(path: dir.appendingPathComponent("b").path), options: o)
        XCTAssertFalse(r.mmd.ran)
        XCTAssertNil(r.mmd.pValue)
        XCTAssertTrue(r.mmd.reason?.contains("after pairing") ?? false, r.mmd.reason ?? "")
        XCTAssertFalse(r.mmd.mmd2.isNaN)
    }
}
