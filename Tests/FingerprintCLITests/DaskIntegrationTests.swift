import Foundation
import XCTest

/// The Dask driver (Integrations/dask, issue 18): its Python test suite
/// starts a scheduler and two workers as processes on the loopback
/// interface and checks each job against this binary run alone, and the
/// jobs' results after a worker is killed. Skipped when Dask is not
/// installed, except under CI (.ci/run installs it).
final class DaskIntegrationTests: XCTestCase {
    func testDriverOnALocalCluster() throws {
        let python = "/usr/bin/env"
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["python3", "-c", "import distributed, numpy"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        if check.terminationStatus != 0 {
            let msg = "Dask is not installed (python3 -m pip install 'dask[distributed]==2026.8.0', as .ci/run does)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(msg) }
            throw XCTSkip(msg)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["python3", "-m", "unittest", "discover", "-s", "Integrations/dask/tests", "-v"]
        p.currentDirectoryURL = CLITests.root
        var env = ProcessInfo.processInfo.environment
        env["FINGERPRINT_BIN"] = CLITests.binary.path
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        p.environment = env
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fp-dask-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            XCTFail("cannot create \(log.path)")
            return
        }
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        // unittest's verdict lines, without the workers' own logging.
        let summary = output.split(separator: "\n").filter {
            $0.hasPrefix("test_") || $0.hasPrefix("FAIL") || $0.hasPrefix("ERROR") || $0.hasPrefix("Ran ") || $0.hasPrefix("OK")
        }
        XCTAssertEqual(p.terminationStatus, 0, "the Dask driver's tests failed:\n\(output.suffix(6000))")
        XCTAssertTrue(output.contains("\nOK"), summary.joined(separator: "\n"))
        XCTAssertFalse(output.contains("skipped"), "no test of the driver may be skipped here:\n\(summary.joined(separator: "\n"))")
    }
}
