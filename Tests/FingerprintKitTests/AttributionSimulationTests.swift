import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintStatistics
@testable import FingerprintSynth

/// Power and calibration of `attribute` on generated sources.
final class AttributionSimulationTests: XCTestCase {
    /// `perSource` documents of each source, `words` words each.
    func corpus(_ sources: [SourceModel], streams: [UInt64], perSource: Int, words: Int) -> (texts: [String], labels: [String]) {
        let g = CorpusGenerator(seed: 7, threads: 1)
        var texts: [String] = []
        var labels: [String] = []
        for (i, s) in sources.enumerated() {
            texts += g.documents(source: s, count: perSource, words: words, stream: streams[i])
            labels += [String](repeating: "s\(i)", count: perSource)
        }
        return (texts, labels)
    }

    /// Sources that differ only in a few word habits (a handful of swapped
    /// ranks of one model) are told apart far above chance.
    func testSourcesWithDifferentHabitsAreAttributedFarAboveChance() throws {
        let base = SourceModel(seed: 11, name: "base")
        let sources = [base, base.variant(name: "v1", seed: 12, swaps: 12), base.variant(name: "v2", seed: 13, swaps: 12)]
        let (texts, labels) = corpus(sources, streams: [101, 102, 103], perSource: 30, words: 300)
        for method in [AttributionMethod.delta, .linear] {
            var o = AttributionOptions()
            o.method = method
            o.features.mfw = 200
            o.folds = 5
            o.bootstrap = 200
            o.inverseRegularization = 0.1
            let r = try Attribution.run(reference: texts, labels: labels, options: o)
            let e = try XCTUnwrap(r.evaluation)
            XCTAssertGreaterThan(e.accuracy.value, 0.8, "\(method)")
            XCTAssertGreaterThan(try XCTUnwrap(e.accuracy.low), 1.0 / 3 + 0.2, "\(method)")
            XCTAssertEqual(e.chanceUniform, 1.0 / 3)
        }
    }

    /// All "sources" from one generator: over repeated corpora, the mean
    /// cross-validated accuracy is chance and the 95% interval covers chance
    /// in about 95% of them (document bootstrap; the fold structure makes
    /// the spread ~1.2× the binomial one, so coverage runs a little low).
    func testOneGeneratorGivesChanceAccuracy() throws {
        let base = SourceModel(seed: 21, name: "one")
        for (method, runs) in [(AttributionMethod.delta, 24), (.linear, 8)] {
            var covered = 0
            var sum = 0.0
            for seed in 0..<UInt64(runs) {
                let streams = (0..<3).map { 1000 + 3 * seed + $0 }
                let (texts, labels) = corpus([base, base, base], streams: streams, perSource: 20, words: 200)
                var o = AttributionOptions()
                o.method = method
                o.features.mfw = 100
                o.folds = 5
                o.bootstrap = 200
                o.inverseRegularization = 0.1
                o.seed = seed
                let e = try XCTUnwrap(try Attribution.run(reference: texts, labels: labels, options: o).evaluation)
                sum += e.accuracy.value
                if let low = e.accuracy.low, let high = e.accuracy.high, low <= 1.0 / 3 && 1.0 / 3 <= high { covered += 1 }
            }
            XCTAssertEqual(sum / Double(runs), 1.0 / 3, accuracy: 0.05, "\(method): mean accuracy")
            XCTAssertGreaterThanOrEqual(Double(covered) / Double(runs), 0.8, "\(method): chance covered in \(covered) of \(runs)")
        }
    }

    /// General Impostors: distinct sources are attributed far above chance;
    /// documents of a source that is not among the candidates mostly get no
    /// answer, while new documents of a candidate nearly all get one, and a
    /// right one. (The threshold is set for α = 5% of an absent source's
    /// documents when it is as far from every candidate as the candidates
    /// are from each other; this absent source, a variant of the same base
    /// model, comes closer to some candidate by chance: 12 of its 40
    /// documents got an answer when this test was written.)
    func testImpostorsAttributeAndAbstainOnAnAbsentSource() throws {
        let base = SourceModel(seed: 61, name: "base")
        let sources = (0..<4).map { base.variant(name: "v\($0)", seed: 62 + UInt64($0), swaps: 12) }
        let (texts, labels) = corpus(sources, streams: [401, 402, 403, 404], perSource: 40, words: 300)
        var o = AttributionOptions()
        o.method = .impostors
        o.features.mfw = 200
        o.folds = 5
        o.bootstrap = 100
        let e = try XCTUnwrap(try Attribution.run(reference: texts, labels: labels, options: o).evaluation)
        XCTAssertGreaterThan(e.accuracy.value, 0.8)
        XCTAssertEqual(e.chanceUniform, 0.25)

        // Candidates s0–s2 (30 documents each); questioned: 10 new documents
        // of each, and the 40 of s3, which is not a candidate.
        var ref: [String] = []
        var refLabels: [String] = []
        var questioned: [String] = []
        var truth: [String?] = []
        for i in 0..<4 {
            let docs = Array(texts[(i * 40)..<((i + 1) * 40)])
            if i < 3 {
                ref += docs.prefix(30)
                refLabels += [String](repeating: "s\(i)", count: 30)
                questioned += docs.suffix(10)
                truth += [String?](repeating: "v\(i)", count: 10).map { _ in "s\(i)" }
            } else {
                questioned += docs
                truth += [String?](repeating: nil, count: 40)
            }
        }
        let r = try Attribution.run(reference: ref, labels: refLabels, questioned: questioned, options: o)
        XCTAssertEqual(r.abstainThresholds?.count, 1)
        let absent = r.predictions.indices.filter { truth[$0] == nil }
        let present = r.predictions.indices.filter { truth[$0] != nil }
        let absentAnswered = absent.filter { r.predictions[$0].abstained == false }.count
        let presentAnswered = present.filter { r.predictions[$0].abstained == false }
        let presentRight = presentAnswered.filter { r.predictions[$0].predicted == truth[$0] }.count
        XCTAssertLessThanOrEqual(Double(absentAnswered) / Double(absent.count), 0.4)
        XCTAssertGreaterThanOrEqual(Double(presentAnswered.count) / Double(present.count), 0.9)
        XCTAssertGreaterThanOrEqual(Double(presentRight) / Double(max(1, presentAnswered.count)), 0.9)
    }

    /// One generator behind every candidate: every document is as much
    /// "outside" as a document of an absent source, so the share answered
    /// is the nominal α (5%; 18 of 320 when this test was written). The
    /// bound, 10%, is about 3 binomial standard errors above α.
    func testImpostorsAbstainWhenSourcesAreIndistinguishable() throws {
        let base = SourceModel(seed: 71, name: "one")
        var answered = 0
        var total = 0
        for seed in 0..<UInt64(4) {
            let streams = (0..<4).map { 2000 + 4 * seed + $0 }
            let (texts, labels) = corpus([base, base, base, base], streams: streams, perSource: 20, words: 200)
            var o = AttributionOptions()
            o.method = .impostors
            o.features.mfw = 100
            o.folds = 5
            o.bootstrap = 0
            o.seed = seed
            let r = try Attribution.run(reference: texts, labels: labels, options: o)
            answered += r.predictions.filter { $0.abstained == false }.count
            total += r.predictions.count
        }
        XCTAssertLessThanOrEqual(Double(answered) / Double(total), 0.1)
    }

    /// The same bytes whatever the thread count, on a corpus large enough
    /// that multithreaded BLAS would split its products.
    func testDeterministicAcrossThreadCounts() throws {
        let base = SourceModel(seed: 51, name: "b")
        let sources = [base, base.variant(name: "v", seed: 52, swaps: 30), base.variant(name: "w", seed: 53, swaps: 30)]
        let (texts, labels) = corpus(sources, streams: [301, 302, 303], perSource: 600, words: 60)
        var reports: [String] = []
        for threads in [1, 2] {
            BLAS.setThreads(threads)
            var o = AttributionOptions()
            o.features.mfw = 150
            o.folds = 3
            o.bootstrap = 50
            o.inverseRegularization = 1
            o.threads = threads
            reports.append(try JSONOutput.encode(try Attribution.run(reference: texts, labels: labels, options: o)))
        }
        XCTAssertEqual(reports[0], reports[1])
    }

    /// The in-memory API's documented example.
    func testInMemoryExample() throws {
        let ref = [
            "upon the hill whilst it rained", "upon my word whilst we ate", "on the hill while it rained", "on my word while we ate",
        ]
        var options = AttributionOptions()
        options.method = .delta
        options.features.mfw = 20
        let report = try Attribution.run(
            reference: ref, labels: ["a", "a", "b", "b"], questioned: ["whilst upon the road"], options: options)
        XCTAssertEqual(report.predictions[0].predicted, "a")
        XCTAssertEqual(report.predictions[0].document, "q1")
        XCTAssertThrowsError(try Attribution.run(reference: ref, labels: ["a"])) { XCTAssertEqual(errorCase($0), "invalidParameter") }
        XCTAssertThrowsError(try Attribution.run(reference: ref, labels: ["a", "a", "a", "a"], questioned: ["x"])) {
            XCTAssertEqual(errorCase($0), "badData")
        }
    }
}
