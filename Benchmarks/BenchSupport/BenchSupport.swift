import FingerprintKit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers shared by the benchmark targets: the environment banner, generated
/// corpora written to a temporary directory, and timing.
public enum BenchSupport {
    /// Prints, once per process, the BLAS in use (library, kernel, threads)
    /// and the core count, to standard error (the benchmark tool owns stdout's
    /// table). The reference BLAS is 20–40× slower than OpenBLAS, so every
    /// GEMM figure means nothing without this line.
    public static func printEnvironment(_ target: String) {
        guard !printed else { return }
        printed = true
        let b = BLAS.runtime
        let cores = ProcessInfo.processInfo.activeProcessorCount
        eprint("[\(target)] BLAS: \(b.library) | core \(b.core) | \(b.threads) thread(s); \(cores) core(s)")
    }

    nonisolated(unsafe) private static var printed = false

    public static func eprint(_ s: String) {
        FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
    }

    /// A generated data directory, reused across benchmark processes (each
    /// benchmark runs in its own process): `$FINGERPRINT_BENCH_DATA/<name>`
    /// (default `/tmp/fingerprint-bench/<name>`). `make` fills it when its
    /// completion marker is missing. Put the generator version in `name`.
    public static func cachedDirectory(_ name: String, _ make: (String) throws -> Void) throws -> String {
        let base = ProcessInfo.processInfo.environment["FINGERPRINT_BENCH_DATA"] ?? "/tmp/fingerprint-bench"
        let dir = base + "/" + name
        let marker = dir + "/.complete"
        if FileManager.default.fileExists(atPath: marker) { return dir }
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let t = now()
        try make(dir)
        try Data().write(to: URL(fileURLWithPath: marker))
        eprint("generated \(dir) (\(directoryBytes(dir)) bytes) in \(String(format: "%.1f", now() - t)) s")
        return dir
    }

    /// Writes documents `0..<count` of `source` on `stream` as
    /// `dir/d000000.txt`, … and returns the bytes written.
    @discardableResult
    public static func writeCorpus(
        to dir: String, generator g: CorpusGenerator, source: SourceModel, stream: UInt64,
        documents count: Int, words: Int = 300
    ) throws -> Int {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var total = 0
        for i in 0..<count {
            let bytes = g.document(source: source, words: words, stream: stream, index: i)
            try Data(bytes).write(to: URL(fileURLWithPath: String(format: "%@/d%06d.txt", dir, i)))
            total += bytes.count
        }
        return total
    }

    /// Writes documents of `source` until about `bytes` bytes are written;
    /// returns (documents, bytes).
    @discardableResult
    public static func writeCorpus(
        to dir: String, generator g: CorpusGenerator, source: SourceModel, stream: UInt64,
        approximateBytes bytes: Int, words: Int = 300
    ) throws -> (documents: Int, bytes: Int) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var total = 0
        var i = 0
        while total < bytes {
            let doc = g.document(source: source, words: words, stream: stream, index: i)
            try Data(doc).write(to: URL(fileURLWithPath: String(format: "%@/d%06d.txt", dir, i)))
            total += doc.count
            i += 1
        }
        return (i, total)
    }

    /// Total size of the regular files under `dir` (recursive).
    public static func directoryBytes(_ dir: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return 0 }
        var total = 0
        while let p = e.nextObject() as? String {
            if let a = try? FileManager.default.attributesOfItem(atPath: dir + "/" + p),
                (a[.type] as? FileAttributeType) == .typeRegular
            {
                total += (a[.size] as? Int) ?? 0
            }
        }
        return total
    }

    /// Monotonic seconds.
    @inline(__always)
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median of a non-empty array.
    public static func median(_ x: [Double]) -> Double {
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }
}
