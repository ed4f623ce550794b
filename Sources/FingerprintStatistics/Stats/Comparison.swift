import FingerprintCore
import Foundation

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

    static func countSide(
        _ input: CorpusInput, options o: CompareOptions, reference: [NGramIndex]?,
        progress: ProgressSink?
    ) throws -> Counted {
        if input.kind == .fingerprint {
            let side = try FingerprintStore.compareSide(
                input, tokenizer: o.tokenizer, sizes: o.collectedSizes, reference: reference?[o.ngramSizes.count - 1],
                strict: o.read.strict)
            return Counted(
                corpus: side.corpus, ngrams: side.ngrams, documentHits: side.documentHits,
                hitHashes: side.documentHits.map { _ in [] })
        }
        // B's worker counts hits against A's n-grams of the last containment
        // size (13) and keeps as passage candidates those of the candidate size.
        let sizes = o.collectedSizes
        let candidateIndex = sizes.firstIndex(of: o.passageCandidateSize)!
        var scan = try CorpusReader.read(input, options: o.read, progress: progress) {
            CompareWorker(
                tokenizer: o.tokenizer, hashed: false, ngramSizes: sizes, reference: reference?[o.ngramSizes.count - 1],
                reportIndex: o.ngramSizes.count - 1, candidate: reference.map { (candidateIndex, $0[candidateIndex]) })
        }
        Trace.mark("  read, tokenise, count, n-grams")
        let matrix = Counter.merge(
            scan.outputs.map { ($0.worker, $0.output.counts) }, workers: scan.workers.map(\.counting),
            hashed: false, buildMatrix: true)
        Trace.mark("  merge vocabularies")
        let corpus = CountedCorpus(
            input: input.description, tokenizer: o.tokenizer, documents: scan.documents, matrix: matrix,
            skips: scan.skips, bytes: scan.bytes, invalidSequences: scan.invalidSequences, truncatedTokens: scan.truncatedTokens)
        // The per-document counts and the workers' token tables are in the
        // matrix now: free them before the n-gram sets are sorted (the peak
        // of a large comparison), keeping only the n-gram collectors.
        let hits = scan.outputs.map { $0.output.hits }
        let hitHashes = scan.outputs.map { $0.output.hitHashes }
        let collectors = scan.workers.map(\.ngrams)
        for w in scan.workers { w.release() }
        scan.outputs = []
        scan.workers = []
        // One size at a time, releasing each worker's array once copied.
        let ngrams = (0..<sizes.count).map { k -> NGramIndex in
            var parts = collectors.map { $0.takeAll(k) }
            return NGramIndex(parts: &parts)
        }
        return Counted(corpus: corpus, ngrams: ngrams, documentHits: hits, hitHashes: hitHashes)
    }

    /// Runs the whole comparison.
    /// - Complexity: reading, tokenising and counting are linear in the
    ///   bytes; the permutation test and the bootstrap are GEMMs of
    ///   (permutations + 2·bootstrap) × documents × (features + 1) flops,
    ///   in blocks of bounded memory; MMD is another such GEMM over at most
    ///   `mmdMaxDocuments` documents a side.
    public static func run(
        _ inputA: CorpusInput, _ inputB: CorpusInput, options o: CompareOptions,
        progress: ProgressSink? = nil
    ) throws -> CompareReport {
        Trace.mark("start")
        var sideA = try countSide(inputA, options: o, reference: nil, progress: progress)
        Trace.mark("read and count A")
        var sideB = try countSide(inputB, options: o, reference: sideA.ngrams, progress: progress)
        Trace.mark("read and count B")
        try FingerprintStore.requireSameKey(sideA.corpus, sideB.corpus)
        let files = [inputA, inputB].filter { $0.kind == .fingerprint }.map(\.path)
        var passageNotes: [String] = []
        let passages =
            files.isEmpty ? try sharedPassages(sideA, sideB, inputA: inputA, inputB: inputB, options: o, notes: &passageNotes) : []
        Trace.mark("shared passages")
        var report = try analyze(&sideA, &sideB, options: o)
        report.passages = passages
        report.notes += passageNotes
        if !files.isEmpty && o.passages > 0 {
            report.notes.append(
                "shared passages: unavailable (\(files.joined(separator: " and ")) \(files.count == 1 ? "is a fingerprint file" : "are fingerprint files"), which keep no text); the n-gram overlap above is exact"
            )
        }
        return report
    }

    static func side(_ c: CountedCorpus) -> CompareReport.Side {
        CompareReport.Side(
            path: c.input, documents: c.documents.count, tokens: c.matrix.tokenCount, types: c.matrix.typeCount,
            bytes: c.bytes, invalidUTF8: c.invalidSequences, truncatedTokens: c.truncatedTokens, skipped: c.skips.count, skips: c.skips)
    }

    /// Analyses two counted sides. Their matrices are released once stacked
    /// (the stacked copy replaces them), to keep peak memory down.
    static func analyze(_ sa: inout Counted, _ sb: inout Counted, options o: CompareOptions) throws -> CompareReport {
        let summaryA = side(sa.corpus)
        let summaryB = side(sb.corpus)
        // N-gram overlap first, then free the n-gram sets (the largest
        // structures of a big comparison) before the permutation test.
        let containment = zip(o.ngramSizes, zip(sa.ngrams, sb.ngrams)).map { Containment(n: $0, a: $1.0, b: $1.1) }
        let withShared = sb.documentHits.filter { $0 > 0 }.count
        let overlap = CompareReport.Overlap(
            containment: containment, bDocumentsWithSharedGram: withShared,
            bDocumentsWithSharedGramShare: sb.documentHits.isEmpty ? 0 : Double(withShared) / Double(sb.documentHits.count),
            gramSize: o.ngramSizes.last ?? 13)
        sa.ngrams = []
        sb.ngrams = []
        let m = DocumentTermMatrix.stacked(sa.corpus.matrix, sb.corpus.matrix)
        sa.corpus.matrix = .empty
        sb.corpus.matrix = .empty
        let ca = sa.corpus
        let cb = sb.corpus
        let na = ca.documents.count
        let nb = cb.documents.count
        let v = m.vocabulary
        var notes: [String] = []

        // Divergences over the whole union vocabulary.
        let ta = m.columnTotals { $0 < na }
        let tb = m.columnTotals { $0 >= na }
        let div = CompareReport.Divergences(
            vocabulary: v.count, smoothingAlpha: o.alpha,
            entropyA: Entropy.bits(ta.map { Int($0) }), entropyB: Entropy.bits(tb.map { Int($0) }),
            crossEntropyAB: Divergence.crossEntropy(ta, tb, alpha: o.alpha),
            crossEntropyBA: Divergence.crossEntropy(tb, ta, alpha: o.alpha),
            klAB: Divergence.kullbackLeibler(ta, tb, alpha: o.alpha), klBA: Divergence.kullbackLeibler(tb, ta, alpha: o.alpha),
            jsd: Divergence.jensenShannon(ta, tb), jsDistance: Divergence.jensenShannonDistance(ta, tb),
            hellinger: Divergence.hellinger(ta, tb), totalVariation: Divergence.totalVariation(ta, tb))

        let (typeToColumn, f) = testFeatures(v, k: o.features)
        let fa = FeatureMatrix<Double>.columnSums(m, rows: 0..<na, typeToColumn: typeToColumn, cols: f)
        let fb = FeatureMatrix<Double>.columnSums(m, rows: na..<(na + nb), typeToColumn: typeToColumn, cols: f)
        let (chi, g) = Divergence.contingency(fa, fb)
        let tableTests = CompareReport.TableTests(
            features: f, chiSquare: chi, g: g,
            note:
                "token-level asymptotic tests on the top-\(f - 1) types + other; tokens are not independent, so these p-values are far too small — use the permutation test"
        )

        // Design: paired by relative path (or pair field) when asked.
        let pairing = Pairing(a: ca.documents, b: cb.documents, field: o.pairField)
        var design = Design(a: na, b: nb)
        if o.paired {
            guard pairing.pairs > 0 else {
                let by = o.pairField.map { "field '\($0)'" } ?? "relative path"
                let repeated = pairing.repeatedKeys
                throw FingerprintError.noPairs(
                    a: ca.input, b: cb.input,
                    key: by + (repeated > 0 ? " (\(repeated) values are held by more than one document of a side)" : ""))
            }
            design.strata = pairing.strata
            // Every document outside a pair keeps its side (review 31a: the note counted
            // min(na, nb) − pairs, 2 where 12 + 11 documents in 9 pairs leave 5).
            let unpaired = na + nb - 2 * pairing.pairs
            if unpaired > 0 {
                notes.append(
                    "\(unpaired) \(unpaired == 1 ? "document has" : "documents have") no partner and \(unpaired == 1 ? "keeps its" : "keep their") side in the paired test"
                )
            }
            if pairing.repeatedKeys > 0 {
                notes.append(
                    "\(pairing.repeatedKeys) pairing values are held by more than one document of a side: in A such documents are not paired, in B only the first is"
                )
            }
        } else if pairing.pairs * 2 > min(na, nb) && pairing.pairs >= 4 && pairing.namesakesAreCloser(m) {
            notes.append(
                "\(pairing.pairs) of \(min(na, nb)) documents have a namesake on the other side: if A and B answer the same prompts, rerun with --paired (the unpaired test is far too conservative on such data)"
            )
        }

        let docs = Array(0..<(na + nb))
        var nullStats: [Double] = []
        var bootStats: [Double] = []
        Trace.mark("stack, divergences, features")
        let test = try permutationTest(
            m, docs: docs, design: design, typeToColumn: typeToColumn, cols: f, options: o,
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
        let selfBaseline = CompareReport.Baseline(
            splits: o.baselineSplits, a: baseline(0..<na, stream: 0xBA5E_A),
            b: baseline(na..<(na + nb), stream: 0xBA5E_B))
        if o.paired {
            notes.append(
                "the self-baselines split each side across different prompts; in a paired design compare T with the paired null mean instead"
            )
        }

        // Keyness over the union vocabulary.
        Trace.mark("self-baselines")
        let k = Keyness.logOdds(ta, tb, alpha0: o.prior)
        func keyList(_ sign: Double) -> [CompareReport.KeyToken] {
            let ids = Vocabulary.topK(v.count, o.keyTokens) { i in
                let z = k.z[i] * sign
                return z > 0 ? Int((z * 1e6).rounded()) : Int.min + 1
            }.filter { k.z[$0] * sign > 0 }
            return ids.map {
                CompareReport.KeyToken(token: v.token($0), countA: Int(ta[$0]), countB: Int(tb[$0]), delta: k.delta[$0], z: k.z[$0])
            }
        }
        let keyness = CompareReport.Keyness(prior: o.prior, a: keyList(1), b: keyList(-1))

        // N-gram overlap.

        let options = CompareReport.Options(
            tokenizer: o.tokenizer, features: o.features, permutations: o.permutations,
            bootstrap: o.bootstrap, seed: o.seed, paired: o.paired, pairField: o.pairField, prior: o.prior)
        var report = CompareReport(
            options: options, a: summaryA, b: summaryB, divergence: div, tableTests: tableTests,
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
}
