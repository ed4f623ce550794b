import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

final class SynthTests: XCTestCase {
    static let docs = 24
    static let words = 220

    /// One generated set shared by the tests that only read it.
    static let shared: (manifest: SynthManifest, files: [String: [UInt8]]) = {
        try! CorpusGenerator(seed: 11).inMemory(documentsPerCorpus: docs, wordsPerDocument: words)
    }()

    var manifest: SynthManifest { Self.shared.manifest }
    var files: [String: [UInt8]] { Self.shared.files }

    func file(_ corpus: String, _ name: String) -> [UInt8] {
        guard let f = files[corpus + "/" + name] else {
            XCTFail("missing \(corpus)/\(name)")
            return []
        }
        return f
    }

    func names(_ corpus: String) -> [String] {
        files.keys.filter { $0.hasPrefix(corpus + "/") }.map { String($0.dropFirst(corpus.count + 1)) }.sorted()
    }

    func lowerWords(_ bytes: [UInt8]) -> [String] {
        CorpusGenerator.wordSpans(bytes).map { String(decoding: bytes[$0], as: UTF8.self).lowercased() }
    }

    // MARK: - Word list and source model

    func testWordListIsLargeDistinctLowercaseASCII() {
        let w = WordList.english
        XCTAssertGreaterThanOrEqual(w.count, 2000)
        XCTAssertEqual(Set(w).count, w.count)
        for word in w {
            XCTAssertFalse(word.isEmpty)
            XCTAssertTrue(word.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }, word)
        }
    }

    func testDocumentShape() {
        let model = SourceModel(seed: 5, name: "A")
        var rng = Xoshiro256(seed: 1)
        for n in [10, 11, 15, 137, 400] {
            let doc = Array(model.document(words: n, rng: &rng).utf8)
            XCTAssertEqual(CorpusGenerator.wordSpans(doc).count, n)
            XCTAssertTrue(doc[0] >= 0x41 && doc[0] <= 0x5A, "starts with a capital")
            XCTAssertEqual(doc.last, 0x0A)
            XCTAssertTrue([UInt8(ascii: "."), UInt8(ascii: "?"), UInt8(ascii: "!")].contains(doc[doc.count - 2]))
            XCTAssertFalse(doc.contains(0x0D))
        }
        // Mean sentence length about 15 words.
        var r2 = Xoshiro256(seed: 2)
        let long = Array(model.document(words: 30000, rng: &r2).utf8)
        let sentences = long.filter { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "!") }.count
        let mean = 30000.0 / Double(sentences)
        XCTAssertEqual(mean, 15, accuracy: 0.5)
    }

    func testSourcesDifferByNameAndSeed() {
        let a = SourceModel(seed: 1, name: "A")
        let b = SourceModel(seed: 1, name: "B")
        let a2 = SourceModel(seed: 2, name: "A")
        XCTAssertNotEqual(a.wordAtRank, b.wordAtRank)
        XCTAssertNotEqual(a.wordAtRank, a2.wordAtRank)
        XCTAssertEqual(a.wordAtRank, SourceModel(seed: 1, name: "A").wordAtRank)
        XCTAssertEqual(Set(a.wordAtRank).count, WordList.english.count, "a permutation of the word list")
        for s in [a, b, a2] {
            XCTAssertGreaterThanOrEqual(s.exponent, 1.0)
            XCTAssertLessThanOrEqual(s.exponent, 1.2)
        }
    }

    /// Zipf sampling: P(rank r) ∝ r^(−s). Chi-square over the top 40 ranks
    /// plus one bin for the rest (df = 40; the 0.1% critical value is 73.4),
    /// and the empirical frequency of rank 1 against its probability.
    func testZipfSamplingFollowsTheDistribution() {
        let model = SourceModel(seed: 3, name: "Zipf")
        // Probabilities are a normalised power law.
        var total = 0.0
        for r in 0..<model.wordAtRank.count { total += model.probability(rank: r) }
        XCTAssertEqual(total, 1, accuracy: 1e-9)
        XCTAssertEqual(model.probability(rank: 0) / model.probability(rank: 1), pow(2, model.exponent), accuracy: 1e-9)
        XCTAssertEqual(model.probability(rank: 9) / model.probability(rank: 99), pow(10, model.exponent), accuracy: 1e-9)

        let draws = 200_000
        let bins = 40
        var counts = [Int](repeating: 0, count: bins + 1)
        var rng = Xoshiro256(seed: 99)
        for _ in 0..<draws {
            let r = model.sampleRank(&rng)
            counts[min(r, bins)] += 1
        }
        var chi2 = 0.0
        var tailP = 1.0
        for r in 0..<bins {
            let e = Double(draws) * model.probability(rank: r)
            tailP -= model.probability(rank: r)
            chi2 += (Double(counts[r]) - e) * (Double(counts[r]) - e) / e
        }
        let eTail = Double(draws) * tailP
        chi2 += (Double(counts[bins]) - eTail) * (Double(counts[bins]) - eTail) / eTail
        XCTAssertLessThan(chi2, 73.4, "chi-square \(chi2) on 40 df")
        // Rank order holds at the head.
        XCTAssertGreaterThan(counts[0], counts[1])
        XCTAssertGreaterThan(counts[1], counts[4])
        // sampleWord maps ranks to words.
        var r1 = Xoshiro256(seed: 5)
        var r2 = Xoshiro256(seed: 5)
        for _ in 0..<100 { XCTAssertEqual(model.sampleWord(&r1), model.wordAtRank[model.sampleRank(&r2)]) }
    }

    // MARK: - Determinism

    func testSameSeedSameBytes() throws {
        let again = try CorpusGenerator(seed: 11, threads: 1).inMemory(documentsPerCorpus: Self.docs, wordsPerDocument: Self.words)
        XCTAssertEqual(again.files, files)
        XCTAssertEqual(again.manifest, manifest)
        XCTAssertEqual(try again.manifest.encoded(), try manifest.encoded())
        // In-memory helper reproduces the source-a files.
        let gen = CorpusGenerator(seed: 11)
        let docs = gen.documents(source: gen.sourceA, count: Self.docs, words: Self.words, stream: CorpusGenerator.Stream.sourceA)
        for (i, d) in docs.enumerated() {
            XCTAssertEqual(Array(d.utf8), file("source-a", CorpusGenerator.fileName(i, count: Self.docs)))
        }
    }

    func testDifferentSeedDifferentBytes() throws {
        let other = try CorpusGenerator(seed: 12).inMemory(documentsPerCorpus: Self.docs, wordsPerDocument: Self.words)
        XCTAssertEqual(Set(other.files.keys), Set(files.keys))
        for corpus in CorpusGenerator.corpusPaths {
            XCTAssertNotEqual(other.files[corpus + "/doc0001.txt"], files[corpus + "/doc0001.txt"], corpus)
        }
    }

    func testManifestShape() throws {
        XCTAssertEqual(manifest.schema, "fingerprint.synth/1")
        XCTAssertEqual(manifest.seed, 11)
        XCTAssertEqual(manifest.corpora.map(\.path), CorpusGenerator.corpusPaths)
        for c in manifest.corpora {
            let ns = names(c.path)
            XCTAssertEqual(ns.count, Self.docs, c.path)
            XCTAssertEqual(c.files, ns.count, c.path)
            XCTAssertEqual(c.bytes, ns.reduce(0) { $0 + file(c.path, $1).count }, c.path)
            XCTAssertEqual(c.words, ns.reduce(0) { $0 + CorpusGenerator.wordSpans(file(c.path, $1)).count }, c.path)
        }
        XCTAssertEqual(manifest.totalFiles, files.count)
        XCTAssertEqual(manifest.totalBytes, files.values.reduce(0) { $0 + $1.count })
        let json = try manifest.encoded()
        XCTAssertTrue(json.contains("\"schema\" : \"fingerprint.synth/1\""))
        XCTAssertEqual(try SynthManifest.decode(Data(json.utf8)), manifest)
    }

    // MARK: - Relations

    func testCopyIsIdenticalToSource() {
        XCTAssertEqual(names("copy-a"), names("source-a"))
        for n in names("source-a") { XCTAssertEqual(file("copy-a", n), file("source-a", n)) }
        XCTAssertEqual(manifest.corpus("copy-a")?.relation, "copy")
        XCTAssertEqual(manifest.corpus("copy-a")?.base, "source-a")
    }

    func testIndependentSourceSharesNoDocuments() {
        for n in names("source-a") { XCTAssertNotEqual(file("source-b", n), file("source-a", n)) }
    }

    /// Each word is replaced with probability p by a different word; the
    /// count of changed words must match the manifest and lie within 4.5
    /// binomial standard deviations of n·p.
    func testSubstitutionRate() {
        for (path, p) in [("subst-05", 0.05), ("subst-20", 0.2), ("subst-50", 0.5)] {
            guard let c = manifest.corpus(path) else { return XCTFail(path) }
            XCTAssertEqual(c.substitutionProbability, p)
            var total = 0
            var changed = 0
            for n in names("source-a") {
                let a = file("source-a", n)
                let s = file(path, n)
                let wa = lowerWords(a)
                let ws = lowerWords(s)
                XCTAssertEqual(wa.count, ws.count)
                total += wa.count
                changed += zip(wa, ws).filter { $0 != $1 }.count
                // Everything but the words is unchanged.
                XCTAssertEqual(a.filter { !CorpusGenerator.isLetter($0) }, s.filter { !CorpusGenerator.isLetter($0) })
            }
            XCTAssertEqual(c.substitutedWords, changed, path)
            XCTAssertEqual(c.words, total)
            let mean = Double(total) * p
            let sd = (Double(total) * p * (1 - p)).squareRoot()
            XCTAssertLessThan(abs(Double(changed) - mean), 4.5 * sd, "\(path): \(changed) of \(total)")
        }
        // Direct check on a larger sample of the function itself.
        var rng = Xoshiro256(seed: 77)
        let model = SourceModel(seed: 1, name: "S")
        var text: [UInt8] = []
        model.render(words: 20000, rng: &rng, into: &text)
        let s = CorpusGenerator.substitute(text, probability: 0.2, rng: &rng)
        XCTAssertEqual(s.words, 20000)
        let sd = (20000 * 0.2 * 0.8).squareRoot()
        XCTAssertLessThan(abs(Double(s.substituted) - 4000), 4.5 * sd)
        XCTAssertEqual(zip(lowerWords(text), lowerWords(s.text)).filter { $0 != $1 }.count, s.substituted)
    }

    /// Each mixture document must come from the source the manifest names:
    /// its unigram log-likelihood under that source beats the other one.
    func testMixtureSourcesMatchDocuments() {
        let gen = CorpusGenerator(seed: 11)
        let index = Dictionary(uniqueKeysWithValues: WordList.english.enumerated().map { ($1, $0) })
        func logProbabilities(_ m: SourceModel) -> [Double] {
            var lp = [Double](repeating: 0, count: WordList.english.count)
            for (rank, w) in m.wordAtRank.enumerated() { lp[w] = log(m.probability(rank: rank)) }
            return lp
        }
        let la = logProbabilities(gen.sourceA)
        let lb = logProbabilities(gen.sourceB)
        for (path, p) in [("mix-10", 0.1), ("mix-50", 0.5)] {
            guard let c = manifest.corpus(path), let sources = c.documentSources else { return XCTFail(path) }
            XCTAssertEqual(c.proportion, p)
            XCTAssertEqual(c.otherSource, "B")
            XCTAssertEqual(Set(sources.keys), Set(names(path)))
            XCTAssertEqual(c.documentsFromOther, sources.values.filter { $0 == "B" }.count)
            for n in names(path) {
                let ws = lowerWords(file(path, n)).map { index[$0]! }
                let llr = ws.reduce(0.0) { $0 + lb[$1] - la[$1] }
                XCTAssertEqual(llr > 0 ? "B" : "A", sources[n], "\(path)/\(n)")
            }
        }
        // Realised proportion on a bigger set, within 4 binomial sd.
        let big = try! CorpusGenerator(seed: 3).inMemory(documentsPerCorpus: 400, wordsPerDocument: 10)
        for (path, p) in [("mix-10", 0.1), ("mix-50", 0.5)] {
            let k = Double(big.manifest.corpus(path)!.documentsFromOther!)
            XCTAssertLessThan(abs(k - 400 * p), 4 * (400 * p * (1 - p)).squareRoot(), path)
        }
    }

    /// Planted passages are byte-exact copies at the recorded offsets.
    func testPlantedPassageOffsetsAreExact() {
        guard let c = manifest.corpus("planted"), let passages = c.passages else { return XCTFail("planted") }
        XCTAssertGreaterThan(passages.count, Self.docs / 2)
        var perFile: [String: Int] = [:]
        for ps in passages {
            let target = file("planted", ps.targetFile)
            let origin = file(ps.originCorpus, ps.originFile)
            XCTAssertEqual(ps.originCorpus, "source-a")
            XCTAssertLessThanOrEqual(ps.targetOffset + ps.targetLength, target.count)
            XCTAssertLessThanOrEqual(ps.originOffset + ps.originLength, origin.count)
            let t = Array(target[ps.targetOffset..<(ps.targetOffset + ps.targetLength)])
            let o = Array(origin[ps.originOffset..<(ps.originOffset + ps.originLength)])
            XCTAssertEqual(t, o, "\(ps.targetFile) @\(ps.targetOffset)")
            XCTAssertTrue(CorpusGenerator.passageWords.contains(ps.words))
            XCTAssertEqual(CorpusGenerator.wordSpans(t).count, ps.words)
            // Word boundaries on both sides in both files.
            XCTAssertTrue(CorpusGenerator.isLetter(t.first!) && CorpusGenerator.isLetter(t.last!))
            XCTAssertTrue(ps.originOffset == 0 || !CorpusGenerator.isLetter(origin[ps.originOffset - 1]))
            XCTAssertTrue(ps.targetOffset == 0 || !CorpusGenerator.isLetter(target[ps.targetOffset - 1]))
            let after = ps.targetOffset + ps.targetLength
            XCTAssertTrue(after == target.count || !CorpusGenerator.isLetter(target[after]))
            perFile[ps.targetFile, default: 0] += ps.words
        }
        // Removing the passages leaves a document of C with the base length.
        for n in names("planted") {
            XCTAssertEqual(CorpusGenerator.wordSpans(file("planted", n)).count, Self.words + perFile[n, default: 0])
        }
    }

    func testNearDuplicateClusters() {
        guard let c = manifest.corpus("near-dups"), let clusters = c.clusters else { return XCTFail("near-dups") }
        XCTAssertFalse(clusters.isEmpty)
        let all = names("near-dups")
        let clustered = clusters.flatMap(\.members)
        XCTAssertEqual(Set(clustered).count, clustered.count, "a file is in one cluster at most")
        XCTAssertEqual(c.singletons, all.count - clustered.count)
        func shingles(_ name: String) -> Set<String> {
            let w = lowerWords(file("near-dups", name))
            return Set((0..<(w.count - 4)).map { w[$0..<($0 + 5)].joined(separator: " ") })
        }
        func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
            Double(a.intersection(b).count) / Double(a.union(b).count)
        }
        let sh = Dictionary(uniqueKeysWithValues: all.map { ($0, shingles($0)) })
        var group: [String: Int] = [:]
        for (k, cl) in clusters.enumerated() {
            XCTAssertEqual(cl.members, cl.members.sorted())
            XCTAssertTrue(cl.members.contains(cl.original))
            XCTAssertEqual(Set(cl.variants.map(\.file)).union([cl.original]), Set(cl.members))
            for m in cl.members { group[m] = k }
            for v in cl.variants {
                XCTAssertTrue(v.droppedSentences > 0 || v.substitutedWords > 0)
                XCTAssertEqual(CorpusGenerator.wordSpans(file("near-dups", v.file)).count, v.words)
                XCTAssertGreaterThan(jaccard(sh[v.file]!, sh[cl.original]!), 0.5, v.file)
            }
        }
        // Files of different clusters (or singletons) are not alike.
        for i in 0..<all.count {
            for j in (i + 1)..<all.count where group[all[i]] == nil || group[all[i]] != group[all[j]] {
                XCTAssertLessThan(jaccard(sh[all[i]]!, sh[all[j]]!), 0.2, "\(all[i]) \(all[j])")
            }
        }
    }

    func testDropSentence() {
        let text = Array("One two three. Four five six seven? Eight nine.\n\nTen eleven twelve!\n".utf8)
        var seen = Set<String>()
        for s in 0..<40 {
            var rng = Xoshiro256(seed: UInt64(s))
            let d = CorpusGenerator.dropSentence(text, rng: &rng)
            seen.insert(String(decoding: d.text, as: UTF8.self))
            XCTAssertEqual(CorpusGenerator.wordSpans(d.text).count, 12 - d.droppedWords)
        }
        XCTAssertEqual(
            seen,
            [
                "Four five six seven? Eight nine.\n\nTen eleven twelve!\n",
                "One two three. Eight nine.\n\nTen eleven twelve!\n",
                "One two three. Four five six seven?\n\nTen eleven twelve!\n",
            ])
    }

    func testPairedShareFileNamesAndTopics() {
        XCTAssertEqual(names("paired/a"), names("paired/b"))
        guard let a = manifest.corpus("paired/a"), let prompts = a.prompts else { return XCTFail("paired") }
        XCTAssertEqual(a.pairedWith, "paired/b")
        XCTAssertEqual(manifest.corpus("paired/b")?.prompts, prompts)
        XCTAssertEqual(prompts.map(\.file), names("paired/a"))
        for pr in prompts {
            XCTAssertEqual(Set(pr.topicWords).count, CorpusGenerator.topicWordsPerPrompt)
            let topic = Set(pr.topicWords)
            for side in ["paired/a", "paired/b"] {
                let w = lowerWords(file(side, pr.file))
                let share = Double(w.filter { topic.contains($0) }.count) / Double(w.count)
                XCTAssertGreaterThan(share, 0.2, "\(side)/\(pr.file)")
            }
        }
        XCTAssertEqual(manifest.sources.first { $0.name == "A2" }?.variantOf, "A")
    }

    // MARK: - Files on disk

    func testWriteDemoRefusesNonEmptyDirectoryUnlessForced() throws {
        let dir = NSTemporaryDirectory() + "synth-test-" + ProcessInfo.processInfo.globallyUniqueString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = CorpusGenerator(seed: 4)
        let m = try gen.writeDemo(to: dir, documentsPerCorpus: 3, wordsPerDocument: 40)
        let onDisk = try SynthManifest.decode(Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json")))
        XCTAssertEqual(onDisk, m)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/paired/b").sorted()
        XCTAssertEqual(written, ["doc0001.txt", "doc0002.txt", "doc0003.txt"])
        XCTAssertThrowsError(try gen.writeDemo(to: dir, documentsPerCorpus: 3, wordsPerDocument: 40)) { e in
            XCTAssertEqual(errorCase(e), "destinationNotEmpty")
        }
        // --force: stale generated files go, other files stay.
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/source-a/notes.md"))
        try gen.writeDemo(to: dir, documentsPerCorpus: 2, wordsPerDocument: 40, force: true)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/source-a").sorted(),
            ["doc0001.txt", "doc0002.txt", "notes.md"])
    }

    func testFileNamesAndSizes() {
        XCTAssertEqual(CorpusGenerator.fileName(0, count: 50), "doc0001.txt")
        XCTAssertEqual(CorpusGenerator.fileName(12344, count: 20000), "doc12345.txt")
        XCTAssertTrue(CorpusGenerator.isDocumentName("doc0001.txt"))
        XCTAssertFalse(CorpusGenerator.isDocumentName("docs.txt"))
        XCTAssertEqual(ByteSize.parse("100MB"), 100_000_000)
        XCTAssertEqual(ByteSize.parse("1.5GB"), 1_500_000_000)
        XCTAssertEqual(ByteSize.parse("512KiB"), 524_288)
        XCTAssertEqual(ByteSize.parse("2000"), 2000)
        XCTAssertNil(ByteSize.parse("lots"))
        XCTAssertNil(ByteSize.parse("-5MB"))
    }
}
