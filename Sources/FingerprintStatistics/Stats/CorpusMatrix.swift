import FingerprintCore
import Foundation

/// `batch --by-subdir`: each subdirectory of a directory is one corpus
/// (e.g. the outputs of one model); corpus × corpus JSD and TF-IDF-centroid
/// cosine, and an average-linkage clustering of the corpora by JSD.
public struct CorpusMatrixReport: Codable, Sendable {
    public struct Corpus: Codable, Sendable {
        public var name: String
        public var documents: Int
        public var tokens: Int
    }
    public var schema = "fingerprint.batch/1"
    public var version = Fingerprint.version
    public var mode = "by-subdir"
    public var directory: String
    public var tokenizer: TokenizerSpec
    public var features: Int
    public var corpora: [Corpus]
    /// JSD (bits) between the corpora's pooled token distributions.
    public var jsd: [[Double]]
    /// Cosine between the corpora's mean L2-normalised TF-IDF vectors.
    public var centroidCosine: [[Double]]
    public var merges: [AverageLinkage.Merge]
    /// Corpus indices in dendrogram order.
    public var order: [Int]
    public var notes: [String]
    /// Each corpus against itself: JSD between random halves of its
    /// documents (mean and standard deviation over the splits), the scale
    /// against which the JSD between two corpora means something.
    public var selfBaseline: [Baseline] = []
    /// Every pair of corpora: the document-level permutation test of
    /// `compare` (JSD over the pair's top types + other; p-value, null mean,
    /// effect). A large p says the two are not distinguishable at this size.
    public var tests: [PairTest] = []
    /// Inputs skipped while reading (counted and listed as every report does).
    public var skips: [Skip] = []

    public struct Baseline: Codable, Sendable {
        public var corpus: String
        public var splits: Int
        public var mean: Double?
        public var sd: Double?
    }

    public struct PairTest: Codable, Sendable {
        public var a: String
        public var b: String
        public var design: String
        public var pairs: Int?
        public var features: Int
        public var statistic: Double
        public var pValue: Double?
        public var nullMean: Double?
        public var effect: Double?
        public var permutations: Int
        enum CodingKeys: String, CodingKey {
            case a, b, design, pairs, features, statistic
            case pValue = "p_value"
            case nullMean = "null_mean"
            case effect, permutations
        }
    }

    enum CodingKeys: String, CodingKey {
        case schema, version, mode, directory, tokenizer, features, corpora, jsd
        case centroidCosine = "centroid_cosine"
        case merges, order, notes
        case selfBaseline = "self_baseline"
        case tests, skips
    }

    /// - Complexity: one read and count of the corpus, then O(nnz + k²·V) for k corpora of V types.
    /// `labels`: a `path,corpus` table (`--labels FILE.csv`) that names each
    /// document's corpus, instead of its subdirectory or `input.groupField`.
    public static func compute(
        _ input: CorpusInput, labels: String? = nil, options o: BatchOptions, progress: ProgressSink? = nil
    ) throws -> CorpusMatrixReport {
        let table = try labels.map { try LabelTable.read($0) }
        let c = try Counter.count(input, tokenizer: o.tokenizer, options: o.read, progress: progress)
        var groups: [String: [Int]] = [:]
        var notes: [String] = []
        var loose = 0
        // Groups: the JSONL field `input.groupField` (--by-field), else the
        // first path component (--by-subdir).
        for (i, d) in c.documents.enumerated() {
            if let table {
                guard let g = LabelTable.lookup(table, d) else {
                    loose += 1
                    continue
                }
                groups[g, default: []].append(i)
                continue
            }
            if input.groupField != nil {
                guard let g = d.group else {
                    loose += 1
                    continue
                }
                groups[g, default: []].append(i)
                continue
            }
            let parts = d.name.split(separator: "/", maxSplits: 1)
            if parts.count < 2 {
                loose += 1
                continue
            }
            groups[String(parts[0]), default: []].append(i)
        }
        if let table, let labels, let note = LabelTable.unmatchedNote(table, c.documents, table: labels) { notes.append(note) }
        if loose > 0 {
            notes.append(
                labels.map { "\(loose) documents have no row in \($0) and were left out" }
                    ?? input.groupField.map { "\(loose) documents have no field '\($0)' and were left out" }
                    ?? "\(loose) documents directly in \(input.path) belong to no subdirectory and were left out")
        }
        // A corpus without a token has no distribution: its JSD to every other
        // would be 0 and it would join the first at distance 0 (review 31a).
        let empty = groups.keys.sorted().filter { g in groups[g]!.allSatisfy { c.matrix.lengths[$0] == 0 } }
        if !empty.isEmpty {
            for g in empty { groups[g] = nil }
            notes.append(
                "\(empty.count == 1 ? "corpus" : "corpora") \(empty.map { "'\($0.terminalSafe)'" }.joined(separator: ", ")) "
                    + "\(empty.count == 1 ? "holds" : "hold") no \(o.tokenizer) token and \(empty.count == 1 ? "was" : "were") left out")
        }
        let names = groups.keys.sorted()
        guard names.count >= 2 else {
            throw FingerprintError.badData(
                path: input.path,
                reason: (labels.map { "needs at least 2 corpora named in \($0) (found \(names.count)" }
                    ?? input.groupField.map {
                        "needs at least 2 values of field '\($0)' to compare them as corpora (found \(names.count)"
                    }
                    ?? "needs at least 2 subdirectories with documents to compare them as corpora (found \(names.count)")
                    + (empty.isEmpty
                        ? ")"
                        : " with a token; \(empty.map { "'\($0.terminalSafe)'" }.joined(separator: ", ")) \(empty.count == 1 ? "holds" : "hold") none)")
            )
        }
        let m = c.matrix
        let totals = names.map { FeatureMatrix<Double>.pooled(m, rows: groups[$0]!) }
        // The documents left out take no part in the vocabulary nor the idf
        // (review 31a: they moved the centroid cosines).
        let grouped = groups.values.flatMap { $0 }.sorted()
        let kept = grouped.count < m.documentCount ? grouped : nil
        let t = TfIdfMatrix(m, features: o.features, sublinear: o.sublinear, documents: kept)
        let row = kept.map { k in Dictionary(uniqueKeysWithValues: k.enumerated().map { ($1, $0) }) }
        let centroids: [[Double]] = names.map { n in
            var v = [Double](repeating: 0, count: t.cols)
            for doc in groups[n]! {
                let d = row?[doc] ?? doc
                for k in t.rowStart[d]..<t.rowStart[d + 1] { v[Int(t.columns[k])] += Double(t.values[k]) }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? v.map { $0 / norm } : v
        }
        let k = names.count
        var jsd = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var cos = jsd
        for i in 0..<k {
            for j in 0..<k {
                if i < j {
                    jsd[i][j] = Divergence.jensenShannon(totals[i], totals[j])
                    jsd[j][i] = jsd[i][j]
                }
                // Capped at 1 as document scores are (the diagonal summed to 1.0000000000000007).
                cos[i][j] = min(zip(centroids[i], centroids[j]).reduce(0) { $0 + $1.0 * $1.1 }, 1)
            }
        }
        let (merges, order) = AverageLinkage.cluster(jsd)
        let corpora = names.map { n in Corpus(name: n, documents: groups[n]!.count, tokens: groups[n]!.reduce(0) { $0 + m.lengths[$1] }) }
        var report = CorpusMatrixReport(
            directory: input.path, tokenizer: o.tokenizer, features: t.cols, corpora: corpora,
            jsd: jsd, centroidCosine: cos, merges: merges, order: order, notes: notes)
        report.skips = c.skips
        if let f = input.groupField { report.mode = "by-field \(f)" }
        if let labels { report.mode = "labels \(labels)" }
        report.selfBaseline = names.enumerated().map { g, n in
            let s = selfBaseline(m, rows: groups[n]!, splits: o.baselineSplits, seed: o.seed, stream: UInt64(g))
            return Baseline(corpus: n, splits: o.baselineSplits, mean: s?.mean, sd: s?.sd)
        }
        if o.permutations > 0 {
            for i in 0..<k {
                for j in (i + 1)..<k {
                    report.tests.append(
                        try pairTest(
                            m, c.documents, a: groups[names[i]]!, b: groups[names[j]]!, names: (names[i], names[j]),
                            byField: input.groupField != nil, options: o, stream: UInt64(i * k + j)))
                }
            }
        }
        return report
    }
}

extension CorpusMatrixReport {
    /// JSD between the pooled counts of random halves of `rows` over all
    /// types, `splits` times: mean and standard deviation (nil under 4 documents).
    static func selfBaseline(_ m: DocumentTermMatrix, rows: [Int], splits: Int, seed: UInt64, stream: UInt64) -> (mean: Double, sd: Double)?
    {
        guard rows.count >= 4, splits > 0 else { return nil }
        var rng = Xoshiro256(seed: seed, stream: 0xBA5E_0000 &+ stream)
        var values: [Double] = []
        for _ in 0..<splits {
            var idx = rows
            rng.shuffle(&idx)
            let half = idx.count / 2
            let x = FeatureMatrix<Double>.pooled(m, rows: Array(idx[..<half]))
            let y = FeatureMatrix<Double>.pooled(m, rows: Array(idx[half...]))
            values.append(Divergence.jensenShannon(x, y))
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, values.count - 1))).squareRoot()
        return (mean, sd)
    }

    /// The permutation test of `compare` between the documents `a` and `b`
    /// of `m`: features are the top types of their pooled counts (label-free),
    /// relabellings from `o.seed` (paired: within documents matched by their
    /// name inside the corpus, or by the JSONL pair key).
    static func pairTest(
        _ m: DocumentTermMatrix, _ documents: [DocumentInfo], a: [Int], b: [Int], names: (String, String), byField: Bool,
        options o: BatchOptions, stream: UInt64
    ) throws -> PairTest {
        let docs = a + b
        var pooled = [Int](repeating: 0, count: m.typeCount)
        for d in docs { m.forEach(inRow: d) { t, c in pooled[t] += c } }
        let top = Vocabulary.topK(m.typeCount, o.testFeatures) { pooled[$0] }.filter { pooled[$0] > 0 }
        var typeToColumn = [Int32](repeating: Int32(top.count), count: m.typeCount)
        for (c, t) in top.enumerated() { typeToColumn[t] = Int32(c) }
        let cols = top.count + 1
        var design = Design(a: a.count, b: b.count)
        var pairs: Int? = nil
        if o.paired {
            // The key of a document within its corpus: the pair field, or the path after the corpus's folder.
            func key(_ d: Int) -> String? {
                let info = documents[d]
                if byField { return info.key }
                return info.name.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init)
            }
            var first: [String: Int] = [:]
            var strata = (0..<docs.count).map { Int32($0) }
            for (i, d) in a.enumerated() { if let k = key(d), first[k] == nil { first[k] = i } }
            var matched = 0
            for (j, d) in b.enumerated() {
                if let k = key(d), let i = first[k] {
                    strata[a.count + j] = Int32(i)
                    first[k] = nil
                    matched += 1
                }
            }
            design.strata = strata
            pairs = matched
        }
        let x = FeatureMatrix<Float>(m, documents: docs, typeToColumn: typeToColumn, cols: cols)
        let ta = x.weightedColumnSums { $0 < a.count ? 1 : 0 }
        let tb = x.weightedColumnSums { $0 < a.count ? 0 : 1 }
        // Float group sums are exact below 2^24; beyond, the GEMMs run in Double.
        let exactInFloat = zip(ta, tb).allSatisfy { $0 + $1 < 16_777_216 }
        let statistic = Divergence.jensenShannon(ta, tb)
        var test = PairTest(
            a: names.0, b: names.1, design: o.paired ? "paired" : "unpaired", pairs: pairs, features: cols, statistic: statistic,
            pValue: nil, nullMean: nil, effect: nil, permutations: 0)
        guard design.countA >= 2, design.countB >= 2, design.relabellings > 1 else { return test }
        let totals = zip(ta, tb).map { $0 + $1 }
        let seed = o.seed ^ (stream &* 0x9E37_79B9)
        let null =
            exactInFloat
            ? try PermutationTest.null(x, totals: totals, design: design, permutations: o.permutations, seed: seed, threads: o.read.threads)
            : try PermutationTest.null(
                FeatureMatrix<Double>(m, documents: docs, typeToColumn: typeToColumn, cols: cols), totals: totals, design: design,
                permutations: o.permutations, seed: seed, threads: o.read.threads)
        let r = PermutationTest.summarize(observed: statistic, null: null)
        test.pValue = r.pValue
        test.nullMean = r.nullMean
        test.effect = r.effect
        test.permutations = null.count
        return test
    }
}

extension FeatureMatrix where T == Double {
    /// Pooled counts of `rows` over all types of `m`.
    static func pooled(_ m: DocumentTermMatrix, rows: [Int]) -> [Double] {
        var s = [Double](repeating: 0, count: m.typeCount)
        for d in rows { m.forEach(inRow: d) { t, c in s[t] += Double(c) } }
        return s
    }
}
