import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// batch on the shipped corpora (planted relations as ground truth), LSA
/// against LAPACK, and the bad-input cases.
final class BatchTests: XCTestCase {
    let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpora")

    func run(_ dir: String, against: String? = nil, _ configure: (inout BatchOptions) -> Void = { _ in }) throws -> BatchCollector {
        var o = BatchOptions()
        configure(&o)
        let c = BatchCollector()
        try Batch.run(
            try CorpusInput(path: corpora.appendingPathComponent(dir).path),
            reference: try against.map { try CorpusInput(path: corpora.appendingPathComponent($0).path) },
            options: o, sink: c)
        return c
    }

    /// The near-duplicate clusters of the manifest are recovered exactly
    /// (precision and recall of same-cluster pairs = 1 at threshold 0.8).
    func testNearDuplicateClustersMatchTheManifest() throws {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: corpora.appendingPathComponent("manifest.json"))) as! [String: Any]
        let nd = (manifest["corpora"] as! [[String: Any]]).first { $0["path"] as? String == "near-dups" }!
        let truth = (nd["clusters"] as! [[String: Any]]).map { Set($0["members"] as! [String]) }
        let c = try run("near-dups") { $0.threshold = 0.8 }
        let found = c.clusters.map { Set($0.members.map { c.queryNames[$0] }) }
        XCTAssertEqual(Set(found), Set(truth))
        for cl in c.clusters { XCTAssertTrue(cl.members.contains(cl.representative)) }
    }

    /// Each substituted copy's nearest reference document is its source.
    func testAgainstFindsTheSourceOfEachCopy() throws {
        for (dir, minScore) in [("copy-a", Float(0.9999)), ("subst-05", 0.9), ("subst-20", 0.6)] {
            let c = try run(dir, against: "source-a") { $0.top = 3 }
            XCTAssertEqual(c.header?.referenceDocuments, 50)
            for (i, l) in c.neighbors.enumerated() {
                XCTAssertEqual(c.candidateNames[l[0].index], c.queryNames[i], "\(dir) \(c.queryNames[i])")
                XCTAssertGreaterThanOrEqual(l[0].score, minScore)
                XCTAssertGreaterThan(l[0].score, l[1].score)
            }
        }
    }

    /// In one directory holding a source and its copy, every copy ranks its
    /// original first (score 1), and vice versa.
    func testCopiesRankFirstForTheirSources() throws {
        let dir = try temporaryDirectory(self)
        for sub in ["source-a", "copy-a", "source-b"] {
            try FileManager.default.copyItem(at: corpora.appendingPathComponent(sub), to: dir.appendingPathComponent(sub))
        }
        let c = BatchCollector()
        var o = BatchOptions()
        o.top = 2
        o.tile = 32  // several tiles: the symmetric tile pairs are exercised
        try Batch.run(try CorpusInput(path: dir.path), reference: nil, options: o, sink: c)
        XCTAssertEqual(c.queryNames.count, 150)
        for (i, name) in c.queryNames.enumerated() where !name.hasPrefix("source-b") {
            let twin =
                name.hasPrefix("copy-a")
                ? name.replacingOccurrences(of: "copy-a", with: "source-a") : name.replacingOccurrences(of: "source-a", with: "copy-a")
            XCTAssertEqual(c.queryNames[c.neighbors[i][0].index], twin)
            XCTAssertEqual(c.neighbors[i][0].score, 1, accuracy: 1e-5)
        }
    }

    func testBySubdirClustersDerivedCorporaWithTheirSources() throws {
        let dir = try temporaryDirectory(self)
        for sub in ["source-a", "copy-a", "subst-05", "mix-50", "source-b"] {
            try FileManager.default.copyItem(at: corpora.appendingPathComponent(sub), to: dir.appendingPathComponent(sub))
        }
        let r = try CorpusMatrixReport.compute(try CorpusInput(path: dir.path), options: BatchOptions())
        let names = r.corpora.map(\.name)
        XCTAssertEqual(names, ["copy-a", "mix-50", "source-a", "source-b", "subst-05"])
        func id(_ n: String) -> Int { names.firstIndex(of: n)! }
        XCTAssertEqual(r.jsd[id("source-a")][id("copy-a")], 0, accuracy: 1e-12)
        XCTAssertEqual(r.centroidCosine[id("source-a")][id("copy-a")], 1, accuracy: 1e-9)
        // First merge: the copy with its source; the independent source joins last.
        XCTAssertEqual(Set([r.merges[0].left, r.merges[0].right]), Set([id("source-a"), id("copy-a")]))
        let last = r.merges.last!
        XCTAssertTrue([last.left, last.right].contains(id("source-b")))
        XCTAssertEqual(Set(r.order), Set(0..<5))
        XCTAssertTrue(r.table().contains("Average-linkage"))
    }

    /// Average linkage against a hand-computed example (UPGMA on 4 points).
    func testAverageLinkageByHand() {
        // d(a,b)=1, d(c,d)=2, cross distances 6,7,8,9 → (a,b) at 1, (c,d) at 2, then mean of 4 cross = 7.5.
        let d: [[Double]] = [[0, 1, 6, 7], [1, 0, 8, 9], [6, 8, 0, 2], [7, 9, 2, 0]]
        let (m, order) = AverageLinkage.cluster(d)
        XCTAssertEqual(m.map(\.distance), [1, 2, 7.5])
        XCTAssertEqual(m.map(\.size), [2, 2, 4])
        XCTAssertEqual(order, [0, 1, 2, 3])
    }

    /// Randomized SVD: singular values equal LAPACK's full SVD (1e-3
    /// relative) on a small sparse matrix, and LSA cosines at full rank equal
    /// the exact TF-IDF cosines.
    func testRandomizedSVDAgreesWithLAPACK() throws {
        let c = try Counter.count(try CorpusInput(path: fixtures.appendingPathComponent("tfidf").path))
        let t = TfIdfMatrix(c.matrix, features: 56)
        let csr = RandomizedSVD.CSR(rows: t.rows, cols: t.cols, rowStart: t.rowStart, columns: t.columns, values: t.values)
        var dense = Matrix<Double>(rows: t.rows, cols: t.cols)
        for i in 0..<t.rows { for (j, v) in t.dense(i).enumerated() { dense[i, j] = Double(v) } }
        let full = try LAPACK.svd(dense)
        let r = try RandomizedSVD.compute(csr, rank: 8, seed: 1)
        for k in 0..<8 { XCTAssertEqual(Double(r.s[k]), full.s[k], accuracy: 1e-3 * full.s[k], "σ\(k)") }
        // Full rank: the LSA space reproduces the exact cosines.
        var o = BatchOptions()
        o.method = .lsa
        o.dims = 25
        o.top = 3
        o.features = 56
        let lsa = BatchCollector()
        try Batch.run(try CorpusInput(path: fixtures.appendingPathComponent("tfidf").path), reference: nil, options: o, sink: lsa)
        let e = try loadJSON("tfidf.json") as! [String: Any]
        XCTAssertEqual(lsa.neighbors.map { $0.map(\.index) }, e["top3"] as! [[Int]])
        let cos = (e["cosine"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
        for (i, l) in lsa.neighbors.enumerated() { for n in l { XCTAssertEqual(Double(n.score), cos[i][n.index], accuracy: 1e-4) } }
    }

    func testOneDocumentGivesEmptyResultsAndANote() throws {
        let dir = try temporaryDirectory(self)
        try write("just one document here", to: dir.appendingPathComponent("only.txt"))
        let c = BatchCollector()
        try Batch.run(try CorpusInput(path: dir.path), reference: nil, options: BatchOptions(), sink: c)
        XCTAssertEqual(c.neighbors, [[]])
        XCTAssertTrue(c.notes.contains { $0.contains("no pairs") })
    }

    func testTopLargerThanNListsEveryone() throws {
        let c = try run("source-b") { $0.top = 500 }
        XCTAssertTrue(c.neighbors.allSatisfy { $0.count == 49 })
        XCTAssertTrue(c.notes.contains { $0.contains("--top 500") })
    }

    /// Same input, options and seed: byte-identical JSON, any thread count.
    func testDeterministicJSON() throws {
        let one = try run("near-dups") {
            $0.threshold = 0.5
            $0.read = ReadOptions(threads: 1)
            $0.tile = 16
        }
        let two = try run("near-dups") {
            $0.threshold = 0.5
            $0.read = ReadOptions(threads: 2)
            $0.tile = 16
        }
        XCTAssertEqual(try one.json(), try two.json())
        let lsa1 = try run("near-dups") {
            $0.method = .lsa
            $0.dims = 16
        }
        let lsa2 = try run("near-dups") {
            $0.method = .lsa
            $0.dims = 16
        }
        XCTAssertEqual(try lsa1.json(), try lsa2.json())
    }

    /// The JSON's threshold pairs are in document order, (a, b), whatever the
    /// tile: the search hands them over block by block, and a tile of 16 over
    /// the 50 near-dups documents makes 4 × 4 blocks.
    func testThresholdPairsAreInDocumentOrderWhateverTheTile() throws {
        let big = try run("near-dups") { $0.threshold = 0.2 }
        let small = try run("near-dups") {
            $0.threshold = 0.2
            $0.tile = 16
        }
        XCTAssertGreaterThan(big.queryNames.count, 16 * 3)
        XCTAssertFalse(big.pairsCapped)
        XCTAssertGreaterThan(big.pairs.count, 100)
        XCTAssertEqual(small.pairs.map { [$0.a, $0.b] }, big.pairs.map { [$0.a, $0.b] })
        XCTAssertEqual(small.pairs.map { [$0.a, $0.b] }, big.pairs.map { [$0.a, $0.b] }.sorted { $0.lexicographicallyPrecedes($1) })
        for (x, y) in zip(small.pairs, big.pairs) { XCTAssertEqual(x.score, y.score, accuracy: 1e-5) }
        XCTAssertEqual(small.clusters, big.clusters)
    }

    /// --method minhash: verified Jaccard pairs recover the manifest's clusters.
    func testMinHashMethodRecoversNearDuplicateClusters() throws {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: corpora.appendingPathComponent("manifest.json"))) as! [String: Any]
        let nd = (manifest["corpora"] as! [[String: Any]]).first { $0["path"] as? String == "near-dups" }!
        let truth = (nd["clusters"] as! [[String: Any]]).map { Set($0["members"] as! [String]) }
        let c = try run("near-dups") {
            $0.method = .minhash
            $0.threshold = 0.5
            $0.top = 3
        }
        XCTAssertEqual(Set(c.clusters.map { Set($0.members.map { c.queryNames[$0] }) }), Set(truth))
        XCTAssertTrue(c.pairs.allSatisfy { $0.score >= 0.5 })
        for (i, l) in c.neighbors.enumerated() { for n in l { XCTAssertNotEqual(n.index, i) } }
    }

    /// --evidence: the passages behind each planted document's nearest
    /// source document are the planted ones (offsets from the manifest).
    func testEvidenceShowsThePlantedPassages() throws {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: corpora.appendingPathComponent("manifest.json"))) as! [String: Any]
        let planted =
            ((manifest["corpora"] as! [[String: Any]]).first { $0["path"] as? String == "planted" }!)["passages"] as! [[String: Any]]
        let c = try run("planted", against: "source-a") {
            $0.top = 1
            $0.evidence = 3
        }
        XCTAssertFalse(c.evidence.isEmpty)
        var matched = 0
        for e in c.evidence {
            let q = c.queryNames[e.a]
            let cand = c.candidateNames[e.b]
            for p in e.passages {
                // Passage.a* = pair.a's file (the query), b* = pair.b's (the candidate).
                if planted.contains(where: {
                    $0["target_file"] as? String == q && $0["origin_file"] as? String == cand
                        && p.aStart <= $0["target_offset"] as! Int && p.bStart <= $0["origin_offset"] as! Int
                }) {
                    matched += 1
                }
            }
        }
        XCTAssertGreaterThan(matched, 20)
        XCTAssertTrue(try c.json().contains("\"evidence\""))
    }

    /// The CSV writer escapes each name once; every row it writes equals
    /// `CSV.row` of the same cells (quotes, commas, line breaks, a formula,
    /// an escape character; scores on printf's fallback path), for
    /// neighbours and pairs, and for a candidate list apart from the queries.
    func testCSVRowsEqualCSVRowOfTheCells() throws {
        let queries = ["plain.txt", "a,b.txt", "say \"hi\".txt", "two\nlines.txt", "=cmd|' C calc'!A0.txt", "esc\u{1B}[31m.txt", " pad "]
        let against = ["-1.txt", "ok.txt", "x\"y", "+2"]
        let scores: [Float] = [0.5, -0.25, .nan, -.infinity, 1e30, 0, 0.9999995]
        for candidates in [queries, against] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csvrows-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("out.csv").path
            for top in [2, 0] {
                let out = try StreamingOutput(path: path)
                let w = BatchCSVWriter(out)
                let h = BatchHeader(
                    corpus: "c", reference: nil, method: .tfidf, tokenizer: .word, features: 10, sublinear: false, dims: nil,
                    top: top, threshold: 0, seed: 0, documents: queries.count, referenceDocuments: nil, headColumns: 0,
                    tailColumns: 10, skipped: [])
                try w.begin(h, queryNames: queries, candidateNames: candidates)
                var want = ["query,neighbor,rank,score"]
                for (qi, q) in queries.enumerated() {
                    let list = (0..<2).map { r in Neighbor(index: (qi + r) % candidates.count, score: scores[(qi + r) % scores.count]) }
                    if top > 0 {
                        try w.neighbors(query: qi, list)
                        for (r, n) in list.enumerated() {
                            want.append(String(CSV.row([q, candidates[n.index], "\(r + 1)", score6(n.score)]).dropLast()))
                        }
                    }
                    let pairs = list.map { ScoredPair(a: qi, b: $0.index, score: $0.score) }
                    try w.pairs(pairs)
                    if top == 0 {
                        for x in pairs { want.append(String(CSV.row([q, candidates[x.b], "", score6(x.score)]).dropLast())) }
                    }
                }
                try w.end(clusters: [], notes: [])
                try out.commit()
                let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                // The header comment, the rows (one name holds a line break
                // inside quotes, so compare the text after the comment).
                let body = lines.dropFirst().joined(separator: "\n")
                XCTAssertEqual(body, want.joined(separator: "\n") + "\n", "top \(top)")
                XCTAssertFalse(body.utf8.contains(0x1B))
            }
        }
    }

    /// `score6` writes exactly what C's printf `%.6f` writes for the float
    /// as a double: random scores, the floats nearest each side of the
    /// rounding boundaries (k + 0.5) × 10⁻⁶, signed zeros, subnormals, ±1,
    /// large values and non-finite ones (the fallback).
    func testScore6EqualsPrintf() {
        var rng = SplitMix64(seed: 11)
        var xs: [Float] = [0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 5e-7, -5e-7, 4.9999997e-7]
        xs += [.infinity, -.infinity, .nan, 1e9, -3.4e38, 123_456.79, 999_999.94]
        for _ in 0..<200_000 { xs.append(Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1)) }
        for k in stride(from: 0, through: 1_000_000, by: 7) {
            let edge = Float((Double(k) + 0.5) / 1e6)
            xs += [edge, edge.nextDown, edge.nextUp, -edge, -edge.nextUp]
        }
        var bad = 0
        for x in xs where score6(x) != String(format: "%.6f", Double(x)) {
            bad += 1
            if bad <= 5 { XCTFail("\(x): \(score6(x)) against printf \(String(format: "%.6f", Double(x)))") }
        }
        XCTAssertEqual(bad, 0)
    }

}
