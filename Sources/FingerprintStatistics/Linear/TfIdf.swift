import FingerprintCore
import Foundation

/// TF-IDF document vectors as scikit-learn's `TfidfVectorizer` defaults:
/// vocabulary = the K types with the highest total count (ties broken by
/// token order, i.e. canonical id), raw term frequency (or 1 + ln tf with
/// `sublinear`), smooth idf = ln((1 + n)/(1 + df)) + 1, rows L2-normalised.
/// A document with no vocabulary term is the zero vector.
///
/// Stored as CSR over columns 0..<K in vocabulary order (sorted by token),
/// Float values.
public struct TfIdfMatrix: Sendable {
    public let rows: Int
    public let cols: Int
    public var rowStart: [Int]
    public var columns: [Int32]
    public var values: [Float]
    /// Vocabulary id (in the source matrix) of each column.
    public let types: [Int]
    /// Document frequency and idf of each column.
    public let documentFrequency: [Int]
    public let idf: [Double]

    /// Builds TF-IDF for `documents` (row indices of `m`, default all)
    /// over the top `features` types of those documents.
    /// - Complexity: O(nnz + V log V) for V types (top-K selection, one pass over the entries).
    public init(_ m: DocumentTermMatrix, features: Int, sublinear: Bool = false, documents: [Int]? = nil) {
        let docs = documents ?? Array(0..<m.documentCount)
        var totals = [Int](repeating: 0, count: m.typeCount)
        var df = [Int](repeating: 0, count: m.typeCount)
        if documents == nil {
            for t in 0..<m.typeCount {
                totals[t] = m.vocabulary.totalCounts[t]
                df[t] = Int(m.vocabulary.documentFrequency[t])
            }
        } else {
            for d in docs {
                m.forEach(inRow: d) { t, c in
                    totals[t] += c
                    df[t] += 1
                }
            }
        }
        // sklearn keeps the top max_features by count, then orders columns by token.
        let chosen = Vocabulary.topK(m.typeCount, features) { totals[$0] }.filter { totals[$0] > 0 }.sorted()
        var typeToColumn = [Int32](repeating: -1, count: m.typeCount)
        for (c, t) in chosen.enumerated() { typeToColumn[t] = Int32(c) }
        let n = Double(docs.count)
        let colDF = chosen.map { df[$0] }
        let idf = colDF.map { log((1 + n) / (1 + Double($0))) + 1 }
        var rs = [0]
        var cs: [Int32] = []
        var vs: [Float] = []
        cs.reserveCapacity(m.nonZeros)
        vs.reserveCapacity(m.nonZeros)
        var rowVals: [Double] = []
        for d in docs {
            rowVals.removeAll(keepingCapacity: true)
            m.forEach(inRow: d) { t, c in
                let col = typeToColumn[t]
                guard col >= 0 else { return }
                let tf = sublinear ? 1 + log(Double(c)) : Double(c)
                cs.append(col)
                rowVals.append(tf * idf[Int(col)])
            }
            let norm = rowVals.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for v in rowVals { vs.append(Float(norm > 0 ? v / norm : 0)) }
            // Columns are increasing because types are sorted and columns follow type order.
            rs.append(cs.count)
        }
        rows = docs.count
        cols = chosen.count
        rowStart = rs
        columns = cs
        values = vs
        types = chosen
        documentFrequency = colDF
        self.idf = idf
    }

    /// The dense row `d` (for tests).
    public func dense(_ d: Int) -> [Float] {
        var r = [Float](repeating: 0, count: cols)
        for k in rowStart[d]..<rowStart[d + 1] { r[Int(columns[k])] = values[k] }
        return r
    }
}
