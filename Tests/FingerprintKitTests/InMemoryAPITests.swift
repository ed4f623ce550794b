import FingerprintKit
import Foundation
import XCTest

/// The in-memory entry points, through their doc-comment examples: the
/// code below is the examples' code, and a test checks that every line of
/// each example still appears here, so the documentation cannot drift from
/// code that compiles and runs.
final class InMemoryAPITests: XCTestCase {
    func testCompareExample() throws {
        let human = (1...12).map { "The committee met on day \($0) and agreed that the river bridge needs repair before winter." }
        let model = (1...12).map { "Overall, it is important to note that on day \($0) the committee delved into the bridge repair." }
        var options = CompareOptions()
        options.permutations = 199
        let report = try Comparison.run(human, model, options: options)
        print(report.summary)  // A and B are distinguishable (permutation test, …)
        print(report.test.pValue!, report.divergence.jsd)

        XCTAssertTrue(report.summary.hasPrefix("A and B are distinguishable"), report.summary)
        XCTAssertEqual(report.test.pValue, 1.0 / 200)
        XCTAssertEqual(report.a.documents, 12)
        XCTAssertEqual(report.b.path, "B")
    }

    func testBatchExample() throws {
        let docs = ["the cat sat on the mat", "the cat sat on a mat", "stock prices fell sharply on monday"]
        var options = BatchOptions()
        options.top = 1
        let result = try Batch.run(docs, options: options)
        print(result.neighbors[0].first!.index)  // 1: the second document

        XCTAssertEqual(result.neighbors[0].first?.index, 1)
        XCTAssertEqual(result.neighbors[1].first?.index, 0)
        XCTAssertEqual(result.queryNames, ["doc1", "doc2", "doc3"])
    }

    /// In memory and on disk give the same comparison, number for number
    /// (documents in the same order: file names sort as the list does).
    func testInMemoryEqualsTheSameDocumentsOnDisk() throws {
        func name(_ i: Int) -> String { String(format: "doc%02d.txt", i + 1) }
        let a = (0..<10).map { "alpha beta gamma \($0) delta epsilon alpha \($0 * 7) zeta eta theta" }
        let b = (0..<9).map { "alpha beta iota \($0) kappa lambda beta \($0 * 3) mu nu xi" } + [""]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-mem-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (side, docs) in [("A", a), ("B", b)] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(side), withIntermediateDirectories: true)
            for (i, d) in docs.enumerated() {
                try d.write(to: dir.appendingPathComponent("\(side)/\(name(i))"), atomically: true, encoding: .utf8)
            }
        }
        var o = CompareOptions()
        o.permutations = 99
        o.bootstrap = 20
        let memory = try Comparison.run(
            CorpusInput(documents: a, names: a.indices.map(name), label: "A"),
            CorpusInput(documents: b, names: b.indices.map(name), label: "B"), options: o
        ).withVerdict()
        var disk = try Comparison.run(
            try CorpusInput(path: dir.appendingPathComponent("A").path),
            try CorpusInput(path: dir.appendingPathComponent("B").path), options: o
        ).withVerdict()
        // Only the input descriptions differ (the empty document is a skip on both).
        XCTAssertEqual(memory.b.skipped, 1)
        disk.a.path = "A"
        disk.b.path = "B"
        for i in disk.b.skips.indices { disk.b.skips[i].path = (disk.b.skips[i].path as NSString).lastPathComponent }
        XCTAssertEqual(try JSONOutput.encode(memory), try JSONOutput.encode(disk))
    }

    /// Every line of each doc-comment example is in this file.
    func testDocCommentExamplesAreTheCodeAbove() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(
            contentsOf: here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Sources/FingerprintKit/InMemory.swift"), encoding: .utf8)
        // Compared with runs of spaces collapsed (the formatter aligns comments).
        func squeezed(_ s: String) -> String { s.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        let tests = squeezed(try String(contentsOf: here, encoding: .utf8))
        var inExample = false
        var lines = 0
        for raw in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line == "/// ```swift" {
                inExample = true
                continue
            }
            if line == "/// ```" {
                inExample = false
                continue
            }
            guard inExample else { continue }
            let code = String(line.dropFirst(4))
            lines += 1
            XCTAssertTrue(tests.contains(squeezed(code)), "doc example line not exercised by a test: \(code)")
        }
        XCTAssertGreaterThanOrEqual(lines, 10)
    }
}
