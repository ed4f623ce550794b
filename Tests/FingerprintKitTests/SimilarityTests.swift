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

    /// Dense rows as split vectors (their non-zero values as CSR; columns
    /// where `head` holds go to the dense head).
    static func split(_ v: [[Float]], head: (Int) -> Bool) -> SplitVectors {
        var rowStart = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for row in v {
            for (c, x) in row.enumerated() where x != 0 {
                columns.append(Int32(c))
                values.append(x)
            }
            rowStart.append(columns.count)
        }
        return SplitVectors(
            rowStart: rowStart, columns: columns, values: values, cols: v[0].count, rows: Array(0..<v.count),
            columnIsHead: (0..<v[0].count).map(head))
    }

    func allPairs(_ t: TfIdfMatrix, k: Int, head: (Int) -> Bool, tile: Int = 2048) throws -> [[Neighbor]] {
        let v = SplitVectors(
            rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols,
            rows: Array(0..<t.rows), columnIsHead: (0..<t.cols).map(head))
        var o = SimilarityOptions()
        o.k = k
        o.tile = tile
        var out: [[Neighbor]] = []
        try SimilaritySearch.run(queries: v, candidates: v, selfPairs: true, options: o) { _, lists in out += lists }
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

    /// Top-k lists and threshold pairs against a brute force written here,
    /// on vectors of eighths (every dot product exact in float, so scores
    /// tie often and exactly): with and without self-pairs, k from 0 to more
    /// than the candidates, with and without a threshold, tiles of 16 and
    /// one, dense and split columns. Checks the search's skipping of scores
    /// that can change nothing (16 at a time, against the row's worst kept
    /// score and the threshold): a tie with the worst kept must not be
    /// skipped when its index is lower.
    func testSkippedScoresChangeNothing() throws {
        var rng = Xoshiro256(seed: 23)
        func vectors(_ n: Int, _ dims: Int) -> [[Float]] {
            (0..<n).map { _ in (0..<dims).map { _ in rng.next() % 3 == 0 ? Float(rng.next() % 5) / 8 : 0 } }
        }
        let dims = 9
        let candidates = vectors(75, dims)
        let others = vectors(21, dims)
        for selfPairs in [true, false] {
            let queries = selfPairs ? candidates : others
            // The brute force: scores clamped at 1, as the search reports a cosine.
            func score(_ i: Int, _ j: Int) -> Float { min(zip(queries[i], candidates[j]).reduce(0) { $0 + $1.0 * $1.1 }, 1) }
            for k in [0, 1, 3, 80] {
                for threshold in [nil, Float(0.25), Float(0.5)] where k > 0 || threshold != nil {
                    var expectedLists: [[String]] = []
                    var expectedPairs: [String] = []
                    for i in 0..<queries.count {
                        var all = (0..<candidates.count).filter { !selfPairs || $0 != i }.map { (j: $0, s: score(i, $0)) }
                        all.sort { $0.s != $1.s ? $0.s > $1.s : $0.j < $1.j }
                        expectedLists.append(all.prefix(k).map { "\($0.j):\($0.s)" })
                        if let threshold {
                            for j in 0..<candidates.count where (!selfPairs || i < j) && score(i, j) >= threshold {
                                expectedPairs.append("\(i)-\(j)")
                            }
                        }
                    }
                    for tile in [16, 2048] {
                        for (name, head) in [("dense", { (_: Int) in true }), ("split", { (c: Int) in c % 2 == 0 })] {
                            var o = SimilarityOptions()
                            o.k = k
                            o.threshold = threshold
                            o.tile = tile
                            var lists: [[Neighbor]] = []
                            var pairs: [String] = []
                            try SimilaritySearch.run(
                                queries: Self.split(queries, head: head), candidates: Self.split(candidates, head: head),
                                selfPairs: selfPairs,
                                options: o, pairs: { batch in pairs += batch.map { p in "\(p.0)-\(p.1)" } },
                                neighbors: { _, l in lists += l })
                            let shown = threshold.map { "\($0)" } ?? "none"
                            let what = "self \(selfPairs) k \(k) threshold \(shown) tile \(tile) \(name)"
                            let got: [[String]] = lists.map { l in l.map { nb in "\(nb.index):\(nb.score)" } }
                            if k > 0 { XCTAssertEqual(got, expectedLists, what) }
                            XCTAssertEqual(pairs.sorted(), expectedPairs.sorted(), what)
                        }
                    }
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
        try SimilaritySearch.run(
            queries: v, candidates: v, selfPairs: true, options: o, pairs: { pairs += $0.map { (Int($0.0), Int($0.1), $0.2) } },
            neighbors: { _, l in lists += l })
        XCTAssertTrue(lists.allSatisfy { $0.count == t.rows - 1 })
        // Every pair over the threshold is reported once, i < j, and only those.
        var expected: [(Int, Int)] = []
        for i in 0..<t.rows { for nb in lists[i] where nb.index > i && nb.score >= 0.5 { expected.append((i, nb.index)) } }
        expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        XCTAssertEqual(pairs.map { "\($0.0)-\($0.1)" }, expected.map { "\($0.0)-\($0.1)" })
        XCTAssertFalse(pairs.isEmpty)
    }

    /// Threshold pairs leave the search one row of one tile × tile block at a
    /// time, in (query tile, candidate tile, row, column) order, and a query
    /// tile's pairs all come before its neighbour lists: however low the
    /// threshold, the search never holds more than a block's pairs (before,
    /// a query tile's pairs against every candidate were held and copied).
    /// Scores and the pair set against a cosine computed here in double.
    func testThresholdPairsLeaveBlockByBlockInBoundedBatches() throws {
        let n = 70
        let dims = 12
        let tile = 16
        // Sparse non-negative rows from a fixed LCG; some columns head, some tail.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var dense = [[Double]](repeating: [Double](repeating: 0, count: dims), count: n)
        for i in 0..<n {
            for d in 0..<dims where next() < 0.5 { dense[i][d] = 0.1 + next() }
            if dense[i].allSatisfy({ $0 == 0 }) { dense[i][i % dims] = 1 }
            let norm = dense[i].reduce(0) { $0 + $1 * $1 }.squareRoot()
            dense[i] = dense[i].map { $0 / norm }
        }
        var rowStart = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for i in 0..<n {
            for d in 0..<dims where dense[i][d] != 0 {
                columns.append(Int32(d))
                values.append(Float(dense[i][d]))
            }
            rowStart.append(columns.count)
        }
        let v = SplitVectors(
            rowStart: rowStart, columns: columns, values: values, cols: dims,
            rows: Array(0..<n), columnIsHead: (0..<dims).map { $0 % 3 != 0 })
        func cosine(_ i: Int, _ j: Int) -> Double { (0..<dims).reduce(0) { $0 + dense[i][$1] * dense[j][$1] } }

        for threshold: Float in [-1, 0.6] {
            var o = SimilarityOptions()
            o.k = 2
            o.tile = tile
            o.threshold = threshold
            var events: [(kind: String, first: Int, pairs: [(Int, Int, Float)])] = []
            try SimilaritySearch.run(
                queries: v, candidates: v, selfPairs: true, options: o,
                pairs: { events.append((kind: "pairs", first: -1, pairs: $0.map { (Int($0.0), Int($0.1), $0.2) })) },
                neighbors: { first, lists in
                    XCTAssertEqual(lists.count, min(tile, n - first))
                    events.append((kind: "neighbors", first: first, pairs: []))
                })
            // Each batch: one query row, candidates of one tile, at most `tile` pairs.
            var order: [(Int, Int, Int, Int)] = []
            var tileDone = -1
            for e in events {
                if e.kind == "neighbors" {
                    XCTAssertEqual(e.first, (tileDone + 1) * tile)
                    tileDone += 1
                    continue
                }
                XCTAssertFalse(e.pairs.isEmpty)
                XCTAssertLessThanOrEqual(e.pairs.count, tile)
                XCTAssertEqual(Set(e.pairs.map { $0.0 }).count, 1)
                XCTAssertEqual(Set(e.pairs.map { $0.1 / tile }).count, 1)
                for (i, j, _) in e.pairs {
                    XCTAssertEqual(i / tile, tileDone + 1, "pair (\(i), \(j)) after its tile's neighbours")
                    order.append((i / tile, j / tile, i, j))
                }
            }
            XCTAssertEqual(tileDone, (n - 1) / tile)
            for (x, y) in zip(order, order.dropFirst()) {
                XCTAssertTrue(x < y, "\(x) then \(y)")
            }
            // The pair set and scores.
            let got = events.flatMap(\.pairs)
            var expected = Set<Int>()
            for i in 0..<n {
                for j in (i + 1)..<n where cosine(i, j) >= Double(threshold) + 1e-4 { expected.insert(i * n + j) }
            }
            let gotSet = Set(got.map { $0.0 * n + $0.1 })
            XCTAssertEqual(gotSet.count, got.count, "a pair twice")
            XCTAssertTrue(expected.isSubset(of: gotSet), "threshold \(threshold): \(expected.subtracting(gotSet).count) pairs missing")
            for (i, j, score) in got {
                XCTAssertLessThan(i, j)
                XCTAssertEqual(Double(score), cosine(i, j), accuracy: 1e-5)
                XCTAssertGreaterThanOrEqual(cosine(i, j), Double(threshold) - 1e-4)
            }
            if threshold == -1 { XCTAssertEqual(got.count, n * (n - 1) / 2) }
        }
    }

    /// Exact copies score alike against every document, wherever they fall
    /// in a tile, and so rank by index (the tie rule). An optimised BLAS
    /// sums a dot product in an order that depends on where its row and
    /// column fall in the kernel's registers: with OpenBLAS's Haswell kernel,
    /// copies scored a float32 step apart when the GEMM's scores were
    /// reported (session 27: 6 of 50 queries). Random float vectors (not
    /// eighths, whose sums are exact in any order), copies of one row at the
    /// start, middle and edges of tiles of 16, 48, 100 and 2048, dense and
    /// split columns, with and without self-pairs, every pair over a
    /// threshold of −1. Expected: equal vectors give bit-equal scores (the
    /// definition of a cosine, not an output of the search), every score
    /// within 1e-6 of a float64 cosine computed here, and the pairs carry
    /// the lists' scores.
    /// With unit rows every exact copy scores exactly 1 (the float32 rows
    /// are unit only to float32 precision; review 31a: `--threshold 1`
    /// missed copies the lists showed as 1).
    func testCopiesOfUnitRowsScoreOne() throws {
        var rng = Xoshiro256(seed: 31)
        let dims = 96
        func unit() -> [Float] {
            let r = (0..<dims).map { _ in rng.next() % 4 == 0 ? Float(rng.next() % 1_000_000 + 1) / 1_000_000 : 0 }
            let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return r.map { $0 / norm }
        }
        let copy = unit()
        let copies = 40
        let rows = (0..<copies).map { _ in copy } + (0..<50).map { _ in unit() }
        for (name, head) in [("dense", { (_: Int) in true }), ("split", { (c: Int) in c % 5 != 0 })] {
            let v = Self.split(rows, head: head)
            var o = SimilarityOptions()
            o.k = 10
            o.threshold = 1
            o.unitRows = true
            var lists: [[Neighbor]] = []
            var pairs = 0
            try SimilaritySearch.run(
                queries: v, candidates: v, selfPairs: true, options: o, pairs: { pairs += $0.count }, neighbors: { _, l in lists += l })
            for i in 0..<copies { XCTAssertEqual(Set(lists[i].map(\.score)), [1], "\(name) row \(i)") }
            XCTAssertEqual(pairs, copies * (copies - 1) / 2, name)
        }
    }

    func testExactCopiesScoreAlikeWhereverTheyFall() throws {
        var rng = Xoshiro256(seed: 29)
        let n = 150
        let dims = 96
        var rows: [[Float]] = (0..<n).map { _ in
            (0..<dims).map { _ in rng.next() % 4 == 0 ? Float(rng.next() % 1_000_000 + 1) / 1_000_000 : 0 }
        }
        let copies = [5, 6, 15, 16, 47, 63, 64, 99, 127, 128, 141, 146, 148, 149]
        for c in copies.dropFirst() { rows[c] = rows[copies[0]] }
        rows = rows.map { r in
            let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? r.map { $0 / norm } : r
        }
        let cosines = (0..<n).map { i in (0..<n).map { j in zip(rows[i], rows[j]).reduce(0) { $0 + Double($1.0) * Double($1.1) } } }
        let isCopy = Set(copies)
        for (name, head) in [("dense", { (_: Int) in true }), ("split", { (c: Int) in c % 5 != 0 })] {
            let v = Self.split(rows, head: head)
            for tile in [16, 48, 100, 2048] {
                for selfPairs in [true, false] {
                    var o = SimilarityOptions()
                    o.k = n
                    o.tile = tile
                    o.threshold = -1
                    var lists: [[Neighbor]] = []
                    var pairScore: [Int: Float] = [:]
                    try SimilaritySearch.run(
                        queries: v, candidates: v, selfPairs: selfPairs, options: o,
                        pairs: { for p in $0 { pairScore[Int(p.0) * n + Int(p.1)] = p.2 } },
                        neighbors: { _, l in lists += l })
                    let what = "\(name) tile \(tile) self \(selfPairs)"
                    XCTAssertEqual(lists.count, n, what)
                    var scores = [[Float]](repeating: [Float](repeating: .nan, count: n), count: n)
                    var worst = 0.0
                    for (i, l) in lists.enumerated() {
                        for nb in l {
                            scores[i][nb.index] = nb.score
                            worst = max(worst, abs(Double(nb.score) - min(cosines[i][nb.index], 1)))
                        }
                    }
                    XCTAssertLessThan(worst, 1e-6, what)
                    for i in 0..<n {
                        // Every copy but the query itself: one score, and listed in index order.
                        let copyScores = Set(copies.filter { !selfPairs || $0 != i }.map { scores[i][$0].bitPattern })
                        XCTAssertEqual(
                            copyScores.count, 1, "\(what): query \(i) scores the copies \(copyScores.map(Float.init(bitPattern:)))")
                        let order = lists[i].map(\.index).filter(isCopy.contains)
                        XCTAssertEqual(order, order.sorted(), "\(what): query \(i)")
                    }
                    // Copies as queries: the same score for every other document.
                    for j in 0..<n where !isCopy.contains(j) {
                        let s = Set(copies.map { scores[$0][j].bitPattern })
                        XCTAssertEqual(s.count, 1, "\(what): candidate \(j) scored by the copies \(s.map(Float.init(bitPattern:)))")
                    }
                    // Threshold pairs: every pair once, with the neighbour lists' scores.
                    XCTAssertEqual(pairScore.count, selfPairs ? n * (n - 1) / 2 : n * n, what)
                    let differing = pairScore.filter { $0.value.bitPattern != scores[$0.key / n][$0.key % n].bitPattern }
                    XCTAssertEqual(differing.count, 0, "\(what): pairs scored unlike the lists")
                }
            }
        }
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
        try SimilaritySearch.run(queries: v, candidates: v, selfPairs: true, options: o) { _, l in lists += l }
        XCTAssertEqual(lists[1].map(\.score), [0, 0, 0])
        XCTAssertTrue(lists.joined().allSatisfy { !$0.score.isNaN })
        XCTAssertEqual(lists[0].first?.index, 2)
    }
}
