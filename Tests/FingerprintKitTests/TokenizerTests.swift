import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// The tokenizers against the Python reference (Fixtures/tokenize.json,
/// Fixtures/utf8.json: `re.findall(r"\w+", text.lower())`, the DESIGN rule
/// re-implemented in Python, scikit-learn's char analyzer).
final class TokenizerTests: XCTestCase {
    func cases(_ file: String) throws -> [[String: Any]] {
        (try loadJSON(file) as! [String: Any])["cases"] as! [[String: Any]]
    }

    func testWordTokensMatchPythonReference() throws {
        let all = try cases("tokenize.json")
        XCTAssertGreaterThan(all.count, 20)
        for c in all {
            let text = c["text"] as! String
            XCTAssertEqual(TokenizerSpec.word.tokens(of: text), c["word"] as! [String], "case \(c["name"]!)")
        }
    }

    func testWordNGramsMatchScikitLearnJoin() throws {
        for c in try cases("tokenize.json") {
            let text = c["text"] as! String
            XCTAssertEqual(TokenizerSpec.ngram(2).tokens(of: text), c["ngram2"] as! [String], "case \(c["name"]!)")
            XCTAssertEqual(TokenizerSpec.ngram(3).tokens(of: text), c["ngram3"] as! [String], "case \(c["name"]!)")
        }
    }

    func testCharNGramsMatchScikitLearnCharAnalyzer() throws {
        for c in try cases("tokenize.json") {
            let text = c["text"] as! String
            XCTAssertEqual(TokenizerSpec.char(3).tokens(of: text), c["char3"] as! [String], "case \(c["name"]!)")
            XCTAssertEqual(TokenizerSpec.char(5).tokens(of: text), c["char5"] as! [String], "case \(c["name"]!)")
        }
    }

    func testInvalidUTF8IsReplacedAndCountedLikePython() throws {
        for c in try cases("utf8.json") {
            let bytes = hexBytes(c["hex"] as! String)
            var stream = TokenStream(.word)
            var out = StringCollector()
            bytes.withUnsafeBufferPointer { stream.feed($0, into: &out) }
            stream.finish(into: &out)
            XCTAssertEqual(out.tokens, c["word"] as! [String], "case \(c["name"]!)")
            XCTAssertEqual(stream.invalidSequences, c["replacements"] as! Int, "case \(c["name"]!)")
            stream.release()
        }
    }

    /// Feeding a document in chunks of every size gives the same tokens and
    /// the same replacement count as feeding it whole (scalars and tokens
    /// split across chunk boundaries).
    func testChunkBoundariesDoNotChangeTokens() throws {
        var texts = try cases("tokenize.json").map { Array(($0["text"] as! String).utf8) }
        texts += try cases("utf8.json").map { hexBytes($0["hex"] as! String) }
        for spec in [TokenizerSpec.word, .char(3), .ngram(2)] {
            for bytes in texts {
                let whole = spec.tokens(ofBytes: bytes)
                for size in [1, 2, 3, 5, 7] {
                    var stream = TokenStream(spec)
                    var out = StringCollector()
                    var i = 0
                    while i < bytes.count {
                        let chunk = Array(bytes[i..<min(bytes.count, i + size)])
                        chunk.withUnsafeBufferPointer { stream.feed($0, into: &out) }
                        i += size
                    }
                    stream.finish(into: &out)
                    stream.release()
                    XCTAssertEqual(out.tokens, whole, "\(spec) chunk \(size): \(String(decoding: bytes, as: UTF8.self).prefix(40))")
                }
            }
        }
    }

    func testTokenizerSpecParsing() throws {
        XCTAssertEqual(try TokenizerSpec(parsing: "word"), .word)
        XCTAssertEqual(try TokenizerSpec(parsing: "char:4"), .char(4))
        XCTAssertEqual(try TokenizerSpec(parsing: "ngram:2"), .ngram(2))
        for bad in ["", "words", "char", "char:0", "char:x", "ngram:65", "word:2"] {
            XCTAssertThrowsError(try TokenizerSpec(parsing: bad), bad) { e in
                XCTAssertEqual(errorCase(e), "invalidParameter")
            }
        }
    }

    /// Regression: a token longer than the cap is cut, counted, and memory stays bounded.
    func testVeryLongTokenIsCutAndCounted() {
        var scanner = WordScanner(maxTokenBytes: 64)
        defer { scanner.release() }
        var out = StringCollector()
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1000) + Array(" b".utf8)
        bytes.withUnsafeBufferPointer { scanner.feed($0, into: &out) }
        scanner.finish(into: &out)
        // Kept: the first 47 bytes, '~' and 16 hex digits of a hash of the rest.
        XCTAssertEqual(out.tokens.count, 2)
        let long = out.tokens[0]
        XCTAssertEqual(long.utf8.count, 64)
        XCTAssertTrue(long.hasPrefix(String(repeating: "a", count: 47) + "~"), long)
        XCTAssertTrue(long.dropFirst(48).allSatisfy { $0.isHexDigit }, long)
        XCTAssertEqual(out.tokens[1], "b")
        XCTAssertEqual(scanner.truncatedTokens, 1)

        // Tokens that differ only past the cap stay different; equal ones stay equal.
        func token(_ text: [UInt8]) -> String {
            var s = WordScanner(maxTokenBytes: 64)
            defer { s.release() }
            var c = StringCollector()
            text.withUnsafeBufferPointer { s.feed($0, into: &c) }
            s.finish(into: &c)
            return c.tokens[0]
        }
        let base = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        XCTAssertNotEqual(token(base + [UInt8(ascii: "b")]), token(base + [UInt8(ascii: "c")]))
        XCTAssertEqual(token(base + [UInt8(ascii: "b")]), token(base + [UInt8(ascii: "b")]))
        // A multi-byte scalar at the cut is not split: the token stays valid UTF-8.
        let greek = token(Array(String(repeating: "α", count: 500).utf8))
        XCTAssertTrue(greek.hasSuffix(String(greek.suffix(17))) && greek.contains("~"))
        XCTAssertFalse(greek.contains("\u{FFFD}"))
    }
}

/// Byte ranges of word tokens point at the original text, across chunk
/// boundaries and through the slow (non-ASCII) path.
final class TokenRangeTests: XCTestCase {
    func ranges(_ bytes: [UInt8], chunk: Int) -> RangeCollector {
        var s = WordScanner()
        defer { s.release() }
        var out = RangeCollector()
        var i = 0
        while i < bytes.count {
            let c = Array(bytes[i..<min(bytes.count, i + chunk)])
            c.withUnsafeBufferPointer { s.feed($0, into: &out) }
            i += chunk
        }
        s.finish(into: &out)
        return out
    }

    func testRangesSliceTheOriginalText() throws {
        let texts = [
            "Hello, World! foo_bar 42", "Ελληνικά ΟΔΟΣ. και λόγος", "東京タワーはtokyo tower です", "café—naïve x\u{301}y end",
            "ab\u{FF}cd \u{E9}", "  lead and trail  ",
        ]
        for t in texts {
            let bytes = Array(t.utf8)
            let whole = TokenizerSpec.word.tokens(of: t)
            for chunk in [1, 2, 3, 1000] {
                let r = ranges(bytes, chunk: chunk)
                XCTAssertEqual(r.tokens, whole, "\(t) chunk \(chunk)")
                for (tok, rg) in zip(r.tokens, r.ranges) {
                    let original = String(decoding: bytes[rg], as: UTF8.self)
                    XCTAssertEqual(TokenizerSpec.word.tokens(of: original), [tok], "\(t) chunk \(chunk): \(rg) → '\(original)'")
                }
            }
        }
    }
}
