/// Receives tokens from a tokenizer as borrowed UTF-8 bytes, valid only for
/// the duration of the call.
package protocol TokenSink {
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>)
    /// The token with its byte range in the document's raw bytes (the
    /// `word` tokenizer reports it; the default drops it).
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>)
    /// `accept(_:range:)` from a tokenizer that guarantees at least 8
    /// readable bytes from the token's start, whatever its length (the
    /// `word` scanner): a sink may read a short token's bytes in one load
    /// (`TokenTable.paddedWord`). The default forwards to `accept(_:range:)`.
    mutating func acceptPadded(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>)
}

extension TokenSink {
    @inline(__always)
    public mutating func accept(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) { accept(token) }
    @inline(__always)
    public mutating func acceptPadded(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) { accept(token, range: range) }
}

/// Collects tokens with their byte ranges (for passage alignment and tests).
package struct RangeCollector: TokenSink {
    public var tokens: [String] = []
    public var ranges: [Range<Int>] = []
    public init() {}
    public mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { accept(token, range: 0..<0) }
    public mutating func accept(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        tokens.append(String(decoding: token, as: UTF8.self))
        ranges.append(range)
    }
}

/// Collects tokens as `String`s; convenient for tests and small inputs, not
/// for the hot path.
package struct StringCollector: TokenSink {
    public var tokens: [String] = []
    public init() {}
    public mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {
        tokens.append(String(decoding: token, as: UTF8.self))
    }
}
