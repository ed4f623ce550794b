import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// TF-IDF and exact cosine search against scikit-learn (Fixtures/tfidf.json:
/// TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", max_features=K) + cosine_similarity).
final class SimilarityTests: XCTestCase {
    func load() throws -> (CountedCorpus, [String: Any]) {
        let e = try loadJSON("tfidf.json") as! [String: Any]
        let c = try Counter.count(try CorpusInput(path: fixtures.appendingPathComponent("tfidf").path))
        return (c, e)
    }

    func allPairs(_ t: TfIdfMatrix, k: Int, head: (Int) -> Bool, tile: Int = 2048) throws -> [[Neighbor]] {
        let v = SplitVectors(
            rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols,
            rows: Array(0..<t.rows), columnIsHead: (0..<t.cols).map(head))
        var o = SimilarityOptions()
        o.k = k
        o.tile = tile
        var out: [[Neighbor]] = []
        try SimilaritySearch.run(queries: v, candidates: v, selfPairs: true, options: o) { _, lists, _ in out += lists }
        return out
    }

    func testTfIdfVocabularyAndCosinesMatchScikitLearn() throws {
        let (c, e) = try load()
        let k = e["k"] as! Int
        for sublinear in [false, true] {
            let t = TfIdfMatrix(c.matrix, features: k, sublinear: sublinear)
            XCTAssertEqual(t.types.map(c.matrix.vocabulary.token), e["vocabulary"] as! [String])
            let expected = (e[sublinear ? "cosine_sublinear" : "cosine"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
            for i in 0..<t.rows {
                let a = t.dense(i)
                for j in 0..<t.rows {
                    let b = t.dense(j)
                    let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                    XCTAssertEqual(dot, expected[i][j], accuracy: 1e-5, "cos(\(i),\(j))")
                }
            }
        }
    }

    /// Any head/tail split and any tile size give the same neighbours and
    /// scores as scikit-learn's dense cosine matrix.
    func testSearchIsExactForAnySplitAndTile() throws {
        let (c, e) = try load()
        let t = TfIdfMatrix(c.matrix, features: e["k"] as! Int)
        let expected = (e["cosine"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
        let top3 = e["top3"] as! [[Int]]
        for (name, head) in [
            ("all dense", { (_: Int) in true }), ("all sparse", { (_: Int) in false }), ("mixed", { (c: Int) in c % 3 == 0 }),
        ] {
            for tile in [16, 7 + 9, 2048] {
                let res = try allPairs(t, k: 3, head: head, tile: tile)
                XCTAssertEqual(res.map { $0.map(\.index) }, top3, "\(name) tile \(tile)")
                for (i, l) in res.enumerated() {
                    for nb in l { XCTAssertEqual(Double(nb.score), expected[i][nb.index], accuracy: 1e-5) }
                }
            }
        }
    }

    func testTopKLargerThanNAndThresholdPairs() throws {
        let (c, _) = try load()
        let t = TfIdfMatrix(c.matrix, features: 1000)
        let v = SplitVectors(
            rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols,
            rows: Array(0..<t.rows), columnIsHead: (0..<t.cols).map { _ in false })
        var o = SimilarityOptions()
        o.k = 100
        o.threshold = 0.5
        var lists: [[Neighbor]] = []
        var pairs: [(Int, Int, Float)] = []
        try SimilaritySearch.run(queries: v, candidates: v, selfPairs: true, options: o) { _, l, p in
            lists += l
            pairs += p
        }
        XCTAssertTrue(lists.allSatisfy { $0.count == t.rows - 1 })
        // Every pair over the threshold is reported once, i < j, and only those.
        var expected: [(Int, Int)] = []
        for i in 0..<t.rows { for nb in lists[i] where nb.index > i && nb.score >= 0.5 { expected.append((i, nb.index)) } }
        expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        XCTAssertEqual(pairs.map { "\($0.0)-\($0.1)" }, expected.map { "\($0.0)-\($0.1)" })
        XCTAssertFalse(pairs.isEmpty)
    }

    func testZeroVectorsScoreZeroNeverNaN() throws {
        let c = Counter.count(documents: ["alpha beta", "!!!", "alpha gamma", "???"].map { Array($0.utf8) })
        let t = TfIdfMatrix(c.matrix, features: 10)
        let v = SplitVectors(
            rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols,
            rows: Array(0..<t.rows), columnIsHead: (0..<t.cols).map { $0 == 0 })
        var o = SimilarityOptions()
        o.k = 3
        var lists: [[Neighbor]] = []
        try SimilaritySearch.run(queries: v, candidates: v, selfPairs: true, options: o) { _, l, _ in lists += l }
        XCTAssertEqual(lists[1].map(\.score), [0, 0, 0])
        XCTAssertTrue(lists.joined().allSatisfy { !$0.score.isNaN })
        XCTAssertEqual(lists[0].first?.index, 2)
    }
}
