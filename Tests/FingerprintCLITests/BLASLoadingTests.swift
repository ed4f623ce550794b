import Foundation
import XCTest

/// BLAS and LAPACKE are opened when a command first multiplies a matrix
/// (`BLASLibrary`), not when the process starts: commands that multiply
/// none never load them, and a library that cannot be opened is one line
/// (exit 70) from the commands that need it and nothing to the others.
final class BLASLoadingTests: XCTestCase {
    let trace = ["FINGERPRINT_TRACE": "1"]
    let missing = ["FINGERPRINT_BLAS_LIBRARY": "/nonexistent/libblas.so.3"]

    /// The lines `FINGERPRINT_TRACE` writes when the library is opened.
    func opened(_ r: CLITests.Run) -> [Substring] {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("trace: BLAS: opened ") }
    }

    func testCommandsThatMultiplyNoMatrixNeverLoadBLAS() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-blas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fp = dir.appendingPathComponent("a.fp").path
        for args in [
            ["stats", "Corpora/source-a"],
            ["dedup", "Corpora/source-a"],
            ["sketch", "Corpora/source-a", "-o", fp],
            ["index", "query", fp, "Corpora/mix-10"],
        ] {
            let r = try CLITests.run(args + ["--quiet"], environment: trace)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertEqual(opened(r), [], "\(args) opened BLAS")
            // Nor do they try: a library that cannot be opened changes nothing.
            let without = try CLITests.run(args + ["--quiet"], environment: missing)
            XCTAssertEqual(without.status, 0, "\(args): \(without.stderr)")
            XCTAssertEqual(without.stdout, r.stdout, "\(args)")
        }
    }

    func testACommandThatMultipliesOpensBLASOnce() throws {
        for args in [["batch", "Corpora/source-a"], ["compare", "Corpora/source-a", "Corpora/mix-10", "--passages", "0"]] {
            let r = try CLITests.run(args + ["--quiet"], environment: trace)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertEqual(opened(r).count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(opened(r)[0].hasPrefix("trace: BLAS: opened libblas.so.3, stopped "), String(opened(r)[0]))
        }
    }

    func testABLASLibraryThatCannotBeOpenedIsOneLine() throws {
        let r = try CLITests.run(["batch", "Corpora/source-a", "--quiet"], environment: missing)
        XCTAssertEqual(r.status, 70, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(
            r.stderr.hasPrefix("fingerprint: error: cannot load the BLAS library (/nonexistent/libblas.so.3: "), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("; install libopenblas0-pthread (or libblas3) and liblapacke\n"), r.stderr)

        // A library that opens but is no BLAS (zlib is a dependency of ours).
        let z = try CLITests.run(
            ["compare", "Corpora/source-a", "Corpora/mix-10", "--quiet"], environment: ["FINGERPRINT_BLAS_LIBRARY": "libz.so.1"])
        XCTAssertEqual(z.status, 70, z.stderr)
        XCTAssertEqual(
            z.stderr, "fingerprint: error: the BLAS library libz.so.1 has no cblas_sgemm; install libopenblas0-pthread (or libblas3)\n")

        // --version says so on its BLAS line, and succeeds.
        let v = try CLITests.run(["--version"], environment: missing)
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.contains("\nBLAS: none (cannot load the BLAS library"), v.stdout)
    }
}
