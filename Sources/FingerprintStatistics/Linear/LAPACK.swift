import CBLAS
import FingerprintCore

/// Typed wrappers over LAPACKE (row-major): SVD and QR.
public enum LAPACK {
    /// A thin SVD: A = U · diag(s) · Vᵀ with U m×r, s descending, Vt r×n, r = min(m, n).
    public struct SVD<T: BLASScalar> {
        public var u: Matrix<T>
        public var s: [T]
        public var vt: Matrix<T>
    }

    static let rowMajor: Int32 = 101  // LAPACK_ROW_MAJOR

    /// Thin SVD by divide and conquer (`?gesdd`).
    /// - Throws: `.software` when LAPACK reports an argument error or no convergence.
    /// - Complexity: O(m·n·min(m, n)) (LAPACK gesdd).
    public static func svd<T: BLASScalar>(_ a: Matrix<T>) throws -> SVD<T> {
        try svdCall(a) { m, n, r, ap, lda, s, u, vt in
            T.gesdd(rowMajor, CChar(UInt8(ascii: "S")), m, n, ap, lda, s, u, try! blasInt(r), vt, n)
        }
    }

    /// Thin SVD by the QR-iteration driver (`?gesvd`), slower but the most
    /// robust; used as a cross-check.
    /// - Complexity: O(m·n·min(m, n)) (LAPACK gesvd).
    public static func svdQR<T: BLASScalar>(_ a: Matrix<T>) throws -> SVD<T> {
        try svdCall(a) { m, n, r, ap, lda, s, u, vt in
            var superb = [T](repeating: 0, count: max(1, Int(min(m, n)) - 1))
            return superb.withUnsafeMutableBufferPointer { sb in
                T.gesvd(
                    rowMajor, CChar(UInt8(ascii: "S")), CChar(UInt8(ascii: "S")), m, n, ap, lda, s, u, try! blasInt(r), vt, n,
                    sb.baseAddress!)
            }
        }
    }

    private static func svdCall<T: BLASScalar>(
        _ a: Matrix<T>,
        _ call: (
            Int32, Int32, Int, UnsafeMutablePointer<T>, Int32, UnsafeMutablePointer<T>,
            UnsafeMutablePointer<T>, UnsafeMutablePointer<T>
        ) throws -> Int32
    ) throws -> SVD<T> {
        let m = a.rows
        let n = a.cols
        let r = min(m, n)
        guard r > 0 else { return SVD(u: Matrix(rows: m, cols: 0), s: [], vt: Matrix(rows: 0, cols: n)) }
        let m32 = try blasInt(m)
        let n32 = try blasInt(n)
        _ = try BLASLibrary.load()
        var work = a.storage
        var s = [T](repeating: 0, count: r)
        var u = Matrix<T>(rows: m, cols: r)
        var vt = Matrix<T>(rows: r, cols: n)
        let info = try work.withUnsafeMutableBufferPointer { ap in
            try s.withUnsafeMutableBufferPointer { sp in
                try u.storage.withUnsafeMutableBufferPointer { up in
                    try vt.storage.withUnsafeMutableBufferPointer { vp in
                        try call(m32, n32, r, ap.baseAddress!, n32, sp.baseAddress!, up.baseAddress!, vp.baseAddress!)
                    }
                }
            }
        }
        guard info == 0 else {
            throw FingerprintError.limit("SVD of a \(m)×\(n) matrix failed (LAPACK info \(info))")
        }
        return SVD(u: u, s: s, vt: vt)
    }

    /// The thin Q (m × min(m, n), orthonormal columns) of A = QR, by `?geqrf` + `?orgqr`.
    public static func orthonormalBasis<T: BLASScalar>(_ a: Matrix<T>) throws -> Matrix<T> {
        let m = a.rows
        let n = a.cols
        let k = min(m, n)
        guard k > 0 else { return Matrix(rows: m, cols: 0) }
        let m32 = try blasInt(m)
        let n32 = try blasInt(n)
        _ = try BLASLibrary.load()
        let k32 = try blasInt(k)
        var q = a.storage
        var tau = [T](repeating: 0, count: k)
        var info = q.withUnsafeMutableBufferPointer { qp in
            tau.withUnsafeMutableBufferPointer { T.geqrf(rowMajor, m32, n32, qp.baseAddress!, n32, $0.baseAddress!) }
        }
        guard info == 0 else { throw FingerprintError.limit("QR of a \(m)×\(n) matrix failed (LAPACK info \(info))") }
        // Keep the first k columns, then form Q.
        var qk = Matrix<T>(rows: m, cols: k)
        for i in 0..<m { for j in 0..<k { qk[i, j] = q[i * n + j] } }
        info = qk.storage.withUnsafeMutableBufferPointer { qp in
            tau.withUnsafeBufferPointer { T.orgqr(rowMajor, m32, k32, k32, qp.baseAddress!, k32, $0.baseAddress!) }
        }
        guard info == 0 else { throw FingerprintError.limit("forming Q failed (LAPACK info \(info))") }
        return qk
    }
}
