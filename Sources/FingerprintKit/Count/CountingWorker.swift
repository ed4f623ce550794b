/// A document's counts in a worker's local ids, before the merge.
public struct LocalCounts: Sendable {
    public var ids: [Int32]
    public var counts: [Int32]
    public var tokens: Int
}

/// Tokenizes documents and counts their tokens into a thread-local table.
public struct CountingWorker: DocumentWorker {
    var stream: TokenStream
    var sink: Sink

    struct Sink: TokenSink {
        var table: TokenTable
        var docCounts: [Int32] = []
        var touched: [Int32] = []
        var tokens = 0

        @inline(__always)
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {
            let id = Int(table.insert(token))
            if id >= docCounts.count {
                docCounts.append(contentsOf: repeatElement(0, count: max(1024, docCounts.count)))
            }
            if docCounts[id] == 0 { touched.append(Int32(id)) }
            docCounts[id] &+= 1
            tokens &+= 1
        }
    }

    public init(tokenizer: TokenizerSpec, hashed: Bool = false) {
        stream = TokenStream(tokenizer)
        sink = Sink(table: TokenTable(storesBytes: !hashed, capacity: 1 << 14))
    }

    public var invalidSequences: Int { stream.invalidSequences }

    @inline(__always)
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        stream.feed(chunk, into: &sink)
    }

    public mutating func finish() -> LocalCounts {
        stream.finish(into: &sink)
        var ids = sink.touched
        ids.sort()
        var counts = [Int32](repeating: 0, count: ids.count)
        for (k, id) in ids.enumerated() {
            counts[k] = sink.docCounts[Int(id)]
            sink.docCounts[Int(id)] = 0
        }
        let out = LocalCounts(ids: ids, counts: counts, tokens: sink.tokens)
        sink.touched.removeAll(keepingCapacity: true)
        sink.tokens = 0
        return out
    }

    public mutating func discard() {
        var ignore = NullSink()
        stream.finish(into: &ignore)
        for id in sink.touched { sink.docCounts[Int(id)] = 0 }
        sink.touched.removeAll(keepingCapacity: true)
        sink.tokens = 0
    }

    /// The worker's table of tokens (local ids).
    public var localTable: TokenTable { sink.table }

    public func release() { stream.release() }
}

struct NullSink: TokenSink {
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {}
}
