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

    /// safetensors-1 (session 5, after 3,725,178 executions): a tensor field
    /// named with a JSON `\n` escape (`"dat*emv\nets"`) put a raw newline in
    /// the "unknown field" error, which split the one-line error. Names and
    /// keys from the file are now escaped in every header error.
    func testSafetensorsHeaderErrorStaysOneLineWithANewlineInAFieldName() {
        let json = #"{"$calar": {"dtype": "BF16", "shape": [], "dat*\u001bemv\nets": [0, 2]}}"#
        var file = [UInt8](repeating: 0, count: 8)
        let header = Array(json.utf8)
        for k in 0..<8 { file[k] = UInt8((header.count >> (8 * k)) & 0xFF) }
        file += header + [0, 0]
        XCTAssertThrowsError(try file.withUnsafeBytes { try SafetensorsHeader.parse($0, path: "x") }) { e in
            guard case .badData(_, let reason) = e as? FingerprintError else { return XCTFail("\(e)") }
            XCTAssertFalse(reason.contains("\n"), reason)
            XCTAssertFalse(reason.contains("\u{1B}"), reason)
            XCTAssertTrue(reason.contains("unknown field"), reason)
        }
    }

    /// fpfile-2 (session 9, after 9,208 executions on the fpfile-1 fix): a
    /// damaged fingerprint file's error named the document as stored, and a
    /// stored name holding a newline split the one-line error. Every
    /// `FingerprintError` description now escapes control characters, so no
    /// reader's message can split, whatever the file held.
    func testFingerprintErrorStaysOneLineWithANewlineInAStoredName() {
        let e = FingerprintError.badData(path: "f.fp", reason: "document 'd1.txt\n\u{1B}[2J': damaged counts")
        XCTAssertEqual(e.description, #"f.fp: document 'd1.txt\n\e[2J': damaged counts"#)
        XCTAssertEqual(
            FingerprintError.inputNotFound(path: "a\tb", reason: "x").description, #"a\tb: x"#, "a tab is escaped too")
        XCTAssertEqual(FingerprintError.limit("plain").description, "plain")
        // Escaping is idempotent: the CLI escapes its error lines again.
        XCTAssertEqual(e.description.terminalSafe, e.description)
    }

    /// hfjson-1 (session 6, after 1,396,820 executions): a tokenizer.json
    /// whose normalizer type holds a JSON `\n` escape put a raw newline into
    /// "normalizer … is not supported", which split the one-line error. Every
    /// tokenizer.json error is now escaped.
    func testHFTokenizerErrorStaysOneLineWithANewlineInANormalizerType() {
        let json =
            #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}, "#
            + #""normalizer": {"type": "\nBert\u001bNormalizer"}}"#
        XCTAssertThrowsError(try HFTokenizer(contents: Array(json.utf8), path: "t.json")) { e in
            guard case .badData(_, let reason) = e as? FingerprintError else { return XCTFail("\(e)") }
            XCTAssertFalse(reason.contains("\n"), reason)
            XCTAssertFalse(reason.contains("\u{1B}"), reason)
            XCTAssertTrue(reason.contains("normalizer"), reason)
        }
    }

    /// csv-2: with another control character in the field, CR LF was escaped
    /// to the text `\r\n` (the split on `"\n"` and `"\r"` missed the CR LF
    /// grapheme), while a lone LF was kept as a line break.
    func testCSVFieldKeepsCRLFWhenEscapingOtherControls() {
        XCTAssertEqual(CSV.field("a\u{1B}\r\nb"), "\"a\\e\r\nb\"")
    }

    /// word-1: a token ending in σ, then an apostrophe, then a combining mark
    /// (case-ignorable, and a word character): the mark started the next
    /// token, which emitted the held token with the σ taken as final, though
    /// the first cased letter after the case-ignorable run (`A`) makes it not
    /// final, as Python's `str.lower()` has it. The chunking must not matter.
    func testWordSigmaStaysUndecidedAcrossAnApostropheAndACombiningMark() {
        let text = "ΟΣ'\u{303}ANA ΟΣ'\u{303}. ΟΣ'\u{303}"
        XCTAssertEqual(TokenizerSpec.word.tokens(of: text), ["οσ", "\u{303}ana", "ος", "\u{303}", "ος", "\u{303}"])
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var scanner = WordScanner()
            defer { scanner.release() }
            var sink = StringCollector()
            bytes.withUnsafeBufferPointer { b in
                scanner.feed(UnsafeBufferPointer(rebasing: b[..<cut]), into: &sink)
                scanner.feed(UnsafeBufferPointer(rebasing: b[cut...]), into: &sink)
            }
            scanner.finish(into: &sink)
            XCTAssertEqual(sink.tokens, ["οσ", "\u{303}ana", "ος", "\u{303}", "ος", "\u{303}"], "cut at \(cut)")
        }
    }

    /// asan-1 (LeakSanitizer, `swift test --sanitize=address`): when
    /// `CorpusReader.read` threw (no usable document, or a skip with
    /// `--strict`), its workers were never released, and each word tokenizer
    /// kept its 1 MiB token buffer: 1 MiB a thread for every failed call.
    func testCorpusReaderReleasesItsWorkersWhenItThrows() {
        final class Released: @unchecked Sendable { var count = 0 }
        struct Worker: DocumentWorker {
            let released: Released
            var invalidSequences: Int { 0 }
            mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {}
            mutating func finish() -> Int { 0 }
            mutating func discard() {}
            func release() { released.count += 1 }
        }
        for strict in [false, true] {
            let released = Released()
            let input = CorpusInput(documents: ["", ""])
            XCTAssertThrowsError(
                try CorpusReader.read(input, options: ReadOptions(threads: 2, strict: strict)) { Worker(released: released) })
            XCTAssertEqual(released.count, 2, "strict: \(strict)")
        }
    }

    /// word-2: the same with a case-ignorable character that is a token of
    /// its own (the katakana prolonged sound mark ー, Lm): it ended the token
    /// and emitted it with the σ taken as final, though the next cased
    /// letter makes it not final.
    func testWordSigmaStaysUndecidedAcrossACaseIgnorableSingleToken() {
        XCTAssertEqual(TokenizerSpec.word.tokens(of: "ΑΣーA ΑΣー"), ["ασ", "ー", "a", "ας", "ー"])
        XCTAssertEqual(TokenizerSpec.ngram(2).tokens(of: "zΣ\u{5AF}ーa"), ["zσ\u{5AF} ー", "ー a"])
    }
}
