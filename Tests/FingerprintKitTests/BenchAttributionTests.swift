import Foundation
import XCTest

@testable import FingerprintBench
@testable import FingerprintStatistics

/// `bench`'s attribute task: the folds it writes for its scikit-learn peer
/// are the folds it evaluated on.
final class BenchAttributionTests: XCTestCase {
    func testFoldsFileIsTheStratifiedAssignmentOfTheWrittenDocuments() throws {
        let dir = NSTemporaryDirectory() + "bench-attribution-test-" + ProcessInfo.processInfo.globallyUniqueString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = BenchOptions()
        o.attributionDocuments = 250
        o.threads = 2
        let (task, run) = try Bench.attributionTask(o, directory: dir)
        XCTAssertEqual(run.folds, dir + "/folds.csv")

        // Every written document appears once, with its source as the folder.
        var written: [String] = []
        for s in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where s != "folds.csv" {
            written += try FileManager.default.contentsOfDirectory(atPath: dir + "/" + s).map { s + "/" + $0 }
        }
        let lines = try String(contentsOfFile: run.folds, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "path,fold")
        let rows = lines.dropFirst().map { l -> (String, Int) in
            let parts = l.split(separator: ",")
            return (String(parts[0]), Int(parts[1])!)
        }
        XCTAssertEqual(rows.map(\.0).sorted(), written.sorted())
        XCTAssertEqual(Set(rows.map(\.0)).count, 250)

        // The folds are the stratified assignment of the labels in file order:
        // 10 folds, each holding 5 documents of each of the 5 sources.
        let sources = rows.map { String($0.0.split(separator: "/")[0]) }
        let classes = Array(Set(sources)).sorted()
        XCTAssertEqual(classes.count, 5)
        let labels = sources.map { classes.firstIndex(of: $0)! }
        let expected = Attribution.stratifiedFolds(
            labels: labels, classes: 5, folds: 10, seed: o.seed, stream: AttributionStreams.folds)
        XCTAssertEqual(rows.map(\.1), expected)
        for f in 0..<10 {
            for c in 0..<5 { XCTAssertEqual(zip(rows, labels).filter { $0.0.1 == f && $0.1 == c }.count, 5, "fold \(f), class \(c)") }
        }
        let figures = task.figures
        XCTAssertEqual(figures["chance"], 0.2)
        XCTAssertEqual(figures["features"], 1200)
        XCTAssertGreaterThan(figures["accuracy"]!, 0.2)
    }

    /// `bench --format csv` names the machine and the BLAS the times were
    /// taken on, as the table and JSON do (review 31b: it left them out).
    func testCSVNamesTheMachineAndBLAS() throws {
        let json = """
            {"schema": "fingerprint.bench/1", "version": "0", "machine": {"cpu": "Test CPU", "cores": 2, "threads": 2, "blas_library": "OpenBLAS 0.3.21", "blas_core": "Haswell",
              "blas_threads": 2},
             "corpus": {"path": "c", "generated": true, "files": 1, "bytes": 10},
             "tasks": [{"name": "stats", "seconds": 1.5, "figures": {}, "notes": []}], "peers": [], "targets": []}
            """
        let report = try JSONDecoder().decode(BenchReport.self, from: Data(json.utf8))
        let rows = report.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "task,figure,value")
        for row in [
            "machine,cpu,Test CPU", "machine,blas_library,OpenBLAS 0.3.21", "machine,blas_core,Haswell", "machine,blas_threads,2",
            "stats,seconds,1.5",
        ] {
            XCTAssertTrue(rows.contains(row), "\(row) in \(rows)")
        }
    }
}
