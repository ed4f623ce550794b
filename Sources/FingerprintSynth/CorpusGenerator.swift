import Foundation
import FingerprintCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

/// Where generated files go: a directory, memory (tests), or nowhere (sizing).
public protocol SynthSink: AnyObject {
    /// Creates the corpus directories (relative paths) before any file.
    func makeDirectories(_ relativePaths: [String]) throws
    /// Stores one file; called concurrently from several threads, each with
    /// a different path.
    func write(_ bytes: [UInt8], to relativePath: String) throws
}

/// Keeps every generated file in memory, keyed by relative path
/// ("source-a/doc0001.txt").
public final class MemorySink: SynthSink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String: [UInt8]] = [:]

    public init() {}

    /// The files written so far.
    public var files: [String: [UInt8]] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }

    public func makeDirectories(_ relativePaths: [String]) throws {}

    public func write(_ bytes: [UInt8], to relativePath: String) throws {
        lock.lock(); defer { lock.unlock() }
        storage[relativePath] = bytes
    }
}

/// Discards files (used to measure how many bytes a set will take).
final class DiscardSink: SynthSink {
    func makeDirectories(_ relativePaths: [String]) throws {}
    func write(_ bytes: [UInt8], to relativePath: String) throws {}
}

/// Writes files under a root directory as they are generated (bounded memory).
public final class DirectorySink: SynthSink, @unchecked Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public func makeDirectories(_ relativePaths: [String]) throws {
        for p in relativePaths {
            let path = root + "/" + p
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw FingerprintError.outputFailed(path: path, reason: error.localizedDescription)
            }
        }
    }

    public func write(_ bytes: [UInt8], to relativePath: String) throws {
        let path = root + "/" + relativePath
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var off = 0
        try bytes.withUnsafeBytes { raw in
            while off < raw.count {
                let n = sysWrite(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }
}

/// Deterministic synthetic corpora with known relations between them.
///
/// From one seed: four sources — A, B and C independent (`SourceModel`), and
/// A2, a close variant of A — and twelve corpus directories:
///
/// | path | relation |
/// |---|---|
/// | `source-a` | documents of A |
/// | `source-b` | documents of B (independent of A) |
/// | `copy-a` | exact copies of `source-a` (same file names) |
/// | `subst-05`, `subst-20`, `subst-50` | `source-a` with each word replaced with probability p by a different word |
/// | `mix-10`, `mix-50` | each document from B with probability p, else from A |
/// | `planted` | documents of C with verbatim passages of `source-a` inserted |
/// | `near-dups` | documents of A, some of them near-copies of others |
/// | `paired/a`, `paired/b` | file i of both on the same topic, by A and by A2 |
///
/// Every document has its own random stream, derived from the seed, the
/// corpus and the document index, so any document can be regenerated alone,
/// generation runs in parallel, and the output does not depend on the
/// thread count.
public struct CorpusGenerator: Sendable {
    /// Bump when the output for a given seed changes.
    public static let version = "1"

    public static let substitutionRates: [Double] = [0.05, 0.2, 0.5]
    public static let mixtureProportions: [Double] = [0.1, 0.5]
    public static let topicWordsPerPrompt = 20
    public static let topicWeight = 0.3
    public static let pairedRankSwaps = 12
    public static let passageWords = 30...80
    public static let nearDuplicateRates: [Double] = [0.02, 0.03, 0.04, 0.05]

    /// Stream tags: document `i` of a corpus is written from
    /// `Xoshiro256(seed: seed, stream: tag << 40 | i)`.
    public enum Stream {
        public static let sourceA: UInt64 = 1
        public static let sourceB: UInt64 = 2
        public static let substitution: UInt64 = 10 // + rate index
        public static let mixture: UInt64 = 20 // + proportion index
        public static let plantedHost: UInt64 = 30
        public static let plantedPlan: UInt64 = 31
        public static let nearDuplicateOriginal: UInt64 = 40
        public static let nearDuplicateVariant: UInt64 = 41
        public static let nearDuplicatePlan: UInt64 = 42
        public static let pairedTopic: UInt64 = 50
        public static let pairedA: UInt64 = 51
        public static let pairedB: UInt64 = 52
    }

    public let seed: UInt64
    /// Worker threads (output is the same for any count).
    public var threads: Int
    public let sourceA: SourceModel
    public let sourceB: SourceModel
    public let sourceC: SourceModel
    /// A close variant of A (`pairedRankSwaps` swapped ranks) for `paired/b`.
    public let sourceA2: SourceModel

    public init(seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.seed = seed
        self.threads = max(1, threads)
        sourceA = SourceModel(seed: seed, name: "A")
        sourceB = SourceModel(seed: seed, name: "B")
        sourceC = SourceModel(seed: seed, name: "C")
        sourceA2 = sourceA.variant(name: "A2", seed: seed, swaps: CorpusGenerator.pairedRankSwaps)
    }

    /// The corpus directories, in manifest order.
    public static let corpusPaths = ["source-a", "source-b", "copy-a", "subst-05", "subst-20", "subst-50",
                                     "mix-10", "mix-50", "planted", "near-dups", "paired/a", "paired/b"]

    // MARK: - In-memory helpers

    /// The random stream of document `index` of the corpus tagged `stream`.
    public func rng(stream: UInt64, index: Int) -> Xoshiro256 {
        Xoshiro256(seed: seed, stream: (stream << 40) | UInt64(index))
    }

    /// `count` documents of `source`, document i from `rng(stream:index: i)`.
    /// With `source: sourceA, stream: Stream.sourceA` these are the files of
    /// `source-a`.
    public func documents(source: SourceModel, count: Int, words: Int, stream: UInt64) -> [String] {
        (0..<count).map { String(decoding: document(source: source, words: words, stream: stream, index: $0), as: UTF8.self) }
    }

    /// Document `index` of `source` on the stream tagged `stream`, as bytes.
    public func document(source: SourceModel, words: Int, stream: UInt64, index: Int) -> [UInt8] {
        var r = rng(stream: stream, index: index)
        var out: [UInt8] = []
        source.render(words: words, rng: &r, into: &out)
        return out
    }

    /// The whole set in memory: the manifest and every file by relative path.
    public func inMemory(documentsPerCorpus: Int, wordsPerDocument: Int) throws -> (manifest: SynthManifest, files: [String: [UInt8]]) {
        let sink = MemorySink()
        let m = try generate(documentsPerCorpus: documentsPerCorpus, wordsPerDocument: wordsPerDocument, into: sink)
        return (m, sink.files)
    }

    // MARK: - Writing to a directory

    /// Writes the demo set and `manifest.json` into `directory` (created if
    /// missing). Refuses a non-empty directory unless `force`; with `force`,
    /// old `docNNNN.txt` files in the corpus folders are removed first and
    /// nothing else is touched.
    /// - Throws: `FingerprintError` (.usage for a non-empty directory, .io).
    @discardableResult
    public func writeDemo(to directory: String, documentsPerCorpus: Int, wordsPerDocument: Int,
                          force: Bool = false) throws -> SynthManifest {
        try CorpusGenerator.check(documentsPerCorpus: documentsPerCorpus, wordsPerDocument: wordsPerDocument)
        try prepare(directory, force: force)
        var m = try generate(documentsPerCorpus: documentsPerCorpus, wordsPerDocument: wordsPerDocument,
                             into: DirectorySink(root: directory))
        m.requestedBytes = nil
        try AtomicFile.write(m.encoded(), to: directory + "/manifest.json")
        return m
    }

    /// Writes a set of about `totalBytes` bytes in all (the same twelve
    /// relations, more documents per corpus) and `manifest.json`.
    @discardableResult
    public func writeSized(to directory: String, totalBytes: Int, wordsPerDocument: Int = 350,
                           force: Bool = false) throws -> SynthManifest {
        let n = try documentsFor(totalBytes: totalBytes, wordsPerDocument: wordsPerDocument)
        try prepare(directory, force: force)
        var m = try generate(documentsPerCorpus: n, wordsPerDocument: wordsPerDocument,
                             into: DirectorySink(root: directory))
        m.requestedBytes = totalBytes
        try AtomicFile.write(m.encoded(), to: directory + "/manifest.json")
        return m
    }

    /// Documents per corpus for a set of about `totalBytes` bytes, measured
    /// on a small set generated and discarded.
    public func documentsFor(totalBytes: Int, wordsPerDocument: Int) throws -> Int {
        let probe = 24
        let m = try generate(documentsPerCorpus: probe, wordsPerDocument: wordsPerDocument, into: DiscardSink())
        return max(2, Int((Double(totalBytes) / Double(m.totalBytes) * Double(probe)).rounded()))
    }

    func prepare(_ directory: String, force: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw FingerprintError.outputFailed(path: directory, reason: "exists and is not a directory; choose another output directory")
            }
            let entries = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            if !entries.isEmpty {
                guard force else {
                    throw FingerprintError.destinationNotEmpty(path: directory)
                }
                for p in CorpusGenerator.corpusPaths {
                    let dir = directory + "/" + p
                    for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where CorpusGenerator.isDocumentName(name) {
                        do { try fm.removeItem(atPath: dir + "/" + name) } catch {
                            throw FingerprintError.outputFailed(path: "\(dir)/\(name)", reason: "cannot remove it: \(error.localizedDescription)")
                        }
                    }
                }
            }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw FingerprintError.outputFailed(path: directory, reason: error.localizedDescription)
            }
        }
    }

    /// "doc" + digits + ".txt": the names this generator writes.
    static func isDocumentName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard u.count > 7, name.hasPrefix("doc"), name.hasSuffix(".txt") else { return false }
        return u[3..<(u.count - 4)].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    // MARK: - Generation

    /// The file name of document `index` (0-based) in a corpus of `count`.
    public static func fileName(_ index: Int, count: Int) -> String {
        let width = max(4, String(count).count)
        let digits = String(index + 1)
        return "doc" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".txt"
    }

    static func check(documentsPerCorpus n: Int, wordsPerDocument w: Int) throws {
        guard n >= 2 else { throw FingerprintError.invalidParameter(name: "documents per corpus", value: "\(n)", reason: "must be at least 2") }
        guard w >= 10 else { throw FingerprintError.invalidParameter(name: "words per document", value: "\(w)", reason: "must be at least 10") }
        guard n < 1 << 40 else { throw FingerprintError.invalidParameter(name: "documents per corpus", value: "\(n)", reason: "too many") }
    }

    /// Per-document results of the main pass.
    struct DocumentResult {
        var bytes = [Int](repeating: 0, count: 12)
        var words = [Int](repeating: 0, count: 12)
        var substituted = [Int](repeating: 0, count: 3)
        var fromOther = [Bool](repeating: false, count: 2)
        var passages: [SynthManifest.PlantedPassage] = []
        var topic: [String] = []
    }

    /// Generates the whole set into `sink` and returns its manifest.
    public func generate(documentsPerCorpus n: Int, wordsPerDocument w: Int, into sink: SynthSink) throws -> SynthManifest {
        try CorpusGenerator.check(documentsPerCorpus: n, wordsPerDocument: w)
        let paths = CorpusGenerator.corpusPaths
        try sink.makeDirectories(paths)

        // Main pass: every corpus except near-dups, document by document.
        let results = try parallelMap(n) { i in try self.writeDocumentSet(i, n: n, words: w, sink: sink) }

        // Near-duplicates: planned up front, then written slot by slot.
        let plan = nearDuplicatePlan(n)
        let nd = try parallelMap(n) { j in try self.writeNearDuplicate(slot: j, plan: plan, n: n, words: w, sink: sink) }

        return manifest(n: n, w: w, results: results, plan: plan, nd: nd)
    }

    /// `(0..<n).map(work)` on the generator's threads, 8 indices at a time;
    /// the first error stops the workers and is rethrown.
    private func parallelMap<T>(_ n: Int, _ work: (Int) throws -> T) throws -> [T] {
        if n < 32 { return try (0..<n).map(work) }
        return try Parallel.map(n, threads: threads, batch: 8, work)
    }

    private func writeDocumentSet(_ i: Int, n: Int, words w: Int, sink: SynthSink) throws -> DocumentResult {
        var res = DocumentResult()
        let name = CorpusGenerator.fileName(i, count: n)
        func put(_ k: Int, _ bytes: [UInt8], words: Int) throws {
            try sink.write(bytes, to: CorpusGenerator.corpusPaths[k] + "/" + name)
            res.bytes[k] = bytes.count
            res.words[k] = words
        }

        // source-a, source-b, copy-a
        let a = document(source: sourceA, words: w, stream: Stream.sourceA, index: i)
        try put(0, a, words: w)
        try put(1, document(source: sourceB, words: w, stream: Stream.sourceB, index: i), words: w)
        try put(2, a, words: w)

        // subst-05, subst-20, subst-50
        for (k, p) in CorpusGenerator.substitutionRates.enumerated() {
            var r = rng(stream: Stream.substitution + UInt64(k), index: i)
            let s = CorpusGenerator.substitute(a, probability: p, rng: &r)
            res.substituted[k] = s.substituted
            try put(3 + k, s.text, words: s.words)
        }

        // mix-10, mix-50: fresh documents, from B with probability p.
        for (k, p) in CorpusGenerator.mixtureProportions.enumerated() {
            var r = rng(stream: Stream.mixture + UInt64(k), index: i)
            let other = r.nextUnit() < p
            res.fromOther[k] = other
            var out: [UInt8] = []
            (other ? sourceB : sourceA).render(words: w, rng: &r, into: &out)
            try put(6 + k, out, words: w)
        }

        // planted
        let planted = plant(i, n: n, words: w, targetName: name)
        res.passages = planted.passages
        try put(8, planted.text, words: planted.words)

        // paired/a, paired/b
        var tr = rng(stream: Stream.pairedTopic, index: i)
        let topic = CorpusGenerator.topic(&tr)
        res.topic = topic.words.map { WordList.english[$0] }
        var ra = rng(stream: Stream.pairedA, index: i)
        var pa: [UInt8] = []
        sourceA.render(words: w, topic: topic, rng: &ra, into: &pa)
        try put(10, pa, words: w)
        var rb = rng(stream: Stream.pairedB, index: i)
        var pb: [UInt8] = []
        sourceA2.render(words: w, topic: topic, rng: &rb, into: &pb)
        try put(11, pb, words: w)
        return res
    }

    /// `topicWordsPerPrompt` distinct words drawn uniformly from the word list.
    package static func topic(_ rng: inout Xoshiro256) -> SynthTopic {
        var chosen: [Int] = []
        while chosen.count < topicWordsPerPrompt {
            let w = rng.next(below: WordList.english.count)
            if !chosen.contains(w) { chosen.append(w) }
        }
        return SynthTopic(words: chosen, weight: topicWeight)
    }

    /// Document `i` of `planted`: a document of C with 0 (25%), 1 (50%) or
    /// 2 (25%) passages of 30–80 words copied verbatim from documents of
    /// `source-a`, each inserted before a word of the host, followed by a space.
    func plant(_ i: Int, n: Int, words w: Int, targetName: String)
        -> (text: [UInt8], words: Int, passages: [SynthManifest.PlantedPassage]) {
        let host = document(source: sourceC, words: w, stream: Stream.plantedHost, index: i)
        var plan = rng(stream: Stream.plantedPlan, index: i)
        let r = plan.next(below: 4)
        let k = r == 0 ? 0 : r == 3 ? 2 : 1
        let hostWords = CorpusGenerator.wordSpans(host)
        struct Item { var at: Int; var origin: Int; var bytes: ArraySlice<UInt8>; var offset: Int; var words: Int }
        var items: [Item] = []
        for _ in 0..<k {
            let o = plan.next(below: n)
            let origin = document(source: sourceA, words: w, stream: Stream.sourceA, index: o)
            let spans = CorpusGenerator.wordSpans(origin)
            let range = CorpusGenerator.passageWords
            let length = min(spans.count, range.lowerBound + plan.next(below: range.count))
            let first = plan.next(below: spans.count - length + 1)
            let lo = spans[first].lowerBound, hi = spans[first + length - 1].upperBound
            let at = hostWords[plan.next(below: hostWords.count)].lowerBound
            items.append(Item(at: at, origin: o, bytes: origin[lo..<hi], offset: lo, words: length))
        }
        // Stable order by insertion point.
        let order = items.indices.sorted { (items[$0].at, $0) < (items[$1].at, $1) }
        var out: [UInt8] = []
        out.reserveCapacity(host.count + items.reduce(0) { $0 + $1.bytes.count + 1 })
        var cursor = 0
        var passages: [SynthManifest.PlantedPassage] = []
        var total = hostWords.count
        for j in order {
            let it = items[j]
            out.append(contentsOf: host[cursor..<it.at])
            passages.append(.init(targetFile: targetName, targetOffset: out.count, targetLength: it.bytes.count,
                                  originCorpus: "source-a", originFile: CorpusGenerator.fileName(it.origin, count: n),
                                  originOffset: it.offset, originLength: it.bytes.count, words: it.words))
            out.append(contentsOf: it.bytes)
            out.append(0x20)
            cursor = it.at
            total += it.words
        }
        out.append(contentsOf: host[cursor...])
        return (out, total, passages)
    }

    // MARK: - Near-duplicates

    enum NearDuplicateRole: Equatable {
        /// A fresh document (original of a cluster, or a singleton).
        case fresh(Int)
        /// A variant of the fresh document `of`.
        case variant(of: Int)
    }

    struct NearDuplicatePlan {
        /// Role of each slot (file index).
        var roles: [NearDuplicateRole]
        /// Clusters as slot lists, original first.
        var clusters: [[Int]]
    }

    /// About a sixth of the slots are originals, each with 1–3 variants; the
    /// rest are unrelated singletons. Slots are shuffled so clusters are not
    /// adjacent files.
    func nearDuplicatePlan(_ n: Int) -> NearDuplicatePlan {
        var r = rng(stream: Stream.nearDuplicatePlan, index: 0)
        var slots = Array(0..<n)
        r.shuffle(&slots)
        var roles = [NearDuplicateRole](repeating: .fresh(0), count: n)
        var clusters: [[Int]] = []
        var used = 0
        var fresh = 0
        let wanted = max(1, n / 6)
        while clusters.count < wanted, used + 2 <= n {
            let variants = min(1 + r.next(below: 3), n - used - 1)
            let original = slots[used]
            roles[original] = .fresh(fresh)
            var members = [original]
            for v in 0..<variants {
                let s = slots[used + 1 + v]
                roles[s] = .variant(of: fresh)
                members.append(s)
            }
            clusters.append(members)
            used += 1 + variants
            fresh += 1
        }
        for s in slots[used...] {
            roles[s] = .fresh(fresh)
            fresh += 1
        }
        return NearDuplicatePlan(roles: roles, clusters: clusters)
    }

    private func writeNearDuplicate(slot j: Int, plan: NearDuplicatePlan, n: Int, words w: Int, sink: SynthSink) throws
        -> (bytes: Int, words: Int, variant: SynthManifest.NearDuplicateCluster.Variant?) {
        let name = CorpusGenerator.fileName(j, count: n)
        let path = "near-dups/" + name
        switch plan.roles[j] {
        case let .fresh(f):
            let d = document(source: sourceA, words: w, stream: Stream.nearDuplicateOriginal, index: f)
            try sink.write(d, to: path)
            return (d.count, w, nil)
        case let .variant(of: f):
            var text = document(source: sourceA, words: w, stream: Stream.nearDuplicateOriginal, index: f)
            var r = rng(stream: Stream.nearDuplicateVariant, index: j)
            let kind = r.next(below: 3) // 0: substitute, 1: drop a sentence, 2: both
            var dropped = 0
            var words = w
            if kind != 0 {
                let d = CorpusGenerator.dropSentence(text, rng: &r)
                text = d.text
                dropped = d.droppedWords > 0 ? 1 : 0
                words -= d.droppedWords
            }
            var p = 0.0, substituted = 0
            if kind != 1 {
                p = CorpusGenerator.nearDuplicateRates[r.next(below: CorpusGenerator.nearDuplicateRates.count)]
                let s = CorpusGenerator.substitute(text, probability: p, rng: &r)
                text = s.text
                substituted = s.substituted
            }
            try sink.write(text, to: path)
            return (text.count, words, .init(file: name, substitutionProbability: p, substitutedWords: substituted,
                                             droppedSentences: dropped, words: words))
        }
    }

    // MARK: - Text operations

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// Byte ranges of the words (runs of ASCII letters) of `text`.
    public static func wordSpans(_ text: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        spans.reserveCapacity(text.count / 5)
        var i = 0
        let n = text.count
        while i < n {
            if isLetter(text[i]) {
                let s = i
                while i < n, isLetter(text[i]) { i += 1 }
                spans.append(s..<i)
            } else {
                i += 1
            }
        }
        return spans
    }

    /// Replaces each word of `text`, independently with probability `p`, by a
    /// different word drawn uniformly from the word list (capitalised when the
    /// original was). Punctuation and spacing are kept.
    /// - Returns: the new text, its word count and how many words were replaced.
    public static func substitute(_ text: [UInt8], probability p: Double, rng: inout Xoshiro256)
        -> (text: [UInt8], words: Int, substituted: Int) {
        let table = WordTable.shared
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 4)
        var words = 0, substituted = 0
        text.withUnsafeBufferPointer { t in
            var i = 0
            let n = t.count
            while i < n {
                guard isLetter(t[i]) else { out.append(t[i]); i += 1; continue }
                let s = i
                while i < n, isLetter(t[i]) { i += 1 }
                words += 1
                let word = UnsafeBufferPointer(rebasing: t[s..<i])
                if rng.nextUnit() < p {
                    var r = rng.next(below: table.count)
                    while table.matches(r, word) { r = rng.next(below: table.count) }
                    table.append(r, capitalized: t[s] < 0x61, to: &out)
                    substituted += 1
                } else {
                    out.append(contentsOf: word)
                }
            }
        }
        return (out, words, substituted)
    }

    /// Removes one sentence, chosen uniformly among those that share their
    /// paragraph with another sentence, together with one adjacent space.
    /// - Returns: the new text and the number of words removed (0 when no
    ///   paragraph has two sentences).
    public static func dropSentence(_ text: [UInt8], rng: inout Xoshiro256) -> (text: [UInt8], droppedWords: Int) {
        // Sentences: from a start to a terminal '.', '?' or '!'.
        var candidates: [Range<Int>] = []
        var start = 0
        let n = text.count
        var i = 0
        while i < n {
            let b = text[i]
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "?") || b == UInt8(ascii: "!") {
                let precededBySpace = start > 0 && text[start - 1] == 0x20
                let followedBySpace = i + 1 < n && text[i + 1] == 0x20
                if precededBySpace {
                    candidates.append((start - 1)..<(i + 1))
                } else if followedBySpace {
                    candidates.append(start..<(i + 2))
                }
                // Next sentence starts after the space or blank line.
                var j = i + 1
                while j < n, text[j] == 0x20 || text[j] == 0x0A { j += 1 }
                start = j
                i = j
            } else {
                i += 1
            }
        }
        guard !candidates.isEmpty else { return (text, 0) }
        let cut = candidates[rng.next(below: candidates.count)]
        let dropped = wordSpans(Array(text[cut])).count
        var out = Array(text[..<cut.lowerBound])
        out.append(contentsOf: text[cut.upperBound...])
        return (out, dropped)
    }

    // MARK: - Manifest

    private func manifest(n: Int, w: Int, results: [DocumentResult], plan: NearDuplicatePlan,
                          nd: [(bytes: Int, words: Int, variant: SynthManifest.NearDuplicateCluster.Variant?)]) -> SynthManifest {
        let rates = CorpusGenerator.substitutionRates
        let props = CorpusGenerator.mixtureProportions
        func pct(_ p: Double) -> String { String(Int((p * 100).rounded())) + "%" }
        typealias C = SynthManifest.Corpus
        var corpora: [C] = [
            C(path: "source-a", relation: "source", description: "documents written by source A", source: "A"),
            C(path: "source-b", relation: "independent",
              description: "documents written by source B, independent of A (its own word preferences and bigrams)",
              source: "B", base: "source-a"),
            C(path: "copy-a", relation: "copy", description: "exact byte copies of source-a, same file names",
              base: "source-a"),
        ]
        for p in rates {
            var c = C(path: CorpusGenerator.corpusPaths[corpora.count], relation: "substituted",
                      description: "source-a with each word replaced, with probability \(p), by a different word drawn uniformly from the word list; same file names",
                      base: "source-a")
            c.substitutionProbability = p
            corpora.append(c)
        }
        for p in props {
            var c = C(path: CorpusGenerator.corpusPaths[corpora.count], relation: "mixture",
                      description: "each document written by source B with probability \(p), else by source A (fresh documents, not copies of source-a or source-b); document_sources names the source of every file",
                      source: "A", base: "source-a")
            c.otherSource = "B"
            c.proportion = p
            corpora.append(c)
        }
        corpora.append(C(path: "planted", relation: "planted",
                         description: "documents written by source C (independent of A and B), into which verbatim passages of \(CorpusGenerator.passageWords.lowerBound)-\(CorpusGenerator.passageWords.upperBound) words copied from documents of source-a are inserted at word boundaries (each followed by a space); passages gives exact byte offsets in both files",
                         source: "C", base: "source-a"))
        corpora.append(C(path: "near-dups", relation: "near-duplicates",
                         description: "documents written by source A; clusters lists groups of one original and 1-3 near-copies of it (\(pct(CorpusGenerator.nearDuplicateRates.first!))-\(pct(CorpusGenerator.nearDuplicateRates.last!)) of words substituted and/or one sentence dropped); every other document is unrelated",
                         source: "A"))
        var pa = C(path: "paired/a", relation: "paired",
                   description: "file i answers prompt i: source A writing with the prompt's \(CorpusGenerator.topicWordsPerPrompt) topic words (each word is a topic word with probability \(CorpusGenerator.topicWeight)); paired with paired/b by file name",
                   source: "A", base: "paired/b")
        pa.pairedWith = "paired/b"
        pa.topicWeight = CorpusGenerator.topicWeight
        var pb = C(path: "paired/b", relation: "paired",
                   description: "file i answers prompt i: source A2 (a close variant of A: \(CorpusGenerator.pairedRankSwaps) swapped word ranks) writing with the same topic words as paired/a file i; a paired test detects A vs A2, an unpaired test is swamped by the shared topics",
                   source: "A2", base: "paired/a")
        pb.pairedWith = "paired/a"
        pb.topicWeight = CorpusGenerator.topicWeight
        corpora.append(pa)
        corpora.append(pb)

        var substituted = [Int](repeating: 0, count: rates.count)
        var fromOther = [Int](repeating: 0, count: props.count)
        var sources = [[String: String]](repeating: [:], count: props.count)
        var passages: [SynthManifest.PlantedPassage] = []
        var prompts: [SynthManifest.PairedPrompt] = []
        for (i, r) in results.enumerated() {
            let name = CorpusGenerator.fileName(i, count: n)
            for k in 0..<12 where k != 9 {
                corpora[k].files += 1
                corpora[k].bytes += r.bytes[k]
                corpora[k].words += r.words[k]
            }
            for k in 0..<rates.count { substituted[k] += r.substituted[k] }
            for k in 0..<props.count {
                if r.fromOther[k] { fromOther[k] += 1 }
                sources[k][name] = r.fromOther[k] ? "B" : "A"
            }
            passages += r.passages
            prompts.append(.init(file: name, topicWords: r.topic))
        }
        for k in 0..<rates.count { corpora[3 + k].substitutedWords = substituted[k] }
        for k in 0..<props.count {
            corpora[6 + k].documentsFromOther = fromOther[k]
            corpora[6 + k].documentSources = sources[k]
        }
        corpora[8].passages = passages
        corpora[10].prompts = prompts
        corpora[11].prompts = prompts

        // near-dups
        for r in nd {
            corpora[9].files += 1
            corpora[9].bytes += r.bytes
            corpora[9].words += r.words
        }
        var clusters: [SynthManifest.NearDuplicateCluster] = plan.clusters.map { slots in
            let names = slots.map { CorpusGenerator.fileName($0, count: n) }
            let variants = slots.dropFirst().map { nd[$0].variant! }.sorted { $0.file < $1.file }
            return .init(members: names.sorted(), original: names[0], variants: variants)
        }
        clusters.sort { $0.members[0] < $1.members[0] }
        corpora[9].clusters = clusters
        corpora[9].singletons = n - plan.clusters.reduce(0) { $0 + $1.count }

        func source(_ s: SourceModel, variantOf: String? = nil, swaps: Int? = nil) -> SynthManifest.Source {
            .init(name: s.name, zipfExponent: s.exponent, bigramProbability: s.bigramProbability,
                  successorsPerWord: s.successorsPerWord, variantOf: variantOf, rankSwaps: swaps)
        }
        return SynthManifest(
            generatorVersion: CorpusGenerator.version, seed: seed, documentsPerCorpus: n, wordsPerDocument: w,
            requestedBytes: nil, wordListSize: WordList.english.count,
            sources: [source(sourceA), source(sourceB), source(sourceC),
                      source(sourceA2, variantOf: "A", swaps: CorpusGenerator.pairedRankSwaps)],
            corpora: corpora, totalFiles: corpora.reduce(0) { $0 + $1.files },
            totalBytes: corpora.reduce(0) { $0 + $1.bytes })
    }
}
