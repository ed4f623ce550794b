import CBLAS
import FingerprintCore
import Foundation

/// A documents × F dense feature matrix derived from a sparse one, built in
/// row blocks on demand so memory stays bounded: feature j of a document is
/// the sum of `weight(type) × count` over the types mapped to column j.
///
/// Used for (a) the permutation test: top-K types + "other", raw counts; and
/// (b) MMD: TF-IDF of the top-K types, rows L2-normalised.
public struct FeatureMatrix<T: BLASScalar> {
    public let rows: Int
    public let cols: Int
    let rowStart: [Int]
    let columns: [Int32]
    /// Entry values, stored in Float (counts are small integers, exact in
    /// Float; TF-IDF weights need no more): half the memory of Double.
    let values: [Float]
    /// Documents (row indices of the source matrix) in this matrix's row order.
    public let documents: [Int]
    /// Rows per block, chosen so a block has at most `blockBudget` entries.
    public let blockRows: Int
    private var cached: Matrix<T>?

    public static var blockBudget: Int { 16 << 20 }

    /// Counts of the chosen `documents` of `m`, with `typeToColumn[t]` the
    /// column of type t (−1 to drop it).
    public init(
        _ m: DocumentTermMatrix, documents: [Int], typeToColumn: [Int32], cols: Int,
        typeWeight: [Double]? = nil, l2Normalize: Bool = false
    ) {
        self.rows = documents.count
        self.cols = cols
        self.documents = documents
        var rs = [0]
        var cs: [Int32] = []
        var vs: [Float] = []
        var dense = [Double](repeating: 0, count: cols)
        var touched: [Int32] = []
        for d in documents {
            touched.removeAll(keepingCapacity: true)
            for k in m.rowStart[d]..<m.rowStart[d + 1] {
                let t = Int(m.columns[k])
                let c = typeToColumn[t]
                guard c >= 0 else { continue }
                if dense[Int(c)] == 0 { touched.append(c) }
                dense[Int(c)] += Double(m.counts[k]) * (typeWeight?[t] ?? 1)
            }
            touched.sort()
            var norm = 1.0
            if l2Normalize {
                var s = 0.0
                for c in touched { s += dense[Int(c)] * dense[Int(c)] }
                norm = s > 0 ? s.squareRoot() : 1
            }
            for c in touched {
                let v = dense[Int(c)] / norm
                dense[Int(c)] = 0
                if v != 0 {
                    cs.append(c)
                    vs.append(Float(v))
                }
            }
            rs.append(cs.count)
        }
        rowStart = rs
        columns = cs
        values = vs
        blockRows = max(1, min(rows, FeatureMatrix.blockBudget / max(1, cols)))
        cached = nil
        if blockRows >= rows { cached = block(0..<rows) }
    }

    /// The nonzero entries of a dense documents × features matrix (values
    /// stored in Float, like every feature matrix; exact for counts below 2^24).
    public init(dense x: Matrix<T>) {
        rows = x.rows
        cols = x.cols
        documents = Array(0..<x.rows)
        var rs = [0]
        var cs: [Int32] = []
        var vs: [Float] = []
        for d in 0..<x.rows {
            for j in 0..<x.cols where x[d, j] != 0 {
                cs.append(Int32(j))
                vs.append(Float(x[d, j]))
            }
            rs.append(cs.count)
        }
        rowStart = rs
        columns = cs
        values = vs
        blockRows = max(1, min(rows, FeatureMatrix.blockBudget / max(1, cols)))
        cached = nil
        if blockRows >= rows { cached = block(0..<rows) }
    }

    /// Rows `r` as a dense matrix.
    public func block(_ r: Range<Int>) -> Matrix<T> {
        if let cached, r == 0..<rows { return cached }
        var m = Matrix<T>(rows: r.count, cols: cols)
        for (i, d) in r.enumerated() {
            for k in rowStart[d]..<rowStart[d + 1] { m[i, Int(columns[k])] = T(values[k]) }
        }
        return m
    }

    /// Column sums over the rows with `weight[row] != 0`, weighted, in Double.
    public func weightedColumnSums(_ weight: (Int) -> Double) -> [Double] {
        var s = [Double](repeating: 0, count: cols)
        for d in 0..<rows {
            let w = weight(d)
            guard w != 0 else { continue }
            for k in rowStart[d]..<rowStart[d + 1] { s[Int(columns[k])] += w * Double(values[k]) }
        }
        return s
    }

    /// Squared L2 norm of each row.
    public var rowNormsSquared: [Double] {
        (0..<rows).map { d in (rowStart[d]..<rowStart[d + 1]).reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) } }
    }

    /// S = W · X for a weight matrix W (R × rows) given row by row through
    /// `fill(r, buffer)` (buffer zeroed, length `rows`), computed in blocks
    /// of `perBlock` weight rows and `blockRows` documents; `consume(r, sums)`
    /// receives each row of S (length `cols`) in order.
    /// - Complexity: 2·R·rows·cols flops in GEMMs.
    /// - Returns: seconds spent in the GEMM calls (for benchmarks).
    @discardableResult
    public func multiply(
        weightRows: Int, perBlock: Int = 256,
        fill: (Int, UnsafeMutableBufferPointer<T>) -> Void,
        consume: (Int, UnsafeBufferPointer<T>) -> Void
    ) throws -> Double {
        var gemmSeconds = 0.0
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var start = 0
        let fullBlock = cached
        while start < weightRows {
            let r = min(perBlock, weightRows - start)
            var w = Matrix<T>(rows: r, cols: rows)
            w.storage.withUnsafeMutableBufferPointer { buf in
                for i in 0..<r { fill(start + i, UnsafeMutableBufferPointer(rebasing: buf[(i * rows)..<((i + 1) * rows)])) }
            }
            var sums = Matrix<T>(rows: r, cols: cols)
            let t0 = clock()
            defer { gemmSeconds += clock() - t0 }
            if let fullBlock {
                try BLAS.gemm(w, fullBlock, into: &sums)
            } else {
                var d0 = 0
                while d0 < rows {
                    let d1 = min(rows, d0 + blockRows)
                    let xb = block(d0..<d1)
                    let wb = w.columns(d0..<d1)
                    try BLAS.gemm(wb, xb, beta: d0 == 0 ? 0 : 1, into: &sums)
                    d0 = d1
                }
            }
            sums.storage.withUnsafeBufferPointer { s in
                for i in 0..<r { consume(start + i, UnsafeBufferPointer(rebasing: s[(i * cols)..<((i + 1) * cols)])) }
            }
            start += r
        }
        return gemmSeconds
    }

    /// S = W · X for a precomputed weight matrix W (R × rows, row-major,
    /// small non-negative integers), with the documents in the outer loop:
    /// each block of X is densified once and multiplied by all of W in
    /// blocks of `perBlock` rows, accumulating into S (R × cols). Each row of
    /// S goes to `consume(r, row)` at the end.
    /// - Returns: seconds spent in the GEMM calls.
    @discardableResult
    public func multiply(
        weights w: [UInt8], weightRows: Int, perBlock: Int = 1024,
        consume: (Int, UnsafeBufferPointer<T>) -> Void
    ) throws -> Double {
        precondition(w.count == weightRows * rows)
        _ = try BLASLibrary.load()
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var gemmSeconds = 0.0
        var s = Matrix<T>(rows: weightRows, cols: cols)
        var d0 = 0
        while d0 < rows {
            let d1 = min(rows, d0 + blockRows)
            let nd = d1 - d0
            let xb = cached ?? block(d0..<d1)
            var r0 = 0
            while r0 < weightRows {
                let r1 = min(weightRows, r0 + perBlock)
                let nr = r1 - r0
                var wb = [T](unsafeUninitializedCapacity: nr * nd) { _, n in n = nr * nd }
                w.withUnsafeBufferPointer { wp in
                    wb.withUnsafeMutableBufferPointer { bp in
                        for r in 0..<nr {
                            let src = wp.baseAddress! + (r0 + r) * rows + d0
                            let dst = bp.baseAddress! + r * nd
                            for d in 0..<nd { dst[d] = T(src[d]) }  // branchless: weights are half zeros
                        }
                    }
                }
                let t0 = clock()
                try wb.withUnsafeBufferPointer { wp in
                    try xb.storage.withUnsafeBufferPointer { xp in
                        try s.storage.withUnsafeMutableBufferPointer { sp in
                            T.gemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, try blasInt(nr), try blasInt(cols), try blasInt(nd),
                                1, wp.baseAddress!, try blasInt(nd), xp.baseAddress!, try blasInt(cols),
                                d0 == 0 ? 0 : 1, sp.baseAddress! + r0 * cols, try blasInt(cols))
                        }
                    }
                }
                gemmSeconds += clock() - t0
                r0 = r1
            }
            d0 = d1
        }
        s.storage.withUnsafeBufferPointer { sp in
            for r in 0..<weightRows { consume(r, UnsafeBufferPointer(rebasing: sp[(r * cols)..<((r + 1) * cols)])) }
        }
        return gemmSeconds
    }
}

extension FeatureMatrix where T == Double {
    /// Column sums of the feature mapping over `rows` of `m` where `include` holds.
    static func columnSums(
        _ m: DocumentTermMatrix, rows: Range<Int>, typeToColumn: [Int32], cols: Int,
        include: (Int) -> Bool = { _ in true }
    ) -> [Double] {
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
