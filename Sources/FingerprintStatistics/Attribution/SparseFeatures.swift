import FingerprintCore
import Foundation

/// How `attribute` turns counts into feature values (`--weighting`).
public enum FeatureWeighting: String, Codable, Sendable, CaseIterable {
    /// Relative frequencies of a capped set of types, z-scored over the
    /// training documents (Burrows), in a dense matrix.
    case zscore
    /// TF-IDF as scikit-learn's `TfidfVectorizer` computes it: raw count
    /// (or 1 + ln count with `sublinearTF`) × smooth idf from the training
    /// documents, each row L2-normalised over all its features; every type
    /// seen in training is kept unless capped; a sparse matrix (`--method
    /// linear` only).
    case tfidf
}

/// The TF-IDF features of one training set, sparse: a column for every
/// selected type (the training documents alone decide which, and their idf),
/// and the L2-normalised TF-IDF row of every document asked for.
///
/// Columns are numbered by descending training document frequency (ties by
/// family, then by the type's UTF-8 byte order), so the weights of the
/// n-grams most rows hold lie together in memory.
package struct SparseFoldFeatures: Sendable {
    /// Feature names, as `family token` (e.g. `char:3 th`).
    package var names: [String]
    /// A model token's text, by feature (as `FoldFeatures.texts`).
    package var texts: [String?] = []
    /// Smooth idf of each column: ln((1 + n) / (1 + df)) + 1, n training documents.
    package var idf: [Double]
    /// CSR rows of the documents asked for, in order.
    package var rowStart: [Int64]
    package var columns: [Int32]
    package var values: [Float]
    package var rows: Int { rowStart.count - 1 }
    package var cols: Int { names.count }

    /// Selects the columns by the training documents only, then weights and
    /// normalises `documents`.
    ///
    /// A type is selected when some training document holds it; with a cap
    /// (`mfw` for the first family when it is the `--tokenizer` family,
    /// `charFeatures` for character families), only the cap's most frequent
    /// by training count (ties by byte order). The value of column j in a
    /// document is tf × idf_j, where tf is the count, or 1 + ln(count) with
    /// `o.sublinearTF`; the row is then divided by its Euclidean
    /// norm (a row with no selected type stays empty).
    /// - Complexity: O(nnz of the training rows + V) to select, then
    ///   O(nnz of `documents`).
    package static func build(
        _ families: [FeatureFamily], options o: AttributionFeatureOptions, training: [Int], documents: [Int]
    ) -> SparseFoldFeatures {
        // (family, type, df) of every selected type.
        var selected: [(family: Int, type: Int, df: Int)] = []
        for (fi, fam) in families.enumerated() {
            let (types, df) = fam.trainingTypes(training, cap: o.cap(family: fi, dense: false))
            for t in types { selected.append((fi, t, Int(df[t]))) }
        }
        selected.sort { a, b in
            a.df != b.df ? a.df > b.df : a.family != b.family ? a.family < b.family : a.type < b.type
        }
        let n = Double(training.count)
        var maps = families.map { [Int32](repeating: -1, count: $0.typeCount) }
        var names: [String] = []
        var texts: [String?] = []
        var idf: [Double] = []
        names.reserveCapacity(selected.count)
        idf.reserveCapacity(selected.count)
        for (j, s) in selected.enumerated() {
            maps[s.family][s.type] = Int32(j)
            names.append(families[s.family].name + " " + families[s.family].token(s.type))
            texts.append(families[s.family].text?(s.type))
            idf.append(Foundation.log((1 + n) / (1 + Double(s.df))) + 1)
        }
        var rowStart: [Int64] = [0]
        rowStart.reserveCapacity(documents.count + 1)
        var columns: [Int32] = []
        var values: [Float] = []
        var row: [(Int32, Double)] = []
        let sublinear = o.sublinearTF
        for d in documents {
            row.removeAll(keepingCapacity: true)
            for (fi, fam) in families.enumerated() {
                maps[fi].withUnsafeBufferPointer { map in
                    fam.forEach(inRow: d) { t, c in
                        let j = map[t]
                        if j >= 0 {
                            let tf = sublinear ? 1 + Foundation.log(Double(c)) : Double(c)
                            row.append((j, tf * idf[Int(j)]))
                        }
                    }
                }
            }
            row.sort { $0.0 < $1.0 }
            var norm = 0.0
            for (_, v) in row { norm += v * v }
            let inv = norm > 0 ? 1 / norm.squareRoot() : 0
            for (j, v) in row {
                columns.append(j)
                values.append(Float(v * inv))
            }
            rowStart.append(Int64(columns.count))
        }
        return SparseFoldFeatures(
            names: names, texts: texts.contains { $0 != nil } ? texts : [], idf: idf, rowStart: rowStart, columns: columns,
            values: values)
    }

    /// Calls `body(column, value)` for each entry of row `i`.
    @inline(__always)
    package func forEach(inRow i: Int, _ body: (Int, Double) -> Void) {
        for e in Int(rowStart[i])..<Int(rowStart[i + 1]) { body(Int(columns[e]), Double(values[e])) }
    }
}
