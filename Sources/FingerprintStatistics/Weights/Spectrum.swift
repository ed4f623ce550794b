import CBLAS
import FingerprintCore
import Foundation

/// Singular-value spectra of 2-D tensors and their comparison.
public enum Spectrum {
    /// Matrices with m·n·min(m, n) up to this many multiply-adds get the
    /// exact singular values (LAPACK `dgesdd`, values only, in double);
    /// larger ones the leading `randomizedRank` from a randomized SVD.
    public static let exactWork = 1 << 33
    public static let randomizedRank = 256
    /// Matrices with more elements (2²⁶, 512 MB as double) get no spectrum
    /// and no unit alignment: both hold the matrix in memory.
    public static let maxElements = 1 << 26
    static let oversample = 16
    static let powerIterations = 3
    /// Stream of the randomized SVD's Gaussian test matrix ("WSVD").
    static let stream: UInt64 = 0x5753_5644

    /// Singular values, largest first.
    /// - Parameter exactWork: the cut-off above which the randomized SVD is
    ///   used (tests lower it to check the randomized path against LAPACK).
    /// - Returns: the values and whether they are approximate (randomized:
    ///   the leading `randomizedRank` values only, each at most the true one;
    ///   on trained weights their relative error is documented in
    ///   docs/DESIGN.md §6.21).
    /// - Throws: `.limit` when LAPACK fails.
    /// - Complexity: O(m·n·min(m, n)) exact; O(m·n·k·(2q + 2)) randomized.
    public static func singularValues(_ t: TensorSource, exactWork: Int = Spectrum.exactWork, seed: UInt64 = 0) throws -> (
        values: [Double], approximate: Bool
    ) {
        precondition(t.shape.count == 2)
        let (m, n) = (t.shape[0], t.shape[1])
        guard min(m, n) > 0 else { return ([], false) }
        let (work, o) = (m * n).multipliedReportingOverflow(by: min(m, n))
        let a = t.doubleMatrix()
        if !o && work <= exactWork { return (try exact(a), false) }
        return (try randomized(a, rank: randomizedRank, seed: seed), true)
    }

    /// All min(m, n) singular values by `dgesdd` (jobz = N).
    public static func exact(_ a: Matrix<Double>) throws -> [Double] {
        let (m, n) = (a.rows, a.cols)
        var work = a.storage
        var s = [Double](repeating: 0, count: min(m, n))
        var dummy = [Double](repeating: 0, count: 1)
        let m32 = try blasInt(m)
        let n32 = try blasInt(n)
        let lapack = try BLASLibrary.load()
        let info = work.withUnsafeMutableBufferPointer { ap in
            s.withUnsafeMutableBufferPointer { sp in
                dummy.withUnsafeMutableBufferPointer { dp in
                    lapack.dgesdd(
                        LAPACK.rowMajor, CChar(UInt8(ascii: "N")), m32, n32, ap.baseAddress!, n32, sp.baseAddress!, dp.baseAddress!,
                        max(1, m32), dp.baseAddress!, max(1, n32))
                }
            }
        }
        guard info == 0 else { throw FingerprintError.limit("SVD of a \(m)×\(n) matrix failed (LAPACK info \(info))") }
        return s
    }

    /// The leading `rank` singular values by the randomized range finder of
    /// Halko, Martinsson & Tropp (2011): Y = (AAᵀ)^q A Ω with Ω Gaussian
    /// n × (rank + oversample), re-orthonormalised after each product; the
    /// values of QᵀA. Each is a lower bound of the true value.
    public static func randomized(_ a: Matrix<Double>, rank: Int, seed: UInt64) throws -> [Double] {
        let (m, n) = (a.rows, a.cols)
        let l = min(min(m, n), rank + oversample)
        var rng = Xoshiro256(seed: seed, stream: stream)
        var omega = Matrix<Double>(rows: n, cols: l)
        for i in 0..<omega.storage.count { omega.storage[i] = rng.nextGaussian() }
        var q = try LAPACK.orthonormalBasis(try BLAS.product(a, omega))
        for _ in 0..<powerIterations {
            let z = try LAPACK.orthonormalBasis(try BLAS.product(a, q, transA: .transpose))
            q = try LAPACK.orthonormalBasis(try BLAS.product(a, z))
        }
        let b = try BLAS.product(q, a, transA: .transpose)
        return Array(try exact(b).prefix(min(rank, l)))
    }

    /// Pearson's r of ln σ over the leading values both spectra hold above
    /// 1e-10 of their largest; nil with fewer than 3 such values.
    public static func correlation(_ a: [Double], _ b: [Double]) -> Double? {
        let k = min(a.count, b.count)
        guard k >= 3, a[0] > 0, b[0] > 0 else { return nil }
        var x: [Double] = []
        var y: [Double] = []
        for i in 0..<k where a[i] > a[0] * 1e-10 && b[i] > b[0] * 1e-10 {
            x.append(log(a[i]))
            y.append(log(b[i]))
        }
        guard x.count >= 3 else { return nil }
        return pearson(x, y)
    }

    /// exp of the entropy of σ / Σσ.
    public static func effectiveRank(_ s: [Double]) -> Double? {
        let total = s.reduce(0, +)
        guard total > 0 else { return nil }
        var h = 0.0
        for v in s where v > 0 {
            let p = v / total
            h -= p * log(p)
        }
        return exp(h)
    }

    /// Pearson's r of two short vectors (two passes, double); nil when one is constant.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n
        let my = y.reduce(0, +) / n
        var sxx = 0.0
        var syy = 0.0
        var sxy = 0.0
        for i in 0..<x.count {
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
            sxy += (x[i] - mx) * (y[i] - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return min(1, max(-1, sxy / (sxx * syy).squareRoot()))
    }
}
