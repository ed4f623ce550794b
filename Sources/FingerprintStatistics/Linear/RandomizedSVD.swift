import FingerprintCore
import Foundation

/// Truncated SVD of a sparse matrix by randomized range finding (Halko,
/// Martinsson & Tropp 2011, Algorithms 4.4 and 5.1): a Gaussian sketch,
/// `powerIterations` rounds of subspace iteration re-orthonormalised by QR
/// (LAPACK), then the SVD (LAPACK) of the small projected matrix.
public enum RandomizedSVD {
    public struct Result {
        /// n × d left singular vectors.
        public var u: Matrix<Float>
        /// d singular values, descending.
        public var s: [Float]
        /// d × m right singular vectors.
        public var vt: Matrix<Float>
    }

    /// A sparse n × m matrix in CSR form (rows = documents).
    public struct CSR {
        public var rows: Int, cols: Int
        public var rowStart: [Int], columns: [Int32], values: [Float]
        public init(rows: Int, cols: Int, rowStart: [Int], columns: [Int32], values: [Float]) {
            self.rows = rows
            self.cols = cols
            self.rowStart = rowStart
            self.columns = columns
            self.values = values
        }

        /// X · D for dense D (cols × l).
        func times(_ d: Matrix<Float>) -> Matrix<Float> {
            var y = Matrix<Float>(rows: rows, cols: d.cols)
            let l = d.cols
            y.storage.withUnsafeMutableBufferPointer { yp in
                d.storage.withUnsafeBufferPointer { dp in
                    for r in 0..<rows {
                        let yr = yp.baseAddress! + r * l
                        for k in rowStart[r]..<rowStart[r + 1] {
                            let v = values[k]
                            let dr = dp.baseAddress! + Int(columns[k]) * l
                            for j in 0..<l { yr[j] += v * dr[j] }
                        }
                    }
                }
            }
            return y
        }

        /// Xᵀ · D for dense D (rows × l).
        func transposeTimes(_ d: Matrix<Float>) -> Matrix<Float> {
            var z = Matrix<Float>(rows: cols, cols: d.cols)
            let l = d.cols
            z.storage.withUnsafeMutableBufferPointer { zp in
                d.storage.withUnsafeBufferPointer { dp in
                    for r in 0..<rows {
                        let dr = dp.baseAddress! + r * l
                        for k in rowStart[r]..<rowStart[r + 1] {
                            let v = values[k]
                            let zr = zp.baseAddress! + Int(columns[k]) * l
                            for j in 0..<l { zr[j] += v * dr[j] }
                        }
                    }
                }
            }
            return z
        }
    }

    /// The rank-`rank` truncated SVD of `x`.
    /// - Parameters:
    ///   - oversample: extra sketch columns (10 is Halko et al.'s default).
    ///   - powerIterations: subspace iterations (2 suits slowly decaying text spectra).
    /// - Complexity: O((q + 1)·nnz·l + (n + m)·l²) with l = rank + oversample.
    ///   The result is the same bits whatever the BLAS thread count.
    public static func compute(_ x: CSR, rank: Int, oversample: Int = 10, powerIterations: Int = 2, seed: UInt64) throws -> Result {
        // LAPACK's QR and SVD and the final GEMM run on one BLAS thread: a
        // multi-threaded OpenBLAS splits the work by thread count, which
        // changes the rounding, and the result must not depend on --threads.
        // The matrices here are thin (l columns), so one thread costs little.
        let blasThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(blasThreads) }
        let l = max(1, min(rank + oversample, min(x.rows, x.cols)))
        let d = min(rank, l)
        var rng = Xoshiro256(seed: seed, stream: 0x5356_44)
        let omega = Matrix<Float>(rows: x.cols, cols: l, storage: (0..<(x.cols * l)).map { _ in Float(rng.nextGaussian()) })
        var q = try LAPACK.orthonormalBasis(x.times(omega))
        for _ in 0..<powerIterations {
            let z = try LAPACK.orthonormalBasis(x.transposeTimes(q))
            q = try LAPACK.orthonormalBasis(x.times(z))
        }
        // B = Qᵀ X (l × m) = (Xᵀ Q)ᵀ.
        let b = x.transposeTimes(q).transposed
        let svd = try LAPACK.svd(b)
        let u = try BLAS.product(q, svd.u)
        return Result(u: u.columns(0..<d), s: Array(svd.s.prefix(d)), vt: svd.vt.rowsBlock(0..<d))
    }
}
