import CKernels
import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// MinHash accuracy, LSH recall and precision, SimHash, dedup on the
/// shipped near-duplicate clusters, and the bad-input cases.
final class SketchTests: XCTestCase {
    let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpora")

    /// Two shingle sets with a chosen overlap: |A| = |B| = size, |A ∩ B| = shared.
    func pair(_ rng: inout Xoshiro256, size: Int, shared: Int) -> ([UInt64], [UInt64]) {
        let common = (0..<shared).map { _ in rng.next() }
        let a = (common + (0..<(size - shared)).map { _ in rng.next() }).sorted()
        let b = (common + (0..<(size - shared)).map { _ in rng.next() }).sorted()
        return (a, b)
    }

    /// ≥ 99% of 1,000 estimates fall within 3 standard errors √(J(1−J)/128)
    /// of the exact Jaccard, for J spanning 0 to 1.
    func testMinHashEstimatesAreWithinThreeStandardErrors() {
        let h = MinHasher(perms: 128, seed: 1)
        var rng = Xoshiro256(seed: 42)
        var inside = 0
        for t in 0..<1000 {
            let size = 50 + rng.next(below: 400)
            let shared = Int(Double(size) * Double(t) / 999)
            let (a, b) = pair(&rng, size: size, shared: shared)
            let j = exactJaccard(a, b)
            let est = MinHasher.jaccard(h.signature(of: a), h.signature(of: b))
            let se = (j * (1 - j) / 128).squareRoot()
            if abs(est - j) <= 3 * se + 1e-12 { inside += 1 }
        }
        XCTAssertGreaterThanOrEqual(inside, 990, "\(inside)/1000 within 3 SE")
    }

    /// Every shingle size from 1 to 64, across documents: each n-gram is the
    /// polynomial Σ h[i+j]·B^(n−1−j) mod 2⁶⁴ of its own window (computed
    /// here window by window, no rolling), finalised with SplitMix64(r ⊕ n);
    /// whether the token hashes come one at a time (held and rolled 64 at a
    /// time), in batches of any length, or both in turn, and whether the
    /// document's n-grams are drained as they come or taken at its end.
    /// n = 64 failed in both rolling hashes of the time (the ring written
    /// before the token leaving the window was read from the same slot).
    func testShinglesAreTheirWindowsPolynomials() {
        let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1
        var rng = SplitMix64(seed: 64)
        for n in [1, 2, 5, 13, 63, 64] {
            for mode in 0..<4 {
                let c = NGramCollector(sizes: [n])
                for length in [0, n - 1, n, n + 1, 200, 1000] where length >= 0 {
                    let tokens = (0..<length).map { _ in rng.next() }
                    var drained: [UInt64] = []
                    var i = 0
                    while i < tokens.count {
                        // mode 0: one at a time; 1: batches of 1–100; 2: both in turn; 3: as 2, drained after each step.
                        let step = mode == 0 ? 1 : 1 + Int(rng.next() % 100)
                        let end = min(tokens.count, i + step)
                        if mode == 1 || (mode >= 2 && rng.next() % 2 == 0) {
                            tokens[i..<end].withUnsafeBufferPointer { c.add($0.baseAddress!, count: $0.count) }
                        } else {
                            for h in tokens[i..<end] { c.add(h) }
                        }
                        if mode == 3 { c.drainDocument(0) { drained += $0 } }
                        i = end
                    }
                    _ = c.finishDocument()
                    let got = drained + c.takeAll(0)
                    var want: [UInt64] = []
                    if length >= n {
                        for i in 0...(length - n) {
                            var r: UInt64 = 0
                            for j in 0..<n { r = r &* base &+ tokens[i + j] }  // Horner: Σ h·B^(n−1−j)
                            want.append(SplitMix64.mix(r ^ UInt64(n)))
                        }
                    }
                    XCTAssertEqual(got, want, "n \(n), mode \(mode), \(length) tokens")
                    XCTAssertEqual(c.lastTokens, length)
                    XCTAssertEqual(c.lastDigest, Hash64.combine(tokens.reduce(0) { Hash64.combine($0, $1) }, UInt64(length)))
                }
            }
        }
    }

    /// On datasketch's pairs (Fixtures/minhash.json, word 5-shingles): our
    /// estimates are as accurate as datasketch's (both within 3 SE).
    func testMinHashOnDatasketchPairs() throws {
        let pairs = (try loadJSON("minhash.json") as! [String: Any])["pairs"] as! [[String: Any]]
        let h = MinHasher(perms: 128, seed: 1)
        func shingles(_ text: String) -> [UInt64] {
            let c = NGramCollector(sizes: [5])
            for w in text.split(separator: " ") { c.add(TokenTable.hash(String(w))) }
            _ = c.finishDocument()
            return Array(Set(c.takeAll(0))).sorted()
        }
        var ours = 0.0
        var theirs = 0.0
        for p in pairs {
            let a = shingles(p["a"] as! String)
            let b = shingles(p["b"] as! String)
            let j = p["jaccard"] as! Double
            XCTAssertEqual(exactJaccard(a, b), j, accuracy: 1e-12)
            let est = MinHasher.jaccard(h.signature(of: a), h.signature(of: b))
            let ds = p["datasketch_estimate"] as! Double
            let se = (j * (1 - j) / 128).squareRoot()
            XCTAssertLessThanOrEqual(abs(est - j), 3 * se + 1e-12, "ours J=\(j) est=\(est)")
            XCTAssertLessThanOrEqual(abs(ds - j), 3 * se + 1e-12, "datasketch J=\(j) est=\(ds)")
            ours += abs(est - j)
            theirs += abs(ds - j)
        }
        // Mean absolute error comparable to datasketch's (within a factor of 2 + 0.01).
        XCTAssertLessThanOrEqual(ours / Double(pairs.count), 2 * theirs / Double(pairs.count) + 0.01)
    }

    /// The (bands, rows) choice equals datasketch 2.0.0's
    /// `datasketch.lsh._optimal_param(t, perms, 0.5, 0.5)` (its integrals
    /// by scipy's `quad`; printed by a Python one-liner over these
    /// thresholds and permutation counts).
    func testBandingMatchesDatasketch() {
        let datasketch: [Int: [(Double, Int, Int)]] = [
            64: [(0.3, 21, 3), (0.5, 14, 4), (0.6, 10, 6), (0.7, 8, 8), (0.8, 5, 11), (0.9, 3, 21), (0.95, 2, 32)],
            128: [(0.3, 37, 3), (0.5, 25, 5), (0.6, 18, 7), (0.7, 14, 9), (0.8, 9, 13), (0.9, 5, 25), (0.95, 3, 42)],
            256: [(0.3, 64, 4), (0.5, 42, 6), (0.6, 32, 8), (0.7, 25, 10), (0.8, 17, 15), (0.9, 9, 28), (0.95, 5, 51)],
        ]
        for (perms, choices) in datasketch {
            for (t, bands, rows) in choices {
                XCTAssertEqual(LSHBanding.optimal(threshold: t, perms: perms), LSHBanding(bands: bands, rows: rows), "t \(t), \(perms)")
                // Asked again: the choice kept for the process.
                XCTAssertEqual(LSHBanding.optimal(threshold: t, perms: perms), LSHBanding(bands: bands, rows: rows))
            }
        }
        let b = LSHBanding(bands: 9, rows: 13)
        XCTAssertEqual(b.candidateProbability(0.8), 1 - pow(1 - pow(0.8, 13), 9), accuracy: 1e-15)
    }

    /// LSH: recall ≥ 0.95 for pairs with J ≥ threshold + 0.1; precision = 1
    /// after verification (nothing below the threshold is ever reported).
    func testLSHRecallAndVerifiedPrecision() {
        var o = DedupOptions()
        o.threshold = 0.5
        let h = MinHasher(perms: o.perms, seed: o.seed)
        var rng = Xoshiro256(seed: 7)
        var sketches: [SketchedDocument] = []
        var truth: [Double] = []
        for t in 0..<1000 {
            let size = 100 + rng.next(below: 200)
            let j = Double(t) / 999
            // Shared count giving Jaccard j for equal sizes: s / (2·size − s) = j.
            let shared = Int((2 * j * Double(size) / (1 + j)).rounded())
            let (a, b) = pair(&rng, size: size, shared: shared)
            truth.append(exactJaccard(a, b))
            for s in [a, b] {
                sketches.append(SketchedDocument(tokens: size + 4, shingles: s, signature: h.signature(of: s), simhash: 0, exact: 0))
            }
        }
        let docs = (0..<sketches.count).map { DocumentInfo(name: "d\($0)", path: "d\($0)", line: nil, bytes: 1) }
        let r = Dedup.cluster(documents: docs, sketches: sketches, options: o)
        var cluster = [Int: Int]()
        for c in r.clusters { for m in c.members { cluster[m.document] = c.id } }
        var high = 0
        var found = 0
        for (p, j) in truth.enumerated() {
            let together = cluster[2 * p] != nil && cluster[2 * p] == cluster[2 * p + 1]
            if j >= 0.6 {
                high += 1
                if together { found += 1 }
            }
            if together { XCTAssertGreaterThanOrEqual(j, 0.5, "pair \(p) reported with J=\(j)") }
        }
        XCTAssertGreaterThanOrEqual(Double(found) / Double(high), 0.95, "recall \(found)/\(high)")
        // No cluster mixes two unrelated pairs.
        for c in r.clusters { XCTAssertEqual(Set(c.members.map { $0.document / 2 }).count, 1) }
    }

    /// The C MinHash and SimHash kernels equal their definitions, written
    /// out here, at every instruction-set level the CPU has (portable, AVX2,
    /// AVX-512), for permutation counts around the kernels' 8- and 32-lane
    /// blocks.
    func testMinHashAndSimHashKernelsEqualTheDefinitionsOnEveryLevel() {
        let saved = fp_block_sums_level()
        defer { _ = fp_block_sums_set_level(saved) }
        let widest = fp_block_sums_set_level(2)
        var rng = Xoshiro256(seed: 3, stream: 9)
        for perms in [1, 7, 8, 31, 32, 33, 40, 128, 200] {
            let hasher = MinHasher(perms: perms, seed: 5)
            for n in [0, 1, 5, 1000] {
                let h = (0..<n).map { _ in rng.next() }
                var want = [UInt32](repeating: .max, count: perms)
                for h64 in h {
                    let x = UInt32(truncatingIfNeeded: h64 ^ (h64 >> 32))
                    for i in 0..<perms { want[i] = min(want[i], hasher.a[i] &* x &+ hasher.b[i]) }
                }
                for level in 0...widest {
                    XCTAssertEqual(fp_block_sums_set_level(level), level)
                    XCTAssertEqual(hasher.signature(of: h), want, "perms \(perms), \(n) shingles, level \(level)")
                }
            }
        }
        for n in [0, 1, 3, 64, 999] {
            // Biased bits, so that some counts are far from n/2.
            let h = (0..<n).map { _ in rng.next() & rng.next() | (rng.next() & 0xF000_0000_0000_000F) }
            var v = [Int64](repeating: 0, count: 64)
            for x in h { for k in 0..<64 { v[k] += (x >> UInt64(k)) & 1 == 1 ? 1 : -1 } }
            var want: UInt64 = 0
            for k in 0..<64 where v[k] > 0 { want |= 1 << UInt64(k) }
            var one = SimHasher()
            for x in h { one.add(x) }
            XCTAssertEqual(one.finish(), want, "add one by one, \(n) hashes")
            for level in 0...widest {
                XCTAssertEqual(fp_block_sums_set_level(level), level)
                var s = SimHasher()
                s.add(contentsOf: h)
                XCTAssertEqual(s.finish(), want, "\(n) hashes, level \(level)")
            }
        }
    }

    /// On Corpora/near-dups: the manifest's clusters are recovered with
    /// precision and recall ≥ 0.95 over same-cluster pairs (minhash), and
    /// exactly on the copies of Corpora/ (exact method).
    func testNearDuplicateClustersOfTheShippedCorpus() throws {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: corpora.appendingPathComponent("manifest.json"))) as! [String: Any]
        let nd = (manifest["corpora"] as! [[String: Any]]).first { $0["path"] as? String == "near-dups" }!
        var truth = Set<String>()
        for c in nd["clusters"] as! [[String: Any]] {
            let m = (c["members"] as! [String]).sorted()
            for i in 0..<m.count { for j in (i + 1)..<m.count { truth.insert(m[i] + "|" + m[j]) } }
        }
        var o = DedupOptions()
        o.threshold = 0.5
        let r = try Dedup.run(try CorpusInput(path: corpora.appendingPathComponent("near-dups").path), options: o)
        var found = Set<String>()
        for c in r.clusters {
            let m = c.members.map { r.documents[$0.document].name }.sorted()
            for i in 0..<m.count { for j in (i + 1)..<m.count { found.insert(m[i] + "|" + m[j]) } }
        }
        let tp = Double(found.intersection(truth).count)
        XCTAssertGreaterThanOrEqual(tp / Double(found.count), 0.95, "precision")
        XCTAssertGreaterThanOrEqual(tp / Double(truth.count), 0.95, "recall")
        for c in r.clusters {
            // The kept document is the longest member.
            XCTAssertEqual(r.sketches[c.kept].tokens, c.members.map { r.sketches[$0.document].tokens }.max())
        }

        var e = DedupOptions()
        e.method = .exact
        let dir = try temporaryDirectory(self)
        for sub in ["source-a", "copy-a", "source-b"] {
            try FileManager.default.copyItem(at: corpora.appendingPathComponent(sub), to: dir.appendingPathComponent(sub))
        }
        let x = try Dedup.run(try CorpusInput(path: dir.path), options: e)
        XCTAssertEqual(x.clusters.count, 50)
        XCTAssertTrue(
            x.clusters.allSatisfy { c in Set(c.members.map { x.documents[$0.document].name.split(separator: "/")[1] }).count == 1 })
    }

    func testSimHashFindsCloseCopiesOnly() throws {
        var o = DedupOptions()
        o.method = .simhash
        o.hamming = 3
        let dir = try temporaryDirectory(self)
        for sub in ["source-a", "copy-a", "source-b"] {
            try FileManager.default.copyItem(at: corpora.appendingPathComponent(sub), to: dir.appendingPathComponent(sub))
        }
        let r = try Dedup.run(try CorpusInput(path: dir.path), options: o)
        XCTAssertEqual(r.clusters.count, 50)
        for c in r.clusters {
            XCTAssertEqual(c.members.count, 2)
            XCTAssertEqual(c.members.map(\.score), [1, 1])
        }
        XCTAssertEqual(SimHasher.distance(0b1011, 0b0110), 3)
    }

    /// Documents shorter than one shingle are reported as too short and
    /// never as duplicates of each other, even when identical; a document of
    /// one token repeated a million times is sketched in bounded time.
    func testShortAndRepetitiveDocuments() throws {
        let dir = try temporaryDirectory(self)
        try write("tiny text", to: dir.appendingPathComponent("a.txt"))
        try write("tiny text", to: dir.appendingPathComponent("b.txt"))
        try write("...", to: dir.appendingPathComponent("c.txt"))
        try write("...", to: dir.appendingPathComponent("d.txt"))
        try write(String(repeating: "la ", count: 1_000_000), to: dir.appendingPathComponent("e.txt"))
        try write(String(repeating: "la ", count: 999_999), to: dir.appendingPathComponent("f.txt"))
        let r = try Dedup.run(try CorpusInput(path: dir.path), options: DedupOptions())
        XCTAssertEqual(r.tooShort.map { r.documents[$0].name }, ["a.txt", "b.txt", "c.txt", "d.txt"])
        XCTAssertEqual(r.clusters.count, 1)
        XCTAssertEqual(r.clusters[0].members.map { r.documents[$0.document].name }, ["e.txt", "f.txt"])
        XCTAssertEqual(r.sketches[4].shingles.count, 1)
        XCTAssertEqual(r.documents[r.clusters[0].kept].name, "e.txt")
    }

    func testWriteKeptCopiesAllButDuplicates() throws {
        var o = DedupOptions()
        o.threshold = 0.5
        let input = try CorpusInput(path: corpora.appendingPathComponent("near-dups").path)
        let r = try Dedup.run(input, options: o)
        let out = try temporaryDirectory(self).appendingPathComponent("kept")
        let n = try Dedup.writeKept(r, input: input, to: out.path)
        XCTAssertEqual(n, 50 - r.clusters.reduce(0) { $0 + $1.members.count - 1 })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).count, n)
        XCTAssertThrowsError(try Dedup.writeKept(r, input: input, to: out.path)) { e in
            XCTAssertEqual(errorCase(e), "destinationNotEmpty")
        }
        let report = DedupReport(r, corpus: "near-dups", options: o)
        XCTAssertEqual(report.keptDocuments, n)
        XCTAssertTrue(report.csv().split(separator: "\n")[1] == "id,cluster,kept,score")
    }

    /// `--write-kept` with file names that are not UTF-8: each kept file is
    /// copied under its own bytes (its display name has \xNN escapes), also
    /// in a subdirectory and for a JSONL file's kept lines; a removed
    /// duplicate is not written.
    func testWriteKeptKeepsNamesThatAreNotUTF8() throws {
        let dir = try temporaryDirectory(self)
        let root = Array(dir.path.utf8) + [0x2F]
        func create(_ name: [UInt8], _ text: String) throws {
            for (k, b) in name.enumerated() where b == 0x2F {
                _ = FileName.withCString(root + Array(name[..<k])) { mkdir($0, 0o755) }
            }
            let fd = FileName.withCString(root + name) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
            XCTAssertGreaterThanOrEqual(fd, 0)
            try AtomicFile.writeAll(fd: fd, Array(text.utf8), name: "test")
            close(fd)
        }
        func contents(_ name: [UInt8], in base: URL) -> String? {
            Dedup.readWhole("", raw: Array(base.path.utf8) + [0x2F] + name, decompressed: false).map { String(decoding: $0, as: UTF8.self) }
        }
        let x = (0..<60).map { "x\($0 % 17)y\($0)" }.joined(separator: " ")
        let y = (0..<60).map { "p\($0 % 13)q\($0)" }.joined(separator: " ")
        let jsonl =
            #"{"text": "one line of its own words here and there"}"# + "\n" + #"{"text": "another line with other words in it"}"#
            + "\n"
        try create(Array("b".utf8) + [0xFF] + Array(".txt".utf8), x)
        try create(Array("z.txt".utf8), x)
        try create(Array("sub/c".utf8) + [0xFE] + Array(".txt".utf8), y)
        try create(Array("l".utf8) + [0xFD] + Array(".jsonl".utf8), jsonl)
        let input = try CorpusInput(path: dir.path, globs: ["*.txt", "*.jsonl"])
        let r = try Dedup.run(input, options: DedupOptions())
        XCTAssertEqual(r.clusters.count, 1)
        XCTAssertEqual(r.documents.count, 5)
        let out = try temporaryDirectory(self).appendingPathComponent("kept")
        XCTAssertEqual(try Dedup.writeKept(r, input: input, to: out.path), 4)
        XCTAssertEqual(contents(Array("b".utf8) + [0xFF] + Array(".txt".utf8), in: out), x)
        XCTAssertNil(contents(Array("z.txt".utf8), in: out), "the duplicate of b\\xFF.txt")
        XCTAssertEqual(contents(Array("sub/c".utf8) + [0xFE] + Array(".txt".utf8), in: out), y)
        XCTAssertEqual(contents(Array("l".utf8) + [0xFD] + Array(".jsonl".utf8), in: out), jsonl)
    }
}

final class DedupBoilerplateTests: XCTestCase {
    /// Documents sharing only a long template are near-duplicates until the
    /// template is declared boilerplate (a file) or is found in most documents (--max-df).
    func testTemplatesAreNotEvidenceOfDuplication() throws {
        let dir = try temporaryDirectory(self)
        var rng = Xoshiro256(seed: 4)
        func words(_ n: Int) -> String { (0..<n).map { _ in "w\(rng.next(below: 100_000))" }.joined(separator: " ") }
        let template = words(300)
        for i in 0..<120 { try write(template + " " + words(40), to: dir.appendingPathComponent("docs/d\(i).txt")) }
        try write(template, to: dir.appendingPathComponent("boiler/licence.txt"))
        let input = try CorpusInput(path: dir.appendingPathComponent("docs").path)
        var o = DedupOptions()
        o.threshold = 0.5
        let plain = try Dedup.run(input, options: o)
        XCTAssertEqual(plain.clusters.count, 1)
        XCTAssertEqual(plain.clusters[0].members.count, 120)
        var b = o
        b.boilerplate = dir.appendingPathComponent("boiler").path
        XCTAssertTrue(try Dedup.run(input, options: b).clusters.isEmpty)
        var m = o
        m.maxDF = 0.5
        XCTAssertTrue(try Dedup.run(input, options: m).clusters.isEmpty)
    }
}

final class RadixSortTests: XCTestCase {
    /// The gram index's galloping search gives the first position whose
    /// value is at least x, as a linear walk from the same start does, at
    /// every start and for values below, between, on and above the stored ones.
    func testGallopLowerBoundEqualsALinearWalk() {
        var rng = Xoshiro256(seed: 21)
        for n in [0, 1, 2, 3, 7, 64, 2_047] {
            var a = (0..<n).map { _ in rng.next() % 10_000 }
            a.sort()
            var probes: [UInt64] = [0, 10_001, .max]
            for v in a.prefix(50) { probes += [v, v &+ 1, v &- 1] }
            for _ in 0..<50 { probes.append(rng.next() % 10_001) }
            a.withUnsafeBytes { raw in
                for from in Set([0, n / 3, n / 2, max(0, n - 1), n]) {
                    for x in probes {
                        var walk = from
                        while walk < n && a[walk] < x { walk += 1 }
                        XCTAssertEqual(gallopLowerBound(raw, count: n, from: from, x), walk, "n \(n) from \(from) x \(x)")
                    }
                }
            }
        }
    }

    func testRadixSortEqualsStandardSort() {
        var rng = Xoshiro256(seed: 9)
        for n in [0, 1, 5, 70_000, 300_000] {
            var a = (0..<n).map { _ in rng.next() }
            // Some duplicates and some small values.
            if n > 10 {
                for i in 0..<(n / 10) { a[i] = a[n - 1 - i] }
                a[0] = 0
                a[1] = .max
            }
            var b = a
            RadixSort.sortUniformHashes(&a)
            b.sort()
            XCTAssertEqual(a, b, "n = \(n)")
        }
        var d: [UInt64] = [5, 3, 5, 1, 3]
        let idx = NGramIndex(consuming: &d)
        XCTAssertEqual(idx.hashes, [1, 3, 5])
        XCTAssertTrue(idx.contains(3))
        XCTAssertFalse(idx.contains(4))
    }

    /// The hash sort agrees with the standard library's sort on uniform,
    /// clustered and repeated values, at every size around its cut-offs,
    /// and on values made to defeat it: a third of them sharing their top
    /// 48 bits (its insertion pass gives up and sorts those ties on the
    /// bits below), all equal, two values alternating, and descending.
    func testSortHashesEqualsSort() {
        var rng = Xoshiro256(seed: 11)
        var scratch: [UInt64] = []
        for n in [0, 1, 2, 31, 32, 33, 64, 100, 1000, 5000, 70000, 152_000, 1 << 20] {
            for kind in 0..<7 {
                var a: [UInt64] = (0..<n).map { i in
                    switch kind {
                    case 0: return rng.next()
                    case 1: return rng.next() % 17  // all in the lowest bucket, many repeats
                    case 2: return rng.next() >> 40  // clustered high bits
                    case 3: return i % 3 == 0 ? 0x1234 << 48 | rng.next() >> 16 : rng.next()
                    case 4: return 0xDEAD_BEEF
                    case 5: return i % 2 == 0 ? .max : 0
                    default: return UInt64.max - UInt64(i) &* 0x9E37_79B9
                    }
                }
                let expected = a.sorted()
                RadixSort.sortHashes(&a, scratch: &scratch)
                XCTAssertEqual(a, expected, "n \(n), kind \(kind)")
            }
        }
    }

    /// `sortedUnique` agrees with the standard sort (and sort-then-drop-
    /// repeats) with the parts sorted (a document's n-grams) or not and
    /// repeats across parts; and its sort of one bucket (values sharing
    /// their top 10 bits) agrees at every size from 2 values to 40,000,
    /// with repeats.
    func testSortedUniqueAtEveryBucketSize() {
        var rng = Xoshiro256(seed: 14)
        for n in [5000, 300_000, 2_500_000] {
            var a = (0..<n).map { _ in rng.next() }
            for i in stride(from: 0, to: n, by: 7) { a[i] = a[(i * 31) % n] }
            let expected = a.sorted()
            var unique = expected
            RadixSort.compact(&unique)
            let third = n / 3
            var parts = [Array(a[0..<third]).sorted(), Array(a[third..<(2 * third)]), Array(a[(2 * third)...]).sorted()]
            XCTAssertEqual(RadixSort.sortedUnique(parts: &parts, unique: false), expected, "n \(n)")
            parts = [Array(a[0..<third]), Array(a[third...])]
            XCTAssertEqual(RadixSort.sortedUnique(parts: &parts, threads: 1), unique, "n \(n), unique")
        }
        var scratch: [UInt64] = []
        for n in [2, 3, 20, 300, 2250, 9000, 16385, 40000] {
            var a = (0..<n).map { _ in 0x2A << 54 | rng.next() >> 10 }
            for i in stride(from: 0, to: n, by: 5) { a[i] = a[(i * 13) % n] }
            let expected = a.sorted()
            a.withUnsafeMutableBufferPointer { RadixSort.sortBucket($0, scratch: &scratch) }
            XCTAssertEqual(a, expected, "bucket of \(n)")
        }
    }

    /// The sort by the high 32 bits orders like a stable sort by them (the
    /// low halves of equal high halves keep their order), whichever of the
    /// four bytes vary: ids below 2⁸, 2¹⁶, 2²⁴, any, and all equal.
    func testSortByHigh32IsAStableSortByTheHighHalf() {
        var rng = Xoshiro256(seed: 12)
        var scratch: [UInt64] = []
        for n in [0, 1, 2, 100, 5000, 70000] {
            for bits: UInt64 in [0, 8, 16, 24, 32] {
                var a: [UInt64] = (0..<n).map { _ in
                    let high = bits == 0 ? 7 : rng.next() >> (64 - bits)
                    return high << 32 | (rng.next() & 0xFFFF_FFFF)
                }
                // A stable sort by the high half, written out: a stable
                // counting of positions by (high, original index).
                let expected = a.enumerated().sorted { ($0.element >> 32, $0.offset) < ($1.element >> 32, $1.offset) }.map(\.element)
                RadixSort.sortByHigh32(&a, scratch: &scratch)
                XCTAssertEqual(a, expected, "n \(n), \(bits) bits")
            }
        }
    }

    /// `orderByKeys` gives the indices a stable sort by key gives (written
    /// out here as a sort by (key, index)), for uniform keys, keys that vary
    /// in one byte only, big-endian token prefixes with many repeats, all
    /// keys equal, and the smallest sizes.
    func testOrderByKeysIsAStableSortOfTheIndices() {
        var rng = Xoshiro256(seed: 13)
        for n in [0, 1, 2, 3, 1000, 50013] {
            for kind in 0..<4 {
                let keys: [UInt64] = (0..<n).map { _ in
                    switch kind {
                    case 0: return rng.next()
                    case 1: return (rng.next() & 0xFF) << 40
                    case 2: return UInt64(0x6162_6300_0000_0000) | (rng.next() % 7) << 32
                    default: return 42
                    }
                }
                let expected = keys.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }
                XCTAssertEqual(RadixSort.orderByKeys(keys), expected, "n \(n), kind \(kind)")
            }
        }
    }

    /// Hashes crafted to share their top 22 bits (one bucket of the first
    /// pass, one of the second): sorted like the standard sort, and by
    /// comparison inside the crowded buckets (this took seconds in a debug
    /// build when the insertion pass sorted them).
    func testSortingOfCrowdedHashes() {
        var rng = Xoshiro256(seed: 12)
        var scratch: [UInt64] = []
        let top: UInt64 = 0xABCD_E400_0000_0000
        for n in [33, 300, 5000, 50000] {
            var a = (0..<n).map { _ in top | (rng.next() & ((1 << 42) - 1)) }
            a += a.prefix(n / 10)  // repeats
            let expected = a.sorted()
            var parts = [Array(a.prefix(n / 2)), Array(a.dropFirst(n / 2))]
            XCTAssertEqual(RadixSort.sortedUnique(parts: &parts, unique: false), expected, "sortedUnique, n \(n)")
            var unique = expected
            RadixSort.compact(&unique)
            parts = [a]
            XCTAssertEqual(RadixSort.sortedUnique(parts: &parts), unique, "sortedUnique unique, n \(n)")
            RadixSort.sortHashes(&a, scratch: &scratch)
            XCTAssertEqual(a, expected, "sortHashes, n \(n)")
        }
    }

    /// Batched reading splits a directory (whose walk leaves file sizes
    /// unknown) into batches of about `batchBytes`, and the documents come
    /// out in the order one whole read gives, JSONL line numbers included.
    func testReadInBatchesSplitsAndKeepsOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-batches-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 0..<60 {
            try String(repeating: "word\(i) ", count: 2000).write(
                to: dir.appendingPathComponent(String(format: "f%03d.txt", 59 - i)), atomically: true, encoding: .utf8)
        }
        let lines = (1...300).map { #"{"text": "line \#($0) of the file"}"# }.joined(separator: "\n")
        try lines.write(to: dir.appendingPathComponent("m.jsonl"), atomically: true, encoding: .utf8)
        let input = try CorpusInput(path: dir.path, globs: ["*.txt", "*.jsonl"])
        let whole = try CorpusReader.read(input, options: ReadOptions(threads: 2)) { CountingWorker(tokenizer: .word) }
        for w in whole.workers { w.release() }
        var names: [String] = []
        var batches = 0
        let totals = try CorpusReader.readInBatches(input, options: ReadOptions(threads: 2), batchBytes: 40_000) {
            CountingWorker(tokenizer: .word)
        } consume: { scan in
            batches += 1
            names += scan.documents.map(\.name)
            XCTAssertEqual(scan.documents.count, scan.outputs.count)
        }
        XCTAssertEqual(names, whole.documents.map(\.name))
        XCTAssertEqual(totals.documents, 360)
        XCTAssertGreaterThanOrEqual(batches, 20, "about 16 kB a file in batches of 40 kB")
        XCTAssertTrue(names.contains("m.jsonl:300"))
    }

    /// Batches ramp up and taper off: a quarter of the batch size first,
    /// then full batches, then half of what is left (at least an eighth)
    /// once less than two batches remain; without known sizes, no taper.
    func testBatchesRampUpAndTaperOff() throws {
        let mb = 1 << 20
        XCTAssertEqual(CorpusReader.batchTarget(.max, first: true, remaining: 100 * mb), .max)
        XCTAssertEqual(CorpusReader.batchTarget(16 * mb, first: true, remaining: 100 * mb), 4 * mb)
        XCTAssertEqual(CorpusReader.batchTarget(16 * mb, first: false, remaining: 100 * mb), 16 * mb)
        XCTAssertEqual(CorpusReader.batchTarget(16 * mb, first: false, remaining: 20 * mb), 10 * mb)
        XCTAssertEqual(CorpusReader.batchTarget(16 * mb, first: false, remaining: 3 * mb), 2 * mb)
        XCTAssertEqual(CorpusReader.batchTarget(16 * mb, first: false, remaining: nil), 16 * mb)
        // 40 files of 10,000 bytes listed with their sizes (as `sketch`'s
        // survey lists them), in batches of 80,000 bytes: 20,000 first
        // (2 files), then 80,000 (8 files) while 160,000 or more remain,
        // then half of what remains, at least 10,000.
        let dir = try temporaryDirectory(self)
        for i in 0..<40 {
            try write(String(repeating: "abcd ", count: 2_000), to: dir.appendingPathComponent(String(format: "f%02d.txt", i)))
        }
        let input = try CorpusInput(path: dir.path)
        var files: [Int] = []
        try CorpusSurvey.withListingsKept {
            _ = try CorpusSurvey.storedBytes(input)
            _ = try CorpusReader.readInBatches(input, options: ReadOptions(threads: 2), batchBytes: 80_000) {
                CountingWorker(tokenizer: .word)
            } consume: { scan in
                files.append(scan.documents.count)
            }
        }
        // Remaining after each batch: 380,000, 300,000, 220,000, 140,000
        // (now < 160,000: half, 70,000 = 7 files), 70,000 (35,000: 4 files),
        // 30,000 (15,000: 2 files), 10,000 (10,000: 1 file).
        XCTAssertEqual(files, [2, 8, 8, 8, 7, 4, 2, 1])
    }

    /// `index add`'s shortcut: a file whose stored digest equals its text's
    /// (SHA-256 of the text, also when the file is gzip-compressed, or
    /// HMAC-SHA-256 under a key) never reaches the worker and is counted as
    /// unchanged; a stale digest, or a name with none, is read as usual.
    func testUnchangedDocumentsAreNotReadByTheWorker() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-unchanged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = ["a.txt": "alpha beta gamma", "b.txt": "delta epsilon", "c.txt": "zeta eta theta iota", "d.txt": "kappa"]
        for (name, text) in texts { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        // e.txt.gz: `printf 'lambda mu\n' | gzip -n`, read as the text "lambda mu\n".
        let gz: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x49, 0xcc, 0x4d, 0x4a, 0x49, 0x54, 0xc8, 0x2d, 0xe5,
            0x02, 0x00, 0x98, 0x71, 0x19, 0x51, 0x0a, 0x00, 0x00, 0x00,
        ]
        try Data(gz).write(to: dir.appendingPathComponent("e.txt.gz"))
        let input = try CorpusInput(path: dir.path, globs: ["*.txt", "*.txt.gz"])
        func digest(_ s: String, key: FingerprintKey?) -> [UInt8] {
            if let key {
                var h = key.textDigest()
                Array(s.utf8).withUnsafeBufferPointer { h.update($0) }
                return h.digest()
            }
            var h = SHA256()
            h.update(Array(s.utf8))
            return h.digest()
        }
        let key = FingerprintKey(bytes: [UInt8](repeating: 7, count: 32))
        for k in [nil, key] as [FingerprintKey?] {
            let stored = [
                "a.txt": digest("alpha beta gamma", key: k), "b.txt": digest("something else", key: k),
                "e.txt.gz": digest("lambda mu\n", key: k),
            ]
            var options = ReadOptions(threads: 2)
            options.unchanged = UnchangedDocuments(key: k) { stored[$0] }
            var names: [String] = []
            var tokens = 0
            let totals = try CorpusReader.readInBatches(input, options: options, batchBytes: 1 << 20) {
                CountingWorker(tokenizer: .word)
            } consume: { scan in
                names += scan.documents.map(\.name)
                tokens += scan.outputs.reduce(0) { $0 + $1.output.tokens }
            }
            XCTAssertEqual(names, ["b.txt", "c.txt", "d.txt"], "key \(k != nil)")
            XCTAssertEqual(totals.unchanged, 2)
            XCTAssertEqual(totals.documents, 3)
            XCTAssertEqual(tokens, 2 + 4 + 1)
        }
    }
}

/// Writes to an existing fingerprint file (`index add`) on two threads.
final class IndexWriteTests: XCTestCase {
    /// `index add` in many batches where every batch replaces documents
    /// (the writer's thread subtracts their counts) while the reading thread
    /// maps the next batch's new tokens: the vocabulary's counts and document
    /// frequencies equal the test's own count of the texts, and the gram
    /// index holds exactly the documents' 13-grams. (9c5eaeb looked the
    /// removed documents' ids up in the array the reading thread appends to:
    /// "Index out of range" in 3 of 4 such runs.)
    func testReplacementsInManyBatchesWhileNewTokensArrive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-replace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("c")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        var state: UInt64 = 42
        func word() -> String {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return "w\((state >> 33) % 3000)"
        }
        var texts = (0..<300).map { _ in (0..<300).map { _ in word() }.joined(separator: " ") }
        func write() throws {
            for (k, t) in texts.enumerated() {
                try t.write(to: corpus.appendingPathComponent(String(format: "d%03d.txt", k)), atomically: true, encoding: .utf8)
            }
        }
        try write()
        let path = dir.appendingPathComponent("i.fp").path
        var o = SketchOptions()
        o.read = ReadOptions(threads: 2)
        o.batchBytes = 8_000
        let input = try CorpusInput(path: corpus.path)
        try FingerprintStore.sketch(input, to: path, options: o)
        for round in 1...2 {
            // Every document changes, and gains words no batch before it had.
            for k in texts.indices { texts[k] += " " + (0..<5).map { "new\(round)x\(k)y\($0)" }.joined(separator: " ") }
            try write()
            let file = try FingerprintFile(path: path, writable: true)
            let change = try FingerprintStore.add(input, to: file, options: o)
            XCTAssertEqual(change.replaced, texts.count, "round \(round)")
            // The vocabulary against the texts.
            var want: [String: (count: Int, documents: Int)] = [:]
            for t in texts {
                var mine: [String: Int] = [:]
                for w in t.split(separator: " ") { mine[String(w), default: 0] += 1 }
                for (w, c) in mine {
                    let before = want[w, default: (0, 0)]
                    want[w] = (before.count + c, before.documents + 1)
                }
            }
            var got: [String: (count: Int, documents: Int)] = [:]
            let v = try file.database.prepare("SELECT token, count, documents FROM vocabulary WHERE count > 0 OR documents > 0")
            while try v.step() { got[String(decoding: v.bytes(0), as: UTF8.self)] = (v.int(1), v.int(2)) }
            XCTAssertEqual(got.count, want.count, "round \(round)")
            for (w, c) in want where got[w]?.count != c.count || got[w]?.documents != c.documents {
                XCTFail("round \(round): '\(w)' \(String(describing: got[w])) against \(c)")
                break
            }
            // The gram index: every stored 13-gram in it, and nothing else of what was stored before.
            var now = Set<UInt64>()
            let g = try file.database.prepare("SELECT grams13 FROM documents")
            while try g.step() { now.formUnion(g.array(0, of: UInt64.self)!) }
            var probes = Array(now)
            for k in 0..<20 { probes.append(UInt64(k) &* 0x9E37_79B9_7F4A_7C15) }
            probes = Array(Set(probes)).sorted()
            let present = try file.storedGramsPresent(probes)!
            XCTAssertEqual(zip(probes, present).filter { $0.1 }.map(\.0), probes.filter { now.contains($0) }, "round \(round)")
        }
    }

    /// The band index holds exactly each document's band keys, recomputed
    /// from its stored signature: after a sketch in many batches of
    /// documents of which many share band keys (near and exact copies),
    /// after an `index add` that adds to it and replaces some of it, after
    /// a removal, and after its runs are merged.
    func testTheBandIndexHoldsEveryDocumentsBandKeys() throws {
        let dir = try temporaryDirectory(self)
        var state: UInt64 = 5
        func word() -> String {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return "w\((state >> 33) % 5000)"
        }
        func jsonl(_ texts: [String]) -> String {
            texts.map { "{\"text\": \"\($0)\"}" }.joined(separator: "\n") + "\n"
        }
        var texts = (0..<300).map { _ in (0..<40).map { _ in word() }.joined(separator: " ") }
        for k in 0..<300 {
            var w = texts[k].split(separator: " ").map(String.init)
            w[k % 40] = "changed\(k)"
            texts.append(w.joined(separator: " "))
        }
        texts += texts.prefix(100)
        texts += (0..<7).map { "short text \($0)" }
        let first = dir.appendingPathComponent("first.jsonl")
        try write(jsonl(texts), to: first)
        let path = dir.appendingPathComponent("b.fp").path
        var o = SketchOptions()
        o.read = ReadOptions(threads: 2)
        o.batchBytes = 5_000
        try FingerprintStore.sketch(try CorpusInput(path: first.path), to: path, options: o)

        // Every band key any stage's documents held: a look-up of them all
        // finds the documents that hold them now and no others (a removed
        // or replaced document's keys find nothing, or another document
        // that holds the same key).
        var seen = Set<[UInt64]>()
        func check(_ stage: String, documents signed: Int) throws {
            let file = try FingerprintFile(path: path)
            let banding = LSHBanding(bands: file.parameters.bands, rows: file.parameters.rows)
            var want: [String] = []
            var keys = Set<[UInt64]>()
            let d = try file.database.prepare("SELECT id, minhash, shingle_tokens FROM documents")
            var documents = 0
            while try d.step() {
                guard d.int(2) >= file.parameters.shingle else { continue }
                documents += 1
                let bandKeys = FingerprintWriter.bandKeys(d.array(1, of: UInt32.self)!, banding)
                for (band, h) in bandKeys.enumerated() {
                    want.append("\(band) \(h) \(d.int64(0))")
                    keys.insert([UInt64(band), h])
                }
            }
            seen.formUnion(keys)
            let all = seen.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
            let held = try file.storedBandDocuments(all.map { (Int($0[0]), $0[1]) })
            var got: [String] = []
            for (k, rows) in zip(all, held) { got += rows.map { "\(k[0]) \(k[1]) \($0)" } }
            XCTAssertEqual(documents, signed, stage)
            XCTAssertEqual(got.count, documents * banding.bands, stage)
            XCTAssertEqual(got.sorted(), want.sorted(), stage)
            // Copies share keys (50 exact copies throughout).
            XCTAssertLessThanOrEqual(keys.count, got.count - 50 * banding.bands, stage)
        }
        try check("sketch", documents: 700)
        // New documents, and the first file's first 50 changed.
        let file = try FingerprintFile(path: path, writable: true)
        for k in 0..<50 { texts[k] += " " + word() }
        try write(jsonl(texts), to: first)
        XCTAssertEqual(try FingerprintStore.add(try CorpusInput(path: first.path), to: file, options: o).replaced, 50)
        let second = dir.appendingPathComponent("second.jsonl")
        try write(jsonl((0..<150).map { _ in (0..<30).map { _ in word() }.joined(separator: " ") }), to: second)
        XCTAssertEqual(try FingerprintStore.add(try CorpusInput(path: second.path), to: file, options: o).added, 150)
        try check("index add", documents: 850)
        // Removed: 100 of the first file's near copies, then 17 more writes
        // of one document each, so that runs are merged.
        let names = (0..<100).map { "first.jsonl:\(301 + 3 * $0)" }
        XCTAssertEqual(try FingerprintStore.remove(names, from: file, key: nil).removed, 100)
        try check("index remove", documents: 750)
        for k in 0..<17 {
            let one = dir.appendingPathComponent("one\(k).jsonl")
            try write(jsonl([(0..<30).map { _ in word() }.joined(separator: " ")]), to: one)
            XCTAssertEqual(try FingerprintStore.add(try CorpusInput(path: one.path), to: file, options: o).added, 1)
        }
        // A run a write (sketch, two adds, the removal, then one each): the
        // 13th single write made 17, merged into 8 (the 10 smallest into
        // one); 4 more make 12.
        XCTAssertEqual(try file.database.integer("SELECT count(DISTINCT run) FROM band_blocks"), 12)
        try check("17 more writes", documents: 767)
    }

    /// The rows stage never lets a document replace one this same write
    /// stored: a second document under a name already written in the run
    /// is a counted skip and the first stays (no input names two documents
    /// alike today: the listing skips the two ways it could happen). A later
    /// write replaces it as usual.
    func testADocumentNamedAsOneThisWriteStoredIsASkip() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("w.fp").path
        let p = SketchOptions().parameters
        let file = try FingerprintFile.create(path: path, parameters: p)
        let hasher = MinHasher(perms: p.permutations, seed: p.seed)
        func rows(_ writer: FingerprintWriter, _ docs: [(String, String)]) -> RowStage.Batch {
            var worker = FileSketchWorker(tokenizer: .word, shingle: p.shingle, hasher: hasher, key: nil)
            return RowStage.Batch(
                docs.map { name, text in
                    Array(text.utf8).withUnsafeBufferPointer { worker.feed($0) }
                    let sketch = worker.finish()
                    return writer.row(
                        DocumentInfo(name: name, path: name, line: nil, bytes: text.utf8.count), sketch, worker: 0,
                        table: worker.counting.localTable)
                })
        }
        let first = "one two three four five six seven"
        let second = "eight nine ten eleven twelve thirteen fourteen"
        func digest(_ text: String) -> [UInt8] {
            var h = SHA256()
            h.update(Array(text.utf8))
            return h.digest()
        }
        func stored() throws -> [String: [UInt8]] {
            var out: [String: [UInt8]] = [:]
            let s = try file.database.prepare("SELECT name, digest FROM documents")
            while try s.step() { out[s.string(0)!] = s.bytes(1) }
            return out
        }
        try file.writing {
            let writer = try FingerprintWriter(file: file, key: nil)
            let stage = try RowStage(writer: writer, namePrefix: "")
            stage.write(rows(writer, [("x", first), ("y", second), ("x", second)]))
            if let failure = stage.failure { throw failure }
            try writer.finish()
            XCTAssertEqual(stage.added, 2)
            XCTAssertEqual(stage.replaced, 0)
            XCTAssertEqual(stage.collisions.map(\.path), ["x"])
        }
        XCTAssertEqual(try stored(), ["x": digest(first), "y": digest(second)])
        try file.writing {
            let writer = try FingerprintWriter(file: file, key: nil)
            let stage = try RowStage(writer: writer, namePrefix: "")
            stage.write(rows(writer, [("x", second)]))
            if let failure = stage.failure { throw failure }
            try writer.finish()
            XCTAssertEqual(stage.replaced, 1)
            XCTAssertEqual(stage.collisions.count, 0)
        }
        XCTAssertEqual(try stored(), ["x": digest(second), "y": digest(second)])
    }
}

/// A new fingerprint file's page size follows its input
/// (`FingerprintFile.pageSize(forInputBytes:)`): 4 KB pages below 4 MB of
/// stored input, whether a file or a directory, so that a small corpus does
/// not take a 64 KB page a table; 64 KB pages at or above it; `merge` by
/// the sizes of its inputs.
/// Whatever the pages, a document is stored the same.
final class PageSizeTests: XCTestCase {
    func pageSize(_ path: String) throws -> Int {
        Int(try XCTUnwrap(try FingerprintFile(path: path).database.integer("PRAGMA page_size")))
    }

    func testPagesFollowTheInputsStoredSize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-pages-\(UUID().uuidString)")
        let small = dir.appendingPathComponent("small")
        let large = dir.appendingPathComponent("large")
        for d in [small, large] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(at: dir) }
        var state: UInt64 = 7
        func text(words: Int) -> String {
            (0..<words).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return "w\((state >> 33) % 5000)"
            }.joined(separator: " ")
        }
        for k in 0..<3 { try text(words: 2000).write(to: small.appendingPathComponent("s\(k).txt"), atomically: true, encoding: .utf8) }
        // Five files of about 0.9 MB: 4.5 MB in all, none of them 4 MB.
        for k in 0..<5 { try text(words: 150_000).write(to: large.appendingPathComponent("l\(k).txt"), atomically: true, encoding: .utf8) }
        let largeBytes = try FileManager.default.contentsOfDirectory(atPath: large.path).reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: large.appendingPathComponent($1).path)[.size] as! Int)
        }
        XCTAssertGreaterThanOrEqual(largeBytes, FingerprintFile.smallInput)

        let o = SketchOptions()
        func sketch(_ input: String, _ name: String) throws -> String {
            let out = dir.appendingPathComponent(name).path
            try FingerprintStore.sketch(try CorpusInput(path: input), to: out, options: o)
            return out
        }
        XCTAssertEqual(try pageSize(try sketch(small.path, "small.fp")), 4096)
        XCTAssertEqual(try pageSize(try sketch(small.appendingPathComponent("s0.txt").path, "one.fp")), 4096)
        XCTAssertEqual(try pageSize(try sketch(large.path, "large.fp")), 65536)
        XCTAssertEqual(try pageSize(try sketch(large.appendingPathComponent("l0.txt").path, "l0.fp")), 4096, "one 0.9 MB file")

        // merge: by the bytes of the files it merges.
        let a = try sketch(small.appendingPathComponent("s1.txt").path, "a.fp")
        let both = dir.appendingPathComponent("both.fp").path
        try FingerprintStore.merge([dir.appendingPathComponent("one.fp").path, a], to: both)
        XCTAssertEqual(try pageSize(both), 4096)
        let big = dir.appendingPathComponent("big.fp").path
        try FingerprintStore.merge([dir.appendingPathComponent("large.fp").path, a], to: big)
        XCTAssertEqual(try pageSize(big), 65536)

        // The same document whatever the pages: l0.txt in the 64 KB file of
        // its directory and in the 4 KB file of its own.
        var stored: [String: StoredDocument] = [:]
        for path in [dir.appendingPathComponent("large.fp").path, dir.appendingPathComponent("l0.fp").path] {
            try FingerprintFile(path: path).forEachDocument { _, d in
                guard d.info.name == "l0.txt" else { return }
                stored[path] = d
            }
        }
        XCTAssertEqual(stored.count, 2)
        let (x, y) = (try XCTUnwrap(stored.values.first), try XCTUnwrap(stored.values.dropFirst().first))
        XCTAssertEqual(x.shingles, y.shingles)
        XCTAssertEqual(x.grams, y.grams)
        XCTAssertEqual(x.minhash, y.minhash)
        XCTAssertEqual(x.tokens, y.tokens)
        XCTAssertFalse(x.shingles.isEmpty)
    }
}

/// `index add` looks up the stored digest of each document it reads
/// (`FingerprintStore.StoredDigests`): one name at a time on a connection
/// of its own in a WAL file, which still sees a document the writer's
/// open transaction has deleted; from a table loaded first in a file of
/// another journal mode; from any number of threads at once.
final class StoredDigestsTests: XCTestCase {
    func testLookUpsSeeTheFileAsItWasBeforeTheWrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-digests-\(UUID().uuidString)")
        let corpus = dir.appendingPathComponent("c")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = (0..<40).map { String(format: "d%02d.txt", $0) }
        for (k, n) in names.enumerated() {
            try "text number \(k) of the test corpus, and some more words".write(
                to: corpus.appendingPathComponent(n), atomically: true, encoding: .utf8)
        }
        let path = dir.appendingPathComponent("c.fp").path
        try FingerprintStore.sketch(try CorpusInput(path: corpus.path), to: path, options: SketchOptions())
        let file = try FingerprintFile(path: path, writable: true)
        var expected: [String: [UInt8]] = [:]
        try file.forEachDocument { _, d in expected[d.info.name] = d.digest }
        XCTAssertEqual(Set(expected.keys), Set(names))
        XCTAssertEqual(Set(expected.values.map { $0 }).count, names.count, "distinct texts, distinct digests")

        func check(_ digests: FingerprintStore.StoredDigests, _ what: String) {
            DispatchQueue.concurrentPerform(iterations: 4) { t in
                for (k, n) in names.enumerated() where k % 4 == t {
                    XCTAssertEqual(digests.digest(n), expected[n], "\(what): \(n)")
                }
                XCTAssertNil(digests.digest("absent-\(t).txt"), what)
            }
        }
        // WAL, as sketch leaves it; the writer's uncommitted delete is not seen.
        do {
            let wal = try FingerprintStore.StoredDigests(file)
            struct RolledBack: Error {}
            XCTAssertThrowsError(
                try file.writing {
                    try file.database.execute("DELETE FROM documents WHERE name = 'd07.txt'")
                    XCTAssertEqual(try file.documentCount(), names.count - 1)
                    check(wal, "WAL, during a write")
                    throw RolledBack()
                })
            check(wal, "WAL")
        }

        // Another journal mode (switched to with no other connection open): loaded first.
        try file.database.execute("PRAGMA journal_mode=DELETE")
        check(try FingerprintStore.StoredDigests(file), "DELETE journal")

        // An empty file: nothing to look up.
        let empty = try FingerprintFile.create(path: dir.appendingPathComponent("e.fp").path, parameters: file.parameters)
        XCTAssertNil(try FingerprintStore.StoredDigests(empty).digest("d00.txt"))
    }
}
