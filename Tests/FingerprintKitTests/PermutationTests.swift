import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// The permutation test against a straightforward NumPy implementation
/// given the same relabellings (Fixtures/permutation.json).
final class PermutationTests: XCTestCase {
    func testGEMMPermutationTestMatchesNumpyReference() throws {
        let cases = (try loadJSON("permutation.json") as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let name = c["name"] as! String
            let rows = (c["counts"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
            let labels = (c["labels"] as! [NSNumber]).map { UInt8($0.intValue) }
            let perms = (c["perms"] as! [[NSNumber]]).map { $0.map { UInt8($0.intValue) } }
            let expected = (c["t_perm"] as! [NSNumber]).map(\.doubleValue)
            for useFloat in [false, true] {
                let r: PermutationTest.Result
                if useFloat {
                    r = try PermutationTest.run(
                        counts: Matrix<Float>(rows.map { $0.map(Float.init) }), labels: labels, permutations: perms, threads: 2)
                } else {
                    r = try PermutationTest.run(counts: Matrix<Double>(rows), labels: labels, permutations: perms)
                }
                assertClose(r.statistic, c["t_obs"] as! Double, 1e-12, name)
                XCTAssertEqual(r.null.count, expected.count)
                for (x, y) in zip(r.null, expected) { XCTAssertEqual(x, y, accuracy: 1e-13, name) }
                XCTAssertEqual(r.pValue, c["p_value"] as! Double, accuracy: 1e-15, name)
            }
        }
    }

    func testPermutationsKeepGroupSizesAndStrata() {
        let unpaired = Design(a: 5, b: 7)
        for i in 0..<50 {
            let p = unpaired.permutation(i, seed: 9)
            XCTAssertEqual(p.filter { $0 == 0 }.count, 5)
        }
        XCTAssertEqual(unpaired.permutation(3, seed: 9), unpaired.permutation(3, seed: 9))
        XCTAssertNotEqual((0..<10).map { unpaired.permutation($0, seed: 9) }, (0..<10).map { unpaired.permutation($0, seed: 10) })
        // Pairs (i, i+4): each pair keeps one A and one B; documents 8, 9 are unmatched and never move.
        let paired = Design(labels: [0, 0, 0, 0, 1, 1, 1, 1, 0, 1], strata: [0, 1, 2, 3, 0, 1, 2, 3, 4, 5])
        var swapped = 0
        for i in 0..<400 {
            let p = paired.permutation(i, seed: 1)
            for k in 0..<4 { XCTAssertNotEqual(p[k], p[k + 4]) }
            XCTAssertEqual(p[8], 0)
            XCTAssertEqual(p[9], 1)
            swapped += p[0] == 1 ? 1 : 0
        }
        // Swap probability ½: 400 draws, within ±4.5 standard deviations (σ = 10).
        XCTAssertLessThan(abs(swapped - 200), 45)
        XCTAssertEqual(paired.relabellings, 16)
        XCTAssertEqual(Design(a: 3, b: 2).relabellings, 10)
    }

    func testQuantileMatchesNumpyLinear() {
        // numpy.quantile([1, 2, 3, 4], 0.95) = 3.85; ([5], q) = 5
        XCTAssertEqual(PermutationTest.quantile([4, 1, 3, 2], 0.95), 3.85, accuracy: 1e-12)
        XCTAssertEqual(PermutationTest.quantile([5], 0.3), 5)
    }

    /// Regression for finding 1 of the reliability review: the null is drawn
    /// and multiplied in blocks whose size follows the memory budget; any
    /// blocking gives the same statistics, bit for bit.
    func testBlockedNullEqualsOneBlock() throws {
        var rng = Xoshiro256(seed: 11)
        let n = 30
        let f = 40
        let x = Matrix<Float>((0..<n).map { _ in (0..<f).map { _ in Float(rng.next(below: 6)) } })
        let features = FeatureMatrix<Float>(dense: x)
        var totals = [Double](repeating: 0, count: f)
        for d in 0..<n { for j in 0..<f { totals[j] += Double(x[d, j]) } }
        let design = Design(a: 14, b: 16)
        func null(budget: Int) throws -> [Double] {
            try PermutationTest.null(features, totals: totals, count: 500, threads: 2, budget: budget) { r, row in
                design.permutation(r, seed: 5, into: row)
            }
        }
        XCTAssertEqual(PermutationTest.blockRows(documents: n, features: f, total: 500, budget: 1), 16)
        XCTAssertEqual(PermutationTest.blockRows(documents: n, features: f, total: 500), 500)
        let one = try null(budget: PermutationTest.blockBudget)
        XCTAssertEqual(try null(budget: 1), one)  // blocks of 16
        XCTAssertEqual(try null(budget: 100 * (n + 8 * f)), one)  // blocks of 100
        XCTAssertEqual(one, try PermutationTest.null(features, totals: totals, design: design, permutations: 500, seed: 5, threads: 1))
    }
}
