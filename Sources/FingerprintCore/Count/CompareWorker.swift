/// What the compare reader keeps of a document: its counts, and its word
/// 13-gram figures (distinct 13-grams, and how many occur in the reference
/// corpus when one is given).
package struct CompareDocument: Sendable {
    public var counts: LocalCounts
    public var grams: Int
    public var hits: Int
    /// Some of the document's n-grams found in the reference (for passages).
    public var hitHashes: [UInt64]
}

/// Counts tokens (any tokenizer) and collects hashed word n-grams of each
/// document in one pass.
package struct CompareWorker: DocumentWorker {
    public var counting: CountingWorker
    public let ngrams: NGramCollector
    /// A word scanner for the n-grams when the counting tokenizer is not `word`.
    private var words: WordScanner?
    private var hashSink: NGramSink

    public init(
        tokenizer: TokenizerSpec, hashed: Bool, ngramSizes: [Int], reference: NGramIndex?, reportIndex: Int? = nil,
        candidate: (index: Int, set: NGramIndex)? = nil
    ) {
        ngrams = NGramCollector(sizes: ngramSizes, reference: reference, reportIndex: reportIndex, candidate: candidate)
        counting = CountingWorker(tokenizer: tokenizer, hashed: hashed, keepDocuments: true)
        hashSink = NGramSink(ngrams)
        if tokenizer == .word {
            counting.sink.tap = ngrams
        } else {
            words = WordScanner()
        }
    }

    public var invalidSequences: Int { counting.invalidSequences }
    public var truncatedTokens: Int { counting.truncatedTokens }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        counting.feed(chunk)
        if words != nil { words!.feed(chunk, into: &hashSink) }
    }

    public mutating func finish() -> CompareDocument {
        let c = counting.finish()
        if words != nil { words!.finish(into: &hashSink) }
        let g = ngrams.finishDocument()
        return CompareDocument(counts: c, grams: g.grams, hits: g.hits, hitHashes: ngrams.lastHits)
    }

    public mutating func discard() {
        counting.discard()
        if words != nil {
            var null = NullSink()
            words!.finish(into: &null)
        }
        ngrams.discardDocument()
    }

    public func release() {
        counting.release()
        words?.release()
    }
}
