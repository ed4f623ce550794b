import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

#if canImport(Glibc)
    import Glibc
#endif

/// Winnowing, passage alignment and boilerplate suppression (issue 5, items 4 and 5).
final class PassageTests: XCTestCase {

    // MARK: - Helpers

    /// A distinct lower-case ASCII word for each index (so token equality is
    /// word equality).
    static func word(_ i: Int) -> String {
        var x = i
        var s = ""
        repeat {
            s.append(Character(Unicode.Scalar(UInt8(97 + x % 26))))
            x /= 26
        } while x > 0
        return "w" + s
    }

    /// A document made of `tokens` (vocabulary indices) with random
    /// separators; returns its bytes and each token's byte range.
    static func render(_ tokens: [Int], rng: inout Xoshiro256) -> (bytes: [UInt8], ranges: [Range<Int>]) {
        let separators = [" ", " ", " ", "\n", ", ", ".  ", "\n\n", " — ", "\t"]
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        if rng.next(below: 3) == 0 { bytes.append(contentsOf: Array("> ".utf8)) }
        for (n, t) in tokens.enumerated() {
            if n > 0 { bytes.append(contentsOf: Array(separators[rng.next(below: separators.count)].utf8)) }
            var w = word(t)
            if rng.next(below: 5) == 0 { w = w.uppercased() }  // case must not matter
            let start = bytes.count
            bytes.append(contentsOf: Array(w.utf8))
            ranges.append(start..<bytes.count)
        }
        if rng.next(below: 2) == 0 { bytes.append(contentsOf: Array(".\n".utf8)) }
        return (bytes, ranges)
    }

    /// The `word` tokens of `bytes` with their ranges.
    static func tokens(_ bytes: [UInt8]) -> RangeCollector {
        var sink = RangeCollector()
        var scanner = WordScanner()
        defer { scanner.release() }
        bytes.withUnsafeBufferPointer { scanner.feed($0, into: &sink) }
        scanner.finish(into: &sink)
        return sink
    }

    /// Checks that a passage is a maximal run of ≥ k equal tokens of A and B
    /// (its offsets are token boundaries, its tokens equal, and the tokens
    /// just outside it differ or are past an end).
    func assertMaximalRun(
        _ p: Passage, _ a: RangeCollector, _ b: RangeCollector, k: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let ai = a.ranges.firstIndex(where: { $0.lowerBound == p.aStart }),
            let bi = b.ranges.firstIndex(where: { $0.lowerBound == p.bStart }),
            let ae = a.ranges.firstIndex(where: { $0.upperBound == p.aEnd }),
            let be = b.ranges.firstIndex(where: { $0.upperBound == p.bEnd })
        else {
            XCTFail("passage \(p) does not sit on token boundaries", file: file, line: line)
            return
        }
        let n = be - bi + 1
        XCTAssertEqual(ae - ai + 1, n, "A and B token counts differ: \(p)", file: file, line: line)
        XCTAssertEqual(p.tokens, n, file: file, line: line)
        XCTAssertGreaterThanOrEqual(n, k, "passage shorter than k: \(p)", file: file, line: line)
        XCTAssertEqual(Array(a.tokens[ai...ae]), Array(b.tokens[bi...be]), "tokens differ: \(p)", file: file, line: line)
        if ai > 0 && bi > 0 {
            XCTAssertNotEqual(a.tokens[ai - 1], b.tokens[bi - 1], "not maximal on the left: \(p)", file: file, line: line)
        }
        if ae + 1 < a.tokens.count && be + 1 < b.tokens.count {
            XCTAssertNotEqual(a.tokens[ae + 1], b.tokens[be + 1], "not maximal on the right: \(p)", file: file, line: line)
        }
    }

    static var corpora: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Corpora")
    }

    static func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    // MARK: - Winnowing

    /// The robust winnowing rule written out window by window, O(m · w).
    static func bruteForceWinnow(_ g: [UInt64], w: Int, ignored: Set<UInt64> = []) -> [Winnowing.Fingerprint] {
        let m = g.count
        guard m > 0 else { return [] }
        let windows: [Range<Int>] = m < w ? [0..<m] : (0...(m - w)).map { $0..<$0 + w }
        var sel = -1
        var out: [Winnowing.Fingerprint] = []
        for win in windows {
            let live = win.filter { !ignored.contains(g[$0]) }
            guard let mn = live.map({ g[$0] }).min() else { continue }
            if win.contains(sel) && g[sel] == mn { continue }
            sel = live.last { g[$0] == mn }!
            out.append(Winnowing.Fingerprint(hash: g[sel], position: sel))
        }
        return out
    }

    func testWinnowingMatchesBruteForceAndGuarantee() {
        var rng = Xoshiro256(seed: 7)
        for w in [1, 2, 4, 8, 16] {
            let m = 100_000
            let g = (0..<m).map { _ in rng.next() }
            let fast = Winnowing(k: 8, w: w).select(g)
            XCTAssertEqual(fast, Self.bruteForceWinnow(g, w: w), "w = \(w)")
            // Density 2 / (w + 1) on random hashes.
            let density = Double(fast.count) / Double(m)
            XCTAssertEqual(density, 2 / Double(w + 1), accuracy: 0.01, "w = \(w)")
            // Every window of w consecutive k-grams holds a fingerprint.
            var selected = [Bool](repeating: false, count: m)
            for f in fast { selected[f.position] = true }
            var inWindow = 0
            for i in 0..<m {
                if selected[i] { inWindow += 1 }
                if i >= w, selected[i - w] { inWindow -= 1 }
                if i >= w - 1 {
                    XCTAssertGreaterThan(inWindow, 0, "window ending at \(i), w = \(w)")
                    if inWindow == 0 { break }
                }
            }
            // Positions increase strictly (each recorded once).
            XCTAssertTrue(zip(fast, fast.dropFirst()).allSatisfy { $0.position < $1.position })
        }
    }

    func testWinnowingLowEntropyTiesAndIgnoredHashes() {
        var rng = Xoshiro256(seed: 11)
        // Small alphabet: many ties, where robust winnowing differs from "rightmost minimum".
        for w in [3, 8] {
            let g = (0..<20_000).map { _ in UInt64(rng.next(below: 4)) }
            XCTAssertEqual(Winnowing(w: w).select(g), Self.bruteForceWinnow(g, w: w))
            let ignored: Set<UInt64> = [0, 2]
            XCTAssertEqual(Winnowing(w: w, ignored: ignored).select(g), Self.bruteForceWinnow(g, w: w, ignored: ignored))
        }
        // One hash repeated: one fingerprint per w k-grams, not one per k-gram.
        let flat = [UInt64](repeating: 42, count: 8_000)
        let f = Winnowing(w: 8).select(flat)
        XCTAssertEqual(f, Self.bruteForceWinnow(flat, w: 8))
        XCTAssertEqual(f.count, 1_000)
        // Shorter than a window: the rightmost minimum of all.
        XCTAssertEqual(Winnowing(w: 8).select([5, 3, 9, 3, 7]), [Winnowing.Fingerprint(hash: 3, position: 3)])
        XCTAssertEqual(Winnowing(w: 8).select([]), [])
        // All ignored: nothing.
        XCTAssertEqual(Winnowing(w: 2, ignored: [1]).select([1, 1, 1]), [])
        // t = w + k − 1.
        XCTAssertEqual(Winnowing(k: 5, t: 12).w, 8)
        XCTAssertEqual(Winnowing(k: 5, w: 8).t, 12)
    }

    func testKGramHashesAgreeWithNGramCollectorAndMapToBytes() {
        let text = Array("The quick brown fox jumps over the lazy dog; the quick brown fox sleeps.".utf8)
        let doc = TokenizedText(words: text)
        XCTAssertEqual(doc.count, 14)
        // Same function as the n-gram overlap figures (n = k).
        let collector = NGramCollector(sizes: [5])
        for h in doc.hashes { collector.add(h) }
        _ = collector.finishDocument()
        let mine = Winnowing.kgramHashes(doc.hashes, k: 5)
        XCTAssertEqual(mine.count, 10)
        XCTAssertEqual(Set(mine), Set(collector.all[0]))
        // "the quick brown fox" at tokens 0 and 9: equal 4-grams, whatever the case.
        let four = Winnowing.kgramHashes(doc.hashes, k: 4)
        XCTAssertEqual(four[0], four[9])
        XCTAssertNotEqual(four[0], four[1])
        // Fingerprints map back to the bytes of their k-gram.
        let winnow = Winnowing(k: 4, w: 3)
        for f in winnow.fingerprints(doc) {
            let r = winnow.byteRange(of: f, in: doc)
            XCTAssertEqual(r.lowerBound, doc.starts[f.position])
            XCTAssertEqual(r.upperBound, doc.ends[f.position + 3])
        }
        let r = winnow.byteRange(of: Winnowing.Fingerprint(hash: four[9], position: 9), in: doc)
        XCTAssertEqual(String(decoding: text[r], as: UTF8.self), "the quick brown fox")
    }

    /// Batches of token hashes (of 1 to 100, so past the 64-token ring)
    /// give each size's n-grams in order, as `Winnowing.kgramHashes`
    /// computes them over the whole sequence at once, and the same digest
    /// and token count as adding the hashes one at a time; a second
    /// document starts afresh.
    func testBatchedNGramsEqualWholeWindowHashes() {
        var rng = Xoshiro256(seed: 0xBA7C)
        let sizes = [1, 5, 8, 13, 64]
        let batched = NGramCollector(sizes: sizes)
        let single = NGramCollector(sizes: sizes)
        for length in [3, 700] {
            let hashes = (0..<length).map { _ in rng.next() }
            var at = 0
            while at < hashes.count {
                let m = min(hashes.count - at, 1 + rng.next(below: 100))
                hashes[at..<(at + m)].withUnsafeBufferPointer { batched.add($0.baseAddress!, count: m) }
                at += m
            }
            for h in hashes { single.add(h) }
            _ = batched.finishDocument()
            _ = single.finishDocument()
            XCTAssertEqual(batched.lastTokens, length)
            XCTAssertEqual(batched.lastDigest, single.lastDigest)
            for (k, n) in sizes.enumerated() {
                XCTAssertEqual(batched.takeAll(k), Winnowing.kgramHashes(hashes, k: n), "length \(length), n \(n)")
                XCTAssertEqual(single.takeAll(k), Winnowing.kgramHashes(hashes, k: n), "length \(length), n \(n)")
            }
        }
    }

    // MARK: - Property test: planted runs in random documents

    func testPlantedRunsAreFoundExactly() {
        var found = (guaranteed: 0, exact: 0, between: 0, betweenFound: 0, short: 0, passages: 0)
        for c in 0..<240 {
            var rng = Xoshiro256(seed: 0xFEED, stream: UInt64(c))
            let k = 3 + rng.next(below: 8)  // 3…10
            let w = 1 + rng.next(below: 10)  // 1…10
            let t = w + k - 1
            let vocabulary = [64, 4096, 1 << 20][rng.next(below: 3)]
            let nA = 150 + rng.next(below: 600)
            let nB = 150 + rng.next(below: 600)
            let a = (0..<nA).map { _ in rng.next(below: vocabulary) }
            var b = (0..<nB).map { _ in rng.next(below: vocabulary) }
            // Runs: some ≥ t, some in [k, t), some < k; placed apart (≥ 2
            // tokens) in B, anywhere in A.
            var runs: [(aPos: Int, bPos: Int, len: Int)] = []
            var cursor = rng.next(below: 20)
            for _ in 0..<1 + rng.next(below: 5) {
                let len: Int
                switch rng.next(below: 3) {
                case 0: len = t + rng.next(below: 40)
                case 1: len = k + rng.next(below: max(1, t - k))
                default: len = 1 + rng.next(below: k - 1)
                }
                guard len <= nA, cursor + len <= nB else { break }
                let aPos = rng.next(below: nA - len + 1)
                for x in 0..<len { b[cursor + x] = a[aPos + x] }
                runs.append((aPos, cursor, len))
                cursor += len + 2 + rng.next(below: 60)
            }
            let da = Self.render(a, rng: &rng)
            let db = Self.render(b, rng: &rng)
            let options = PassageOptions(k: k, w: w)
            let passages = PassageAlignment.align(da.bytes, db.bytes, options: options)
            let ta = Self.tokens(da.bytes)
            let tb = Self.tokens(db.bytes)
            XCTAssertEqual(ta.tokens.count, nA)
            XCTAssertEqual(tb.tokens.count, nB)
            found.passages += passages.count
            // Nothing shorter than k; every passage a maximal exact run.
            for p in passages { assertMaximalRun(p, ta, tb, k: k) }
            // Deterministic.
            XCTAssertEqual(passages, PassageAlignment.align(da.bytes, db.bytes, options: options))
            for r in runs {
                let aBytes = da.ranges[r.aPos].lowerBound..<da.ranges[r.aPos + r.len - 1].upperBound
                let bBytes = db.ranges[r.bPos].lowerBound..<db.ranges[r.bPos + r.len - 1].upperBound
                // A passage containing the run in both documents, on its diagonal.
                let covering = passages.first { p in
                    guard
                        p.aStart <= aBytes.lowerBound && p.aEnd >= aBytes.upperBound
                            && p.bStart <= bBytes.lowerBound && p.bEnd >= bBytes.upperBound,
                        let ai = da.ranges.firstIndex(where: { $0.lowerBound == p.aStart }),
                        let bi = db.ranges.firstIndex(where: { $0.lowerBound == p.bStart })
                    else { return false }
                    return ai - bi == r.aPos - r.bPos
                }
                let leftBounded = r.aPos == 0 || r.bPos == 0 || a[r.aPos - 1] != b[r.bPos - 1]
                let rightBounded = r.aPos + r.len == nA || r.bPos + r.len == nB || a[r.aPos + r.len] != b[r.bPos + r.len]
                if r.len >= t {
                    found.guaranteed += 1
                    XCTAssertNotNil(
                        covering, "case \(c): run of \(r.len) ≥ t = \(t) tokens at A \(r.aPos), B \(r.bPos) not found (k \(k), w \(w))")
                    if let p = covering, leftBounded && rightBounded {
                        found.exact += 1
                        XCTAssertEqual(
                            [p.aStart, p.aEnd, p.bStart, p.bEnd, p.tokens],
                            [aBytes.lowerBound, aBytes.upperBound, bBytes.lowerBound, bBytes.upperBound, r.len],
                            "case \(c): offsets not exact")
                    }
                } else if r.len >= k {
                    found.between += 1
                    if covering != nil { found.betweenFound += 1 }
                } else if leftBounded && rightBounded {
                    found.short += 1
                    XCTAssertFalse(
                        passages.contains {
                            $0.bStart <= bBytes.lowerBound && $0.bEnd >= bBytes.upperBound
                                && $0.aStart <= aBytes.lowerBound && $0.aEnd >= aBytes.upperBound
                        },
                        "case \(c): a run of \(r.len) < k = \(k) tokens was reported")
                }
            }
        }
        // The cases exercised every kind of run.
        XCTAssertGreaterThan(found.guaranteed, 100)
        XCTAssertGreaterThan(found.exact, 80)
        XCTAssertGreaterThan(found.between, 50)
        XCTAssertGreaterThan(found.short, 50)
        print("planted runs: \(found)")
    }

    // MARK: - Corpora/planted vs Corpora/source-a

    func testPlantedCorpusPassagesAreReportedAtTheirOffsets() throws {
        let root = Self.corpora
        let manifest = try SynthManifest.decode(Data(contentsOf: root.appendingPathComponent("manifest.json")))
        let planted = try XCTUnwrap(manifest.corpus("planted")?.passages)
        XCTAssertGreaterThan(planted.count, 40)
        let targets = Array(Set(planted.map(\.targetFile))).sorted()
        let origins = Array(Set(planted.map(\.originFile))).sorted()
        let aFiles = origins.map { DocumentFile(name: "source-a/\($0)", path: root.appendingPathComponent("source-a/\($0)").path) }
        let bFiles = targets.map { DocumentFile(name: "planted/\($0)", path: root.appendingPathComponent("planted/\($0)").path) }
        var pairs = planted.map { (a: origins.firstIndex(of: $0.originFile)!, b: targets.firstIndex(of: $0.targetFile)!) }
        pairs += pairs.reversed()  // duplicates are ignored
        let shared = try PassageAlignment.sharedPassages(a: aFiles, b: bFiles, pairs: pairs, limit: 1000, threads: 2)
        // Same answer on one thread.
        XCTAssertEqual(shared, try PassageAlignment.sharedPassages(a: aFiles, b: bFiles, pairs: pairs, limit: 1000, threads: 1))
        // Longest first.
        XCTAssertTrue(zip(shared, shared.dropFirst()).allSatisfy { $0.passage.tokens >= $1.passage.tokens })
        var exact = 0
        for p in planted {
            let origin = try Self.read(root.appendingPathComponent("source-a/\(p.originFile)"))
            let target = try Self.read(root.appendingPathComponent("planted/\(p.targetFile)"))
            XCTAssertEqual(
                origin[p.originOffset..<p.originOffset + p.originLength],
                target[p.targetOffset..<p.targetOffset + p.targetLength])
            let match = shared.first {
                $0.a == "source-a/\(p.originFile)" && $0.b == "planted/\(p.targetFile)"
                    && $0.passage.aStart <= p.originOffset && $0.passage.aEnd >= p.originOffset + p.originLength
                    && $0.passage.bStart <= p.targetOffset && $0.passage.bEnd >= p.targetOffset + p.targetLength
            }
            guard let m = match?.passage else {
                XCTFail("planted passage \(p.targetFile)@\(p.targetOffset) from \(p.originFile)@\(p.originOffset) not reported")
                continue
            }
            XCTAssertGreaterThanOrEqual(m.tokens, p.words)
            // Any extension beyond the planted bytes is made of equal words
            // on both sides (the neighbouring words happen to agree).
            let aLeft = Self.tokens(Array(origin[m.aStart..<p.originOffset])).tokens
            let bLeft = Self.tokens(Array(target[m.bStart..<p.targetOffset])).tokens
            let aRight = Self.tokens(Array(origin[(p.originOffset + p.originLength)..<m.aEnd])).tokens
            let bRight = Self.tokens(Array(target[(p.targetOffset + p.targetLength)..<m.bEnd])).tokens
            XCTAssertEqual(aLeft, bLeft)
            XCTAssertEqual(aRight, bRight)
            XCTAssertEqual(m.tokens, p.words + bLeft.count + bRight.count)
            if bLeft.isEmpty && bRight.isEmpty {
                exact += 1
                XCTAssertEqual(
                    [m.aStart, m.aEnd, m.bStart, m.bEnd],
                    [p.originOffset, p.originOffset + p.originLength, p.targetOffset, p.targetOffset + p.targetLength])
            }
            // Lines and columns agree with the bytes.
            let before = target[..<m.bStart]
            XCTAssertEqual(m.bLine, 1 + before.filter { $0 == 0x0A }.count)
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            XCTAssertEqual(m.bColumn, 1 + String(decoding: target[lineStart..<m.bStart], as: UTF8.self).unicodeScalars.count)
            // The snippet is the start of the planted text.
            let head = String(decoding: target[m.bStart..<min(m.bEnd, m.bStart + 60)], as: UTF8.self)
                .split(whereSeparator: \.isWhitespace).dropLast().joined(separator: " ")
            XCTAssertTrue(m.snippet.hasPrefix(head), "\(m.snippet) vs \(head)")
        }
        XCTAssertGreaterThan(exact, planted.count / 2)
    }

    func testRepeatedPassagesAreReportedAtEachLocation() {
        var rng = Xoshiro256(seed: 3)
        func words(_ n: Int) -> String { (0..<n).map { _ in Self.word(rng.next(below: 1 << 20)) }.joined(separator: " ") }
        let shared = words(20)
        // A holds the passage twice, B once: both A locations, same B span.
        let a = Array((words(10) + " " + shared + " " + words(10) + " " + shared + " " + words(5)).utf8)
        let b = Array((words(7) + " " + shared + " " + words(7)).utf8)
        let p = PassageAlignment.align(a, b)
        XCTAssertEqual(p.count, 2)
        XCTAssertEqual(Set(p.map(\.bStart)).count, 1)
        XCTAssertEqual(p.map(\.tokens), [20, 20])
        XCTAssertLessThan(p[0].aStart, p[1].aStart)
        // B holds it twice, A once: two B locations.
        let q = PassageAlignment.align(b, a)
        XCTAssertEqual(q.count, 2)
        XCTAssertEqual(q.map(\.aStart), [p[0].bStart, p[0].bStart])
        XCTAssertEqual(q.map(\.bStart), p.map(\.aStart))
        // Nothing shared, empty and tokenless documents.
        XCTAssertEqual(PassageAlignment.align(Array(words(50).utf8), Array(words(50).utf8)), [])
        XCTAssertEqual(PassageAlignment.align([], b), [])
        XCTAssertEqual(PassageAlignment.align(b, Array("... !!! ...".utf8)), [])
        // A B document shorter than one window is one window: its minimum
        // is a fingerprint, so a 9-token B (< t) inside A is found.
        let short = Array(shared.split(separator: " ").prefix(9).joined(separator: " ").utf8)
        XCTAssertEqual(PassageAlignment.align(b, short).map(\.tokens), [9])
        XCTAssertEqual(PassageAlignment.align(Array("one two three".utf8), Array("one two three".utf8)), [])
        XCTAssertEqual(
            PassageAlignment.align(
                Array("one two three".utf8), Array("one two three".utf8),
                options: PassageOptions(k: 3, w: 4)
            ).map(\.tokens), [3])
    }

    // MARK: - Line, column, snippet

    func testLineColumnAndSnippetByHand() {
        // A: the passage starts on line 4 after two spaces (byte 25, column 3).
        let a = "Title\n\nfirst line here\n  Café au lait is shared by both texts one two three four five six seven\n"
        // B: line 3 after "zzé\t" (4 scalars, 5 bytes: byte 38, column 5),
        // with a line break inside the passage.
        let b = "Other\ncompletely different words\nzzé\tcafé au lait is shared by both\n\n   texts one two three four five six seven eight"
        let passages = PassageAlignment.align(Array(a.utf8), Array(b.utf8))
        XCTAssertEqual(passages.count, 1)
        guard let p = passages.first else { return }
        XCTAssertEqual(p.tokens, 15)
        XCTAssertEqual(p.aStart, 25)
        XCTAssertEqual(p.aLine, 4)
        XCTAssertEqual(p.aColumn, 3)
        XCTAssertEqual(p.aEnd, 25 + 71)  // "Café … seven": 70 scalars, é is 2 bytes
        XCTAssertEqual(p.bStart, 38)
        XCTAssertEqual(p.bLine, 3)
        XCTAssertEqual(p.bColumn, 5)
        XCTAssertEqual(p.bEnd, 38 + 75)  // "café … both" 31 bytes, "\n\n   " 5, "texts … seven" 39
        XCTAssertEqual(p.snippet, "café au lait is shared by both texts one two three four five six seven")
        // JSON keys.
        let json = String(decoding: try! JSONEncoder().encode(p), as: UTF8.self)
        for key in ["\"a_start\"", "\"b_end\"", "\"a_line\"", "\"b_column\"", "\"tokens\"", "\"snippet\""] {
            XCTAssertTrue(json.contains(key), key)
        }
        // lineColumns on its own, offsets in any order, CRLF lines, past the end.
        let text = Array("ab\r\nc\nδεζ x\n".utf8)
        let lc = PassageAlignment.lineColumns(text, offsets: [12, 0, 4, 2, 100])
        XCTAssertEqual(lc.map { [$0.line, $0.column] }, [[3, 4], [1, 1], [2, 1], [1, 3], [4, 1]])
        // Snippets: cut at 120 characters with "…", whitespace collapsed,
        // control characters replaced, valid UTF-8 even when cut.
        let long = Array((String(repeating: "ñandú  \n", count: 40) + "\u{1B}[31m").utf8)
        // 20 words are 119 characters; a 21st would pass 120.
        XCTAssertEqual(
            PassageAlignment.snippet(long, 0..<long.count),
            Array(repeating: "ñandú", count: 20).joined(separator: " ") + "…")
        XCTAssertEqual(PassageAlignment.snippet(Array("x\u{7}y".utf8), 0..<3), "x\u{FFFD}y")
        XCTAssertEqual(PassageAlignment.snippet(long, 0..<7, characters: 3), "ñan…")
        XCTAssertEqual(PassageAlignment.snippet(long, 0..<7, characters: 5), "ñandú")
        // The byte budget (16 per character) ends inside "ú": cut before it.
        XCTAssertEqual(PassageAlignment.snippet(long, 0..<long.count, characters: 1), "ñ…")
        XCTAssertEqual(PassageAlignment.snippet(long, 0..<6), "ñand\u{FFFD}")  // invalid bytes shown as U+FFFD
    }

    // MARK: - Boilerplate

    func testFrequentKGramsAreNotEvidence() throws {
        var rng = Xoshiro256(seed: 99)
        func words(_ n: Int) -> [String] { (0..<n).map { _ in Self.word(rng.next(below: 1 << 20)) } }
        let boiler = words(40).joined(separator: " ")  // in 6 of 10 documents
        let genuine = words(30).joined(separator: " ")  // in A and B only
        var docs: [String] = []
        for d in 0..<10 {
            var parts = [words(80).joined(separator: " ")]
            if d < 6 { parts.append(boiler) }
            if d < 2 { parts.append(genuine) }
            parts.append(words(50).joined(separator: " "))
            if d == 1 { parts.swapAt(0, 1) }
            docs.append(parts.joined(separator: ". ") + ".")
        }
        // Same word before the boilerplate in A and B: "boilerplate + 1 token" is still not evidence.
        docs[0] = docs[0].replacingOccurrences(of: boiler, with: "preamble " + boiler)
        docs[1] = docs[1].replacingOccurrences(of: boiler, with: "preamble " + boiler)
        let bytes = docs.map { Array($0.utf8) }
        let plain = PassageAlignment.align(bytes[0], bytes[1])
        XCTAssertEqual(plain.map(\.tokens).sorted(), [30, 41])

        let filter = BoilerplateFilter.frequent(in: bytes, k: 8, maxDF: 0.5)
        XCTAssertEqual(filter.count, 33)  // the 40 − 8 + 1 k-grams of the boilerplate
        let filtered = PassageAlignment.align(bytes[0], bytes[1], options: PassageOptions(boilerplate: filter))
        XCTAssertEqual(filtered.map(\.tokens), [30])
        XCTAssertTrue(filtered[0].snippet.hasPrefix(genuine.prefix(40)))
        // In 6 of 10 documents is not more than 0.6 of them.
        XCTAssertEqual(BoilerplateFilter.frequent(in: bytes, k: 8, maxDF: 0.6).count, 0)

        // The same from files on disk, through the corpus reader.
        let dir = try temporaryDirectory(self)
        for (i, d) in docs.enumerated() { try write(d, to: dir.appendingPathComponent(String(format: "d%02d.txt", i))) }
        let fromDisk = try BoilerplateFilter.frequent(in: CorpusInput(path: dir.path), k: 8, maxDF: 0.5)
        XCTAssertEqual(fromDisk.hashes.hashes, filter.hashes.hashes)
        // Regression for finding 21 (passages' memory grew with A): counted
        // only among given k-grams, the frequent set is the full one
        // restricted to them.
        var some = Array(filter.hashes.hashes.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        some += [1, 2, 3]  // k-grams that occur nowhere
        let among = NGramIndex(some)
        let restricted = try BoilerplateFilter.frequent(in: CorpusInput(path: dir.path), k: 8, maxDF: 0.5, among: among)
        XCTAssertEqual(restricted.hashes.hashes, filter.hashes.hashes.filter { among.contains($0) })
        XCTAssertFalse(restricted.hashes.hashes.isEmpty)
        // A passage embedded in boilerplate keeps its own words as evidence.
        let embedded = PassageAlignment.align(
            Array((boiler + " " + genuine).utf8), Array(("zz " + boiler + " " + genuine + " yy").utf8),
            options: PassageOptions(boilerplate: filter))
        XCTAssertEqual(embedded.map(\.tokens), [70])
    }

    func testBoilerplateDirectoryIsNotEvidence() throws {
        var rng = Xoshiro256(seed: 5)
        func words(_ n: Int) -> String { (0..<n).map { _ in Self.word(rng.next(below: 1 << 20)) }.joined(separator: " ") }
        let licence =
            "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files"
        let genuine = words(25)
        let a = words(60) + ". " + licence + ". " + words(40) + ". " + genuine + ". " + words(10)
        let b = words(30) + ". " + genuine + ". " + words(40) + "\n" + licence.uppercased() + "\n" + words(20)
        XCTAssertEqual(PassageAlignment.align(Array(a.utf8), Array(b.utf8)).map(\.tokens).sorted(), [20, 25])

        let dir = try temporaryDirectory(self)
        let bpDir = dir.appendingPathComponent("boilerplate")
        try write("MIT License\n\n" + licence + " (the \"Software\").\n", to: bpDir.appendingPathComponent("LICENSE.txt"))
        try write("unrelated words here", to: bpDir.appendingPathComponent("other.md"))
        let filter = try BoilerplateFilter.files(in: bpDir.path, k: 8)
        XCTAssertEqual(filter.count, 2 + 20 + 2 - 8 + 1)  // "mit license" + licence + "the software"; other.md is too short
        let options = PassageOptions(boilerplate: filter)
        let passages = PassageAlignment.align(Array(a.utf8), Array(b.utf8), options: options)
        XCTAssertEqual(passages.map(\.tokens), [25])

        // The corpus-level helper re-reads files (and JSONL lines) and applies the filter.
        try write(a, to: dir.appendingPathComponent("a/one.txt"))
        let jsonl = [["text": "nothing shared"], ["text": b], ["id": "x"]]
            .map { String(decoding: try! JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }.joined(separator: "\n")
        try write(jsonl + "\n", to: dir.appendingPathComponent("b.jsonl"))
        let aDoc = DocumentFile(name: "one.txt", path: dir.appendingPathComponent("a/one.txt").path)
        let bDocs = [1, 2, 3].map { (n: Int) in
            DocumentFile(name: "b.jsonl:\(n)", path: dir.appendingPathComponent("b.jsonl").path, line: n)
        }
        XCTAssertEqual(try bDocs[0].read(), Array("nothing shared".utf8))
        XCTAssertEqual(try bDocs[1].read(), Array(b.utf8))
        XCTAssertThrowsError(try bDocs[2].read()) { XCTAssertEqual(errorCase($0), "badData") }
        let shared = try PassageAlignment.sharedPassages(a: [aDoc], b: Array(bDocs[0..<2]), options: options)
        XCTAssertEqual(shared.map(\.passage.tokens), [25])
        XCTAssertEqual(shared.first?.a, "one.txt")
        XCTAssertEqual(shared.first?.b, "b.jsonl:2")
        let all = try PassageAlignment.sharedPassages(a: [aDoc], b: [bDocs[1]], options: PassageOptions())
        XCTAssertEqual(all.map(\.passage.tokens), [25, 20])
        XCTAssertEqual(try PassageAlignment.sharedPassages(a: [aDoc], b: [bDocs[1]], limit: 1).count, 1)
        // A missing JSONL line or file is an error naming the path.
        XCTAssertThrowsError(try DocumentFile(path: dir.appendingPathComponent("b.jsonl").path, line: 9).read())
        XCTAssertThrowsError(try PassageAlignment.sharedPassages(a: [DocumentFile(path: dir.path + "/missing.txt")], b: [bDocs[1]])) {
            XCTAssertEqual(errorCase($0), "inputNotFound")
        }
    }

    // MARK: - Pathological input

    func testOneTokenRepeatedAMillionTimesIsLinear() throws {
        try XCTSkipIf(underSanitizer, "peak memory is not bounded alike under a sanitizer")
        let n = 1_000_000
        let text = [UInt8](repeating: 0, count: 2 * n).enumerated().map { $0.offset & 1 == 0 ? UInt8(ascii: "a") : UInt8(ascii: " ") }
        // No timing assertion (the project rules them out): a quadratic
        // alignment would not finish within CI's limit, and memory is checked.
        var usage = rusage()
        let passages = PassageAlignment.align(text, text)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        XCTAssertEqual(passages.count, 1)
        XCTAssertEqual(
            passages.first.map { [$0.tokens, $0.aStart, $0.aEnd, $0.bStart, $0.bEnd, $0.aLine, $0.bColumn] },
            [n, 0, 2 * n - 1, 0, 2 * n - 1, 1, 1])
        XCTAssertEqual(passages.first?.snippet, Array(repeating: "a", count: 60).joined(separator: " ") + "…")
        XCTAssertLessThan(usage.ru_maxrss, 1 << 20, "peak memory over 1 GB")  // KiB

        // Repetitive but not identical: blocks of 20 "a" and a "b" against a
        // run of "a": every block matches A everywhere; the work stays bounded
        // and each block is one passage.
        let m = 200_000
        let runA = [UInt8](repeating: 0, count: 2 * m).enumerated().map { $0.offset & 1 == 0 ? UInt8(ascii: "a") : UInt8(ascii: " ") }
        let blocks = Array(String(repeating: String(repeating: "a ", count: 20) + "b ", count: 5_000).utf8)
        let bp = PassageAlignment.align(runA, blocks)
        XCTAssertEqual(bp.count, 5_000)
        XCTAssertTrue(bp.allSatisfy { $0.tokens == 20 && $0.bEnd - $0.bStart == 39 })
    }
}
