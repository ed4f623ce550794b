import FingerprintCore
import Foundation

/// What a fingerprint file keeps of one document, before its token ids are
/// mapped to the file's vocabulary.
package struct FileSketch: Sendable {
    public var counts: LocalCounts
    /// Tokens of the shingle stream (words, or a model tokenizer's tokens)
    /// and the hash of that token sequence.
    public var shingleTokens: Int
    public var exact: UInt64
    public var simhash: UInt64
    public var minhash: [UInt32]
    /// Sorted distinct shingles and word 8- and 13-grams (keyed in a keyed file).
    public var shingles: [UInt64]
    public var grams: [[UInt64]]
    public var digest: [UInt8]
    public var invalid: Int
    public var truncated: Int
}

/// Reads a document once and computes everything a fingerprint file stores:
/// token counts (any tokenizer), word 8- and 13-grams (as `compare`),
/// shingles, MinHash, SimHash and the exact-text hash (as `dedup`), and the
/// SHA-256 of the text (HMAC-SHA-256 under a key).
///
/// Shingles are of the counting tokens for `word` and model tokenizers, of
/// words otherwise (as `batch --method minhash`).
package struct FileSketchWorker: DocumentWorker {
    var counting: CountingWorker
    /// N-grams of words: sizes [shingle, 8, 13] when the shingles are words.
    let words: NGramCollector
    /// Shingles of model tokens (model tokenizers only).
    let modelShingles: NGramCollector?
    var scanner: WordScanner?
    var wordSink: NGramSink
    let hasher: MinHasher
    let key: FingerprintKey?
    var digester: DigestWorker
    var invalidBefore = 0
    var truncatedBefore = 0
    var scratch: [UInt64] = []
    /// Where the n-gram sets' storage comes from, when the writer gives it back.
    let pool: HashBufferPool?

    public init(tokenizer: TokenizerSpec, shingle: Int, hasher: MinHasher, key: FingerprintKey?, pool: HashBufferPool? = nil) {
        self.pool = pool
        counting = CountingWorker(tokenizer: tokenizer, keepDocuments: true)
        if tokenizer.isModel {
            words = NGramCollector(sizes: [8, 13])
            let s = NGramCollector(sizes: [shingle])
            modelShingles = s
            counting.tap(s)
        } else {
            words = NGramCollector(sizes: [shingle, 8, 13])
            modelShingles = nil
        }
        if tokenizer == .word {
            counting.tap(words)
        } else {
            scanner = WordScanner()
        }
        wordSink = NGramSink(words)
        self.hasher = hasher
        self.key = key
        digester = DigestWorker(key: key)
    }

    public var invalidSequences: Int { counting.invalidSequences }
    public var truncatedTokens: Int { counting.truncatedTokens }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        counting.feed(chunk)
        if scanner != nil { scanner!.feed(chunk, into: &wordSink) }
        digester.feed(chunk)
    }

    /// `values` keyed, when there is a key.
    func keyed(_ values: inout [UInt64]) {
        if let key { values = values.map { key.gram($0) } }
    }

    /// Sorted and distinct, in place (`values` is the only reference to its
    /// storage, so sorting copies nothing).
    mutating func finished(_ values: inout [UInt64]) -> [UInt64] {
        RadixSort.sortHashes(&values, scratch: &scratch)
        RadixSort.compact(&values)
        return values
    }

    public mutating func finish() -> FileSketch {
        let counts = counting.finish()
        if scanner != nil { scanner!.finish(into: &wordSink) }
        if let pool {
            for k in 0..<words.sizes.count { words.supply(k, from: pool) }
            modelShingles?.supply(0, from: pool)
        }
        _ = words.finishDocument()
        let shingleSource = modelShingles ?? words
        if let m = modelShingles { _ = m.finishDocument() }
        // The shingles with repeats (SimHash weighs them by count), then as a set.
        var allShingles = shingleSource.takeAll(0)
        var g8 = words.takeAll(modelShingles == nil ? 1 : 0)
        var g13 = words.takeAll(modelShingles == nil ? 2 : 1)
        if modelShingles == nil { _ = words.takeAll(0) }
        keyed(&allShingles)
        keyed(&g8)
        keyed(&g13)
        var simhash = SimHasher()
        simhash.add(contentsOf: allShingles)
        let shingles = finished(&allShingles)
        let digest = digester.finish()
        let invalid = counting.invalidSequences - invalidBefore
        let truncated = counting.truncatedTokens - truncatedBefore
        invalidBefore = counting.invalidSequences
        truncatedBefore = counting.truncatedTokens
        return FileSketch(
            counts: counts, shingleTokens: shingleSource.lastTokens,
            exact: key?.gram(shingleSource.lastDigest) ?? shingleSource.lastDigest,
            simhash: simhash.finish(), minhash: hasher.signature(of: shingles), shingles: shingles,
            grams: [finished(&g8), finished(&g13)], digest: digest, invalid: invalid, truncated: truncated)
    }

    public mutating func discard() {
        counting.discard()
        if scanner != nil {
            var null = NullSink()
            scanner!.finish(into: &null)
        }
        words.discardDocument()
        modelShingles?.discardDocument()
        for k in 0..<words.sizes.count { _ = words.takeAll(k) }
        if let m = modelShingles { _ = m.takeAll(0) }
        digester.discard()
        invalidBefore = counting.invalidSequences
        truncatedBefore = counting.truncatedTokens
    }

    public func release() {
        counting.release()
        scanner?.release()
    }
}
