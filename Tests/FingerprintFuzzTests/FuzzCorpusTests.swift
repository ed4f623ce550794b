import FingerprintFuzz
import Foundation
import XCTest

/// Replays every committed fuzz corpus (Tests/Fuzz/<target>/corpus) through
/// the same checks libFuzzer runs, so that `swift test` re-checks them.
final class FuzzCorpusTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func replay(_ target: FuzzTarget) throws {
        let files = try FuzzCorpus.files(at: FuzzCorpus.directory(target, root: Self.root))
        XCTAssertGreaterThan(files.count, 10, "the \(target.rawValue) corpus is missing or nearly empty")
        for f in try FuzzCorpus.replay(target, files: files) {
            XCTFail("\(target.rawValue): \(f.file.lastPathComponent): \(f.failure)")
        }
    }

    func testJSONLCorpus() throws { try replay(.jsonl) }
    func testWordTokenizerCorpus() throws { try replay(.word) }
    func testCharTokenizerCorpus() throws { try replay(.char) }
    func testSafeTextCorpus() throws { try replay(.safetext) }
    func testCSVCorpus() throws { try replay(.csv) }
    func testSafetensorsCorpus() throws { try replay(.safetensors) }
    func testBPECorpus() throws { try replay(.bpe) }
    func testTiktokenRanksCorpus() throws { try replay(.tiktoken) }
    func testHFTokenizerJSONCorpus() throws { try replay(.hfjson) }
    func testFingerprintFileCorpus() throws { try replay(.fpfile) }

    /// Every target has a corpus directory and a test above.
    func testEveryTargetHasACorpus() {
        XCTAssertEqual(FuzzTarget.allCases.count, 10)
        for t in FuzzTarget.allCases {
            XCTAssertTrue(FileManager.default.fileExists(atPath: FuzzCorpus.directory(t, root: Self.root).path), t.rawValue)
        }
    }
}
