import Foundation
import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// The survey's sampled pair similarities (what thresholded `batch` and
/// `dedup` plans estimate their pair counts from).
final class SurveyTests: XCTestCase {
    /// Generated documents, some sharing runs of words, so that the pairs'
    /// Jaccard similarities spread over [0, 1].
    private func documents() -> [String] {
        var rng = Xoshiro256(seed: 11, stream: 3)
        let words = (0..<300).map { "w\($0)" } + ["The", "the", "THE", "Été", "été"]
        var base: [String] = []
        for _ in 0..<400 { base.append(words[Int(rng.next() % UInt64(words.count))]) }
        return (0..<12).map { d in
            // Each document: a share of the common base, then its own words.
            let shared = base.prefix(400 - 30 * d)
            let own = (0..<(30 * d + 5)).map { _ in words[Int(rng.next() % UInt64(words.count))] }
            return (shared + own).joined(separator: d % 2 == 0 ? " " : ",\n")
        }
    }

    /// Jaccard similarities of 5-word shingle sets, computed here on the
    /// shingles' text (no hashing; words as `re.findall(r"\w+", text.lower())`
    /// finds them, which these ASCII and Latin-1 words need no more than
    /// `split` for), equal the survey's, and only what `pairs` asks for is
    /// computed.
    func testSampleJaccardsMatchShingleSetsOfText() throws {
        let docs = documents()
        let input = CorpusInput(documents: docs)
        let s = try CorpusSurvey.survey(input, tokenizer: .word, shingle: 5, pairs: .jaccards)
        XCTAssertTrue(s.sampleCosines.isEmpty)
        let sets: [Set<String>] = docs.map { text in
            let words = text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
            return Set((0...(words.count - 5)).map { words[$0..<($0 + 5)].joined(separator: " ") })
        }
        var want: [Float] = []
        for i in 0..<sets.count {
            for j in (i + 1)..<sets.count {
                want.append(Float(sets[i].intersection(sets[j]).count) / Float(sets[i].union(sets[j]).count))
            }
        }
        want.sort()
        XCTAssertEqual(s.sampleJaccards.count, want.count)
        for (got, w) in zip(s.sampleJaccards, want) { XCTAssertEqual(got, w, accuracy: 1e-6) }
        XCTAssertGreaterThan(want.last!, 0.5)
        XCTAssertLessThan(want.first!, 0.2)

        let none = try CorpusSurvey.survey(input, tokenizer: .word, pairs: [])
        XCTAssertTrue(none.sampleCosines.isEmpty && none.sampleJaccards.isEmpty)
        let cosines = try CorpusSurvey.survey(input, tokenizer: .word, pairs: .cosines)
        XCTAssertEqual(cosines.sampleCosines.count, want.count)
        XCTAssertTrue(cosines.sampleJaccards.isEmpty)
    }

    /// The sampled TF-IDF cosines equal those computed here from the
    /// documents' word counts with scikit-learn's TfidfVectorizer weights
    /// (raw tf, smooth idf ln((1 + n) / (1 + df)) + 1, L2 norm), written out
    /// on words rather than hashes.
    func testSampleCosinesMatchTfidfOfWords() throws {
        let docs = documents()
        let s = try CorpusSurvey.survey(CorpusInput(documents: docs), tokenizer: .word, pairs: .cosines)
        let counts: [[String: Int]] = docs.map { text in
            var c: [String: Int] = [:]
            for w in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
                c[String(w), default: 0] += 1
            }
            return c
        }
        var df: [String: Int] = [:]
        for c in counts { for w in c.keys { df[w, default: 0] += 1 } }
        let n = Double(docs.count)
        let vectors: [[String: Double]] = counts.map { c in
            var v: [String: Double] = [:]
            for (w, k) in c { v[w] = Double(k) * (log((1 + n) / (1 + Double(df[w]!))) + 1) }
            let norm = v.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.mapValues { $0 / norm }
        }
        var want: [Double] = []
        for i in 0..<vectors.count {
            for j in (i + 1)..<vectors.count { want.append(vectors[i].reduce(0) { $0 + $1.value * (vectors[j][$1.key] ?? 0) }) }
        }
        want.sort()
        XCTAssertEqual(s.sampleCosines.count, want.count)
        for (got, w) in zip(s.sampleCosines, want) { XCTAssertEqual(Double(got), w, accuracy: 1e-6) }
        XCTAssertLessThan(want.first!, want.last! - 0.2)
    }

    /// The merge count of two ascending arrays equals a set intersection's.
    func testIntersectionCountOfSortedArrays() {
        var rng = Xoshiro256(seed: 5, stream: 1)
        for trial in 0..<200 {
            let a = Set((0..<Int(rng.next() % 300)).map { _ in rng.next() % UInt64(50 + trial) })
            let b = Set((0..<Int(rng.next() % 300)).map { _ in rng.next() % UInt64(50 + trial) })
            XCTAssertEqual(sortedIntersectionCount(a.sorted()[...], b.sorted()[...]), a.intersection(b).count)
        }
        XCTAssertEqual(sortedIntersectionCount([], [1, 2]), 0)
        XCTAssertEqual(sortedIntersectionCount([UInt64.max], [0, UInt64.max]), 1)
    }

    /// 64 documents of ~64 kB of Zipf-distributed words (rank r with
    /// probability ∝ 1/r over 400,000 made-up words): 4 MB, twice a bound
    /// survey's sample.
    private func zipfDocuments() -> [String] {
        var rng = Xoshiro256(seed: 5, stream: 16)
        return (0..<64).map { _ in
            var words: [String] = []
            var bytes = 0
            while bytes < 64 << 10 {
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                let w = "z\(Int(exp(u * log(400_000.0))))"
                words.append(w)
                bytes += w.utf8.count + 1
            }
            return words.joined(separator: " ")
        }
    }

    /// A bound survey reads at most 2 MB, and its types, grown linearly
    /// from its sample, are at least both the estimate's (16 MB, Heaps'
    /// law) and the corpus's true count (counted here by splitting the
    /// text); an estimate is not a bound, and a survey that reads every
    /// document is not one unless it was asked for pairs of documents, which
    /// a bound never samples (its plan assumes the worst of them).
    func testBoundSurveyReadsLessAndBoundsTheTypes() throws {
        let docs = zipfDocuments()
        let truth = Set(docs.flatMap { $0.split(separator: " ") }).count
        let input = CorpusInput(documents: docs)
        let bound = try CorpusSurvey.survey(input, tokenizer: .word, pairs: [], depth: .bound)
        let estimate = try CorpusSurvey.survey(input, tokenizer: .word, pairs: [], depth: .estimate)
        XCTAssertTrue(bound.isBound)
        XCTAssertFalse(estimate.isBound)
        // Documents in memory are read whole: the last one may pass the budget.
        XCTAssertLessThanOrEqual(bound.sampleBytes, CorpusSurvey.boundSampleBytes + docs.map(\.utf8.count).max()!)
        XCTAssertGreaterThan(bound.sampleBytes, CorpusSurvey.boundSampleBytes / 2)
        XCTAssertEqual(estimate.sampleBytes, docs.reduce(0) { $0 + $1.utf8.count })  // all of it: under 16 MB
        XCTAssertEqual(estimate.types, Double(truth))
        XCTAssertGreaterThan(bound.types, Double(truth))
        // β = 1: the sample's types times the corpus's tokens over the sample's.
        let linear = Double(bound.sampleTypes) * bound.tokens / Double(bound.sampleTokens)
        XCTAssertEqual(bound.types, linear, accuracy: linear * 1e-12)
        // Documents read whole: their distinct types are counted, not scaled.
        XCTAssertEqual(bound.typesPerDocument, estimate.typesPerDocument, accuracy: estimate.typesPerDocument * 0.05)
        // The sizes are not bounds but measurements: the same either way.
        XCTAssertEqual(bound.textBytes, estimate.textBytes)
        XCTAssertEqual(bound.documents, estimate.documents)

        let paired = try CorpusSurvey.survey(input, tokenizer: .word, pairs: [.cosines, .jaccards], depth: .bound)
        XCTAssertTrue(paired.isBound)
        XCTAssertEqual(paired.sampleBytes, bound.sampleBytes)
        XCTAssertTrue(paired.sampleCosines.isEmpty && paired.sampleJaccards.isEmpty)
        XCTAssertNil(paired.pairShare(atLeast: 0.5))
        let pairedEstimate = try CorpusSurvey.survey(input, tokenizer: .word, pairs: .cosines, depth: .estimate)
        XCTAssertFalse(pairedEstimate.sampleCosines.isEmpty)
        let few = CorpusInput(documents: Array(docs.prefix(4)))
        let small = try CorpusSurvey.survey(few, tokenizer: .word, pairs: [], depth: .bound)
        XCTAssertFalse(small.isBound)
        XCTAssertTrue(small.complete)
        // Read whole but asked for pairs it did not sample: still a bound, so that a plan
        // that does not fit on the worst case surveys again for them.
        let smallPaired = try CorpusSurvey.survey(few, tokenizer: .word, pairs: .cosines, depth: .bound)
        XCTAssertTrue(smallPaired.isBound)
        XCTAssertTrue(smallPaired.complete)
    }

    /// A thresholded `batch`'s check: the bound samples no pairs, so its
    /// plan keeps every pair of documents (n(n − 1)/2 of them, counted here)
    /// and stands when that fits; when it does not, the estimate's sampled
    /// cosines decide (a share of the pairs, at most all of them).
    func testThresholdedBatchGateAssumesEveryPairUntilItMustSample() throws {
        let docs = zipfDocuments()
        let input = CorpusInput(documents: docs)
        var o = BatchOptions()
        o.threshold = 0.9999  // none of these pairs is that close
        var asked: [SurveyDepth] = []
        func make(_ depth: SurveyDepth) throws -> WorkPlan {
            asked.append(depth)
            return WorkPlan.batch(try CorpusSurvey.survey(input, tokenizer: .word, pairs: .cosines, depth: depth), against: nil, options: o)
        }
        let n = Double(docs.count)
        let bound = try make(.bound)
        XCTAssertEqual(bound.work.first { $0.name.hasPrefix("pairs over the threshold") }?.value, n * (n - 1) / 2)
        let boundPeak = bound.memory.reduce(0) { $0 + $1.value }
        let estimate = try make(.estimate)
        let kept = estimate.work.first { $0.name.hasPrefix("pairs over the threshold") }!.value
        XCTAssertLessThan(kept, n * (n - 1) / 2)
        asked = []
        _ = try WorkPlan.gated(available: 2 * boundPeak, make)
        XCTAssertEqual(asked, [.worstCase])
        asked = []
        let tight = try WorkPlan.gated(available: 2 * boundPeak - 1, make)
        XCTAssertEqual(asked, [.worstCase, .estimate])
        XCTAssertEqual(tight.work.first { $0.name.hasPrefix("pairs over the threshold") }?.value, kept)
    }

    /// The worst case from sizes alone (nothing read) bounds what the files
    /// hold — documents exactly, tokens, types and a document's types at
    /// least the counts made here of the words written — and the check
    /// before a run stops at it when it fits, goes on to a bound, then to
    /// the estimate. Another tokenizer, or a file named .gz, is a bound.
    func testWorstCaseFromSizesBoundsTheCorpusAndComesFirst() throws {
        let dir = try temporaryDirectory(self)
        var rng = Xoshiro256(seed: 7)
        var tokens = 0
        var types = Set<String>()
        var nonzeros = 0
        for i in 0..<40 {
            let words = (0..<(50 + i * 7)).map { _ in ["a", "bb", "Ccc", "dé", "x_1", "w\(rng.next() % 500)"][Int(rng.next() % 6)] }
            tokens += words.count
            types.formUnion(words.map { $0.lowercased() })
            nonzeros += Set(words.map { $0.lowercased() }).count
            try write(words.joined(separator: i % 2 == 0 ? " " : ", "), to: dir.appendingPathComponent("d\(i).txt"))
        }
        let input = try CorpusInput(path: dir.path)
        let worst = try CorpusSurvey.survey(input, tokenizer: .word, pairs: [], depth: .worstCase)
        XCTAssertTrue(worst.isWorstCase && worst.isBound)
        XCTAssertEqual(worst.sampleBytes, 0)
        XCTAssertEqual(worst.documents, 40)
        XCTAssertTrue(worst.documentsExact)
        XCTAssertGreaterThanOrEqual(worst.tokens, Double(tokens))
        XCTAssertGreaterThanOrEqual(worst.types, Double(types.count))
        XCTAssertGreaterThanOrEqual(worst.typesPerDocument * worst.documents, Double(nonzeros))
        XCTAssertEqual(Int(worst.textBytes), worst.storedBytes)
        let estimate = try CorpusSurvey.survey(input, tokenizer: .word, pairs: [], depth: .estimate)
        XCTAssertEqual(estimate.tokens, Double(tokens), "the estimate of a corpus read whole is its count")

        var asked: [SurveyDepth] = []
        func make(_ depth: SurveyDepth) throws -> WorkPlan {
            asked.append(depth)
            return WorkPlan.stats(try CorpusSurvey.survey(input, tokenizer: .word, pairs: [], depth: depth), threads: 2)
        }
        func peak(_ p: WorkPlan) -> Double { p.memory.reduce(0) { $0 + $1.value } }
        let worstPeak = peak(try make(.worstCase))
        let boundPeak = peak(try make(.bound))
        XCTAssertGreaterThan(worstPeak, boundPeak)
        asked = []
        XCTAssertTrue(try WorkPlan.gated(available: 2 * worstPeak, make).corpora[0].isWorstCase)
        XCTAssertEqual(asked, [.worstCase])
        // 40 small files are read whole by a bound: a count, which stands.
        asked = []
        let second = try WorkPlan.gated(available: 2 * worstPeak - 1, make)
        XCTAssertEqual(asked, [.worstCase, .bound])
        XCTAssertFalse(second.corpora[0].isWorstCase)
        XCTAssertEqual(peak(second), boundPeak)

        // The most types a text can spell, by hand: 100 bytes hold 50
        // one-byte types and their separators (of 63 possible); 1,000 bytes
        // all 63 (126 bytes), then 291 of the 63² + 1,920 two-byte runs
        // (873 bytes), 2 bytes left; lower-cased, 1.5 times the bytes.
        XCTAssertEqual(CorpusSurvey.mostWordTypes(bytes: 100).types, 50)
        XCTAssertEqual(CorpusSurvey.mostWordTypes(bytes: 100).typeBytes, 1.5)
        XCTAssertEqual(CorpusSurvey.mostWordTypes(bytes: 1000).types, 63 + 291)
        XCTAssertEqual(CorpusSurvey.mostWordTypes(bytes: 1000).typeBytes, 1.5 * Double(63 + 2 * 291) / Double(63 + 291), accuracy: 1e-12)

        // Sizes alone bound neither another tokenizer nor a gzip file's text.
        XCTAssertFalse(try CorpusSurvey.survey(input, tokenizer: .char(3), pairs: [], depth: .worstCase).isWorstCase)
        try Data([0x1F, 0x8B, 0x08, 0x00]).write(to: dir.appendingPathComponent("z.txt.gz"))
        var gz = try CorpusInput(path: dir.path)
        gz.globs = ["*.txt", "*.gz"]
        XCTAssertFalse(try CorpusSurvey.survey(gz, tokenizer: .word, pairs: [], depth: .worstCase).isWorstCase)
    }

    /// The check before a run asks for the worst case first (for documents
    /// in memory, a bound: sizes alone do not bound them) and keeps it when
    /// its peak is at most half the memory available; otherwise, and only
    /// then, it asks for the estimate. Without a bound (the whole corpus read) or
    /// without a known limit, the first plan stands.
    func testGateSurveysForTheEstimateOnlyWhenTheBoundDoesNotFit() throws {
        let input = CorpusInput(documents: zipfDocuments())
        var asked: [SurveyDepth] = []
        func make(_ depth: SurveyDepth) throws -> WorkPlan {
            asked.append(depth)
            return WorkPlan.stats(try CorpusSurvey.survey(input, tokenizer: .word, pairs: [], depth: depth), threads: 2)
        }
        let boundPeak = try make(.bound).memory.reduce(0) { $0 + $1.value }
        let estimatePeak = try make(.estimate).memory.reduce(0) { $0 + $1.value }
        XCTAssertGreaterThan(boundPeak, estimatePeak)

        asked = []
        let roomy = try WorkPlan.gated(available: 2 * boundPeak, make)
        XCTAssertEqual(asked, [.worstCase])
        XCTAssertTrue(roomy.corpora[0].isBound)

        asked = []
        let tight = try WorkPlan.gated(available: 2 * boundPeak - 1, make)
        XCTAssertEqual(asked, [.worstCase, .estimate])
        XCTAssertFalse(tight.corpora[0].isBound)
        XCTAssertEqual(tight.memory.reduce(0) { $0 + $1.value }, estimatePeak)

        asked = []
        _ = try WorkPlan.gated(available: nil, make)
        XCTAssertEqual(asked, [.worstCase])

        let whole = CorpusInput(documents: ["a few words", "and a few more"])
        asked = []
        let small = try WorkPlan.gated(available: 1) { depth in
            asked.append(depth)
            return WorkPlan.stats(try CorpusSurvey.survey(whole, tokenizer: .word, pairs: [], depth: depth), threads: 2)
        }
        XCTAssertEqual(asked, [.worstCase])
        XCTAssertFalse(small.corpora[0].isBound)
    }

    /// Within one check before a run a directory is walked and stat'ed
    /// once: the listing is kept for the surveys after the first, a
    /// snapshot (a file added meanwhile is not seen), and outside the scope
    /// every survey lists again.
    func testListingsAreKeptWithinOneCheck() throws {
        let dir = try temporaryDirectory(self)
        for i in 0..<3 { try write(String(repeating: "word\(i) ", count: 100 * (i + 1)), to: dir.appendingPathComponent("d\(i).txt")) }
        let input = try CorpusInput(path: dir.path)
        let sizes = (0..<3).map { 600 * ($0 + 1) }  // "wordN " is 6 bytes
        let added = dir.appendingPathComponent("d3.txt")
        let (stored, later, survey) = try CorpusSurvey.withListingsKept {
            let stored = try CorpusSurvey.storedBytes(input)
            try write("late words", to: added)
            return (stored, try CorpusSurvey.storedBytes(input), try CorpusSurvey.survey(input, tokenizer: .word, pairs: []))
        }
        XCTAssertEqual(stored, sizes.reduce(0, +))
        XCTAssertEqual(later, stored)
        XCTAssertEqual(survey.units, 3)
        XCTAssertEqual(survey.storedBytes, stored)
        XCTAssertEqual(try CorpusSurvey.storedBytes(input), stored + 10)
        XCTAssertEqual(try CorpusSurvey.survey(input, tokenizer: .word, pairs: []).units, 4)
    }

    /// The run after the check reads the files the check listed, with the
    /// walk's skips, and takes the listing: a file added between the check
    /// and the run is not read (the check measured the corpus without it),
    /// and a second read in the same scope lists the directory again.
    func testTheRunTakesTheListingOfTheCheck() throws {
        let dir = try temporaryDirectory(self)
        for i in 0..<3 { try write("alpha beta gamma \(i)", to: dir.appendingPathComponent("d\(i).txt")) }
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("dangling.txt").path, withDestinationPath: dir.appendingPathComponent("nowhere").path)
        let input = try CorpusInput(path: dir.path)
        let (stored, first, second) = try CorpusSurvey.withListingsKept(threads: 2) {
            let stored = try CorpusSurvey.storedBytes(input)
            try write("delta epsilon", to: dir.appendingPathComponent("d3.txt"))
            return (stored, try Counter.count(input), try Counter.count(input))
        }
        XCTAssertEqual(stored, 3 * "alpha beta gamma 0".utf8.count)
        XCTAssertEqual(first.documents.map(\.name), ["d0.txt", "d1.txt", "d2.txt"])
        XCTAssertEqual(first.skips.map { ($0.path as NSString).lastPathComponent }, ["dangling.txt"])
        XCTAssertEqual(second.documents.map(\.name), ["d0.txt", "d1.txt", "d2.txt", "d3.txt"])
        XCTAssertEqual(second.skips.count, 1)
        // Outside a scope nothing is kept: each read lists.
        XCTAssertEqual(try Counter.count(input).documents.count, 4)
    }

    /// A large file split into parts by the size the check listed, then
    /// grown before the run: the last part reads to the end of the file,
    /// so the text appended meanwhile is counted, not cut off silently.
    func testAFileThatGrowsAfterTheCheckIsReadWhole() throws {
        let dir = try temporaryDirectory(self)
        let big = dir.appendingPathComponent("big.txt")
        let words = (0..<20_000).map { "w\($0 % 997)" }
        try write(words.joined(separator: " "), to: big)
        let input = try CorpusInput(path: dir.path)
        var options = ReadOptions(threads: 2)
        options.partBytes = 16_384
        let counted = try CorpusSurvey.withListingsKept(threads: 2) { () -> CountedCorpus in
            _ = try CorpusSurvey.storedBytes(input)
            let h = try FileHandle(forWritingTo: big)
            try h.seekToEnd()
            try h.write(contentsOf: Data(" zzzappended".utf8))
            try h.close()
            return try Counter.count(input, options: options)
        }
        XCTAssertEqual(counted.documents.map(\.name), ["big.txt"])
        XCTAssertEqual(counted.matrix.tokenCount, words.count + 1)
        XCTAssertNotNil(counted.matrix.vocabulary.id(of: "zzzappended"))
    }

    /// The sizes a listing stats on several threads are each file's.
    func testListingStatsEveryFileOnSeveralThreads() throws {
        let dir = try temporaryDirectory(self)
        var total = 0
        for i in 0..<1500 {
            let text = String(repeating: "w ", count: i % 37 + 1)
            total += text.utf8.count
            try write(text, to: dir.appendingPathComponent(String(format: "f%04d.txt", i)))
        }
        let input = try CorpusInput(path: dir.path)
        for threads in [1, 2, 3] {
            XCTAssertEqual(try CorpusSurvey.withListingsKept(threads: threads) { try CorpusSurvey.storedBytes(input) }, total)
        }
    }

    /// Past `SampleCounter.jaccardSample` shingles the pair Jaccards come
    /// from a consistent sample of the sets; they stay within 0.03 of the
    /// whole sets' Jaccards, computed here on the shingles' text.
    func testSampleJaccardsOfLongDocumentsEstimateTheWholeSets() throws {
        var rng = Xoshiro256(seed: 17, stream: 2)
        let words = (0..<5000).map { "v\($0)" }
        let base = (0..<30_000).map { _ in words[Int(rng.next() % 5000)] }
        let docs: [String] = (0..<6).map { d in
            // A share of the common base (from 100% down to 0%), then the document's own words.
            let shared = base.prefix(30_000 - 6_000 * d)
            let own = (0..<(6_000 * d)).map { _ in words[Int(rng.next() % 5000)] }
            return (shared + own).joined(separator: " ")
        }
        let sets: [Set<String>] = docs.map { text in
            let w = text.split(separator: " ")
            return Set((0...(w.count - 5)).map { w[$0..<($0 + 5)].joined(separator: " ") })
        }
        XCTAssertGreaterThan(sets.map(\.count).max()!, 3 * SampleCounter.jaccardSample)
        var want: [Float] = []
        for i in 0..<sets.count {
            for j in (i + 1)..<sets.count {
                want.append(Float(sets[i].intersection(sets[j]).count) / Float(sets[i].union(sets[j]).count))
            }
        }
        want.sort()
        let got = try CorpusSurvey.survey(CorpusInput(documents: docs), tokenizer: .word, shingle: 5, pairs: .jaccards).sampleJaccards
        XCTAssertEqual(got.count, want.count)
        for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 0.03) }
        XCTAssertGreaterThan(want.last!, 0.6)
        XCTAssertLessThan(want.first!, 0.1)
    }

    /// What compressed files declare they hold, read from the bytes the
    /// formats define (RFC 1952: a gzip member ends with ISIZE, its size
    /// modulo 2³², little-endian; RFC 8878 §3.1.1.1: a Zstandard frame
    /// header's descriptor gives the width of Frame_Content_Size, 2-byte
    /// values being offset by 256), written here by hand: each file counts
    /// at the larger of its size and what it declares, one that declares
    /// nothing at 1,032 times its size.
    func testCompressedFilesCountAtTheSizeTheyDeclare() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-declared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
        let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        let block = [UInt8](repeating: 0x11, count: 10)
        let cases: [(name: String, bytes: [UInt8], counts: Int)] = [
            // gzip: header (10 bytes), 8 bytes of "data", CRC32, ISIZE = 5,000,000.
            ("a.txt.gz", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + block.prefix(8) + le(0, 4) + le(5_000_000, 4), 5_000_000),
            // Zstandard, single segment, a 4-byte content size (flag 2): 0xA0.
            ("b.txt.zst", zstdMagic + [0xA0] + le(123_456_789, 4) + block, 123_456_789),
            // Single segment, a 2-byte size (flag 1): 0x60; 256 + 0x0100 = 512.
            ("c.txt.zst", zstdMagic + [0x60] + le(0x0100, 2) + block, 512),
            // No content size and no single segment (flag 0): a window byte, then blocks.
            ("d.txt.zst", zstdMagic + [0x00, 0x58] + block, 16 * 1032),
            // A plain file counts at its size.
            ("e.txt", Array("plain text\n".utf8), 11),
        ]
        for c in cases {
            try Data(c.bytes).write(to: dir.appendingPathComponent(c.name))
            let sub = dir.appendingPathComponent("only-" + c.name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            try Data(c.bytes).write(to: sub.appendingPathComponent(c.name))
            let got = try CorpusSurvey.withListingsKept { try CorpusSurvey.planningBytes(try CorpusInput(path: sub.path)) }
            XCTAssertEqual(got, c.counts, c.name)
        }
        // The directory holds each file twice: beside the others, and alone in its own folder.
        let all = try CorpusSurvey.withListingsKept { try CorpusSurvey.planningBytes(try CorpusInput(path: dir.path)) }
        XCTAssertEqual(all, 2 * cases.map(\.counts).reduce(0, +))
    }
}
