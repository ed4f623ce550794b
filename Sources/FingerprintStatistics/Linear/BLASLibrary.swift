import CBLAS
import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The BLAS and LAPACKE libraries, opened when a command first multiplies
/// a matrix rather than when the process starts.
///
/// Linked, they were loaded by every process: `libblas.so.3` (OpenBLAS
/// here, with LAPACK, libgfortran and libquadmath behind it) and
/// `liblapacke.so.3`, and OpenBLAS started its thread pool. That costs a C
/// `main` 1.9 ms (0.65 → 2.54 ms, `perf stat -r 300`), about 2% of `stats`
/// on 100 MB — and `stats`, `dedup`, `sketch`, `index` and the readers never
/// call BLAS. The module map now names no library; the header still gives
/// the types, and the entry points are resolved with `dlsym` here.
///
/// `FINGERPRINT_BLAS_LIBRARY` names another BLAS to open (a path or a
/// soname), e.g. the reference BLAS beside OpenBLAS; LAPACKE still reaches
/// the system's LAPACK and, through it, the system's BLAS.
package struct BLASLibrary: @unchecked Sendable {
    typealias SGEMM =
        @convention(c) (
            CBLAS_LAYOUT, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
            UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias DGEMM =
        @convention(c) (
            CBLAS_LAYOUT, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
            UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32
        ) -> Void
    typealias SSYRK =
        @convention(c) (
            CBLAS_LAYOUT, CBLAS_UPLO, CBLAS_TRANSPOSE, Int32, Int32, Float, UnsafePointer<Float>?, Int32, Float,
            UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias DSYRK =
        @convention(c) (
            CBLAS_LAYOUT, CBLAS_UPLO, CBLAS_TRANSPOSE, Int32, Int32, Double, UnsafePointer<Double>?, Int32, Double,
            UnsafeMutablePointer<Double>?, Int32
        ) -> Void
    typealias SGEMV =
        @convention(c) (
            CBLAS_LAYOUT, CBLAS_TRANSPOSE, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
            Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias DGEMV =
        @convention(c) (
            CBLAS_LAYOUT, CBLAS_TRANSPOSE, Int32, Int32, Double, UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32,
            Double, UnsafeMutablePointer<Double>?, Int32
        ) -> Void
    typealias SDOT = @convention(c) (Int32, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32) -> Float
    typealias DDOT = @convention(c) (Int32, UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32) -> Double
    typealias SNRM2 = @convention(c) (Int32, UnsafePointer<Float>?, Int32) -> Float
    typealias DNRM2 = @convention(c) (Int32, UnsafePointer<Double>?, Int32) -> Double
    // LAPACKE, row-major (`lapack_int` is `int32_t` in Debian's LP64 build).
    typealias SGESDD =
        @convention(c) (
            Int32, CChar, Int32, Int32, UnsafeMutablePointer<Float>?, Int32, UnsafeMutablePointer<Float>?,
            UnsafeMutablePointer<Float>?, Int32, UnsafeMutablePointer<Float>?, Int32
        ) -> Int32
    typealias DGESDD =
        @convention(c) (
            Int32, CChar, Int32, Int32, UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?,
            UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?, Int32
        ) -> Int32
    typealias SGESVD =
        @convention(c) (
            Int32, CChar, CChar, Int32, Int32, UnsafeMutablePointer<Float>?, Int32, UnsafeMutablePointer<Float>?,
            UnsafeMutablePointer<Float>?, Int32, UnsafeMutablePointer<Float>?, Int32, UnsafeMutablePointer<Float>?
        ) -> Int32
    typealias DGESVD =
        @convention(c) (
            Int32, CChar, CChar, Int32, Int32, UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?,
            UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?
        ) -> Int32
    typealias SGEQRF =
        @convention(c) (
            Int32, Int32, Int32, UnsafeMutablePointer<Float>?, Int32, UnsafeMutablePointer<Float>?
        ) -> Int32
    typealias DGEQRF =
        @convention(c) (
            Int32, Int32, Int32, UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?
        ) -> Int32
    typealias SORGQR =
        @convention(c) (
            Int32, Int32, Int32, Int32, UnsafeMutablePointer<Float>?, Int32, UnsafePointer<Float>?
        ) -> Int32
    typealias DORGQR =
        @convention(c) (
            Int32, Int32, Int32, Int32, UnsafeMutablePointer<Double>?, Int32, UnsafePointer<Double>?
        ) -> Int32

    /// The BLAS library's handle: OpenBLAS's own functions and variables
    /// (thread count, pool, configuration) are looked up in it.
    let blas: UnsafeMutableRawPointer
    /// What was opened, as named (`libblas.so.3` unless the environment says otherwise).
    let name: String

    let sgemm: SGEMM, dgemm: DGEMM
    let ssyrk: SSYRK, dsyrk: DSYRK
    let sgemv: SGEMV, dgemv: DGEMV
    let sdot: SDOT, ddot: DDOT
    let snrm2: SNRM2, dnrm2: DNRM2
    let sgesdd: SGESDD, dgesdd: DGESDD
    let sgesvd: SGESVD, dgesvd: DGESVD
    let sgeqrf: SGEQRF, dgeqrf: DGEQRF
    let sorgqr: SORGQR, dorgqr: DORGQR

    /// The soname the package's system library (`libblas-dev`) installs;
    /// Debian's alternatives point it at OpenBLAS or the reference BLAS.
    static let defaultName = "libblas.so.3"
    static let lapackeName = "liblapacke.so.3"

    /// The libraries, opened on first use (`static let`: once, whatever the thread).
    private static let opened: Result<BLASLibrary, FingerprintError> = {
        let result = Result { try BLASLibrary(named: ProcessInfo.processInfo.environment["FINGERPRINT_BLAS_LIBRARY"] ?? defaultName) }
            .mapError { $0 as? FingerprintError ?? .limit("\($0)") }
        if case .success(let library) = result { Settings.applyOnOpen(library) }
        return result
    }()

    /// The loaded libraries.
    /// - Throws: `FingerprintError.limit` (exit 70), one line naming the
    ///   library that could not be opened or the function it lacks.
    package static func load() throws -> BLASLibrary { try opened.get() }

    /// The loaded libraries, for the non-throwing entry points
    /// (`BLASScalar`); the engine's callers `load()` first, so a missing
    /// library reaches the user as one line rather than a trap.
    static var functions: BLASLibrary {
        switch opened {
        case .success(let library): return library
        case .failure(let error): fatalError(error.description)
        }
    }

    private init(named name: String) throws {
        func open(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else {
                let why = dlerror().map { String(cString: $0) } ?? "not found"
                throw FingerprintError.limit(
                    "cannot load the BLAS library (\(why)); install libopenblas0-pthread (or libblas3) and liblapacke")
            }
            return handle
        }
        let blas = try open(name)
        let lapacke = try open(Self.lapackeName)
        func resolve<F>(_ handle: UnsafeMutableRawPointer, _ symbol: String, _: F.Type) throws -> F {
            guard let address = dlsym(handle, symbol) else {
                throw FingerprintError.limit(
                    handle == blas
                        ? "the BLAS library \(name) has no \(symbol); install libopenblas0-pthread (or libblas3)"
                        : "\(Self.lapackeName) has no \(symbol); install liblapacke")
            }
            return unsafeBitCast(address, to: F.self)
        }
        self.blas = blas
        self.name = name
        sgemm = try resolve(blas, "cblas_sgemm", SGEMM.self)
        dgemm = try resolve(blas, "cblas_dgemm", DGEMM.self)
        ssyrk = try resolve(blas, "cblas_ssyrk", SSYRK.self)
        dsyrk = try resolve(blas, "cblas_dsyrk", DSYRK.self)
        sgemv = try resolve(blas, "cblas_sgemv", SGEMV.self)
        dgemv = try resolve(blas, "cblas_dgemv", DGEMV.self)
        sdot = try resolve(blas, "cblas_sdot", SDOT.self)
        ddot = try resolve(blas, "cblas_ddot", DDOT.self)
        snrm2 = try resolve(blas, "cblas_snrm2", SNRM2.self)
        dnrm2 = try resolve(blas, "cblas_dnrm2", DNRM2.self)
        sgesdd = try resolve(lapacke, "LAPACKE_sgesdd", SGESDD.self)
        dgesdd = try resolve(lapacke, "LAPACKE_dgesdd", DGESDD.self)
        sgesvd = try resolve(lapacke, "LAPACKE_sgesvd", SGESVD.self)
        dgesvd = try resolve(lapacke, "LAPACKE_dgesvd", DGESVD.self)
        sgeqrf = try resolve(lapacke, "LAPACKE_sgeqrf", SGEQRF.self)
        dgeqrf = try resolve(lapacke, "LAPACKE_dgeqrf", DGEQRF.self)
        sorgqr = try resolve(lapacke, "LAPACKE_sorgqr", SORGQR.self)
        dorgqr = try resolve(lapacke, "LAPACKE_dorgqr", DORGQR.self)
    }

    /// A symbol of the BLAS library (OpenBLAS's extensions), nil when it has none.
    func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(blas, name) }

    /// What the CLI asks of the library before its work (`BLAS.configure`),
    /// applied when it opens: the thread count, and whether OpenBLAS's idle
    /// pool is stopped.
    enum Settings {
        private static let lock = NSLock()
        private nonisolated(unsafe) static var open = false
        private nonisolated(unsafe) static var threads: Int?
        private nonisolated(unsafe) static var stopPool = false

        /// Records what `BLAS.configure` asks for, and applies it now when
        /// the library is open already.
        static func request(threads: Int?, stopPool: Bool) {
            let isOpen = lock.withLock {
                if let threads { Settings.threads = threads }
                Settings.stopPool = Settings.stopPool || stopPool
                return open
            }
            guard isOpen, let library = try? BLASLibrary.load() else { return }
            apply(library, threads: threads, stopPool: stopPool)
        }

        /// Applies what was asked for before the library opened.
        static func applyOnOpen(_ library: BLASLibrary) {
            let (threads, stop) = lock.withLock {
                open = true
                return (Settings.threads, stopPool)
            }
            let stopped = apply(library, threads: threads, stopPool: stop)
            Trace.mark("BLAS: opened \(library.name), stopped \(stopped) idle OpenBLAS workers")
        }

        /// Sets the thread count and stops the idle pool, as asked; returns the workers stopped.
        @discardableResult
        private static func apply(_ library: BLASLibrary, threads: Int?, stopPool: Bool) -> Int {
            if let threads { BLAS.setThreads(threads, in: library) }
            return stopPool ? BLAS.stopIdleThreads(in: library) : 0
        }
    }
}
