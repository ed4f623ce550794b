import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// The compare test's calibration (false-positive rate under the null) and
/// power, by simulation on generated sources; feature selection; and
/// results on the shipped Corpora/.
final class CompareTests: XCTestCase {
    let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpora")

    func options(permutations: Int = 199) -> CompareOptions {
        var o = CompareOptions()
        o.permutations = permutations
        o.bootstrap = 0
        o.features = 500
        return o
    }

    /// p-value of the JSD permutation test on counted documents under `design`.
    func pValue(_ c: CountedCorpus, _ design: Design, seed: UInt64, permutations: Int = 199) throws -> Double {
        var o = options(permutations: permutations)
        o.seed = seed
        let (map, f) = Comparison.testFeatures(c.matrix.vocabulary, k: o.features)
        let t = try Comparison.permutationTest(
            c.matrix, docs: Array(0..<c.documents.count), design: design,
            typeToColumn: map, cols: f, options: o, pairs: nil)
        XCTAssertTrue(t.ran, t.reason ?? "")
        return t.pValue ?? 1
    }

    /// Unpaired null: random 40/40 splits of 80 documents of one source are
    /// rejected at α = 0.05 in 2–9% of 200 splits.
    func testUnpairedTestIsCalibrated() throws {
        let g = CorpusGenerator(seed: 11)
        let docs = (0..<80).map { g.document(source: g.sourceA, words: 200, stream: 900, index: $0) }
        let c = Counter.count(documents: docs)
        var rejections = 0
        var rng = Xoshiro256(seed: 5)
        for split in 0..<200 {
            var idx = Array(0..<80)
            rng.shuffle(&idx)
            var labels = [UInt8](repeating: 1, count: 80)
            for i in idx.prefix(40) { labels[i] = 0 }
            if try pValue(c, Design(labels: labels), seed: UInt64(split)) <= 0.05 { rejections += 1 }
        }
        let rate = Double(rejections) / 200
        XCTAssert((0.02...0.09).contains(rate), "unpaired false-positive rate \(rate)")
    }

    /// Paired null: 40 prompts answered twice by the same source; labels
    /// assigned at random within each pair; 2–9% rejections in 200 draws.
    func testPairedTestIsCalibrated() throws {
        let g = CorpusGenerator(seed: 12)
        var docs: [[UInt8]] = []
        for i in 0..<40 {
            var tr = g.rng(stream: 950, index: i)
            let topic = CorpusGenerator.topic(&tr)
            for k in 0..<2 {
                var r = g.rng(stream: 960 + UInt64(k), index: i)
                var out: [UInt8] = []
                g.sourceA.render(words: 200, topic: topic, rng: &r, into: &out)
                docs.append(out)
            }
        }
        let c = Counter.count(documents: docs)
        let strata = (0..<80).map { Int32($0 / 2) }
        var rng = Xoshiro256(seed: 6)
        var rejections = 0
        for draw in 0..<200 {
            var labels = [UInt8](repeating: 0, count: 80)
            for p in 0..<40 {
                let first = UInt8(rng.next(below: 2))
                labels[2 * p] = first
                labels[2 * p + 1] = 1 - first
            }
            if try pValue(c, Design(labels: labels, strata: strata), seed: UInt64(draw)) <= 0.05 { rejections += 1 }
        }
        let rate = Double(rejections) / 200
        XCTAssert((0.02...0.09).contains(rate), "paired false-positive rate \(rate)")
    }

    /// Power: A = 100 documents of source A; B = 90 of source A + 10 of
    /// source B (a 10% mixture), 300 words each. Rejected in ≥ 90% of 30
    /// independent draws.
    func testTenPercentMixtureIsDetected() throws {
        var rejections = 0
        let draws = 30
        for draw in 0..<draws {
            let g = CorpusGenerator(seed: 100 + UInt64(draw))
            var docs = (0..<190).map { g.document(source: g.sourceA, words: 300, stream: 700, index: $0) }
            docs += (0..<10).map { g.document(source: g.sourceB, words: 300, stream: 701, index: $0) }
            let c = Counter.count(documents: docs)
            let labels = [UInt8](repeating: 0, count: 100) + [UInt8](repeating: 1, count: 100)
            if try pValue(c, Design(labels: labels), seed: UInt64(draw)) <= 0.05 { rejections += 1 }
        }
        XCTAssertGreaterThanOrEqual(Double(rejections) / Double(draws), 0.9, "power \(rejections)/\(draws)")
    }

    /// A paired design (same prompts, two close sources) is detected by the
    /// paired test and not by the unpaired one, on the shipped corpora.
    func testPairedDesignNeedsThePairedTest() throws {
        var o = options(permutations: 999)
        o.features = CompareOptions().features  // the CLI default
        let a = try CorpusInput(path: corpora.appendingPathComponent("paired/a").path)
        let b = try CorpusInput(path: corpora.appendingPathComponent("paired/b").path)
        let unpaired = try Comparison.run(a, b, options: o)
        o.paired = true
        let paired = try Comparison.run(a, b, options: o)
        XCTAssertGreaterThan(unpaired.test.pValue!, 0.05)
        XCTAssertEqual(paired.test.pValue!, 0.001, accuracy: 1e-12)
        XCTAssertEqual(paired.test.design, "paired")
        XCTAssertEqual(paired.test.pairs, 50)
        XCTAssertTrue(unpaired.notes.contains { $0.contains("--paired") })
    }

    /// Regression: feature selection must not depend on which documents sit
    /// in A or B (ties broken by token, not by first appearance: with the
    /// latter, random splits were "distinguishable" in 13% of cases).
    func testFeatureSelectionIsLabelFree() throws {
        // Many ties at the boundary: every type occurs exactly twice.
        let x = Counter.count(documents: ["zeta yak xi wren", "vole urchin tern swan"].map { Array($0.utf8) })
        let y = Counter.count(documents: ["swan tern urchin vole", "wren xi yak zeta"].map { Array($0.utf8) })
        let ab = DocumentTermMatrix.stacked(x.matrix, y.matrix)
        let ba = DocumentTermMatrix.stacked(y.matrix, x.matrix)
        let (mab, fab) = Comparison.testFeatures(ab.vocabulary, k: 3)
        let (mba, fba) = Comparison.testFeatures(ba.vocabulary, k: 3)
        func chosen(_ v: Vocabulary, _ map: [Int32], _ f: Int) -> [String] {
            (0..<v.count).filter { map[$0] < Int32(f - 1) }.map(v.token).sorted()
        }
        XCTAssertEqual(chosen(ab.vocabulary, mab, fab), ["swan", "tern", "urchin"])
        XCTAssertEqual(chosen(ab.vocabulary, mab, fab), chosen(ba.vocabulary, mba, fba))
    }

    /// On Corpora/: a copy is not distinguishable; an independent source is,
    /// at the minimum p; substitutions and mixtures are ordered by strength.
    func testShippedCorporaRelations() throws {
        let o = options(permutations: 999)
        func run(_ name: String) throws -> CompareReport {
            try Comparison.run(
                try CorpusInput(path: corpora.appendingPathComponent("source-a").path),
                try CorpusInput(path: corpora.appendingPathComponent(name).path), options: o)
        }
        let copy = try run("copy-a")
        XCTAssertGreaterThan(copy.test.pValue!, 0.5)
        XCTAssertEqual(copy.overlap.containment.last!.bInA, 1)
        XCTAssertEqual(copy.overlap.bDocumentsWithSharedGramShare, 1)
        let independent = try run("source-b")
        XCTAssertEqual(independent.test.pValue!, 0.001, accuracy: 1e-12)
        XCTAssertEqual(independent.overlap.containment.last!.bInA, 0)
        let effects = try ["subst-05", "subst-20", "subst-50"].map { try run($0).test.effect! }
        XCTAssertEqual(effects, effects.sorted(), "substitution effects \(effects)")
        let mix = try ["mix-10", "mix-50"].map { try run($0).test.effect! }
        XCTAssertLessThan(mix[0], mix[1])
        XCTAssertLessThan(mix[1], independent.test.effect!)
        // Shared text falls as substitutions rise.
        let shared = try ["subst-05", "subst-20", "subst-50"].map { try run($0).overlap.containment[0].bInA }
        XCTAssertEqual(shared, shared.sorted(by: >))
    }

    func testSameSeedSameBytes() throws {
        var o = options(permutations: 99)
        o.bootstrap = 20
        let a = try CorpusInput(path: corpora.appendingPathComponent("source-a").path)
        let b = try CorpusInput(path: corpora.appendingPathComponent("mix-10").path)
        let r1 = try JSONOutput.encode(try Comparison.run(a, b, options: o))
        o.read = ReadOptions(threads: 1)
        let r2 = try JSONOutput.encode(try Comparison.run(a, b, options: o))
        XCTAssertEqual(r1, r2)
        o.seed = 1
        XCTAssertNotEqual(r1, try JSONOutput.encode(try Comparison.run(a, b, options: o)))
    }

    func testTooSmallCorporaStillReportDivergences() throws {
        let dir = try temporaryDirectory(self)
        try write("one two three", to: dir.appendingPathComponent("a/x.txt"))
        try write("three four", to: dir.appendingPathComponent("b/y.txt"))
        try write("five", to: dir.appendingPathComponent("b/z.txt"))
        let r = try Comparison.run(
            try CorpusInput(path: dir.appendingPathComponent("a").path),
            try CorpusInput(path: dir.appendingPathComponent("b").path), options: options())
        XCTAssertFalse(r.test.ran)
        XCTAssertTrue(r.test.reason!.contains("at least 2 documents"))
        XCTAssertFalse(r.mmd.ran)
        XCTAssertGreaterThan(r.divergence.jsd, 0)
        XCTAssertTrue(CompareVerdict.sentence(r).contains("did not run"))
        XCTAssertNoThrow(try JSONOutput.encode(r))
    }

    /// The MMD permutation test is calibrated too (fewer splits: it is a
    /// second opinion), and detects an independent source.
    func testMMDCalibrationAndPower() throws {
        let g = CorpusGenerator(seed: 13)
        let docs = (0..<60).map { g.document(source: g.sourceA, words: 200, stream: 910, index: $0) }
        let other = (0..<30).map { g.document(source: g.sourceB, words: 200, stream: 911, index: $0) }
        let c = Counter.count(documents: docs + other)
        var o = options(permutations: 199)
        var rng = Xoshiro256(seed: 8)
        var rejections = 0
        for split in 0..<100 {
            var idx = Array(0..<60)
            rng.shuffle(&idx)
            var labels = [UInt8](repeating: 1, count: 60)
            for i in idx.prefix(30) { labels[i] = 0 }
            o.seed = UInt64(split)
            let sub = CountedCorpus(
                input: "", tokenizer: .word, documents: Array(c.documents.prefix(60)),
                matrix: c.matrix.rows(0..<60), skips: [], bytes: 0, invalidSequences: 0)
            let r = try Comparison.mmdTest(sub.matrix, na: 30, nb: 30, design: Design(labels: labels), pairing: nil, options: o)
            if r.pValue! <= 0.05 { rejections += 1 }
        }
        XCTAssertLessThanOrEqual(rejections, 10, "MMD false positives \(rejections)/100")
        let power = try Comparison.mmdTest(c.matrix.rows(30..<90), na: 30, nb: 30, design: Design(a: 30, b: 30), pairing: nil, options: o)
        XCTAssertLessThanOrEqual(power.pValue!, 0.01)
    }

    /// compare A B reports every planted passage of Corpora/planted with its
    /// byte offsets in both files (the manifest is the truth).
    func testComparePlantedPassagesAreReportedWithLocations() throws {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: corpora.appendingPathComponent("manifest.json"))) as! [String: Any]
        let planted =
            ((manifest["corpora"] as! [[String: Any]]).first { $0["path"] as? String == "planted" }!)["passages"] as! [[String: Any]]
        var o = options(permutations: 19)
        o.passages = 1000
        let r = try Comparison.run(
            try CorpusInput(path: corpora.appendingPathComponent("source-a").path),
            try CorpusInput(path: corpora.appendingPathComponent("planted").path), options: o)
        XCTAssertGreaterThanOrEqual(r.passages.count, planted.count)
        for p in planted {
            let aFile = p["origin_file"] as! String
            let bFile = p["target_file"] as! String
            let aOff = p["origin_offset"] as! Int
            let bOff = p["target_offset"] as! Int
            let aLen = p["origin_length"] as! Int
            let bLen = p["target_length"] as! Int
            let found = r.passages.first { x in
                x.a == aFile && x.b == bFile && x.passage.aStart <= aOff && x.passage.aEnd >= aOff + aLen
                    && x.passage.bStart <= bOff && x.passage.bEnd >= bOff + bLen
            }
            XCTAssertNotNil(found, "passage \(aFile)@\(aOff) → \(bFile)@\(bOff) not reported")
        }
        // Longest first.
        XCTAssertEqual(r.passages.map(\.passage.tokens), r.passages.map(\.passage.tokens).sorted(by: >))
        // Unrelated corpora share no passage.
        let none = try Comparison.run(
            try CorpusInput(path: corpora.appendingPathComponent("source-a").path),
            try CorpusInput(path: corpora.appendingPathComponent("source-b").path), options: o)
        XCTAssertTrue(none.passages.isEmpty)
    }

    /// --pair-field: JSONL documents are matched by a field, in any order.
    func testPairFieldMatchesJSONLDocuments() throws {
        let dir = try temporaryDirectory(self)
        var a = ""
        var b = ""
        for i in 0..<12 { a += "{\"id\": \(i), \"text\": \"topic\(i) topic\(i) shared words here\"}\n" }
        for i in (0..<12).reversed() { b += "{\"text\": \"topic\(i) other words there\", \"id\": \(i)}\n" }
        try write(a, to: dir.appendingPathComponent("a.jsonl"))
        try write(b, to: dir.appendingPathComponent("b.jsonl"))
        var o = options(permutations: 99)
        o.paired = true
        o.pairField = "id"
        let r = try Comparison.run(
            try CorpusInput(path: dir.appendingPathComponent("a.jsonl").path, keyField: "id"),
            try CorpusInput(path: dir.appendingPathComponent("b.jsonl").path, keyField: "id"), options: o)
        XCTAssertEqual(r.test.pairs, 12)
        XCTAssertEqual(r.test.design, "paired")
        // Different topics on the two sides of every pair: detected (2^12
        // relabellings; the identity and the all-swapped one tie with T).
        XCTAssertLessThanOrEqual(r.test.pValue!, 0.05)
        o.pairField = "missing"
        XCTAssertThrowsError(
            try Comparison.run(
                try CorpusInput(path: dir.appendingPathComponent("a.jsonl").path, keyField: "missing"),
                try CorpusInput(path: dir.appendingPathComponent("b.jsonl").path, keyField: "missing"), options: o))
    }
}
