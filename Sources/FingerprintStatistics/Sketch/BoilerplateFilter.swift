import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
    ///
    /// With `among`, only those k-grams are counted (memory O(|among|)
    /// instead of every distinct k-gram of the corpus): passage alignment
    /// only ever asks about k-grams of the documents it aligns.
    public static func frequent(
        in corpus: CorpusInput, k: Int, maxDF: Double,
        readOptions: ReadOptions = ReadOptions(), among: NGramIndex? = nil
    ) throws -> BoilerplateFilter {
        let scan = try CorpusReader.read(corpus, options: readOptions) { KGramWorker(k: k, keep: among) }
        defer { for w in scan.workers { w.release() } }
        var counter = KGramDocumentFrequency(k: k)
        for o in scan.outputs { counter.add(o.output) }
        return BoilerplateFilter(k: k, hashes: counter.frequent(maxDF: maxDF))
    }

    /// Every k-gram of the documents under `path` (a directory, a file or a
    /// JSONL file: `--boilerplate DIR`).
    public static func files(
        in path: String, k: Int, globs: [String] = CorpusInput.defaultGlobs,
        readOptions: ReadOptions = ReadOptions()
    ) throws -> BoilerplateFilter {
        let input = try CorpusInput(path: path, globs: globs)
        let scan = try CorpusReader.read(input, options: readOptions) { KGramWorker(k: k) }
        defer { for w in scan.workers { w.release() } }
        var all: [UInt64] = []
        for o in scan.outputs { all.append(contentsOf: o.output) }
        return BoilerplateFilter(k: k, hashes: all)
    }

    static func sortedDistinct(_ values: [UInt64]) -> [UInt64] {
        var v = values
        v.sort()
        var n = 0
        for i in 0..<v.count where n == 0 || v[n - 1] != v[i] {
            v[n] = v[i]
            n += 1
        }
        v.removeLast(v.count - n)
        return v
    }
}

/// Counts, for each k-gram hash, the documents it occurs in.
package struct KGramDocumentFrequency: Sendable {
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
        for i in 0..<keys.count where Double(counts[i]) > limit { out.append(keys[i]) }
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
        var i = 0
        var j = 0
        while i < keys.count || j < pending.count {
            let key: UInt64
            if j >= pending.count || (i < keys.count && keys[i] <= pending[j]) { key = keys[i] } else { key = pending[j] }
            var c: UInt32 = 0
            if i < keys.count && keys[i] == key {
                c = counts[i]
                i += 1
            }
            while j < pending.count && pending[j] == key {
                c += 1
                j += 1
            }
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
package struct KGramWorker: DocumentWorker {
    public let k: Int
    /// Only these k-grams are kept (nil: all).
    let keep: NGramIndex?
    private var scanner = WordScanner()
    private var sink = HashSink()

    struct HashSink: TokenSink {
        var hashes: [UInt64] = []
        @inline(__always)
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { hashes.append(TokenTable.hash(token)) }
    }

    public init(k: Int, keep: NGramIndex? = nil) {
        precondition(k >= 1)
        self.k = k
        self.keep = keep
    }

    public var invalidSequences: Int { scanner.invalidSequences }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) { scanner.feed(chunk, into: &sink) }

    public mutating func finish() -> [UInt64] {
        scanner.finish(into: &sink)
        var grams = Winnowing.kgramHashes(sink.hashes, k: k)
        if let keep { grams = grams.filter { keep.contains($0) } }
        let out = BoilerplateFilter.sortedDistinct(grams)
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
