/// A document's counts in a worker's local ids, before the merge.
package struct LocalCounts: Sendable {
    public var ids: [Int32]
    public var counts: [Int32]
    public var tokens: Int

    package init(ids: [Int32], counts: [Int32], tokens: Int) {
        self.ids = ids
        self.counts = counts
        self.tokens = tokens
    }
}

/// Tokenizes documents and counts their tokens into a thread-local table.
///
/// With `keepDocuments` false, per-document counts are folded into the
/// worker's totals and document frequencies at the end of each document
/// and not kept (`LocalCounts` then has empty arrays): `stats` needs no
/// matrix, and this saves ~8 bytes per document-type pair.
package struct CountingWorker: DocumentWorker {
    var stream: TokenStream
    var sink: Sink
    let keepDocuments: Bool
    /// With `keepDocuments` false: totals and document frequencies by local id.
    public private(set) var localTotals: [Int] = []
    public private(set) var localDocumentFrequency: [Int32] = []

    struct Sink: TokenSink {
        /// The worker's types, and the current document's counts in its slots.
        let table: TokenTable
        var tokens = 0
        /// Receives each token's hash too (word n-grams for compare).
        var tap: NGramCollector?

        /// Short tokens not counted yet (see `TokenBatch`).
        let batch = TokenBatch()

        @inline(__always)
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { count(token, word: TokenTable.word(token)) }

        @inline(__always)
        mutating func acceptPadded(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
            count(token, word: TokenTable.paddedWord(token))
        }

        /// Counts `token`, whose first 8 bytes (zero-padded) are `word`: it
        /// joins the batch, or, when longer than `TokenBatch.longest`, is
        /// counted now, after the batch (tokens are counted, and tapped, in
        /// text order).
        @inline(__always)
        private mutating func count(_ token: UnsafeBufferPointer<UInt8>, word k: UInt64) {
            let n = token.count
            if n <= 8 {
                // The hash comes from the word already loaded for the table key.
                let h = TokenTable.shortHash(word: k, length: n)
                table.prefetch(hash: h)
                if batch.append(word: k, length: n, hash: h) { flush() }
                return
            }
            let h = Hash64.hash(token)
            if n <= TokenBatch.longest {
                table.prefetch(hash: h)
                if batch.append(long: token, word: k, hash: h) { flush() }
                return
            }
            flush()
            table.count(token, hash: h, word: k)
            tap?.add(h)
            tokens &+= 1
        }

        /// Counts the batched tokens.
        @inline(__always)
        mutating func flush() {
            guard batch.count > 0 else { return }
            let n = batch.count(into: table)
            tap?.add(batch.hashes, count: n)
            tokens &+= n
        }
    }

    public init(tokenizer: TokenizerSpec, hashed: Bool = false, keepDocuments: Bool = true) {
        self.keepDocuments = keepDocuments
        stream = TokenStream(tokenizer)
        sink = Sink(table: TokenTable(storesBytes: !hashed, capacity: 1 << 14))
    }

    public var invalidSequences: Int { stream.invalidSequences }
    public var truncatedTokens: Int { stream.truncatedTokens }

    /// Sends each counted token's hash to `collector` too (n-grams, shingles).
    public mutating func tap(_ collector: NGramCollector) { sink.tap = collector }

    @inline(__always)
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        stream.feed(chunk, into: &sink)
    }

    public mutating func finish() -> LocalCounts {
        stream.finish(into: &sink)
        sink.flush()
        // Local ids stay in first-appearance order: the merge maps them to
        // canonical ids and sorts there.
        let out: LocalCounts
        if keepDocuments {
            let (ids, counts) = sink.table.drainCounts()
            out = LocalCounts(ids: ids, counts: counts, tokens: sink.tokens)
        } else {
            let n = sink.table.count
            if localTotals.count < n {
                localTotals.append(contentsOf: repeatElement(0, count: n - localTotals.count))
                localDocumentFrequency.append(contentsOf: repeatElement(0, count: n - localDocumentFrequency.count))
            }
            sink.table.foldCounts(into: &localTotals, &localDocumentFrequency)
            out = LocalCounts(ids: [], counts: [], tokens: sink.tokens)
        }
        sink.tokens = 0
        return out
    }

    /// Word counts of a large file may be read in parts (see
    /// `UnitPlanner.splitLargeFiles`); n-grams (`ngram:N`, `char:N`, a tap)
    /// and model tokenizers' pre-tokenizers would see a boundary, so not them.
    public var splitsDocuments: Bool { stream.spec == .word && sink.tap == nil }

    /// Ends a part of a document: its counts by local id, kept even when
    /// `keepDocuments` is false (`Counter.merge` adds the parts up).
    public mutating func finishPart() -> LocalCounts {
        stream.finish(into: &sink)
        sink.flush()
        let (ids, counts) = sink.table.drainCounts()
        defer { sink.tokens = 0 }
        return LocalCounts(ids: ids, counts: counts, tokens: sink.tokens)
    }

    public mutating func discard() {
        var ignore = NullSink()
        stream.finish(into: &ignore)
        sink.flush()
        _ = sink.table.drainCounts()
        sink.tokens = 0
    }

    /// The worker's table of tokens (local ids).
    public var localTable: TokenTable { sink.table }

    public func release() { stream.release() }
}

package struct NullSink: TokenSink {
    package init() {}
    package mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {}
}
