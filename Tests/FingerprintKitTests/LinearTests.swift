import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// Each BLAS/LAPACK wrapper against its plain-Swift twin or a mathematical identity.
final class LinearTests: XCTestCase {
    func random(_ r: Int, _ c: Int, seed: UInt64) -> Matrix<Double> {
        var g = Xoshiro256(seed: seed)
        return Matrix(rows: r, cols: c, storage: (0..<(r * c)).map { _ in g.nextGaussian() })
    }

    func assertMatricesClose<T: BLASScalar>(
        _ a: Matrix<T>, _ b: Matrix<T>, _ tol: Double, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.rows, b.rows, file: file, line: line)
        XCTAssertEqual(a.cols, b.cols, file: file, line: line)
        for i in 0..<a.storage.count { assertClose(Double(a.storage[i]), Double(b.storage[i]), tol, file: file, line: line) }
    }

    func testGemmAllTransposeCasesMatchReferenceLoop() throws {
        for (ta, tb) in [(BLAS.Transpose.none, BLAS.Transpose.none), (.transpose, .none), (.none, .transpose), (.transpose, .transpose)] {
            let (m, n, k) = (7, 5, 9)
            let a = ta == .none ? random(m, k, seed: 1) : random(k, m, seed: 1)
            let b = tb == .none ? random(k, n, seed: 2) : random(n, k, seed: 2)
            var c1 = random(m, n, seed: 3)
            var c2 = c1
            try BLAS.gemm(a, b, transA: ta, transB: tb, alpha: 0.5, beta: 2, into: &c1)
            ReferenceBLAS.gemm(a, b, transA: ta, transB: tb, alpha: 0.5, beta: 2, into: &c2)
            assertMatricesClose(c1, c2, 1e-12)
            // Float too.
            let af = Matrix<Float>(rows: a.rows, cols: a.cols, storage: a.storage.map(Float.init))
            let bf = Matrix<Float>(rows: b.rows, cols: b.cols, storage: b.storage.map(Float.init))
            var f1 = Matrix<Float>(rows: m, cols: n)
            var f2 = f1
            try BLAS.gemm(af, bf, transA: ta, transB: tb, into: &f1)
            ReferenceBLAS.gemm(af, bf, transA: ta, transB: tb, into: &f2)
            assertMatricesClose(f1, f2, 1e-5)
        }
    }

    func testSyrkFillsTheRequestedTriangle() throws {
        for t in [BLAS.Transpose.none, .transpose] {
            let a = random(6, 4, seed: 4)
            let n = t == .none ? 6 : 4
            for tri in [BLAS.Triangle.upper, .lower] {
                var c1 = Matrix<Double>(rows: n, cols: n)
                var c2 = c1
                try BLAS.syrk(a, trans: t, triangle: tri, into: &c1)
                ReferenceBLAS.syrk(a, trans: t, triangle: tri, into: &c2)
                assertMatricesClose(c1, c2, 1e-12)
            }
        }
    }

    func testGemvDotNrm2() throws {
        let a = random(5, 3, seed: 5)
        var g = Xoshiro256(seed: 6)
        let x3 = (0..<3).map { _ in g.nextGaussian() }
        let x5 = (0..<5).map { _ in g.nextGaussian() }
        var y1 = [Double](repeating: 1, count: 5)
        var y2 = y1
        try BLAS.gemv(a, x3, trans: .none, alpha: 2, beta: -1, into: &y1)
        ReferenceBLAS.gemv(a, x3, trans: .none, alpha: 2, beta: -1, into: &y2)
        for i in 0..<5 { assertClose(y1[i], y2[i], 1e-12) }
        var z1 = [Double](repeating: 0, count: 3)
        var z2 = z1
        try BLAS.gemv(a, x5, trans: .transpose, into: &z1)
        ReferenceBLAS.gemv(a, x5, trans: .transpose, into: &z2)
        for i in 0..<3 { assertClose(z1[i], z2[i], 1e-12) }
        assertClose(try BLAS.dot(x5, y1), ReferenceBLAS.dot(x5, y1), 1e-12)
        assertClose(try BLAS.nrm2(x5), ReferenceBLAS.nrm2(x5), 1e-12)
        XCTAssertEqual(try BLAS.dot([Double](), []), 0)
    }

    /// U·diag(s)·Vᵀ reconstructs A, U and V are orthonormal, s descending,
    /// and gesdd agrees with gesvd.
    func testSVDReconstructsAndAgreesAcrossDrivers() throws {
        for (m, n) in [(8, 5), (5, 8), (6, 6)] {
            let a = random(m, n, seed: UInt64(m * 10 + n))
            let d = try LAPACK.svd(a)
            let q = try LAPACK.svdQR(a)
            let r = min(m, n)
            XCTAssertEqual(d.s.count, r)
            for i in 0..<r { assertClose(d.s[i], q.s[i], 1e-10) }
            for i in 1..<r { XCTAssertGreaterThanOrEqual(d.s[i - 1], d.s[i]) }
            var us = d.u
            for i in 0..<m { for j in 0..<r { us[i, j] *= d.s[j] } }
            assertMatricesClose(try BLAS.product(us, d.vt), a, 1e-10)
            assertMatricesClose(try BLAS.product(d.u, d.u, transA: .transpose), .identity(r), 1e-10)
            assertMatricesClose(try BLAS.product(d.vt, d.vt, transB: .transpose), .identity(r), 1e-10)
        }
    }

    /// The singular values of a matrix built with known ones come back.
    func testSVDRecoversKnownSingularValues() throws {
        let q1 = try LAPACK.orthonormalBasis(random(7, 3, seed: 11))
        let q2 = try LAPACK.orthonormalBasis(random(5, 3, seed: 12))
        let s: [Double] = [9, 4, 0.5]
        var a = Matrix<Double>(rows: 7, cols: 5)
        for i in 0..<7 { for j in 0..<5 { for k in 0..<3 { a[i, j] += q1[i, k] * s[k] * q2[j, k] } } }
        let d = try LAPACK.svd(a)
        for k in 0..<3 { assertClose(d.s[k], s[k], 1e-10) }
        XCTAssertLessThan(abs(d.s[3]), 1e-10)
    }

    func testQRBasisIsOrthonormalAndSpansTheColumns() throws {
        let a = random(9, 4, seed: 13)
        let q = try LAPACK.orthonormalBasis(a)
        XCTAssertEqual(q.rows, 9)
        XCTAssertEqual(q.cols, 4)
        assertMatricesClose(try BLAS.product(q, q, transA: .transpose), .identity(4), 1e-12)
        // Projection onto span(Q) leaves A unchanged.
        let proj = try BLAS.product(q, try BLAS.product(q, a, transA: .transpose))
        assertMatricesClose(proj, a, 1e-10)
    }

    func testSizesOverInt32AreRejectedWithAMessage() {
        XCTAssertThrowsError(try blasInt(Int(Int32.max) + 1, "rows")) { e in
            XCTAssertTrue("\(e)".contains("rows"))
        }
        XCTAssertEqual(try blasInt(5), 5)
    }

    func testRuntimeNamesTheLoadedBLAS() {
        XCTAssertFalse(BLAS.runtime.library.isEmpty)
    }

    /// The advice appears only for OpenBLAS kernels without AVX2 on a CPU
    /// that has it (Debian 12's OpenBLAS 0.3.21 picks "Prescott" on
    /// Emerald Rapids), names the kernel set that fits the CPU, and stays
    /// silent when the user chose one with OPENBLAS_CORETYPE.
    func testKernelAdviceOnlyForKernelsBelowTheCPU() throws {
        func advice(_ core: String, _ level: Int, set: Bool = false, openBLAS: Bool = true) -> String? {
            BLAS.kernelAdvice(core: core, cpuLevel: level, coreTypeSet: set, isOpenBLAS: openBLAS)
        }
        let avx512 = try XCTUnwrap(advice("Prescott", 2))
        XCTAssertTrue(avx512.contains("Prescott kernels") && avx512.contains("AVX-512"), avx512)
        XCTAssertTrue(avx512.contains("OPENBLAS_CORETYPE=SkylakeX"), avx512)
        let avx2 = try XCTUnwrap(advice("Sandybridge", 1))
        XCTAssertTrue(avx2.contains("OPENBLAS_CORETYPE=Haswell") && avx2.contains("with AVX2"), avx2)
        XCTAssertNotNil(advice("Core2", 1))
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids", "Haswell", "Zen"] { XCTAssertNil(advice(core, 2), core) }
        XCTAssertNil(advice("Prescott", 0), "a CPU without AVX2 runs what fits it")
        XCTAssertNil(advice("Prescott", 2, set: true), "OPENBLAS_CORETYPE chosen by the user")
        XCTAssertNil(advice("generic", 2, openBLAS: false), "the reference BLAS has its own line")
    }

    /// `stopIdleThreads` (what the CLI does before its work) joins OpenBLAS's
    /// pool; lowering and restoring the thread count (what the engine does
    /// around its own loops) leaves it stopped; the next threaded product
    /// starts it again and is still right.
    func testStoppedOpenBLASPoolRestartsOnTheNextProduct() throws {
        guard BLAS.poolWorkers != nil, BLAS.threads >= 2 else {
            throw XCTSkip("needs OpenBLAS with its own thread pool and 2 threads; loaded: \(BLAS.runtime.library), \(BLAS.threads) threads")
        }
        // 200³ multiply-adds: above OpenBLAS's threshold for splitting a GEMM.
        let a = random(200, 200, seed: 11)
        let b = random(200, 200, seed: 12)
        var expected = Matrix<Double>(rows: 200, cols: 200)
        ReferenceBLAS.gemm(a, b, into: &expected)
        assertMatricesClose(try BLAS.product(a, b), expected, 1e-12)
        let workers = try XCTUnwrap(BLAS.poolWorkers)
        XCTAssertGreaterThanOrEqual(workers, 1, "OpenBLAS with 2 threads keeps at least one worker")

        XCTAssertEqual(BLAS.stopIdleThreads(), workers)
        XCTAssertEqual(BLAS.poolWorkers, 0)
        XCTAssertEqual(BLAS.stopIdleThreads(), 0, "a stopped pool is left alone")
        let saved = BLAS.threads
        BLAS.setThreads(1)
        BLAS.setThreads(saved)
        XCTAssertEqual(BLAS.poolWorkers, 0, "setting the thread count restarted the pool")
        XCTAssertEqual(BLAS.threads, saved)

        assertMatricesClose(try BLAS.product(a, b), expected, 1e-12)
        XCTAssertEqual(BLAS.poolWorkers, workers, "the product started the pool again")
    }
}
