import FingerprintKit
import XCTest

@testable import FingerprintCore

/// The fast ingest path (issue 16): the `word` scanner's 64-byte SIMD blocks
/// against Python and against its own byte-at-a-time path, and a large file
/// read in parts by several workers against the same file read whole.
final class IngestTests: XCTestCase {
    /// Texts of 64 bytes and more (whole blocks, tokens across blocks and
    /// longer than a block) against `re.findall(r"\w+", text.lower())`
    /// (Fixtures/ingest_tokens.json, made by Fixtures/ingest_reference.py).
    func testBlockPathMatchesPythonReference() throws {
        let cases = (try loadJSON("ingest_tokens.json") as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 48)
        for c in cases {
            let text = c["text"] as! String
            XCTAssertEqual(TokenizerSpec.word.tokens(of: text), c["word"] as! [String], "case \(c["name"]!)")
        }
    }

    /// `AsciiBlock` (the C kernel `fp_ascii_block`) against the definition
    /// byte by byte: every byte value at every one of the 64 positions (256
    /// rotations of 0...255), then random blocks.
    func testAsciiBlockMatchesItsDefinition() {
        func reference(_ block: [UInt8]) -> (word: UInt64, high: UInt64, lower: [UInt8]) {
            var word: UInt64 = 0
            var high: UInt64 = 0
            var lower = block
            for (k, c) in block.enumerated() {
                let isUpper = (0x41...0x5A).contains(c)
                if isUpper || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x5F { word |= 1 << UInt64(k) }
                if c >= 0x80 { high |= 1 << UInt64(k) }
                if isUpper { lower[k] = c + 0x20 }
            }
            return (word, high, lower)
        }
        var blocks: [[UInt8]] = (0..<256).map { j in (0..<64).map { k in UInt8((j + k) & 0xFF) } }
        var rng = SplitMix64(seed: 64)
        for _ in 0..<2000 { blocks.append((0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
        var lower = [UInt8](repeating: 0, count: 64)
        for block in blocks {
            let got = block.withUnsafeBytes { p in lower.withUnsafeMutableBytes { AsciiBlock(p.baseAddress!, lower: $0.baseAddress!) } }
            let want = reference(block)
            XCTAssertEqual(got.word, want.word, "\(block)")
            XCTAssertEqual(got.high, want.high, "\(block)")
            XCTAssertEqual(lower, want.lower, "\(block)")
        }
    }

    /// What a scanner reports for `bytes` fed in chunks of `chunk` bytes.
    func scan(_ bytes: [UInt8], chunk: Int, blocks: Bool, maxTokenBytes: Int) -> (RangeCollector, Int, Int) {
        var s = WordScanner(maxTokenBytes: maxTokenBytes, blocks: blocks)
        defer { s.release() }
        var out = RangeCollector()
        var i = 0
        while i < bytes.count {
            let piece = Array(bytes[i..<min(bytes.count, i + chunk)])
            piece.withUnsafeBufferPointer { s.feed($0, into: &out) }
            i += chunk
        }
        s.finish(into: &out)
        return (out, s.invalidSequences, s.truncatedTokens)
    }

    /// Differential: on random bytes (ASCII, non-ASCII letters, σ, combining
    /// marks, CJK, invalid UTF-8, long runs), fed whole and in chunks, the
    /// block path gives the same tokens, byte ranges, replacement and
    /// truncation counts as the byte-at-a-time path.
    func testBlockPathAgreesWithByteAtATimePath() {
        let pieces: [[UInt8]] =
            [
                "a", "Z", "word", "MiXeD", "42", "_", " ", "  ", "\n", ".", ",", "'", "-", "é", "Σ", "σ", "ΟΔΟΣ", "ς", "\u{301}",
                "x\u{301}", "東京", "タワー", "ー", "İ", "ß", "\u{00A0}", "€", "\u{FFFD}",
            ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F], [0xED, 0xA0, 0x80], [0x80], [0x00]]
        var rng = SplitMix64(seed: 16)
        for round in 0..<300 {
            var bytes: [UInt8] = []
            let target = Int(rng.next() % 700)
            while bytes.count < target {
                if rng.next() % 25 == 0 {
                    // A long run of word bytes: crosses blocks, and the cap of 32.
                    let n = 20 + Int(rng.next() % 180)
                    for _ in 0..<n { bytes.append(Array("abcXYZ019_".utf8)[Int(rng.next() % 10)]) }
                } else {
                    bytes += pieces[Int(rng.next() % UInt64(pieces.count))]
                }
            }
            for cap in [32, 1 << 20] {
                let (ref, refInvalid, refCut) = scan(bytes, chunk: bytes.count + 1, blocks: false, maxTokenBytes: cap)
                for chunk in [bytes.count + 1, 1 + Int(rng.next() % 97), 64, 65] {
                    let (got, invalid, cut) = scan(bytes, chunk: chunk, blocks: true, maxTokenBytes: cap)
                    let what = "round \(round), cap \(cap), chunk \(chunk): \(bytes.prefix(80))"
                    XCTAssertEqual(got.tokens, ref.tokens, what)
                    XCTAssertEqual(got.ranges, ref.ranges, what)
                    XCTAssertEqual(invalid, refInvalid, what)
                    XCTAssertEqual(cut, refCut, what)
                }
            }
        }
    }

    /// A file read in parts by several workers (parts of a few hundred
    /// bytes here, so that many boundaries fall next to tokens, σ, non-ASCII
    /// letters and whitespace runs) gives the same vocabulary, counts,
    /// document frequencies and matrix as the file read whole, with 1 or 2
    /// threads, with and without the matrix; the parts end at whitespace.
    func testLargeFileReadInPartsCountsLikeWhole() throws {
        let dir = try temporaryDirectory(self)
        var rng = SplitMix64(seed: 7)
        let words = ["alpha", "ΟΔΟΣ", "Σ", "λόγος", "naïve", "x", "東京", "foo_bar", "don't", "A1", String(repeating: "long", count: 40)]
        let gaps = [" ", "  ", "\n", "\t", ". ", ", ", " \n\n"]
        var text = ""
        while text.utf8.count < 60_000 {
            text += words[Int(rng.next() % UInt64(words.count))] + gaps[Int(rng.next() % UInt64(gaps.count))]
        }
        try write(text, to: dir.appendingPathComponent("big/big.txt"))
        try write("alpha beta\n", to: dir.appendingPathComponent("big/small.txt"))
        let input = try CorpusInput(path: dir.appendingPathComponent("big").path)
        var whole = ReadOptions(threads: 1)
        whole.partBytes = 0
        let reference = try Counter.count(input, options: whole)
        XCTAssertEqual(reference.documents.count, 2)
        for partBytes in [97, 256, 1000, 8 << 20] {
            let units = UnitPlanner.splitLargeFiles(
                try UnitPlanner.plan(input, skips: &skipsSink), partBytes: partBytes)
            if partBytes < 1000 { XCTAssertGreaterThan(units.count, 40, "\(partBytes)") }
            for unit in units {
                if case .filePart(let start, _, let k) = unit.source, k > 0 {
                    XCTAssertTrue([0x20, 0x0A, 0x09, 0x0D].contains(Array(text.utf8)[start]), "part \(k) starts at \(start)")
                }
            }
            for threads in [1, 2] {
                for matrix in [true, false] {
                    var o = ReadOptions(threads: threads)
                    o.partBytes = partBytes
                    let got = try Counter.count(input, buildMatrix: matrix, options: o)
                    let what = "parts of \(partBytes), \(threads) threads, matrix \(matrix)"
                    let v = got.matrix.vocabulary
                    let r = reference.matrix.vocabulary
                    XCTAssertEqual(v.arena, r.arena, what)
                    XCTAssertEqual(v.offsets, r.offsets, what)
                    XCTAssertEqual(v.totalCounts, r.totalCounts, what)
                    XCTAssertEqual(v.documentFrequency, r.documentFrequency, what)
                    XCTAssertEqual(got.matrix.lengths, reference.matrix.lengths, what)
                    XCTAssertEqual(got.documents, reference.documents, what)
                    XCTAssertEqual(got.bytes, reference.bytes, what)
                    XCTAssertEqual(got.invalidSequences, reference.invalidSequences, what)
                    if matrix {
                        XCTAssertEqual(got.matrix.rowStart, reference.matrix.rowStart, what)
                        XCTAssertEqual(got.matrix.columns, reference.matrix.columns, what)
                        XCTAssertEqual(got.matrix.counts, reference.matrix.counts, what)
                    }
                }
            }
        }
        // The final σ before a boundary's whitespace stays final (ΟΔΟΣ → οδος).
        XCTAssertNotNil(reference.matrix.vocabulary.id(of: "οδος"))
        XCTAssertNil(reference.matrix.vocabulary.id(of: "οδοσ"))
    }

    private var skipsSink: [Skip] = []

    /// A file with a NUL byte near its start is not split: it stays one
    /// unit, which the reader skips as binary.
    func testBinaryFileIsNotSplit() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("bin.txt")
        try Data([0x61, 0x00] + [UInt8](repeating: 0x20, count: 5000)).write(to: url)
        let input = try CorpusInput(path: dir.path)
        let units = UnitPlanner.splitLargeFiles(try UnitPlanner.plan(input, skips: &skipsSink), partBytes: 100)
        XCTAssertEqual(units.count, 1)
    }

    /// The lower-case mappings the scanners append, now held in one word:
    /// for every scalar, the UTF-8 bytes of Swift's full lower-case mapping
    /// (encoded here by `String`), at most 4 of them; and the CJK template
    /// (a scalar's UTF-8 packed by hand) the same info as the table's.
    func testLowerCaseMappingsHeldInline() {
        var longest = 0
        for v in UInt32(0)..<0x11_0000 {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let want = Array(scalar.properties.lowercaseMapping.utf8)
            let info = ScalarInfo(v)
            if info.lower != want { XCTFail("U+\(String(v, radix: 16)): \(info.lower) != \(want)") }
            longest = max(longest, want.count)
            if (0x4E00...0x9FFF).contains(v) {
                let t = ScalarInfo.cjkTemplate(v)
                XCTAssertEqual(t.lower, Array(String(scalar).utf8))
                XCTAssertEqual(t.lower, info.lower)
                XCTAssertEqual(
                    [t.kind, t.cased ? 1 : 0, t.caseIgnorable ? 1 : 0], [info.kind, info.cased ? 1 : 0, info.caseIgnorable ? 1 : 0])
            }
        }
        XCTAssertEqual(longest, 4)
        XCTAssertEqual(ScalarInfo(0x130).lower, [0x69, 0xCC, 0x87])  // İ → i + U+0307
        XCTAssertEqual(ScalarTable.shared.info(0xC9).lower, [0xC3, 0xA9])  // É → é
    }

    /// The shared table, built a page of 256 scalars at a time on first
    /// use, gives every scalar below `flatLimit` the facts computed for it
    /// directly, when four threads look them up at once, each in its own
    /// order (pages first met on different threads, and met again).
    func testScalarTablePagesBuiltOnFirstUseFromManyThreads() {
        let limit = Int(ScalarTable.flatLimit)
        let facts: (ScalarInfo) -> [UInt64] = { i in
            [UInt64(i.kind), i.cased ? 1 : 0, i.caseIgnorable ? 1 : 0, i.whitespace ? 1 : 0, i.lowerBytes, UInt64(i.lowerCount)]
        }
        let want = (0..<limit).map { facts(ScalarInfo(UInt32($0))) }
        let mismatches = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        mismatches.initialize(repeating: 0, count: 4)
        defer { mismatches.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            var rng = SplitMix64(seed: UInt64(t) + 1)
            for _ in 0..<(2 * limit) {
                let v = Int(rng.next() % UInt64(limit))
                if facts(ScalarTable.shared.info(UInt32(v))) != want[v] { mismatches[t] += 1 }
            }
            for v in 0..<limit where facts(ScalarTable.shared.info(UInt32(v))) != want[v] { mismatches[t] += 1 }
        }
        XCTAssertEqual((0..<4).map { mismatches[$0] }, [0, 0, 0, 0])
    }

    /// The per-document counts a counting table keeps in its slots, against
    /// a dictionary: tokens of every length class (1–8 bytes, 9–64, longer),
    /// in both modes, across growth of the slot array in mid-document (the
    /// table starts at 16 types), over three documents (each drained or
    /// folded, so each starts from zero); ids in first-occurrence order.
    /// Once a token at a time, once through `TokenBatch` (`countBatch`, as
    /// the counting worker does), whose first counts join the document
    /// without a branch.
    func testSlotCountsEqualADictionary() {
        for (hashed, viaBatch) in [(false, false), (true, false), (false, true), (true, true)] {
            let table = TokenTable(storesBytes: !hashed, capacity: 16)
            let batch = TokenBatch()
            var rng = SplitMix64(seed: hashed ? 2 : 1)
            var totals: [Int] = []
            var df: [Int32] = []
            var wantTotals: [String: Int] = [:]
            var wantDF: [String: Int] = [:]
            for document in 0..<3 {
                var want: [String: Int] = [:]
                var order: [String] = []
                for _ in 0..<20_000 {
                    // Zipf-like ranks, some long tokens; new types keep coming.
                    let rank = Int(Double(rng.next() % 1_000_000) / 1_000_000 * 3000 * Double(rng.next() % 3 + 1)) / 3
                    let token = rank % 7 == 0 ? "w\(rank)" + String(repeating: "x", count: rank % 80) : "w\(rank)"
                    if want[token] == nil { order.append(token) }
                    want[token, default: 0] += 1
                    var t = token
                    t.withUTF8 { b in
                        let h = TokenTable.hash(b)
                        if viaBatch {
                            let full: Bool
                            if b.count <= 8 {
                                full = batch.append(word: TokenTable.word(b), length: b.count, hash: h)
                            } else if b.count <= TokenBatch.longest {
                                full = batch.append(long: b, word: TokenTable.word(b), hash: h)
                            } else {
                                _ = batch.count(into: table)
                                table.count(b, hash: h, word: TokenTable.word(b))
                                full = false
                            }
                            if full { _ = batch.count(into: table) }
                        } else if b.count <= 8 {
                            table.countShort(word: TokenTable.word(b), length: b.count, hash: h)
                        } else {
                            table.count(b, hash: h, word: TokenTable.word(b))
                        }
                    }
                }
                _ = batch.count(into: table)
                let id: (String) -> Int32 = { s in
                    var s = s
                    return s.withUTF8 { table.find($0)! }
                }
                if document == 1 {
                    let (ids, counts) = table.drainCounts()
                    XCTAssertEqual(ids, order.map(id), "hashed \(hashed), batch \(viaBatch)")
                    XCTAssertEqual(counts, order.map { Int32(want[$0]!) }, "hashed \(hashed), batch \(viaBatch)")
                } else {
                    totals += Array(repeating: 0, count: table.count - totals.count)
                    df += Array(repeating: 0, count: table.count - df.count)
                    table.foldCounts(into: &totals, &df)
                    for (t, c) in want {
                        wantTotals[t, default: 0] += c
                        wantDF[t, default: 0] += 1
                    }
                    for (t, c) in wantTotals {
                        XCTAssertEqual(totals[Int(id(t))], c, "\(t), hashed \(hashed), batch \(viaBatch)")
                        XCTAssertEqual(Int(df[Int(id(t))]), wantDF[t]!, "\(t), hashed \(hashed), batch \(viaBatch)")
                    }
                }
            }
            XCTAssertGreaterThan(table.count, 2000)
        }
    }

    /// A type counted past the 24 bits a slot holds (2²⁴ + 5 times in one
    /// document) keeps its exact count, twice in a row.
    /// A word read in parts more than 2³¹ − 1 times in one document (a
    /// file of 4.4 GB of "a" holds it 2.2 billion times; `stats` reported a
    /// count of −2,094,967,296 before session 19): the corpus total and the
    /// document's length are exact, its row is capped at `Int32.max`, and
    /// the cap is counted only when rows are kept (a matrix).
    func testCountsPastInt32AreCappedInRowsAndExactInTotals() {
        var w = CountingWorker(tokenizer: .word)
        defer { w.release() }
        Array("a".utf8).withUnsafeBufferPointer { w.feed($0) }
        _ = w.finish()
        let big: Int32 = 1_500_000_000
        let piece = LocalCounts(ids: [0], counts: [big], tokens: Int(big))
        let docs = [(worker: 0, output: piece)]
        let parts = [0: [(worker: 0, output: piece), (worker: 0, output: piece)]]
        let exact = 3 * Int(big)
        let before = CountLimit.cappedEntries
        let totalsOnly = Counter.merge(docs, parts: parts, workers: [w], hashed: false, buildMatrix: false)
        XCTAssertEqual(totalsOnly.vocabulary.totalCounts, [exact])
        XCTAssertEqual(CountLimit.cappedEntries, before)
        let rows = Counter.merge(docs, parts: parts, workers: [w], hashed: false, buildMatrix: true)
        XCTAssertEqual(rows.vocabulary.totalCounts, [exact])
        XCTAssertEqual(rows.counts, [Int32.max])
        XCTAssertEqual(rows.lengths, [exact])
        XCTAssertEqual(CountLimit.cappedEntries, before + 1)
        XCTAssertEqual(CountLimit.clamp(Int(Int32.max)), .max)  // at the limit, not past it: not capped
        XCTAssertEqual(CountLimit.clamp(Int(Int32.max) + 1), .max)
        XCTAssertEqual(CountLimit.cappedEntries, before + 2)
    }

    /// Documents of about as many types as `touched` first holds (4,096)
    /// and more, each type counted twice through a batch: the list of first
    /// counts keeps room for one id more than there are types, so the
    /// branch-free write past its end never leaves it (with exactly 4,096
    /// types, a list that grew only when a first count found it full would
    /// be written one past its end by the next count).
    func testABatchCountsMoreTypesThanTouchedFirstHolds() {
        for n in [4095, 4096, 4097, 10_000] {
            let table = TokenTable(storesBytes: true, capacity: 16)
            let batch = TokenBatch()
            for _ in 0..<2 {
                for k in 0..<n {
                    var t = "t\(k)"
                    let full = t.withUTF8 { b in
                        batch.append(word: TokenTable.word(b), length: b.count, hash: TokenTable.hash(b))
                    }
                    if full { _ = batch.count(into: table) }
                    XCTAssertTrue(table.touchedHasRoom, "\(n) types, at \(k)")
                }
            }
            _ = batch.count(into: table)
            XCTAssertTrue(table.touchedHasRoom)
            let (ids, counts) = table.drainCounts()
            XCTAssertEqual(ids, (0..<Int32(n)).map { $0 })
            XCTAssertEqual(counts, Array(repeating: 2, count: n))
        }
    }

    func testSlotCountsPastTwentyFourBits() {
        for viaBatch in [false, true] {
            let table = TokenTable(storesBytes: true, capacity: 16)
            let batch = TokenBatch()
            let a: UInt64 = 0x61  // "a", zero-padded (TokenTable.word)
            let ha = TokenTable.shortHash(word: a, length: 1)
            let b: UInt64 = 0x62  // "b"
            let hb = TokenTable.shortHash(word: b, length: 1)
            for _ in 0..<2 {
                let n = (1 << 24) + 5
                table.countShort(word: b, length: 1, hash: hb)
                if viaBatch {
                    for _ in 0..<n where batch.append(word: a, length: 1, hash: ha) { _ = batch.count(into: table) }
                    _ = batch.count(into: table)
                } else {
                    for _ in 0..<n { table.countShort(word: a, length: 1, hash: ha) }
                }
                let (ids, counts) = table.drainCounts()
                XCTAssertEqual(ids, [0, 1], "batch \(viaBatch)")
                XCTAssertEqual(counts, [1, Int32(n)], "batch \(viaBatch)")
            }
        }
    }
}
