import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// The folder of committed reference fixtures (made by Fixtures/make_reference.py).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Whether the tests run under `--sanitize=address` or `thread`, whose shadow
/// memory (and ASan's quarantine) make peak-memory bounds meaningless.
let underSanitizer: Bool = {
    let me = dlopen(nil, RTLD_NOW)
    return dlsym(me, "__asan_init") != nil || dlsym(me, "__tsan_init") != nil
}()

/// AddressSanitizer's default options for this test process (read before
/// `main`; ASAN_OPTIONS still wins): no leak check at its exit, where
/// LeakSanitizer lists caches and leaks of Foundation and XCTest (URL
/// parsing, `Data(contentsOf:)`, `DispatchQueue.sync`), none allocated by the
/// engine. The CLI binary the CLI tests run keeps the leak check (with
/// Tests/Sanitizers/lsan.supp); it found asan-1 (Tests/Fuzz/README.md).
@_cdecl("__asan_default_options")
public func asanDefaultOptions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("detect_leaks=0" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

func loadJSON(_ name: String) throws -> Any {
    let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
    return try JSONSerialization.jsonObject(with: data)
}

/// Relative closeness: |a − b| ≤ tol · max(1, |a|, |b|).
func assertClose(
    _ a: Double, _ b: Double, _ tol: Double = 1e-9, _ msg: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    let scale = max(1, abs(a), abs(b))
    XCTAssert(abs(a - b) <= tol * scale, "\(a) vs \(b) (tol \(tol)) \(msg())", file: file, line: line)
}

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func write(_ text: String, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

/// The case name of a `FingerprintError` ("inputNotFound", "badData", …),
/// or a description of any other error.
func errorCase(_ e: Error) -> String {
    guard let f = e as? FingerprintError else { return "not a FingerprintError: \(e)" }
    return Mirror(reflecting: f).children.first?.label ?? "\(f)"
}
