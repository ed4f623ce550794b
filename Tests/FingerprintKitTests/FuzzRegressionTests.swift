import XCTest

@testable import FingerprintCore
@testable import FingerprintReport

/// Regression tests for what the fuzz targets found (Tests/Fuzz/README.md),
/// each named after its bug.
final class FuzzRegressionTests: XCTestCase {
    /// csv-1: `CSV.field` tested `Character`s, and a comma or a quote followed
    /// by a combining mark (one grapheme), or CR LF (one grapheme), matched
    /// none of `,` `"` `\n` `\r`: the field was written unquoted, which split
    /// the row or left a bare quote.
    func testCSVFieldQuotesACommaOrQuoteBeforeACombiningMarkAndCRLF() {
        XCTAssertEqual(CSV.field("a,\u{301}b"), "\"a,\u{301}b\"")
        XCTAssertEqual(CSV.field("\"\u{301}"), "\"\"\"\u{301}\"")
        XCTAssertEqual(CSV.field("x\r\ny"), "\"x\r\ny\"")
        XCTAssertEqual(CSV.field(" \u{301}"), "\" \u{301}\"")
        XCTAssertEqual(CSV.row(["a,\u{301}", "b"]), "\"a,\u{301}\",b\n")
    }

    /// csv-2: with another control character in the field, CR LF was escaped
    /// to the text `\r\n` (the split on `"\n"` and `"\r"` missed the CR LF
    /// grapheme), while a lone LF was kept as a line break.
    func testCSVFieldKeepsCRLFWhenEscapingOtherControls() {
        XCTAssertEqual(CSV.field("a\u{1B}\r\nb"), "\"a\\e\r\nb\"")
    }
}
