import Foundation
import FingerprintCore

/// Options of `fingerprint compare`.
public struct CompareOptions: Sendable {
    public var tokenizer: TokenizerSpec = .word
    /// Top-K types (by pooled count, ties by token) + "other" for the test.
    public var features = 1000
    public var permutations = 999
    public var bootstrap = 200
    public var seed: UInt64 = 0
    public var paired = false
    /// JSONL field that matches documents of A and B (default: relative path).
    public var pairField: String? = nil
    public var alpha = 0.5
    public var prior = 1000.0
    /// MMD: TF-IDF features and documents per side (seeded subsample beyond).
    public var mmdFeatures = 4096
    public var mmdMaxDocuments = 2000
    public var baselineSplits = 20
    public var keyTokens = 20
    public var ngramSizes = [8, 13]
    /// Shared passages reported (longest first; 0: none).
    public var passages = 20
    /// Passage alignment: noise threshold k and window w (guarantee t = w + k − 1).
    public var passageK = 8
    public var passageW = 8
    /// k-grams in more than this share of the documents of A and B are not evidence.
    public var maxDF = 0.05
    /// Files whose k-grams are not evidence (--boilerplate DIR).
    public var boilerplate: String? = nil
    public var read = ReadOptions()
    public init() {}
}

/// The result of comparing two corpora (schema fingerprint.compare/1).
public struct CompareReport: Codable, Sendable {
    public struct Side: Codable, Sendable {
        public var path: String
        public var documents: Int
        public var tokens: Int
        public var types: Int
        public var bytes: Int
        public var invalidUTF8: Int
        public var skipped: Int
        public var skips: [Skip]
        enum CodingKeys: String, CodingKey {
            case path, documents, tokens, types, bytes, invalidUTF8 = "invalid_utf8", skipped, skips
        }
    }

    public struct Divergences: Codable, Sendable {
        public var vocabulary: Int
        public var smoothingAlpha: Double
        public var entropyA: Double, entropyB: Double
        public var crossEntropyAB: Double, crossEntropyBA: Double
        public var klAB: Double, klBA: Double
        public var jsd: Double, jsDistance: Double
        public var hellinger: Double, totalVariation: Double
        enum CodingKeys: String, CodingKey {
            case vocabulary, smoothingAlpha = "smoothing_alpha", entropyA = "entropy_a", entropyB = "entropy_b"
            case crossEntropyAB = "cross_entropy_ab", crossEntropyBA = "cross_entropy_ba", klAB = "kl_ab", klBA = "kl_ba"
            case jsd, jsDistance = "js_distance", hellinger, totalVariation = "total_variation"
        }
    }

    public struct TableTests: Codable, Sendable {
        public var features: Int
        public var chiSquare: Divergence.TableTest
        public var g: Divergence.TableTest
        public var note: String
        enum CodingKeys: String, CodingKey { case features, chiSquare = "chi2", g, note }
    }

    public struct Test: Codable, Sendable {
        public var ran: Bool
        public var reason: String?
        public var design: String
        public var pairs: Int?
        public var features: Int
        public var statistic: Double
        public var pValue: Double?
        public var minimumPValue: Double?
        public var permutations: Int
        public var nullMean: Double?
        public var nullP95: Double?
        public var effect: Double?
        public var ciLow: Double?
        public var ciHigh: Double?
        /// Mean of the bootstrap statistics minus T: the plug-in JSD is biased
        /// upward under resampling, so the percentile interval can lie above T.
        public var bootstrapBias: Double?
        public var bootstrap: Int
        enum CodingKeys: String, CodingKey {
            case ran, reason, design, pairs, features, statistic, pValue = "p_value", minimumPValue = "min_p_value"
            case permutations, nullMean = "null_mean", nullP95 = "null_p95", effect, ciLow = "ci_low", ciHigh = "ci_high", bootstrap
            case bootstrapBias = "bootstrap_bias"
        }
    }

    public struct MMD: Codable, Sendable {
        public var ran: Bool
        public var reason: String?
        public var mmd2: Double
        public var pValue: Double?
        public var permutations: Int
        public var features: Int
        public var documentsA: Int
        public var documentsB: Int
        public var subsampled: Bool
        enum CodingKeys: String, CodingKey {
            case ran, reason, mmd2, pValue = "p_value", permutations, features
            case documentsA = "documents_a", documentsB = "documents_b", subsampled
        }
    }

    public struct Baseline: Codable, Sendable {
        public var splits: Int
        public var a: Double?
        public var b: Double?
    }

    public struct KeyToken: Codable, Sendable {
        public var token: String
        public var countA: Int
        public var countB: Int
        public var delta: Double
        public var z: Double
        enum CodingKeys: String, CodingKey { case token, countA = "count_a", countB = "count_b", delta, z }
    }

    public struct Keyness: Codable, Sendable {
        public var prior: Double
        public var a: [KeyToken]
        public var b: [KeyToken]
    }

    public struct Overlap: Codable, Sendable {
        public var containment: [Containment]
        /// Documents of B with at least one word 13-gram of A (contamination convention).
        public var bDocumentsWithSharedGram: Int
        public var bDocumentsWithSharedGramShare: Double
        public var gramSize: Int
        enum CodingKeys: String, CodingKey {
            case containment, bDocumentsWithSharedGram = "b_documents_with_shared_gram"
            case bDocumentsWithSharedGramShare = "b_documents_with_shared_gram_share", gramSize = "gram_size"
        }
    }

    public struct Options: Codable, Sendable {
        public var tokenizer: TokenizerSpec
        public var features: Int
        public var permutations: Int
        public var bootstrap: Int
        public var seed: UInt64
        public var paired: Bool
        public var pairField: String?
        public var prior: Double
        enum CodingKeys: String, CodingKey { case tokenizer, features, permutations, bootstrap, seed, paired, pairField = "pair_field", prior }
    }

    public var schema = "fingerprint.compare/1"
    public var version = Fingerprint.version
    public var options: Options
    public var a: Side
    public var b: Side
    public var divergence: Divergences
    public var tableTests: TableTests
    public var test: Test
    public var mmd: MMD
    public var selfBaseline: Baseline
    public var keyness: Keyness
    public var overlap: Overlap
    public var notes: [String]
    public var summary: String
    /// The longest passages B shares with A (documents of B with a 13-gram
    /// of A, aligned with the A documents that hold those 13-grams).
    public var passages: [SharedPassage] = []

    // For charts (not in the JSON: they are large and derived).
    /// The permutation statistics, in permutation order.
    public var nullStatistics: [Double] = []
    /// The bootstrap statistics.
    public var bootstrapStatistics: [Double] = []
    /// Type frequencies of A and of B, sorted descending (at most 5,000 each).
    public var rankFrequencyA: [Int] = []
    public var rankFrequencyB: [Int] = []

    enum CodingKeys: String, CodingKey {
        case schema, version, options, a, b, divergence, tableTests = "table_tests", test, mmd
        case selfBaseline = "self_baseline", keyness, overlap, notes, summary, passages
    }
}

/// Compares two corpora: divergences, the document-level permutation test,
/// MMD, self-baselines, keyness and n-gram overlap.
public enum Comparison {
    /// A counted side of a comparison.
    struct Counted {
        var corpus: CountedCorpus
        var ngrams: [NGramIndex]
        var documentHits: [Int]
        var hitHashes: [[UInt64]]
    }

    static func countSide(_ input: CorpusInput, options o: CompareOptions, reference: NGramIndex?,
                          progress: ProgressSink?) throws -> Counted {
        let scan = try CorpusReader.read(input, options: o.read, progress: progress) {
            CompareWorker(tokenizer: o.tokenizer, hashed: false, ngramSizes: o.ngramSizes, reference: reference)
        }
        defer { scan.workers.forEach { $0.release() } }
        Trace.mark("  read, tokenise, count, n-grams")
        let matrix = Counter.merge(scan.outputs.map { ($0.worker, $0.output.counts) }, workers: scan.workers.map(\.counting),
                                   hashed: false, buildMatrix: true)
        Trace.mark("  merge vocabularies")
        let corpus = CountedCorpus(input: input.description, tokenizer: o.tokenizer, documents: scan.documents, matrix: matrix,
                                   skips: scan.skips, bytes: scan.bytes, invalidSequences: scan.invalidSequences)
        // One size at a time, releasing each worker's array once copied.
        let ngrams = (0..<o.ngramSizes.count).map { k -> NGramIndex in
            var parts = scan.workers.map { $0.ngrams.takeAll(k) }
            return NGramIndex(parts: &parts)
        }
        return Counted(corpus: corpus, ngrams: ngrams, documentHits: scan.outputs.map { $0.output.hits },
                       hitHashes: scan.outputs.map { $0.output.hitHashes })
    }

    /// The longest passages B shares with A. Candidates: each document of B
    /// with a 13-gram of A, paired with the (at most 8) documents of A that
    /// hold the most of those 13-grams — found by one more read of A, which
    /// keeps only the 13-grams B hit. Each pair is then aligned exactly
    /// (winnowing seeds, maximal spans), re-reading just its two files.
    static func sharedPassages(_ sa: Counted, _ sb: Counted, inputA: CorpusInput, options o: CompareOptions) throws -> [SharedPassage] {
        guard o.passages > 0, sb.documentHits.contains(where: { $0 > 0 }) else { return [] }
        var wanted = Set<UInt64>()
        for h in sb.hitHashes { for x in h where wanted.count < 1 << 20 { wanted.insert(x) } }
        let n = o.ngramSizes.last ?? 13
        let want = wanted
        let scan = try CorpusReader.read(inputA, options: o.read) { GramFilterWorker(n: n, keep: want) }
        defer { scan.workers.forEach { $0.release() } }
        var holders: [UInt64: [Int32]] = [:]
        for (d, out) in scan.outputs.enumerated() { for h in out.output { holders[h, default: []].append(Int32(d)) } }
        var pairs: [(a: Int, b: Int)] = []
        for (j, hits) in sb.hitHashes.enumerated() where !hits.isEmpty {
            var votes: [Int32: Int] = [:]
            for h in hits { for d in holders[h] ?? [] { votes[d, default: 0] += 1 } }
            let best = votes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8)
            for (d, _) in best { pairs.append((Int(d), j)) }
        }
        var filter: BoilerplateFilter? = nil
        if let dir = o.boilerplate { filter = try BoilerplateFilter.files(in: dir, k: o.passageK, readOptions: o.read) }
        // Document frequency is only evidence of boilerplate over enough
        // documents: with fewer than 100, a k-gram in 2 of 20 is not boilerplate.
        if o.maxDF < 1 && sa.corpus.documents.count >= 100 {
            let frequent = try BoilerplateFilter.frequent(in: inputA, k: o.passageK, maxDF: o.maxDF, readOptions: o.read)
            filter = filter.map { $0.union(frequent) } ?? frequent
        }
        return try PassageAlignment.sharedPassages(a: sa.corpus.documents.map { DocumentFile($0, field: inputA.field) },
                                                   b: sb.corpus.documents.map { DocumentFile($0) }, pairs: pairs,
                                                   options: PassageOptions(k: o.passageK, w: o.passageW, boilerplate: filter),
                                                   limit: o.passages, threads: o.read.threads)
    }

    /// Runs the whole comparison.
    public static func run(_ inputA: CorpusInput, _ inputB: CorpusInput, options o: CompareOptions,
                           progress: ProgressSink? = nil) throws -> CompareReport {
        Trace.mark("start")
        var sideA = try countSide(inputA, options: o, reference: nil, progress: progress)
        Trace.mark("read and count A")
        var sideB = try countSide(inputB, options: o, reference: sideA.ngrams.last, progress: progress)
        Trace.mark("read and count B")
        let passages = try sharedPassages(sideA, sideB, inputA: inputA, options: o)
        Trace.mark("shared passages")
        var report = try analyze(&sideA, &sideB, options: o)
        report.passages = passages
        return report
    }

    static func side(_ c: CountedCorpus) -> CompareReport.Side {
        CompareReport.Side(path: c.input, documents: c.documents.count, tokens: c.matrix.tokenCount, types: c.matrix.typeCount,
                           bytes: c.bytes, invalidUTF8: c.invalidSequences, skipped: c.skips.count, skips: c.skips)
    }

    /// Analyses two counted sides. Their matrices are released once stacked
    /// (the stacked copy replaces them), to keep peak memory down.
    static func analyze(_ sa: inout Counted, _ sb: inout Counted, options o: CompareOptions) throws -> CompareReport {
        let summaryA = side(sa.corpus), summaryB = side(sb.corpus)
        // N-gram overlap first, then free the n-gram sets (the largest
        // structures of a big comparison) before the permutation test.
        let containment = zip(o.ngramSizes, zip(sa.ngrams, sb.ngrams)).map { Containment(n: $0, a: $1.0, b: $1.1) }
        let withShared = sb.documentHits.filter { $0 > 0 }.count
        let overlap = CompareReport.Overlap(containment: containment, bDocumentsWithSharedGram: withShared,
                                            bDocumentsWithSharedGramShare: sb.documentHits.isEmpty ? 0 : Double(withShared) / Double(sb.documentHits.count),
                                            gramSize: o.ngramSizes.last ?? 13)
        sa.ngrams = []
        sb.ngrams = []
        let m = DocumentTermMatrix.stacked(sa.corpus.matrix, sb.corpus.matrix)
        sa.corpus.matrix = .empty
        sb.corpus.matrix = .empty
        let ca = sa.corpus, cb = sb.corpus
        let na = ca.documents.count, nb = cb.documents.count
        let v = m.vocabulary
        var notes: [String] = []

        // Divergences over the whole union vocabulary.
        let ta = m.columnTotals { $0 < na }, tb = m.columnTotals { $0 >= na }
        let div = CompareReport.Divergences(
            vocabulary: v.count, smoothingAlpha: o.alpha,
            entropyA: Entropy.bits(ta.map { Int($0) }), entropyB: Entropy.bits(tb.map { Int($0) }),
            crossEntropyAB: Divergence.crossEntropy(ta, tb, alpha: o.alpha), crossEntropyBA: Divergence.crossEntropy(tb, ta, alpha: o.alpha),
            klAB: Divergence.kullbackLeibler(ta, tb, alpha: o.alpha), klBA: Divergence.kullbackLeibler(tb, ta, alpha: o.alpha),
            jsd: Divergence.jensenShannon(ta, tb), jsDistance: Divergence.jensenShannonDistance(ta, tb),
            hellinger: Divergence.hellinger(ta, tb), totalVariation: Divergence.totalVariation(ta, tb))

        let (typeToColumn, f) = testFeatures(v, k: o.features)
        let fa = FeatureMatrix<Double>.columnSums(m, rows: 0..<na, typeToColumn: typeToColumn, cols: f)
        let fb = FeatureMatrix<Double>.columnSums(m, rows: na..<(na + nb), typeToColumn: typeToColumn, cols: f)
        let (chi, g) = Divergence.contingency(fa, fb)
        let tableTests = CompareReport.TableTests(
            features: f, chiSquare: chi, g: g,
            note: "token-level asymptotic tests on the top-\(f - 1) types + other; tokens are not independent, so these p-values are far too small — use the permutation test")

        // Design: paired by relative path (or pair field) when asked.
        let pairing = Pairing(a: ca.documents, b: cb.documents, field: o.pairField)
        var design = Design(a: na, b: nb)
        if o.paired {
            guard pairing.pairs > 0 else {
                throw FingerprintError.data("--paired: no document of \(ca.input) matches one of \(cb.input) by \(o.pairField.map { "field '\($0)'" } ?? "relative path")")
            }
            design.strata = pairing.strata
            if pairing.pairs < min(na, nb) {
                notes.append("\(min(na, nb) - pairing.pairs) documents have no partner and keep their side in the paired test")
            }
        } else if pairing.pairs * 2 > min(na, nb) && pairing.pairs >= 2 {
            notes.append("\(pairing.pairs) of \(min(na, nb)) documents have a namesake on the other side: if A and B answer the same prompts, rerun with --paired (the unpaired test is far too conservative on such data)")
        }

        let docs = Array(0..<(na + nb))
        var nullStats: [Double] = [], bootStats: [Double] = []
        Trace.mark("stack, divergences, features")
        let test = try permutationTest(m, docs: docs, design: design, typeToColumn: typeToColumn, cols: f, options: o,
                                       pairs: o.paired ? pairing.pairs : nil, null: &nullStats, bootstrap: &bootStats)
        Trace.mark("permutation test and bootstrap")
        let mmd = try mmdTest(m, na: na, nb: nb, design: design, pairing: o.paired ? pairing : nil, options: o)
        Trace.mark("MMD")

        // Self-baseline: random halves of each side.
        func baseline(_ rows: Range<Int>, stream: UInt64) -> Double? {
            guard rows.count >= 4 else { return nil }
            var rng = Xoshiro256(seed: o.seed, stream: stream)
            var sum = 0.0
            var inHalf = [Bool](repeating: false, count: m.documentCount)
            let all = FeatureMatrix<Double>.columnSums(m, rows: rows, typeToColumn: typeToColumn, cols: f)
            for _ in 0..<o.baselineSplits {
                var idx = Array(rows)
                rng.shuffle(&idx)
                for d in rows { inHalf[d] = false }
                for d in idx.prefix(rows.count / 2) { inHalf[d] = true }
                let x = FeatureMatrix<Double>.columnSums(m, rows: rows, typeToColumn: typeToColumn, cols: f) { inHalf[$0] }
                sum += Divergence.jensenShannon(x, zip(all, x).map { $0 - $1 })
            }
            return sum / Double(o.baselineSplits)
        }
        let selfBaseline = CompareReport.Baseline(splits: o.baselineSplits, a: baseline(0..<na, stream: 0xBA5E_A),
                                                  b: baseline(na..<(na + nb), stream: 0xBA5E_B))
        if o.paired {
            notes.append("the self-baselines split each side across different prompts; in a paired design compare T with the paired null mean instead")
        }

        // Keyness over the union vocabulary.
        Trace.mark("self-baselines")
        let k = Keyness.logOdds(ta, tb, alpha0: o.prior)
        func keyList(_ sign: Double) -> [CompareReport.KeyToken] {
            let ids = Vocabulary.topK(v.count, o.keyTokens) { i in
                let z = k.z[i] * sign
                return z > 0 ? Int((z * 1e6).rounded()) : Int.min + 1
            }.filter { k.z[$0] * sign > 0 }
            return ids.map { CompareReport.KeyToken(token: v.token($0), countA: Int(ta[$0]), countB: Int(tb[$0]), delta: k.delta[$0], z: k.z[$0]) }
        }
        let keyness = CompareReport.Keyness(prior: o.prior, a: keyList(1), b: keyList(-1))

        // N-gram overlap.


        let options = CompareReport.Options(tokenizer: o.tokenizer, features: o.features, permutations: o.permutations,
                                            bootstrap: o.bootstrap, seed: o.seed, paired: o.paired, pairField: o.pairField, prior: o.prior)
        var report = CompareReport(options: options, a: summaryA, b: summaryB, divergence: div, tableTests: tableTests,
                                   test: test, mmd: mmd, selfBaseline: selfBaseline, keyness: keyness, overlap: overlap,
                                   notes: notes, summary: "")
        report.nullStatistics = nullStats
        report.bootstrapStatistics = bootStats
        report.rankFrequencyA = Array(ta.filter { $0 > 0 }.map { Int($0) }.sorted(by: >).prefix(5000))
        report.rankFrequencyB = Array(tb.filter { $0 > 0 }.map { Int($0) }.sorted(by: >).prefix(5000))
        return report
    }

    /// The test's features: the top-K types by pooled count, ties broken by
    /// token (never by order of appearance), and an "other" column. Depends
    /// only on the pooled counts, so it is the same whichever documents sit
    /// in A or B — which the test's calibration requires.
    /// - Returns: the column of each type (K for "other") and the column count K + 1.
    package static func testFeatures(_ v: Vocabulary, k: Int) -> (typeToColumn: [Int32], cols: Int) {
        let top = v.topByCount(k)
        var typeToColumn = [Int32](repeating: Int32(top.count), count: v.count)
        for (c, t) in top.enumerated() { typeToColumn[t] = Int32(c) }
        return (typeToColumn, top.count + 1)
    }

    package static func permutationTest(_ m: DocumentTermMatrix, docs: [Int], design: Design, typeToColumn: [Int32], cols f: Int,
                                options o: CompareOptions, pairs: Int?) throws -> CompareReport.Test {
        var n: [Double] = [], b: [Double] = []
        return try permutationTest(m, docs: docs, design: design, typeToColumn: typeToColumn, cols: f, options: o, pairs: pairs, null: &n, bootstrap: &b)
    }

    package static func permutationTest(_ m: DocumentTermMatrix, docs: [Int], design: Design, typeToColumn: [Int32], cols f: Int,
                                options o: CompareOptions, pairs: Int?, null nullOut: inout [Double], bootstrap bootOut: inout [Double]) throws -> CompareReport.Test {
        let name = design.strata == nil ? "unpaired" : "paired"
        let ta = FeatureMatrix<Double>.columnSums(m, rows: 0..<m.documentCount, typeToColumn: typeToColumn, cols: f) { design.labels[$0] == 0 }
        let tb = FeatureMatrix<Double>.columnSums(m, rows: 0..<m.documentCount, typeToColumn: typeToColumn, cols: f) { design.labels[$0] == 1 }
        let tObs = Divergence.jensenShannon(ta, tb)
        var test = CompareReport.Test(ran: false, reason: nil, design: name, pairs: pairs, features: f, statistic: tObs,
                                      permutations: 0, bootstrap: 0)
        guard design.countA >= 2 && design.countB >= 2 else {
            test.reason = "needs at least 2 documents on each side (A has \(design.countA), B has \(design.countB))"
            return test
        }
        guard design.relabellings > 1 else {
            test.reason = "the design allows no relabelling"
            return test
        }
        var totals = [Double](repeating: 0, count: f)
        for i in 0..<f { totals[i] = ta[i] + tb[i] }
        // Float sums are exact below 2^24; beyond, use Double GEMMs.
        let exactInFloat = (totals.max() ?? 0) < 16_777_216
        let null: [Double]
        let boot: [Double]
        if exactInFloat {
            let x = FeatureMatrix<Float>(m, documents: docs, typeToColumn: typeToColumn, cols: f)
            null = try permutationNull(x, totals: totals, design: design, options: o)
            boot = try bootstrapStatistics(x, design: design, options: o)
        } else {
            let x = FeatureMatrix<Double>(m, documents: docs, typeToColumn: typeToColumn, cols: f)
            null = try permutationNull(x, totals: totals, design: design, options: o)
            boot = try bootstrapStatistics(x, design: design, options: o)
        }
        let r = PermutationTest.summarize(observed: tObs, null: null)
        nullOut = null
        bootOut = boot
        test.ran = true
        test.pValue = r.pValue
        test.minimumPValue = 1 / Double(1 + null.count)
        test.permutations = null.count
        test.nullMean = r.nullMean
        test.nullP95 = r.null95
        test.effect = r.effect
        test.bootstrap = boot.count
        if !boot.isEmpty {
            test.ciLow = PermutationTest.quantile(boot, 0.025)
            test.ciHigh = PermutationTest.quantile(boot, 0.975)
            test.bootstrapBias = boot.reduce(0, +) / Double(boot.count) - tObs
        }
        return test
    }

    /// The permutation statistics of `design`'s relabellings (numbered 0..<P,
    /// seeded by `o.seed`) for group-A sums of `x` against column `totals`.
    @_specialize(exported: true, where T == Float)
    public static func permutationNull<T: BLASScalar>(_ x: FeatureMatrix<T>, totals: [Double], design: Design, options o: CompareOptions) throws -> [Double] {
        let n = design.count, p = o.permutations
        // All relabellings first (in parallel: each has its own random stream),
        // as a P × N 0/1 byte matrix; then one pass over the documents.
        var w = [UInt8](repeating: 0, count: p * n)
        w.withUnsafeMutableBufferPointer { wp in
            let base = wp.baseAddress!
            Parallel.chunks(p, chunk: 16, threads: o.read.threads) { rows in
                for r in rows {
                    // The row holds the labels (0 = A), then becomes the 0/1 indicator of A.
                    let row = UnsafeMutableBufferPointer(start: base + r * n, count: n)
                    design.permutation(r, seed: o.seed, into: row)
                    for d in 0..<n { row[d] = 1 &- row[d] }
                }
            }
        }
        var null = [Double](repeating: 0, count: p)
        try x.multiply(weights: w, weightRows: p) { r, sums in
            null[r] = PermutationTest.jsd(groupA: sums, totals: totals)
        }
        return null
    }

    /// JSD of bootstrap resamples: documents drawn with replacement within
    /// each side; in a paired design whole pairs are drawn (both answers to
    /// a prompt together), so the resamples keep the pairing.
    static func bootstrapStatistics<T: BLASScalar>(_ x: FeatureMatrix<T>, design: Design, options o: CompareOptions) throws -> [Double] {
        guard o.bootstrap > 0 else { return [] }
        let n = design.count
        let aDocs = (0..<n).filter { design.labels[$0] == 0 }
        let bDocs = (0..<n).filter { design.labels[$0] == 1 }
        let pairs = design.strata == nil ? [] : design.strataMembers
        // Rows 2b and 2b+1: multiplicities of A's and B's documents in resample b
        // (saturating at 255: more draws of one document than that is
        // astronomically unlikely).
        var w = [UInt8](repeating: 0, count: 2 * o.bootstrap * n)
        w.withUnsafeMutableBufferPointer { wp in
            let base = wp.baseAddress!
            Parallel.chunks(o.bootstrap, chunk: 8, threads: o.read.threads) { range in
                for b in range {
                    var rng = Xoshiro256(seed: o.seed, stream: 0xB007_0000 &+ UInt64(b))
                    let rowA = base + 2 * b * n, rowB = base + (2 * b + 1) * n
                    func bump(_ row: UnsafeMutablePointer<UInt8>, _ d: Int) { if row[d] < 255 { row[d] += 1 } }
                    if !pairs.isEmpty {
                        for _ in pairs.indices {
                            for d in pairs[rng.next(below: pairs.count)] { bump(design.labels[d] == 0 ? rowA : rowB, d) }
                        }
                    } else {
                        for _ in aDocs.indices { bump(rowA, aDocs[rng.next(below: aDocs.count)]) }
                        for _ in bDocs.indices { bump(rowB, bDocs[rng.next(below: bDocs.count)]) }
                    }
                }
            }
        }
        var groupA = [Double](repeating: 0, count: x.cols)
        var out = [Double](repeating: 0, count: o.bootstrap)
        try x.multiply(weights: w, weightRows: 2 * o.bootstrap) { r, sums in
            if r % 2 == 0 {
                for j in 0..<x.cols { groupA[j] = Double(sums[j]) }
            } else {
                out[r / 2] = Divergence.jensenShannon(groupA, (0..<x.cols).map { Double(sums[$0]) })
            }
        }
        return out
    }

    /// Unbiased MMD² with the cosine kernel between L2-normalised TF-IDF
    /// vectors. With a linear kernel, Σ_{i,j∈A} k(xᵢ, xⱼ) = ‖Σ_A x‖², so every
    /// permutation needs only its group sums: one GEMM, like the JSD test.
    static func mmdTest(_ m: DocumentTermMatrix, na: Int, nb: Int, design: Design, pairing: Pairing?,
                        options o: CompareOptions) throws -> CompareReport.MMD {
        var result = CompareReport.MMD(ran: false, reason: nil, mmd2: 0, pValue: nil, permutations: 0, features: 0,
                                       documentsA: na, documentsB: nb, subsampled: false)
        guard na >= 2 && nb >= 2 else {
            result.reason = "needs at least 2 documents on each side"
            return result
        }
        // Seeded subsample (whole pairs in a paired design).
        var docs: [Int]
        var rng = Xoshiro256(seed: o.seed, stream: 0x4D4D_44)
        if let pairing, design.strata != nil {
            var pairsList = pairing.pairList
            if pairsList.count > o.mmdMaxDocuments {
                rng.shuffle(&pairsList)
                pairsList = Array(pairsList.prefix(o.mmdMaxDocuments))
                result.subsampled = true
            }
            docs = pairsList.flatMap { [$0.0, $0.1] }.sorted()
        } else {
            var a = Array(0..<na), b = Array(na..<(na + nb))
            if a.count > o.mmdMaxDocuments { rng.shuffle(&a); a = Array(a.prefix(o.mmdMaxDocuments)); result.subsampled = true }
            if b.count > o.mmdMaxDocuments { rng.shuffle(&b); b = Array(b.prefix(o.mmdMaxDocuments)); result.subsampled = true }
            docs = (a + b).sorted()
        }
        let sub = Design(labels: docs.map { design.labels[$0] }, strata: design.strata.map { s in docs.map { s[$0] } })
        // TF-IDF over the top types of the subsample's pooled counts (label-free).
        var pooled = [Int](repeating: 0, count: m.typeCount)
        var df = [Int](repeating: 0, count: m.typeCount)
        for d in docs { m.forEach(inRow: d) { t, c in pooled[t] += c; df[t] += 1 } }
        let top = Vocabulary.topK(m.typeCount, o.mmdFeatures) { pooled[$0] }.filter { pooled[$0] > 0 }
        var typeToColumn = [Int32](repeating: -1, count: m.typeCount)
        var idf = [Double](repeating: 0, count: m.typeCount)
        let n = Double(docs.count)
        for (c, t) in top.enumerated() {
            typeToColumn[t] = Int32(c)
            idf[t] = log((1 + n) / (1 + Double(df[t]))) + 1
        }
        result.features = top.count
        result.documentsA = sub.countA
        result.documentsB = sub.countB
        guard !top.isEmpty else { result.reason = "no features"; return result }
        let x = FeatureMatrix<Float>(m, documents: docs, typeToColumn: typeToColumn, cols: top.count, typeWeight: idf, l2Normalize: true)
        let nonzero = x.rowNormsSquared.map { $0 > 0 ? 1.0 : 0.0 }
        let total = x.weightedColumnSums { _ in 1 }
        func mmd2(_ sumA: [Double], _ labels: [UInt8]) -> Double {
            var saa = 0.0, sab = 0.0, sbb = 0.0
            for j in 0..<sumA.count {
                let a = sumA[j], b = total[j] - a
                saa += a * a; sab += a * b; sbb += b * b
            }
            var za = 0.0, zb = 0.0, ma = 0.0, mb = 0.0
            for (i, l) in labels.enumerated() { if l == 0 { za += nonzero[i]; ma += 1 } else { zb += nonzero[i]; mb += 1 } }
            return (saa - za) / (ma * (ma - 1)) + (sbb - zb) / (mb * (mb - 1)) - 2 * sab / (ma * mb)
        }
        let observed = mmd2(x.weightedColumnSums { sub.labels[$0] == 0 ? 1 : 0 }, sub.labels)
        var null = [Double](repeating: 0, count: o.permutations)
        var perms: [Int: [UInt8]] = [:]
        try x.multiply(weightRows: o.permutations, fill: { r, buf in
            let p = sub.permutation(r, seed: o.seed ^ 0x4D4D44)
            perms[r] = p
            for d in 0..<p.count where p[d] == 0 { buf[d] = 1 }
        }, consume: { r, sums in
            null[r] = mmd2((0..<sums.count).map { Double(sums[$0]) }, perms.removeValue(forKey: r)!)
        })
        let s = PermutationTest.summarize(observed: observed, null: null)
        result.ran = true
        result.mmd2 = observed
        result.pValue = s.pValue
        result.permutations = null.count
        return result
    }
}

/// Matches documents of A and B by relative path (or a key).
struct Pairing {
    /// (row in A, row in stacked matrix for B).
    var pairList: [(Int, Int)] = []
    var strata: [Int32]
    var pairs: Int { pairList.count }

    init(a: [DocumentInfo], b: [DocumentInfo], field: String?) {
        func key(_ d: DocumentInfo) -> String { field != nil ? (d.key ?? "") : d.pairName }
        var indexA: [String: Int] = [:]
        var dupA = Set<String>()
        for (i, d) in a.enumerated() {
            let k = key(d)
            if k.isEmpty { continue }
            if indexA[k] != nil { dupA.insert(k) } else { indexA[k] = i }
        }
        var seenB = Set<String>()
        strata = (0..<(a.count + b.count)).map { Int32($0) }
        for (j, d) in b.enumerated() {
            let k = key(d)
            guard !k.isEmpty, !dupA.contains(k), let i = indexA[k], seenB.insert(k).inserted else { continue }
            pairList.append((i, a.count + j))
            strata[a.count + j] = Int32(i)
        }
    }
}

extension DocumentInfo {
    /// The name used to pair documents: the relative path, or for JSONL the line number.
    var pairName: String { name.hasSuffix(".jsonl") || line != nil ? "line \(line ?? 0)" : name }
}

extension FeatureMatrix where T == Double {
    /// Column sums of the feature mapping over `rows` of `m` where `include` holds.
    static func columnSums(_ m: DocumentTermMatrix, rows: Range<Int>, typeToColumn: [Int32], cols: Int,
                           include: (Int) -> Bool = { _ in true }) -> [Double] {
        var s = [Double](repeating: 0, count: cols)
        for d in rows where include(d) {
            for k in m.rowStart[d]..<m.rowStart[d + 1] {
                let c = typeToColumn[Int(m.columns[k])]
                if c >= 0 { s[Int(c)] += Double(m.counts[k]) }
            }
        }
        return s
    }
}

/// Keeps, per document, those of its word n-grams that are in `keep`.
struct GramFilterWorker: DocumentWorker {
    var scanner = WordScanner()
    var sink: Sink
    struct Sink: TokenSink {
        var shingler: Shingler
        let keep: Set<UInt64>
        var found: [UInt64] = []
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {
            if let s = shingler.add(TokenTable.hash(token)), keep.contains(s), !found.contains(s) { found.append(s) }
        }
    }
    init(n: Int, keep: Set<UInt64>) { sink = Sink(shingler: Shingler(n: n), keep: keep) }
    var invalidSequences: Int { scanner.invalidSequences }
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) { scanner.feed(chunk, into: &sink) }
    mutating func finish() -> [UInt64] {
        scanner.finish(into: &sink)
        let f = sink.found
        sink.found.removeAll(keepingCapacity: true)
        sink.shingler.reset()
        return f
    }
    mutating func discard() {
        var null = NullSink()
        scanner.finish(into: &null)
        sink.found.removeAll(keepingCapacity: true)
        sink.shingler.reset()
    }
    func release() { scanner.release() }
}
