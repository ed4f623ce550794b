/// Receives tokens from a tokenizer as borrowed UTF-8 bytes, valid only for
/// the duration of the call.
public protocol TokenSink {
    mutating func accept(_ token: UnsafeBufferPointer<UInt8>)
}

/// Collects tokens as `String`s; convenient for tests and small inputs, not
/// for the hot path.
public struct StringCollector: TokenSink {
    public var tokens: [String] = []
    public init() {}
    public mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {
        tokens.append(String(decoding: token, as: UTF8.self))
    }
}

