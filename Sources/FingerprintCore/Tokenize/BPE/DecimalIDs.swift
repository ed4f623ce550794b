/// The decimal text of token ids, as a model tokenizer's ids enter the
/// counting pipeline (docs/DESIGN.md §4): 8 bytes per id, zero-padded (ids
/// are below 2^26, so at most 8 digits), built once per tokenizer file and
/// shared by threads. A token is handed to the sink with
/// `TokenSink.acceptPadded`: its 8 bytes can be read in one load.
final class DecimalIDs: @unchecked Sendable {
    private let text: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<UInt8>
    /// Ids below this have their text here; others are written when sent.
    let count: Int

    /// Ids below `count`, at most 2^21 (every real vocabulary is far
    /// smaller; a file with a huge id costs no memory for it).
    init(count: Int) {
        let count = min(max(count, 0), 1 << 21)
        self.count = count
        text = .allocate(capacity: 8 * count)
        text.initialize(repeating: 0, count: 8 * count)
        lengths = .allocate(capacity: count)
        for id in 0..<count {
            let digits = Array(String(id).utf8)
            for (k, d) in digits.enumerated() { text[8 * id + k] = d }
            lengths[id] = UInt8(digits.count)
        }
    }

    deinit {
        text.deallocate()
        lengths.deallocate()
    }

    /// Sends the decimal text of `id` to `sink`.
    @inline(__always)
    func emit<S: TokenSink>(_ id: UInt32, into sink: inout S) {
        let i = Int(id)
        if i < count {
            sink.acceptPadded(UnsafeBufferPointer(start: text + 8 * i, count: Int(lengths[i])), range: 0..<0)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { d in
            var v = id
            var k = 10
            repeat {
                k -= 1
                d[k] = 0x30 + UInt8(v % 10)
                v /= 10
            } while v > 0
            sink.accept(UnsafeBufferPointer(rebasing: d[k...]))
        }
    }
}
