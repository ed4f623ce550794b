import FingerprintCore
import Foundation

/// The distance between two bodies of documents that corpus-level
/// attribution ranks and tests by.
public enum CorpusDistance: String, Codable, Sendable, CaseIterable {
    /// Cosine Delta between the centroids of z-scores (1 − cosine).
    case cosine
    /// JSD (bits) between the pooled token distributions of the first
    /// feature family (the `--tokenizer` types), over its whole vocabulary.
    case jsd
}

/// Which candidate wrote a questioned corpus as a whole.
public struct CorpusAttribution: Codable, Sendable {
    public struct Distance: Codable, Sendable {
        public var candidate: String
        public var cosineDelta: Double
        public var jsd: Double
        enum CodingKeys: String, CodingKey {
            case candidate
            case cosineDelta = "cosine_delta"
            case jsd
        }
    }

    /// "Q is closer to `nearest` than to `other`": a permutation test with
    /// documents as units.
    public struct Test: Codable, Sendable {
        public var nearest: String
        public var other: String
        /// T = d(Q, other) − d(Q, nearest) ≥ 0.
        public var statistic: Double
        public var pValue: Double
        public var permutations: Int
        public var nullMean: Double
        public var null95: Double
        enum CodingKeys: String, CodingKey {
            case nearest, other, statistic
            case pValue = "p_value"
            case permutations
            case nullMean = "null_mean"
            case null95 = "null_95"
        }
    }

    public var documents: Int
    public var distance: CorpusDistance
    /// Every candidate, nearest first by `distance`.
    public var distances: [Distance]
    public var nearest: String
    public var tests: [Test]
}

extension Attribution {
    /// Relabelling i of the corpus-level test: stream "PERM" + i, as in
    /// `compare` (`Design.permutation`).
    /// Corpus-level attribution of the questioned documents (label −1) of
    /// `data` as one corpus Q.
    ///
    /// Features are chosen and z-scored on all reference documents pooled,
    /// so they do not change when documents are relabelled between two
    /// candidates. d(Q, X) is the Cosine Delta of the z-score centroids or
    /// the JSD of the pooled `tokenizer` counts. For the nearest candidate A
    /// and each other candidate C, T = d(Q, C) − d(Q, A); the null relabels
    /// the documents of A and C at random (sizes kept). A was chosen as the
    /// nearer of the two, so each relabelling chooses its nearer too: the
    /// null statistic is |d(Q, C*) − d(Q, A*)|, and
    /// p = (1 + #{T* ≥ T}) / (1 + permutations). Without that, picking the
    /// nearer would double the false-positive rate.
    /// - Complexity: permutations × (documents of A and C) × (features, or
    ///   the entries of their rows for JSD).
    package static func corpusLevel(
        _ data: AttributionData, families: [FeatureFamily], options o: AttributionOptions, distance: CorpusDistance,
        permutations: Int
    ) throws -> CorpusAttribution {
        let reference = data.labels.indices.filter { data.labels[$0] >= 0 }
        let questioned = data.labels.indices.filter { data.labels[$0] < 0 }
        guard !questioned.isEmpty else {
            throw FingerprintError.noDocuments(path: "questioned", reason: "has no document to attribute as a corpus", patterns: [])
        }
        let f = FoldFeatures.build(families, options: o.features, training: reference, documents: reference + questioned)
        let p = f.cols
        let k = data.classes.count
        let nr = reference.count
        // Rows of z: reference documents first (in `reference` order), then Q.
        var q = [Double](repeating: 0, count: p)
        for i in nr..<f.rows { for j in 0..<p { q[j] += f.z[i * p + j] } }
        let qNorm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let fam = families[0]
        var qCounts = [Double](repeating: 0, count: fam.typeCount)
        for d in questioned { fam.forEach(inRow: d) { t, c in qCounts[t] += Double(c) } }
        let qTotal = qCounts.reduce(0, +)

        func cosineDelta(_ rows: [Int]) -> Double {  // rows index into z
            var s = [Double](repeating: 0, count: p)
            for i in rows { for j in 0..<p { s[j] += f.z[i * p + j] } }
            var d = 0.0
            var n = 0.0
            for j in 0..<p {
                d += s[j] * q[j]
                n += s[j] * s[j]
            }
            return n > 0 && qNorm > 0 ? 1 - d / (n.squareRoot() * qNorm) : 1
        }
        // The types of Q and of any reference document: the JSD support, the
        // same for every relabelling (types absent from both sides add 0).
        var present = qCounts.map { $0 > 0 }
        for d in reference { fam.forEach(inRow: d) { t, _ in present[t] = true } }
        let support = present.indices.filter { present[$0] }
        func jsd(_ docs: [Int]) -> Double {  // docs index into data
            var c = [Double](repeating: 0, count: fam.typeCount)
            var total = 0.0
            for d in docs {
                fam.forEach(inRow: d) { t, n in
                    c[t] += Double(n)
                    total += Double(n)
                }
            }
            return Divergence.jensenShannon(count: support.count, totalA: qTotal, totalB: total) { i in (qCounts[support[i]], c[support[i]])
            }
        }
        var rowsOf = [[Int]](repeating: [], count: k)
        for (i, d) in reference.enumerated() { rowsOf[data.labels[d]].append(i) }
        let distances = (0..<k).map { c in
            CorpusAttribution.Distance(
                candidate: data.classes[c], cosineDelta: cosineDelta(rowsOf[c]), jsd: jsd(rowsOf[c].map { reference[$0] }))
        }
        func d(_ x: CorpusAttribution.Distance) -> Double { distance == .cosine ? x.cosineDelta : x.jsd }
        let order = (0..<k).filter { !rowsOf[$0].isEmpty }.sorted {
            d(distances[$0]) != d(distances[$1]) ? d(distances[$0]) < d(distances[$1]) : $0 < $1
        }
        let a = order[0]
        var tests: [CorpusAttribution.Test] = []
        for c in order.dropFirst() {
            let pooled = rowsOf[a] + rowsOf[c]
            func distanceOf(_ rows: [Int]) -> Double { distance == .cosine ? cosineDelta(rows) : jsd(rows.map { reference[$0] }) }
            let t = d(distances[c]) - d(distances[a])
            let design = Design(a: rowsOf[a].count, b: rowsOf[c].count)
            let null = try Parallel.map(permutations, threads: o.threads) { i -> Double in
                let labels = design.permutation(i, seed: o.seed)
                var ra: [Int] = []
                var rc: [Int] = []
                for (m, l) in labels.enumerated() {
                    if l == 0 { ra.append(pooled[m]) } else { rc.append(pooled[m]) }
                }
                return abs(distanceOf(rc) - distanceOf(ra))
            }
            let r = PermutationTest.summarize(observed: t, null: null)
            tests.append(
                CorpusAttribution.Test(
                    nearest: data.classes[a], other: data.classes[c], statistic: t, pValue: r.pValue, permutations: permutations,
                    nullMean: r.nullMean, null95: r.null95))
        }
        return CorpusAttribution(
            documents: questioned.count, distance: distance, distances: order.map { distances[$0] }, nearest: data.classes[a], tests: tests)
    }
}
