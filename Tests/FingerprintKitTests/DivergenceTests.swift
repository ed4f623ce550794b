import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// Divergences, contingency tests and keyness against scipy / numpy
/// (Fixtures/divergence.json, Fixtures/keyness.json).
final class DivergenceTests: XCTestCase {
    func testDivergencesMatchScipy() throws {
        let cases = (try loadJSON("divergence.json") as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let name = c["name"] as! String
            let a = (c["a"] as! [NSNumber]).map(\.doubleValue)
            let b = (c["b"] as! [NSNumber]).map(\.doubleValue)
            let alpha = c["alpha"] as! Double
            func e(_ k: String) -> Double { (c[k] as! NSNumber).doubleValue }
            assertClose(Entropy.bits(a.map { Int($0) }), e("entropy_a"), 1e-12, name)
            assertClose(Entropy.bits(b.map { Int($0) }), e("entropy_b"), 1e-12, name)
            assertClose(Divergence.crossEntropy(a, b, alpha: alpha), e("cross_entropy_ab"), 1e-12, name)
            assertClose(Divergence.kullbackLeibler(a, b, alpha: alpha), e("kl_ab"), 1e-12, name)
            assertClose(Divergence.kullbackLeibler(b, a, alpha: alpha), e("kl_ba"), 1e-12, name)
            // JSD: scipy's and the H(m) form differ by ~1e-15 absolute.
            XCTAssertEqual(Divergence.jensenShannon(a, b), e("jsd"), accuracy: 1e-13, name)
            XCTAssertEqual(Divergence.jensenShannonDistance(a, b), e("js_distance"), accuracy: 1e-7, name)
            assertClose(Divergence.hellinger(a, b), e("hellinger"), 1e-12, name)
            assertClose(Divergence.totalVariation(a, b), e("total_variation"), 1e-12, name)
            let (chi, g) = Divergence.contingency(a, b)
            assertClose(chi.statistic, e("chi2"), 1e-10, name)
            XCTAssertEqual(chi.dof, c["chi2_dof"] as! Int, name)
            assertClose(chi.pValue, e("chi2_p"), 1e-9, name)
            assertClose(g.statistic, e("g"), 1e-10, name)
            assertClose(g.pValue, e("g_p"), 1e-9, name)
        }
    }

    /// The χ² survival function against closed forms: dof 2 is exp(−x/2);
    /// dof 1 is erfc(√(x/2)).
    func testChiSquareSurvivalClosedForms() {
        for x in [0.01, 0.5, 1, 3, 10, 40, 200] {
            assertClose(SpecialFunctions.chiSquareSurvival(x, dof: 2), exp(-x / 2), 1e-13)
            assertClose(SpecialFunctions.chiSquareSurvival(x, dof: 1), erfc((x / 2).squareRoot()), 1e-12)
        }
        XCTAssertEqual(SpecialFunctions.chiSquareSurvival(5, dof: 0), 1)
        XCTAssertEqual(SpecialFunctions.chiSquareSurvival(0, dof: 3), 1)
    }

    func testEmptySidesNeverGiveNaN() {
        let z = [0.0, 0, 0]
        let a = [1.0, 2, 3]
        for v in [
            Divergence.jensenShannon(z, a), Divergence.hellinger(a, z), Divergence.totalVariation(z, z),
            Divergence.kullbackLeibler(z, a), Divergence.crossEntropy(a, z), Divergence.contingency(z, a).g.statistic,
        ] {
            XCTAssertTrue(v.isFinite)
        }
        XCTAssertEqual(Divergence.contingency(z, a).chiSquare.pValue, 1)
        let k = Keyness.logOdds(z, z)
        XCTAssertTrue(k.z.allSatisfy { $0 == 0 })
    }

    func testKeynessMatchesNumpy() throws {
        let cases = (try loadJSON("keyness.json") as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 1)
        for c in cases {
            let a = (c["a"] as! [NSNumber]).map(\.doubleValue)
            let b = (c["b"] as! [NSNumber]).map(\.doubleValue)
            let s = Keyness.logOdds(a, b, alpha0: (c["alpha0"] as! NSNumber).doubleValue)
            let delta = (c["delta"] as! [NSNumber]).map(\.doubleValue)
            let z = (c["z"] as! [NSNumber]).map(\.doubleValue)
            for i in 0..<a.count {
                assertClose(s.delta[i], delta[i], 1e-11, "\(c["name"]!) δ[\(i)]")
                assertClose(s.z[i], z[i], 1e-11, "\(c["name"]!) z[\(i)]")
            }
        }
    }
}
