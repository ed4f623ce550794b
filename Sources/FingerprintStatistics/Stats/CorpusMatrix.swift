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

    enum CodingKeys: String, CodingKey {
        case schema, version, mode, directory, tokenizer, features, corpora, jsd
        case centroidCosine = "centroid_cosine"
        case merges, order, notes
    }

    /// - Complexity: one read and count of the corpus, then O(nnz + k²·V) for k corpora of V types.
    public static func compute(_ input: CorpusInput, options o: BatchOptions, progress: ProgressSink? = nil) throws -> CorpusMatrixReport {
        let c = try Counter.count(input, tokenizer: o.tokenizer, options: o.read, progress: progress)
        var groups: [String: [Int]] = [:]
        var notes: [String] = []
        var loose = 0
        // Groups: the JSONL field `input.groupField` (--by-field), else the
        // first path component (--by-subdir).
        for (i, d) in c.documents.enumerated() {
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
        if loose > 0 {
            notes.append(
                input.groupField.map { "\(loose) documents have no field '\($0)' and were left out" }
                    ?? "\(loose) documents directly in \(input.path) belong to no subdirectory and were left out")
        }
        let names = groups.keys.sorted()
        guard names.count >= 2 else {
            throw FingerprintError.badData(
                path: input.path,
                reason: input.groupField.map {
                    "needs at least 2 values of field '\($0)' to compare them as corpora (found \(names.count))"
                }
                    ?? "needs at least 2 subdirectories with documents to compare them as corpora (found \(names.count))"
            )
        }
        let m = c.matrix
        let totals = names.map { FeatureMatrix<Double>.pooled(m, rows: groups[$0]!) }
        let t = TfIdfMatrix(m, features: o.features, sublinear: o.sublinear)
        let centroids: [[Double]] = names.map { n in
            var v = [Double](repeating: 0, count: t.cols)
            for d in groups[n]! { for k in t.rowStart[d]..<t.rowStart[d + 1] { v[Int(t.columns[k])] += Double(t.values[k]) } }
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
                cos[i][j] = zip(centroids[i], centroids[j]).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
        let (merges, order) = AverageLinkage.cluster(jsd)
        let corpora = names.map { n in Corpus(name: n, documents: groups[n]!.count, tokens: groups[n]!.reduce(0) { $0 + m.lengths[$1] }) }
        var report = CorpusMatrixReport(
            directory: input.path, tokenizer: o.tokenizer, features: t.cols, corpora: corpora,
            jsd: jsd, centroidCosine: cos, merges: merges, order: order, notes: notes)
        if let f = input.groupField { report.mode = "by-field \(f)" }
        return report
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
