import CBLAS
import CKernels
import FingerprintCore

#if canImport(Glibc)
    import Glibc
#endif

/// Typed, checked wrappers over CBLAS (row-major). Each has a plain-Swift
/// twin in `ReferenceBLAS` that the tests compare it with.
public enum BLAS {
    public enum Transpose: Sendable {
        case none, transpose
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    public enum Triangle: Sendable {
        case upper, lower
        var cblas: CBLAS_UPLO { self == .upper ? CblasUpper : CblasLower }
    }

    /// C ← alpha · op(A) · op(B) + beta · C.
    /// - Precondition: shapes agree (checked, with a message naming them).
    public static func gemm<T: BLASScalar>(
        _ a: Matrix<T>, _ b: Matrix<T>, transA ta: Transpose = .none, transB tb: Transpose = .none,
        alpha: T = 1, beta: T = 0, into c: inout Matrix<T>
    ) throws {
        _ = try BLASLibrary.load()
        let (m, k) = ta == .none ? (a.rows, a.cols) : (a.cols, a.rows)
        let (kb, n) = tb == .none ? (b.rows, b.cols) : (b.cols, b.rows)
        precondition(k == kb, "gemm: inner dimensions differ (\(k) vs \(kb))")
        precondition(c.rows == m && c.cols == n, "gemm: C is \(c.rows)×\(c.cols), expected \(m)×\(n)")
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            for i in 0..<c.storage.count { c.storage[i] *= beta }
            return
        }
        let (m32, n32, k32) = (try blasInt(m, "rows"), try blasInt(n, "columns"), try blasInt(k, "inner dimension"))
        let lda = try blasInt(max(1, a.cols))
        let ldb = try blasInt(max(1, b.cols))
        let ldc = try blasInt(max(1, c.cols))
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    T.gemm(
                        CblasRowMajor, ta.cblas, tb.cblas, m32, n32, k32, alpha, ap.baseAddress!, lda,
                        bp.baseAddress!, ldb, beta, cp.baseAddress!, ldc)
                }
            }
        }
    }

    /// op(A) · op(B) as a new matrix.
    public static func product<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>, transA ta: Transpose = .none, transB tb: Transpose = .none)
        throws -> Matrix<T>
    {
        let m = ta == .none ? a.rows : a.cols
        let n = tb == .none ? b.cols : b.rows
        var c = Matrix<T>(rows: m, cols: n)
        try gemm(a, b, transA: ta, transB: tb, into: &c)
        return c
    }

    /// C ← alpha · A·Aᵀ + beta · C (trans = .none) or alpha · Aᵀ·A + beta · C,
    /// filling only `triangle` of C (the other triangle is left as it was).
    public static func syrk<T: BLASScalar>(
        _ a: Matrix<T>, trans t: Transpose = .none, triangle: Triangle = .upper,
        alpha: T = 1, beta: T = 0, into c: inout Matrix<T>
    ) throws {
        _ = try BLASLibrary.load()
        let (n, k) = t == .none ? (a.rows, a.cols) : (a.cols, a.rows)
        precondition(c.rows == n && c.cols == n, "syrk: C is \(c.rows)×\(c.cols), expected \(n)×\(n)")
        guard n > 0, k > 0 else { return }
        let n32 = try blasInt(n)
        let k32 = try blasInt(k)
        let lda = try blasInt(max(1, a.cols))
        let ldc = try blasInt(max(1, n))
        a.storage.withUnsafeBufferPointer { ap in
            c.storage.withUnsafeMutableBufferPointer { cp in
                T.syrk(CblasRowMajor, triangle.cblas, t.cblas, n32, k32, alpha, ap.baseAddress!, lda, beta, cp.baseAddress!, ldc)
            }
        }
    }

    /// y ← alpha · op(A) · x + beta · y.
    public static func gemv<T: BLASScalar>(
        _ a: Matrix<T>, _ x: [T], trans t: Transpose = .none,
        alpha: T = 1, beta: T = 0, into y: inout [T]
    ) throws {
        _ = try BLASLibrary.load()
        let (m, n) = t == .none ? (a.rows, a.cols) : (a.cols, a.rows)
        precondition(x.count == n && y.count == m, "gemv: x has \(x.count) (expected \(n)), y has \(y.count) (expected \(m))")
        guard m > 0 else { return }
        guard n > 0 else {
            for i in 0..<m { y[i] *= beta }
            return
        }
        let r = try blasInt(a.rows)
        let c = try blasInt(a.cols)
        let lda = try blasInt(max(1, a.cols))
        a.storage.withUnsafeBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    T.gemv(CblasRowMajor, t.cblas, r, c, alpha, ap.baseAddress!, lda, xp.baseAddress!, 1, beta, yp.baseAddress!, 1)
                }
            }
        }
    }

    /// x · y.
    public static func dot<T: BLASScalar>(_ x: [T], _ y: [T]) throws -> T {
        _ = try BLASLibrary.load()
        precondition(x.count == y.count, "dot: lengths differ (\(x.count) vs \(y.count))")
        guard !x.isEmpty else { return 0 }
        let n = try blasInt(x.count)
        return x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in T.dot(n, xp.baseAddress!, 1, yp.baseAddress!, 1) } }
    }

    /// ‖x‖₂ (scaled to avoid overflow, as BLAS does).
    public static func nrm2<T: BLASScalar>(_ x: [T]) throws -> T {
        _ = try BLASLibrary.load()
        guard !x.isEmpty else { return 0 }
        let n = try blasInt(x.count)
        return x.withUnsafeBufferPointer { T.nrm2(n, $0.baseAddress!, 1) }
    }

    /// GEMM on raw row-major buffers: C (m × n) ← op(A) · op(B) + beta · C,
    /// with A stored m × k (k × m when `transA`) and B stored k × n (n × k
    /// when `transB`). For blocked kernels that work on sub-blocks of larger
    /// matrices without copying them.
    public static func gemmRaw<T: BLASScalar>(
        m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int, transA: Bool = false, b: UnsafePointer<T>, ldb: Int,
        transB: Bool, c: UnsafeMutablePointer<T>, ldc: Int, beta: T = 0
    ) throws {
        _ = try BLASLibrary.load()
        guard m > 0, n > 0, k > 0 else { return }
        T.gemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, try blasInt(m), try blasInt(n),
            try blasInt(k), 1, a, try blasInt(lda), b, try blasInt(ldb), beta, c, try blasInt(ldc))
    }

    /// What a command asks of BLAS before its work: the thread count
    /// (--threads), and OpenBLAS's idle pool stopped (`stopIdleThreads`).
    /// Applied now when the library is open, else when it opens: a command
    /// that never multiplies a matrix never loads it (`BLASLibrary`).
    public static func configure(threads: Int?, stopPool: Bool) {
        BLASLibrary.Settings.request(threads: threads, stopPool: stopPool)
    }

    /// The BLAS library's thread count (1 when it cannot be asked). Opens the library.
    public static var threads: Int {
        guard let library = try? BLASLibrary.load() else { return 1 }
        return threads(in: library)
    }

    static func threads(in library: BLASLibrary) -> Int {
        typealias GetFn = @convention(c) () -> Int32
        if let f = library.symbol("openblas_get_num_threads") { return Int(unsafeBitCast(f, to: GetFn.self)()) }
        return 1
    }

    /// Caps the BLAS library's own threads (OpenBLAS); no-op for other BLAS.
    /// A pool `stopIdleThreads` stopped stays stopped: OpenBLAS 0.3.4 and
    /// later restart it in `openblas_set_num_threads`, and the engine sets
    /// the count around its own threaded loops, where the restarted workers
    /// would only spin beside ours. Opens the library.
    public static func setThreads(_ n: Int) {
        guard let library = try? BLASLibrary.load() else { return }
        setThreads(n, in: library)
    }

    static func setThreads(_ n: Int, in library: BLASLibrary) {
        typealias SetFn = @convention(c) (Int32) -> Void
        guard let f = library.symbol("openblas_set_num_threads") else { return }
        let wanted = max(1, min(n, 256))
        guard wanted != threads(in: library) else { return }
        let stopped = pool(library)?.available == false
        unsafeBitCast(f, to: SetFn.self)(Int32(wanted))
        if stopped { stopIdleThreads(in: library) }
    }

    /// Stops OpenBLAS's worker threads until the next threaded BLAS call
    /// needs them; returns how many it stopped (0 for another BLAS library,
    /// an OpenBLAS build without a thread pool of its own, or a pool that
    /// is stopped already). Opens the library.
    ///
    /// The pthreads build of OpenBLAS starts its workers when the library
    /// loads, and each spins on `sched_yield` for 2²⁸ cycles before it
    /// sleeps: about 0.13 s of CPU, taken from the cores our own workers
    /// read and count on. `blas_thread_shutdown_` — what OpenBLAS's fork
    /// handler calls — joins them; OpenBLAS starts the pool again on its
    /// next threaded call (`exec_blas` re-initialises a pool that is not
    /// available, as it does in a forked child).
    ///
    /// `setThreads` keeps a stopped pool stopped (OpenBLAS's own
    /// `openblas_set_num_threads` would restart it).
    @discardableResult
    public static func stopIdleThreads() -> Int {
        guard let library = try? BLASLibrary.load() else { return 0 }
        return stopIdleThreads(in: library)
    }

    @discardableResult
    static func stopIdleThreads(in library: BLASLibrary) -> Int {
        typealias ShutdownFn = @convention(c) () -> Int32
        guard let shutdown = library.symbol("blas_thread_shutdown_") else { return 0 }
        let workers = pool(library)?.workers ?? 0
        _ = unsafeBitCast(shutdown, to: ShutdownFn.self)()
        return workers
    }

    /// OpenBLAS's running pool workers: `blas_num_threads` − 1 while
    /// `blas_server_avail` is set, else 0 (nil when those are not exported).
    /// Opens the library.
    package static var poolWorkers: Int? { (try? BLASLibrary.load()).flatMap { pool($0)?.workers } }

    /// OpenBLAS's pool as its exported `int`s say (nil when they are not
    /// exported): whether it runs, and its workers then.
    private static func pool(_ library: BLASLibrary) -> (available: Bool, workers: Int)? {
        guard let avail = library.symbol("blas_server_avail"), let count = library.symbol("blas_num_threads") else { return nil }
        let available = avail.load(as: Int32.self) != 0
        return (available, available ? max(0, Int(count.load(as: Int32.self)) - 1) : 0)
    }

    /// Which BLAS library is loaded, its kernel and thread count (printed by
    /// benchmarks, because the reference BLAS is 20–40× slower). Opens the
    /// library; says so when it cannot be opened.
    public static var runtime: (library: String, core: String, threads: Int) {
        typealias CfgFn = @convention(c) () -> UnsafePointer<CChar>?
        typealias IntFn = @convention(c) () -> Int32
        let library: BLASLibrary
        do { library = try BLASLibrary.load() } catch { return ("none (\(error))", "none", 0) }
        if let cfg = library.symbol("openblas_get_config") {
            let config = unsafeBitCast(cfg, to: CfgFn.self)().map { String(cString: $0) } ?? "OpenBLAS"
            let core =
                library.symbol("openblas_get_corename").flatMap { unsafeBitCast($0, to: CfgFn.self)() }.map { String(cString: $0) } ?? "?"
            let threads = library.symbol("openblas_get_num_threads").map { Int(unsafeBitCast($0, to: IntFn.self)()) } ?? 1
            return (config.hasPrefix("OpenBLAS") ? config : "OpenBLAS " + config, core, threads)
        }
        return ("reference BLAS (netlib; slow — install libopenblas0-pthread)", "generic", 1)
    }

    /// OpenBLAS kernel sets that use AVX-512, and those that use AVX2 (or
    /// Zen's equivalent), by `openblas_get_corename()`'s lower-cased name.
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
    static let avx2Cores: Set<String> = ["haswell", "zen", "zen2", "zen3", "zen4", "excavator"]

    /// What to do when OpenBLAS picked kernels without AVX2 on a CPU that
    /// has AVX2 or AVX-512, nil otherwise. An OpenBLAS older than the CPU
    /// does that: Debian 12's 0.3.21 does not know Emerald Rapids (family
    /// 6, model 207) and falls back to its SSE3 "Prescott" kernels, 36
    /// GFLOP/s there against 210 with `OPENBLAS_CORETYPE=SkylakeX` — and
    /// `batch` of 11,009 documents took 12.2 s instead of 6.3. Nil too when
    /// the user set `OPENBLAS_CORETYPE` (their choice stands).
    public static var kernelAdvice: String? {
        let loaded = runtime
        return kernelAdvice(
            core: loaded.core, cpuLevel: Int(fp_cpu_vector_level()),
            coreTypeSet: getenv("OPENBLAS_CORETYPE") != nil,
            isOpenBLAS: loaded.library.hasPrefix("OpenBLAS"))
    }

    package static func kernelAdvice(core: String, cpuLevel: Int, coreTypeSet: Bool, isOpenBLAS: Bool) -> String? {
        guard isOpenBLAS, !coreTypeSet, cpuLevel >= 1 else { return nil }
        let name = core.lowercased()
        if avx512Cores.contains(name) || avx2Cores.contains(name) { return nil }
        let (cpu, want) = cpuLevel >= 2 ? ("AVX-512", "SkylakeX") : ("AVX2", "Haswell")
        return "OpenBLAS chose its \(core) kernels (no AVX2) on a CPU with \(cpu), so matrix products run several times "
            + "slower than they can; set OPENBLAS_CORETYPE=\(want) (or install an OpenBLAS that knows this CPU)"
    }
}

/// Plain-Swift loops with the same contracts as `BLAS`, used as test
/// references and as the readable definition of each call.
package enum ReferenceBLAS {
    public static func gemm<T: BLASScalar>(
        _ a: Matrix<T>, _ b: Matrix<T>, transA ta: BLAS.Transpose = .none, transB tb: BLAS.Transpose = .none,
        alpha: T = 1, beta: T = 0, into c: inout Matrix<T>
    ) {
        let m = c.rows
        let n = c.cols
        let k = ta == .none ? a.cols : a.rows
        for i in 0..<m {
            for j in 0..<n {
                var s: T = 0
                for p in 0..<k {
                    let x = ta == .none ? a[i, p] : a[p, i]
                    let y = tb == .none ? b[p, j] : b[j, p]
                    s += x * y
                }
                c[i, j] = alpha * s + beta * c[i, j]
            }
        }
    }

    public static func syrk<T: BLASScalar>(
        _ a: Matrix<T>, trans t: BLAS.Transpose = .none, triangle: BLAS.Triangle = .upper,
        alpha: T = 1, beta: T = 0, into c: inout Matrix<T>
    ) {
        let n = c.rows
        var full = Matrix<T>(rows: n, cols: n)
        gemm(a, a, transA: t, transB: t == .none ? .transpose : .none, into: &full)
        for i in 0..<n {
            for j in 0..<n where triangle == .upper ? j >= i : j <= i {
                c[i, j] = alpha * full[i, j] + beta * c[i, j]
            }
        }
    }

    public static func gemv<T: BLASScalar>(
        _ a: Matrix<T>, _ x: [T], trans t: BLAS.Transpose = .none, alpha: T = 1, beta: T = 0, into y: inout [T]
    ) {
        let m = t == .none ? a.rows : a.cols
        let n = x.count
        for i in 0..<m {
            var s: T = 0
            for j in 0..<n { s += (t == .none ? a[i, j] : a[j, i]) * x[j] }
            y[i] = alpha * s + beta * y[i]
        }
    }

    public static func dot<T: BLASScalar>(_ x: [T], _ y: [T]) -> T { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
    public static func nrm2<T: BLASScalar>(_ x: [T]) -> T { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
