import CBLAS
import FingerprintCore

/// Converts a size to the 32-bit integers CBLAS and LAPACKE take.
/// - Throws: `FingerprintError` (exit 70) naming `what` when it exceeds `Int32.max`.
@inline(__always)
package func blasInt(_ n: Int, _ what: @autoclosure () -> String = "dimension") throws -> Int32 {
    guard let v = Int32(exactly: n) else {
        throw FingerprintError.limit("\(what()) \(n) exceeds the 32-bit BLAS limit (\(Int32.max)); split the input")
    }
    return v
}

/// Float and Double: the element types the BLAS wrappers dispatch on.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable where Self.RawSignificand: FixedWidthInteger {
    static func gemm(
        _ order: CBLAS_LAYOUT, _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
        _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
        _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func syrk(
        _ order: CBLAS_LAYOUT, _ uplo: CBLAS_UPLO, _ t: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32,
        _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ beta: Self,
        _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func gemv(
        _ order: CBLAS_LAYOUT, _ t: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Self,
        _ a: UnsafePointer<Self>, _ lda: Int32, _ x: UnsafePointer<Self>, _ incx: Int32,
        _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
    static func dot(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32, _ y: UnsafePointer<Self>, _ incy: Int32) -> Self
    static func nrm2(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32) -> Self
    static func gesdd(
        _ layout: Int32, _ jobz: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
        _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>, _ ldu: Int32,
        _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int32
    ) -> Int32
    static func gesvd(
        _ layout: Int32, _ jobu: CChar, _ jobvt: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>,
        _ lda: Int32, _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>, _ ldu: Int32,
        _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int32, _ superb: UnsafeMutablePointer<Self>
    ) -> Int32
    static func geqrf(
        _ layout: Int32, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
        _ tau: UnsafeMutablePointer<Self>
    ) -> Int32
    static func orgqr(
        _ layout: Int32, _ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
        _ tau: UnsafePointer<Self>
    ) -> Int32
}

extension Float: BLASScalar {
    public static func gemm(
        _ o: CBLAS_LAYOUT, _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
        _ al: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
        _ be: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32
    ) {
        BLASLibrary.functions.sgemm(o, ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc)
    }
    public static func syrk(
        _ o: CBLAS_LAYOUT, _ u: CBLAS_UPLO, _ t: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ al: Float,
        _ a: UnsafePointer<Float>, _ lda: Int32, _ be: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32
    ) {
        BLASLibrary.functions.ssyrk(o, u, t, n, k, al, a, lda, be, c, ldc)
    }
    public static func gemv(
        _ o: CBLAS_LAYOUT, _ t: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ al: Float, _ a: UnsafePointer<Float>,
        _ lda: Int32, _ x: UnsafePointer<Float>, _ ix: Int32, _ be: Float, _ y: UnsafeMutablePointer<Float>, _ iy: Int32
    ) {
        BLASLibrary.functions.sgemv(o, t, m, n, al, a, lda, x, ix, be, y, iy)
    }
    public static func dot(_ n: Int32, _ x: UnsafePointer<Float>, _ ix: Int32, _ y: UnsafePointer<Float>, _ iy: Int32) -> Float {
        BLASLibrary.functions.sdot(n, x, ix, y, iy)
    }
    public static func nrm2(_ n: Int32, _ x: UnsafePointer<Float>, _ ix: Int32) -> Float { BLASLibrary.functions.snrm2(n, x, ix) }
    public static func gesdd(
        _ l: Int32, _ j: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
        _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ ldu: Int32,
        _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int32
    ) -> Int32 {
        BLASLibrary.functions.sgesdd(l, j, m, n, a, lda, s, u, ldu, vt, ldvt)
    }
    public static func gesvd(
        _ l: Int32, _ ju: CChar, _ jv: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>,
        _ lda: Int32, _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ ldu: Int32,
        _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int32, _ sb: UnsafeMutablePointer<Float>
    ) -> Int32 {
        BLASLibrary.functions.sgesvd(l, ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, sb)
    }
    public static func geqrf(
        _ l: Int32, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
        _ tau: UnsafeMutablePointer<Float>
    ) -> Int32 {
        BLASLibrary.functions.sgeqrf(l, m, n, a, lda, tau)
    }
    public static func orgqr(
        _ l: Int32, _ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
        _ tau: UnsafePointer<Float>
    ) -> Int32 {
        BLASLibrary.functions.sorgqr(l, m, n, k, a, lda, tau)
    }
}

extension Double: BLASScalar {
    public static func gemm(
        _ o: CBLAS_LAYOUT, _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
        _ al: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
        _ be: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32
    ) {
        BLASLibrary.functions.dgemm(o, ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc)
    }
    public static func syrk(
        _ o: CBLAS_LAYOUT, _ u: CBLAS_UPLO, _ t: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ al: Double,
        _ a: UnsafePointer<Double>, _ lda: Int32, _ be: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32
    ) {
        BLASLibrary.functions.dsyrk(o, u, t, n, k, al, a, lda, be, c, ldc)
    }
    public static func gemv(
        _ o: CBLAS_LAYOUT, _ t: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ al: Double, _ a: UnsafePointer<Double>,
        _ lda: Int32, _ x: UnsafePointer<Double>, _ ix: Int32, _ be: Double, _ y: UnsafeMutablePointer<Double>, _ iy: Int32
    ) {
        BLASLibrary.functions.dgemv(o, t, m, n, al, a, lda, x, ix, be, y, iy)
    }
    public static func dot(_ n: Int32, _ x: UnsafePointer<Double>, _ ix: Int32, _ y: UnsafePointer<Double>, _ iy: Int32) -> Double {
        BLASLibrary.functions.ddot(n, x, ix, y, iy)
    }
    public static func nrm2(_ n: Int32, _ x: UnsafePointer<Double>, _ ix: Int32) -> Double { BLASLibrary.functions.dnrm2(n, x, ix) }
    public static func gesdd(
        _ l: Int32, _ j: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
        _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>, _ ldu: Int32,
        _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int32
    ) -> Int32 {
        BLASLibrary.functions.dgesdd(l, j, m, n, a, lda, s, u, ldu, vt, ldvt)
    }
    public static func gesvd(
        _ l: Int32, _ ju: CChar, _ jv: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>,
        _ lda: Int32, _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>, _ ldu: Int32,
        _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int32, _ sb: UnsafeMutablePointer<Double>
    ) -> Int32 {
        BLASLibrary.functions.dgesvd(l, ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, sb)
    }
    public static func geqrf(
        _ l: Int32, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
        _ tau: UnsafeMutablePointer<Double>
    ) -> Int32 {
        BLASLibrary.functions.dgeqrf(l, m, n, a, lda, tau)
    }
    public static func orgqr(
        _ l: Int32, _ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
        _ tau: UnsafePointer<Double>
    ) -> Int32 {
        BLASLibrary.functions.dorgqr(l, m, n, k, a, lda, tau)
    }
}
