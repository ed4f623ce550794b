import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintStatistics
@testable import FingerprintSynth

/// The corpus-level test of `attribute --corpus`.
final class CorpusAttributionTests: XCTestCase {
    func data(_ g: CorpusGenerator, a: SourceModel, c: SourceModel, q: SourceModel, split: UInt64, n: Int) -> AttributionData {
        let tag = 5000 + 3 * split
        let texts =
            g.documents(source: a, count: n, words: 150, stream: tag) + g.documents(source: c, count: n, words: 150, stream: tag + 1)
            + g.documents(source: q, count: n, words: 150, stream: tag + 2)
        return AttributionData(
            names: (0..<(3 * n)).map { "d\($0)" }, texts: texts.map { Array($0.utf8) },
            labels: [Int](repeating: 0, count: n) + [Int](repeating: 1, count: n) + [Int](repeating: -1, count: n), classes: ["a", "c"])
    }

    /// Under the null (A and C from one source; Q from that source or from
    /// another) the rejection rate at α = .05 stays near .05, for both
    /// distances, over repeated splits.
    func testFalsePositiveRateIsNominalUnderTheNull() throws {
        let g = CorpusGenerator(seed: 3, threads: 1)
        let same = SourceModel(seed: 31, name: "s")
        let other = SourceModel(seed: 32, name: "o")
        var o = AttributionOptions()
        o.features.mfw = 100
        o.threads = 2
        for distance in CorpusDistance.allCases {
            var rejected = 0
            let splits = 200
            for split in 0..<UInt64(splits) {
                let d = data(g, a: same, c: same, q: split % 2 == 0 ? same : other, split: split, n: 8)
                let fams = try FeatureCounting.families(d.texts, options: o.features, keep: nil, threads: 1)
                o.seed = split
                let r = try Attribution.corpusLevel(d, families: fams, options: o, distance: distance, permutations: 99)
                XCTAssertEqual(r.tests.count, 1)
                if r.tests[0].pValue <= 0.05 { rejected += 1 }
            }
            let rate = Double(rejected) / Double(splits)
            print("corpus-level null, \(distance): rejected \(rejected) of \(splits) at .05")
            XCTAssert((0.02...0.09).contains(rate), "\(distance): false-positive rate \(rate)")
        }
    }

    /// Q written by A's source is attributed to A, and the test rejects.
    func testPowerWhenQuestionedComesFromACandidate() throws {
        let g = CorpusGenerator(seed: 3, threads: 1)
        let a = SourceModel(seed: 41, name: "a")
        let c = a.variant(name: "c", seed: 42, swaps: 12)
        var o = AttributionOptions()
        o.features.mfw = 200
        let d = data(g, a: a, c: c, q: a, split: 0, n: 12)
        let fams = try FeatureCounting.families(d.texts, options: o.features, keep: nil, threads: 1)
        for distance in CorpusDistance.allCases {
            let r = try Attribution.corpusLevel(d, families: fams, options: o, distance: distance, permutations: 199)
            XCTAssertEqual(r.nearest, "a", "\(distance)")
            XCTAssertLessThanOrEqual(r.tests[0].pValue, 0.01, "\(distance)")
            XCTAssertEqual(r.tests[0].permutations, 199)
            XCTAssertGreaterThan(r.tests[0].statistic, 0)
        }
    }
}
