import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum PassageAlignment {
    /// The passages documents `a` and `b` (raw bytes) share, in B order.
    /// - Complexity: O(|a| + |b|) tokens to index and scan; each seed is
    ///   extended once (maximal spans), so a run of one repeated token stays linear.
    public static func align(_ a: [UInt8], _ b: [UInt8], options: PassageOptions = PassageOptions()) -> [Passage] {
        PassageAligner(a, options: options).align(b)
    }

    /// The longest passages shared by documents of corpus A and corpus B.
    ///
    /// - Parameters:
    ///   - pairs: candidate pairs (index into `a`, index into `b`); nil for
    ///     all pairs. Duplicates are ignored.
    ///   - limit: passages kept, longest first.
    ///   - threads: pairs are processed in parallel by A document; the
    ///     result does not depend on the thread count.
    /// Each A document is read once per run and each B document once per
    /// pair; only the documents of the pairs in progress are in memory.
    /// Order: tokens (longest first), then A index, B index, B offset, A offset.
    /// - Throws: the first (in pair order) error reading a document.
    public static func sharedPassages(
        a: [DocumentFile], b: [DocumentFile], pairs: [(a: Int, b: Int)]? = nil,
        options: PassageOptions = PassageOptions(), limit: Int = 20,
        threads: Int = 1
    ) throws -> [SharedPassage] {
        guard limit > 0, !a.isEmpty, !b.isEmpty else { return [] }
        var list: [(a: Int, b: Int)]
        if let pairs {
            for p in pairs { precondition(a.indices.contains(p.a) && b.indices.contains(p.b), "pair \(p) out of range") }
            list = pairs.sorted { $0.a != $1.a ? $0.a < $1.a : $0.b < $1.b }
            var n = 0
            for i in 0..<list.count where n == 0 || list[n - 1] != list[i] {
                list[n] = list[i]
                n += 1
            }
            list.removeLast(list.count - n)
        } else {
            list = []
            list.reserveCapacity(a.count * b.count)
            for i in a.indices { for j in b.indices { list.append((i, j)) } }
        }
        // Groups: consecutive pairs with the same A document.
        var groups: [Range<Int>] = []
        var s = 0
        while s < list.count {
            var e = s + 1
            while e < list.count && list[e].a == list[s].a { e += 1 }
            groups.append(s..<e)
            s = e
        }
        let pairsList = list
        let perGroup = try Parallel.map(groups.count, threads: threads) { g -> [SharedPassage] in
            var found: [SharedPassage] = []
            let ai = pairsList[groups[g].lowerBound].a
            let aligner = PassageAligner(try a[ai].read(), options: options)
            for p in groups[g] {
                let bi = pairsList[p].b
                for passage in aligner.align(try b[bi].read()) {
                    found.append(SharedPassage(a: a[ai].name, aIndex: ai, b: b[bi].name, bIndex: bi, passage: passage))
                }
                if found.count > 4 * limit { keepLongest(&found, limit) }
            }
            keepLongest(&found, limit)
            return found
        }
        var all = perGroup.flatMap { $0 }
        keepLongest(&all, limit)
        return all
    }

    /// Sorts longest first (deterministic ties) and keeps `limit`.
    static func keepLongest(_ list: inout [SharedPassage], _ limit: Int) {
        list.sort { x, y in
            if x.passage.tokens != y.passage.tokens { return x.passage.tokens > y.passage.tokens }
            if x.aIndex != y.aIndex { return x.aIndex < y.aIndex }
            if x.bIndex != y.bIndex { return x.bIndex < y.bIndex }
            if x.passage.bStart != y.passage.bStart { return x.passage.bStart < y.passage.bStart }
            if x.passage.aStart != y.passage.aStart { return x.passage.aStart < y.passage.aStart }
            if x.passage.bEnd != y.passage.bEnd { return x.passage.bEnd < y.passage.bEnd }
            return x.passage.aEnd < y.passage.aEnd
        }
        if list.count > limit { list.removeLast(list.count - limit) }
    }

    /// Merges runs that overlap or touch in both A and B into their union,
    /// until no two such spans remain; result in (bLo, aLo) order.
    static func merge(_ input: [TokenSpan]) -> [TokenSpan] {
        var spans = input
        while true {
            spans.sort { ($0.bLo, $0.aLo, $0.bHi, $0.aHi) < ($1.bLo, $1.aLo, $1.bHi, $1.aHi) }
            var parent = Array(spans.indices)
            func find(_ x: Int) -> Int {
                var x = x
                while parent[x] != x {
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                }
                return x
            }
            var active: [Int] = []
            var merges = 0
            for i in spans.indices {
                let s = spans[i]
                active.removeAll { spans[$0].bHi < s.bLo }
                for j in active where spans[j].aLo <= s.aHi && s.aLo <= spans[j].aHi {
                    let (ri, rj) = (find(i), find(j))
                    if ri != rj {
                        parent[max(ri, rj)] = min(ri, rj)
                        merges += 1
                    }
                }
                active.append(i)
            }
            if merges == 0 { return spans }
            var boxes: [Int: TokenSpan] = [:]
            for i in spans.indices {
                let r = find(i)
                if let b = boxes[r] {
                    boxes[r] = TokenSpan(
                        aLo: min(b.aLo, spans[i].aLo), aHi: max(b.aHi, spans[i].aHi),
                        bLo: min(b.bLo, spans[i].bLo), bHi: max(b.bHi, spans[i].bHi))
                } else {
                    boxes[r] = spans[i]
                }
            }
            spans = boxes.keys.sorted().map { boxes[$0]! }
        }
    }

    /// Byte offsets, lines, columns and snippets of token spans.
    static func describe(
        _ spans: [TokenSpan], a: [UInt8], b: [UInt8], ta: TokenizedText, tb: TokenizedText,
        options: PassageOptions
    ) -> [Passage] {
        guard !spans.isEmpty else { return [] }
        let aRanges = spans.map { ta.byteRange(tokens: $0.aLo..<$0.aHi) }
        let bRanges = spans.map { tb.byteRange(tokens: $0.bLo..<$0.bHi) }
        let aPos = lineColumns(a, offsets: aRanges.map(\.lowerBound))
        let bPos = lineColumns(b, offsets: bRanges.map(\.lowerBound))
        return spans.indices.map { i in
            Passage(
                tokens: spans[i].bHi - spans[i].bLo,
                aStart: aRanges[i].lowerBound, aEnd: aRanges[i].upperBound,
                bStart: bRanges[i].lowerBound, bEnd: bRanges[i].upperBound,
                aLine: aPos[i].line, aColumn: aPos[i].column, bLine: bPos[i].line, bColumn: bPos[i].column,
                snippet: snippet(b, bRanges[i], characters: options.snippetCharacters))
        }
    }

    /// 1-based line and column (in Unicode scalars; a line ends at "\n") of
    /// each byte offset, in one pass over the bytes.
    public static func lineColumns(_ bytes: [UInt8], offsets: [Int]) -> [(line: Int, column: Int)] {
        var out = [(line: Int, column: Int)](repeating: (1, 1), count: offsets.count)
        let order = offsets.indices.sorted { offsets[$0] < offsets[$1] }
        var line = 1
        var column = 1
        var p = 0
        bytes.withUnsafeBufferPointer { bb in
            for idx in order {
                let target = min(offsets[idx], bb.count)
                while p < target {
                    let c = bb[p]
                    if c == 0x0A {
                        line += 1
                        column = 1
                    } else if c & 0xC0 != 0x80 {
                        column += 1
                    }
                    p += 1
                }
                out[idx] = (line, column)
            }
        }
        return out
    }

    /// The first `characters` characters of `bytes[range]`, whitespace runs
    /// collapsed to one space, control characters replaced by U+FFFD, "…"
    /// appended when cut.
    public static func snippet(_ bytes: [UInt8], _ range: Range<Int>, characters: Int = 120) -> String {
        guard range.lowerBound < range.upperBound, characters > 0 else { return "" }
        // Enough bytes for the characters wanted (bounded), cut at a scalar boundary.
        var cut = min(range.upperBound, range.lowerBound + characters * 16)
        if cut < range.upperBound {
            while cut > range.lowerBound && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        }
        let text = bytes[range.lowerBound..<cut].withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        var out = ""
        var n = 0
        var space = false
        var truncated = false
        for ch in text {
            if ch.isWhitespace {
                space = n > 0
                continue
            }
            if n + (space ? 2 : 1) > characters {
                truncated = true
                break
            }
            if space {
                out.append(" ")
                n += 1
                space = false
            }
            if ch.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                out.append("\u{FFFD}")
            } else {
                out.append(ch)
            }
            n += 1
        }
        if !truncated && cut < range.upperBound { truncated = true }
        if truncated { out.append("…") }
        return out
    }
}
