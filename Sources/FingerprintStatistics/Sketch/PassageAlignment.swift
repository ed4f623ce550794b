import Foundation
import FingerprintCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Options and results

/// Parameters of passage alignment.
public struct PassageOptions: Sendable {
    /// Noise threshold in tokens: no passage shorter than k is reported.
    public var k: Int
    /// Winnowing window (k-grams); the guarantee threshold is t = w + k − 1.
    public var w: Int
    /// k-grams that are not evidence (must have the same k).
    public var boilerplate: BoilerplateFilter?
    /// Occurrences in A tried per fingerprint of B when its k-gram occurs
    /// more often than this in A (repetitive text): the ones nearest the
    /// diagonal of the previous match. Bounds the work on degenerate input;
    /// text whose k-grams occur at most this often in A is aligned exactly.
    public var maxCandidates: Int = 16
    /// Characters of B's text kept in each passage's snippet.
    public var snippetCharacters: Int = 120

    /// Guarantee threshold in tokens: every shared run this long is found.
    public var t: Int { w + k - 1 }

    /// Defaults k = 8, w = 8 (t = 15 tokens).
    public init(k: Int = 8, w: Int = 8, boilerplate: BoilerplateFilter? = nil) {
        precondition(k >= 1 && w >= 1, "passage alignment needs k ≥ 1 and w ≥ 1")
        self.k = k
        self.w = w
        self.boilerplate = boilerplate
    }

    /// Noise threshold `k` and guarantee threshold `t` ≥ k (w = t − k + 1).
    public init(k: Int, t: Int, boilerplate: BoilerplateFilter? = nil) {
        precondition(t >= k, "the guarantee threshold t must be at least k")
        self.init(k: k, w: t - k + 1, boilerplate: boilerplate)
    }

    /// The winnowing these options use.
    public var winnowing: Winnowing { Winnowing(k: k, w: w, ignored: boilerplate?.hashes) }
}

/// A passage shared by two documents A and B: a maximal run of equal
/// tokens (or, where such runs overlap in both documents, their union).
/// Offsets are bytes in the documents' raw bytes, end exclusive; lines and
/// columns are 1-based, columns counted in Unicode scalars.
public struct Passage: Codable, Sendable, Equatable {
    /// Tokens of the passage (counted in B; equal to A's count unless
    /// overlapping runs were merged).
    public var tokens: Int
    public var aStart: Int
    public var aEnd: Int
    public var bStart: Int
    public var bEnd: Int
    public var aLine: Int
    public var aColumn: Int
    public var bLine: Int
    public var bColumn: Int
    /// The start of B's text, whitespace collapsed, at most
    /// `snippetCharacters` characters (then "…"); control characters are
    /// shown as U+FFFD.
    public var snippet: String

    public init(tokens: Int, aStart: Int, aEnd: Int, bStart: Int, bEnd: Int,
                aLine: Int, aColumn: Int, bLine: Int, bColumn: Int, snippet: String) {
        self.tokens = tokens
        self.aStart = aStart; self.aEnd = aEnd; self.bStart = bStart; self.bEnd = bEnd
        self.aLine = aLine; self.aColumn = aColumn; self.bLine = bLine; self.bColumn = bColumn
        self.snippet = snippet
    }

    enum CodingKeys: String, CodingKey {
        case tokens, snippet
        case aStart = "a_start", aEnd = "a_end", bStart = "b_start", bEnd = "b_end"
        case aLine = "a_line", aColumn = "a_column", bLine = "b_line", bColumn = "b_column"
    }
}

/// A passage between two documents of two corpora.
public struct SharedPassage: Codable, Sendable, Equatable {
    /// Name of the A document and its index in the `a` list given.
    public var a: String
    public var aIndex: Int
    /// Name of the B document and its index in the `b` list given.
    public var b: String
    public var bIndex: Int
    public var passage: Passage

    public init(a: String, aIndex: Int, b: String, bIndex: Int, passage: Passage) {
        self.a = a; self.aIndex = aIndex; self.b = b; self.bIndex = bIndex; self.passage = passage
    }

    enum CodingKeys: String, CodingKey {
        case a, b, passage
        case aIndex = "a_index", bIndex = "b_index"
    }
}

// MARK: - Boilerplate

/// k-gram hashes that are not evidence of copying: those occurring in more
/// than a share `maxDF` of a corpus's documents, and all k-grams of the
/// files given as boilerplate (`--boilerplate DIR`). They are never seeds of
/// a match, and a passage with fewer than k tokens outside boilerplate
/// k-grams is dropped.
public struct BoilerplateFilter: Sendable {
    /// Tokens per k-gram; must equal the alignment's k.
    public let k: Int
    /// The ignored k-gram hashes.
    public let hashes: NGramIndex

    public var count: Int { hashes.count }

    /// A filter of the given k-gram hashes (any order, duplicates allowed).
    public init(k: Int, hashes: [UInt64]) {
        precondition(k >= 1)
        self.k = k
        self.hashes = NGramIndex(hashes)
    }

    @inline(__always)
    public func contains(_ hash: UInt64) -> Bool { hashes.contains(hash) }

    /// Both filters' hashes.
    public func union(_ other: BoilerplateFilter) -> BoilerplateFilter {
        precondition(k == other.k, "boilerplate filters of different k")
        return BoilerplateFilter(k: k, hashes: hashes.hashes + other.hashes.hashes)
    }

    /// The distinct k-gram hashes of a document's `word` tokens, sorted.
    public static func distinctKGrams(_ bytes: [UInt8], k: Int) -> [UInt64] {
        sortedDistinct(Winnowing.kgramHashes(TokenizedText(words: bytes).hashes, k: k))
    }

    /// The k-grams of `documents` that occur in more than `maxDF` × (number
    /// of documents) of them.
    public static func frequent(in documents: [[UInt8]], k: Int, maxDF: Double) -> BoilerplateFilter {
        var counter = KGramDocumentFrequency(k: k)
        for d in documents { counter.add(distinctKGrams(d, k: k)) }
        return BoilerplateFilter(k: k, hashes: counter.frequent(maxDF: maxDF))
    }

    /// The k-grams occurring in more than `maxDF` × (number of documents) of
    /// the documents of `corpus`, from one streaming pass.
    /// - Complexity: O(bytes) to read, O(M log M) to count, where M is the
    ///   number of (document, distinct k-gram) pairs; memory 8 bytes per pair
    ///   while counting, then 12 bytes per distinct k-gram of the corpus.
    public static func frequent(in corpus: CorpusInput, k: Int, maxDF: Double,
                                readOptions: ReadOptions = ReadOptions()) throws -> BoilerplateFilter {
        let scan = try CorpusReader.read(corpus, options: readOptions) { KGramWorker(k: k) }
        defer { scan.workers.forEach { $0.release() } }
        var counter = KGramDocumentFrequency(k: k)
        for o in scan.outputs { counter.add(o.output) }
        return BoilerplateFilter(k: k, hashes: counter.frequent(maxDF: maxDF))
    }

    /// Every k-gram of the documents under `path` (a directory, a file or a
    /// JSONL file: `--boilerplate DIR`).
    public static func files(in path: String, k: Int, globs: [String] = CorpusInput.defaultGlobs,
                             readOptions: ReadOptions = ReadOptions()) throws -> BoilerplateFilter {
        let input = try CorpusInput(path: path, globs: globs)
        let scan = try CorpusReader.read(input, options: readOptions) { KGramWorker(k: k) }
        defer { scan.workers.forEach { $0.release() } }
        var all: [UInt64] = []
        for o in scan.outputs { all.append(contentsOf: o.output) }
        return BoilerplateFilter(k: k, hashes: all)
    }

    static func sortedDistinct(_ values: [UInt64]) -> [UInt64] {
        var v = values
        v.sort()
        var n = 0
        for i in 0 ..< v.count where n == 0 || v[n - 1] != v[i] {
            v[n] = v[i]
            n += 1
        }
        v.removeLast(v.count - n)
        return v
    }
}

/// Counts, for each k-gram hash, the documents it occurs in.
public struct KGramDocumentFrequency: Sendable {
    public let k: Int
    /// Documents added.
    public private(set) var documents = 0
    private var pending: [UInt64] = []
    private var keys: [UInt64] = []
    private var counts: [UInt32] = []

    public init(k: Int) { self.k = k }

    /// Adds one document's k-gram hashes (any order; each distinct hash
    /// counts once).
    public mutating func add(_ kgrams: [UInt64]) {
        documents += 1
        pending.append(contentsOf: BoilerplateFilter.sortedDistinct(kgrams))
        if pending.count >= 1 << 22 { compact() }
    }

    /// The hashes in more than `maxDF` × `documents` documents, sorted.
    public mutating func frequent(maxDF: Double) -> [UInt64] {
        compact()
        let limit = maxDF * Double(documents)
        var out: [UInt64] = []
        for i in 0 ..< keys.count where Double(counts[i]) > limit { out.append(keys[i]) }
        return out
    }

    /// Folds `pending` into the sorted (key, count) arrays.
    private mutating func compact() {
        guard !pending.isEmpty else { return }
        pending.sort()
        var nk: [UInt64] = []
        var nc: [UInt32] = []
        nk.reserveCapacity(keys.count + pending.count / 2)
        nc.reserveCapacity(keys.count + pending.count / 2)
        var i = 0, j = 0
        while i < keys.count || j < pending.count {
            let key: UInt64
            if j >= pending.count || (i < keys.count && keys[i] <= pending[j]) { key = keys[i] } else { key = pending[j] }
            var c: UInt32 = 0
            if i < keys.count && keys[i] == key { c = counts[i]; i += 1 }
            while j < pending.count && pending[j] == key { c += 1; j += 1 }
            nk.append(key)
            nc.append(c)
        }
        keys = nk
        counts = nc
        pending.removeAll()
    }
}

/// A corpus-reader worker that keeps each document's distinct k-gram hashes
/// (sorted), for document frequencies and boilerplate sets.
public struct KGramWorker: DocumentWorker {
    public let k: Int
    private var scanner = WordScanner()
    private var sink = HashSink()

    struct HashSink: TokenSink {
        var hashes: [UInt64] = []
        @inline(__always)
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { hashes.append(TokenTable.hash(token)) }
    }

    public init(k: Int) {
        precondition(k >= 1)
        self.k = k
    }

    public var invalidSequences: Int { scanner.invalidSequences }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) { scanner.feed(chunk, into: &sink) }

    public mutating func finish() -> [UInt64] {
        scanner.finish(into: &sink)
        let out = BoilerplateFilter.sortedDistinct(Winnowing.kgramHashes(sink.hashes, k: k))
        sink.hashes.removeAll(keepingCapacity: sink.hashes.count < 1 << 22)
        return out
    }

    public mutating func discard() {
        var null = NullSink()
        scanner.finish(into: &null)
        sink.hashes.removeAll(keepingCapacity: true)
    }

    /// Frees the scanner (once, after the read).
    public func release() { scanner.release() }
}

// MARK: - Alignment

/// One document A prepared for alignment against any number of B
/// documents: its tokens and an index of all its (non-boilerplate) k-gram
/// hashes → positions.
public struct PassageAligner: Sendable {
    public let options: PassageOptions
    public let bytes: [UInt8]
    public let text: TokenizedText
    let index: KGramPositions

    /// Tokenizes and indexes document A.
    /// - Complexity: O(bytes of A).
    public init(_ a: [UInt8], options: PassageOptions = PassageOptions()) {
        if let bp = options.boilerplate {
            precondition(bp.k == options.k, "boilerplate filter built with k = \(bp.k), alignment uses k = \(options.k)")
        }
        self.options = options
        bytes = a
        text = TokenizedText(words: a)
        index = KGramPositions(Winnowing.kgramHashes(text.hashes, k: options.k), ignored: options.boilerplate?.hashes)
    }

    /// The passages B shares with A, in B order (then A order).
    public func align(_ b: [UInt8]) -> [Passage] {
        let tb = TokenizedText(words: b)
        let spans = self.spans(tb)
        return PassageAlignment.describe(spans, a: bytes, b: b, ta: text, tb: tb, options: options)
    }

    /// The shared spans of B's tokens with A's, as token ranges, merged,
    /// boilerplate-only spans dropped, in (B, A) order.
    func spans(_ tb: TokenizedText) -> [TokenSpan] {
        let k = options.k
        let winnow = options.winnowing
        let bKGrams = Winnowing.kgramHashes(tb.hashes, k: k)
        let fps = winnow.select(bKGrams)
        var runs = seedAndExtend(fps, tb)
        guard !runs.isEmpty else { return [] }
        runs = PassageAlignment.merge(runs)
        if let bp = options.boilerplate {
            // Tokens inside some boilerplate k-gram of B (prefix sums).
            var diff = [Int](repeating: 0, count: tb.count + 1)
            for (j, h) in bKGrams.enumerated() where bp.contains(h) { diff[j] += 1; diff[j + k] -= 1 }
            var prefix = [Int](repeating: 0, count: tb.count + 1)
            var cover = 0
            for j in 0 ..< tb.count {
                cover += diff[j]
                prefix[j + 1] = prefix[j] + (cover > 0 ? 1 : 0)
            }
            runs.removeAll { s in (s.bHi - s.bLo) - (prefix[s.bHi] - prefix[s.bLo]) < k }
        }
        return runs
    }

    /// Seeds: each fingerprint of B against A's k-gram positions; each seed
    /// whose tokens really match for ≥ k tokens is extended both ways.
    ///
    /// Seeds whose k-gram lies inside B's part of a run already found are
    /// skipped: that text is attributed. Each extension walks a diagonal
    /// stretch no earlier extension walked (an earlier run on the same
    /// diagonal ends at a differing token), so the work is O(fingerprints ·
    /// (log + maxCandidates) + total length of the runs found).
    private func seedAndExtend(_ fps: [Winnowing.Fingerprint], _ tb: TokenizedText) -> [TokenSpan] {
        let k = options.k
        let maxC = max(1, options.maxCandidates)
        let na = text.count, nb = tb.count
        var runs: [TokenSpan] = []
        var coveredUntil = 0
        var hint = 0
        var candidates: [Int] = []
        text.hashes.withUnsafeBufferPointer { ha in
            tb.hashes.withUnsafeBufferPointer { hb in
                index.positions.withUnsafeBufferPointer { pos in
                    for fp in fps {
                        let j = fp.position
                        if j + k <= coveredUntil { continue }
                        let occ = index.occurrences(fp.hash)
                        if occ.isEmpty { continue }
                        candidates.removeAll(keepingCapacity: true)
                        if occ.count <= maxC {
                            for x in occ { candidates.append(pos[x]) }
                        } else {
                            // The maxC occurrences nearest the previous diagonal
                            // (ties: the smaller position first).
                            let target = j + hint
                            var lo = occ.lowerBound, hi = occ.upperBound
                            while lo < hi { let m = (lo + hi) >> 1; if pos[m] < target { lo = m + 1 } else { hi = m } }
                            var l = lo - 1, r = lo
                            while candidates.count < maxC {
                                let useLeft: Bool
                                if l < occ.lowerBound { useLeft = false } else if r >= occ.upperBound { useLeft = true } else {
                                    useLeft = target - pos[l] <= pos[r] - target
                                }
                                if useLeft { candidates.append(pos[l]); l -= 1 } else { candidates.append(pos[r]); r += 1 }
                            }
                        }
                        var bestLen = 0
                        for i in candidates {
                            var f = 0
                            while i + f < na && j + f < nb && ha[i + f] == hb[j + f] { f += 1 }
                            if f < k { continue }   // hash collision, not a match
                            var s = 0
                            while i - s > 0 && j - s > 0 && ha[i - s - 1] == hb[j - s - 1] { s += 1 }
                            runs.append(TokenSpan(aLo: i - s, aHi: i + f, bLo: j - s, bHi: j + f))
                            if j + f > coveredUntil { coveredUntil = j + f }
                            if s + f > bestLen { bestLen = s + f; hint = i - j }
                        }
                    }
                }
            }
        }
        return runs
    }
}

/// Token ranges of a shared span: A tokens aLo..<aHi, B tokens bLo..<bHi.
struct TokenSpan: Equatable, Sendable {
    var aLo: Int, aHi: Int, bLo: Int, bHi: Int
}

/// All positions of each k-gram hash of a document, grouped by hash in
/// increasing position order: an open-addressing table of the distinct
/// hashes, then a counting sort (O(k-grams), no comparison sort).
struct KGramPositions: Sendable {
    private let mask: Int
    private let keys: [UInt64]
    private let ids: [Int32]
    private let offsets: [Int]
    /// Positions grouped by hash id.
    let positions: [Int]

    init(_ kgrams: [UInt64], ignored: NGramIndex?) {
        var cap = 16
        while cap < 2 * kgrams.count { cap <<= 1 }
        mask = cap - 1
        var keys = [UInt64](repeating: 0, count: cap)
        var ids = [Int32](repeating: -1, count: cap)
        var counts: [Int] = []
        var idOf = [Int32](repeating: -1, count: kgrams.count)
        keys.withUnsafeMutableBufferPointer { keys in
            ids.withUnsafeMutableBufferPointer { ids in
                for (p, h) in kgrams.enumerated() {
                    if let ignored, ignored.contains(h) { continue }
                    var slot = Int(truncatingIfNeeded: h) & (cap - 1)
                    while ids[slot] >= 0 && keys[slot] != h { slot = (slot + 1) & (cap - 1) }
                    if ids[slot] < 0 {
                        ids[slot] = Int32(counts.count)
                        keys[slot] = h
                        counts.append(0)
                    }
                    let id = Int(ids[slot])
                    counts[id] += 1
                    idOf[p] = Int32(id)
                }
            }
        }
        var offsets = [Int](repeating: 0, count: counts.count + 1)
        for i in 0 ..< counts.count { offsets[i + 1] = offsets[i] + counts[i] }
        var fill = offsets
        var positions = [Int](repeating: 0, count: offsets[counts.count])
        for p in 0 ..< idOf.count where idOf[p] >= 0 {
            let id = Int(idOf[p])
            positions[fill[id]] = p
            fill[id] += 1
        }
        self.keys = keys
        self.ids = ids
        self.offsets = offsets
        self.positions = positions
    }

    /// Indices into `positions` of the occurrences of `h`.
    @inline(__always)
    func occurrences(_ h: UInt64) -> Range<Int> {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = ids[slot]
            if id < 0 { return 0 ..< 0 }
            if keys[slot] == h { return offsets[Int(id)] ..< offsets[Int(id) + 1] }
            slot = (slot + 1) & mask
        }
    }
}

/// Shared passages between two documents, and between the documents of two
/// corpora.
///
/// B's winnowed fingerprints are looked up among *all* of A's k-gram hashes,
/// so every run of ≥ t = w + k − 1 equal tokens that B shares with A (and
/// that is not boilerplate) contains a seed; each seed is extended token by
/// token in both directions while the tokens are equal, which makes the run
/// maximal; runs that overlap (or touch) in both documents are merged; runs
/// shorter than k tokens never count. Tokens are compared by their 64-bit
/// hashes.
///
/// - Complexity: O(|A| + |B|) to tokenize and index, plus O(fingerprints of
///   B × (1 + maxCandidates)) lookups and O(total length of the runs found)
///   to extend; a document made of one token repeated a million times,
///   aligned with itself, costs about maxCandidates × its length. Memory is
///   O(|A| + |B|) (about 40 bytes per token of A, 24 per token of B).
public enum PassageAlignment {
    /// The passages documents `a` and `b` (raw bytes) share, in B order.
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
    public static func sharedPassages(a: [DocumentFile], b: [DocumentFile], pairs: [(a: Int, b: Int)]? = nil,
                                      options: PassageOptions = PassageOptions(), limit: Int = 20,
                                      threads: Int = 1) throws -> [SharedPassage] {
        guard limit > 0, !a.isEmpty, !b.isEmpty else { return [] }
        var list: [(a: Int, b: Int)]
        if let pairs {
            for p in pairs { precondition(a.indices.contains(p.a) && b.indices.contains(p.b), "pair \(p) out of range") }
            list = pairs.sorted { $0.a != $1.a ? $0.a < $1.a : $0.b < $1.b }
            var n = 0
            for i in 0 ..< list.count where n == 0 || list[n - 1] != list[i] { list[n] = list[i]; n += 1 }
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
            groups.append(s ..< e)
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
                while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
                return x
            }
            var active: [Int] = []
            var merges = 0
            for i in spans.indices {
                let s = spans[i]
                active.removeAll { spans[$0].bHi < s.bLo }
                for j in active where spans[j].aLo <= s.aHi && s.aLo <= spans[j].aHi {
                    let (ri, rj) = (find(i), find(j))
                    if ri != rj { parent[max(ri, rj)] = min(ri, rj); merges += 1 }
                }
                active.append(i)
            }
            if merges == 0 { return spans }
            var boxes: [Int: TokenSpan] = [:]
            for i in spans.indices {
                let r = find(i)
                if let b = boxes[r] {
                    boxes[r] = TokenSpan(aLo: min(b.aLo, spans[i].aLo), aHi: max(b.aHi, spans[i].aHi),
                                         bLo: min(b.bLo, spans[i].bLo), bHi: max(b.bHi, spans[i].bHi))
                } else {
                    boxes[r] = spans[i]
                }
            }
            spans = boxes.keys.sorted().map { boxes[$0]! }
        }
    }

    /// Byte offsets, lines, columns and snippets of token spans.
    static func describe(_ spans: [TokenSpan], a: [UInt8], b: [UInt8], ta: TokenizedText, tb: TokenizedText,
                         options: PassageOptions) -> [Passage] {
        guard !spans.isEmpty else { return [] }
        let aRanges = spans.map { ta.byteRange(tokens: $0.aLo ..< $0.aHi) }
        let bRanges = spans.map { tb.byteRange(tokens: $0.bLo ..< $0.bHi) }
        let aPos = lineColumns(a, offsets: aRanges.map(\.lowerBound))
        let bPos = lineColumns(b, offsets: bRanges.map(\.lowerBound))
        return spans.indices.map { i in
            Passage(tokens: spans[i].bHi - spans[i].bLo,
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
        var line = 1, column = 1, p = 0
        bytes.withUnsafeBufferPointer { bb in
            for idx in order {
                let target = min(offsets[idx], bb.count)
                while p < target {
                    let c = bb[p]
                    if c == 0x0A { line += 1; column = 1 } else if c & 0xC0 != 0x80 { column += 1 }
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
        let text = bytes[range.lowerBound ..< cut].withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        var out = ""
        var n = 0
        var space = false
        var truncated = false
        for ch in text {
            if ch.isWhitespace { space = n > 0; continue }
            if n + (space ? 2 : 1) > characters { truncated = true; break }
            if space { out.append(" "); n += 1; space = false }
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
