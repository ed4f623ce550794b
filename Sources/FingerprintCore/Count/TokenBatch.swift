/// Short tokens (up to 8 bytes, most words) waiting to be counted, kept as
/// their zero-padded bytes (`TokenTable.word`), length and hash: no copy of
/// the text is needed, since the 8-byte word is the token.
///
/// Counting a batch at a time turns one cache miss per token into
/// overlapping ones: the table slots of all the batch's hashes are loaded
/// first (`TokenTable.warm`), then the tokens are inserted in order, then
/// the per-document counters are loaded and bumped. On 104 MB of Zipf text
/// over 50,000 types (a 2 MB slot array) this cut the counting time by about
/// half; see BENCHMARKS.md, "Ingest".
final class TokenBatch {
    /// Tokens a batch holds.
    static let capacity = 32
    let words: UnsafeMutablePointer<UInt64>
    let hashes: UnsafeMutablePointer<UInt64>
    let lengths: UnsafeMutablePointer<Int>
    let ids: UnsafeMutablePointer<Int32>
    private(set) var count = 0

    init() {
        words = .allocate(capacity: TokenBatch.capacity)
        hashes = .allocate(capacity: TokenBatch.capacity)
        lengths = .allocate(capacity: TokenBatch.capacity)
        ids = .allocate(capacity: TokenBatch.capacity)
    }

    deinit {
        words.deallocate()
        hashes.deallocate()
        lengths.deallocate()
        ids.deallocate()
    }

    /// Adds a token; returns true when the batch is full.
    @inline(__always)
    func append(word: UInt64, length: Int, hash: UInt64) -> Bool {
        words[count] = word
        lengths[count] = length
        hashes[count] = hash
        count &+= 1
        return count == TokenBatch.capacity
    }

    /// Inserts the batch's tokens into `table` in order, writing their ids
    /// to `ids[0..<count]`; returns how many there were and empties the batch.
    @inline(__always)
    func insert(into table: TokenTable) -> Int {
        let n = count
        table.warm(hashes, count: n)
        for j in 0..<n {
            ids[j] = withUnsafeBytes(of: words[j]) { b in
                table.insert(
                    UnsafeBufferPointer(start: b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: lengths[j]),
                    hash: hashes[j], word: words[j])
            }
        }
        count = 0
        return n
    }
}
