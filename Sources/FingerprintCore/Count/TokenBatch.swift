/// Tokens waiting to be counted: short ones (up to 8 bytes, most words) as
/// their zero-padded bytes (`TokenTable.word`), longer ones (up to
/// `longest` bytes) copied into the batch, each with its length and hash.
///
/// Counting a batch at a time turns one cache miss per token into
/// overlapping ones: each token's table slot is prefetched when it joins
/// the batch (`TokenTable.prefetch`, by the caller), the stored bytes long
/// tokens are compared with when the batch is counted (`TokenTable.warm`),
/// then the tokens are counted in order, each in its slot
/// (`TokenTable.countBatch`; session 18). On 104 MB of Zipf text over 50,000 types (a
/// 2 MB slot array, past the 1 MB L2 cache of a core of the machine it was
/// measured on) loading a batch's slots before inserting cut the CPU time
/// of `stats --force` by about 40% (1.2–1.3 s to 0.74–0.84 s); prefetching
/// them as tokens join, while the scanner goes on, by 17% more (session
/// 15): see BENCHMARKS.md, "Ingest". A hot-token table in front of the
/// main one was measured too, and was slower.
final class TokenBatch {
    /// Tokens a batch holds.
    static let capacity = 32
    /// Longest token a batch copies; a longer one is counted on its own.
    static let longest = 64
    let words: UnsafeMutablePointer<UInt64>
    let hashes: UnsafeMutablePointer<UInt64>
    let lengths: UnsafeMutablePointer<Int>
    /// Where each long token's bytes start in `bytes`.
    private let offsets: UnsafeMutablePointer<Int>
    private let bytes: UnsafeMutablePointer<UInt8>
    /// The positions of the batch's long tokens (whose stored bytes `warm` loads).
    private let longTokens: UnsafeMutablePointer<Int>
    private var longCount = 0
    private var used = 0
    private(set) var count = 0

    init() {
        words = .allocate(capacity: TokenBatch.capacity)
        hashes = .allocate(capacity: TokenBatch.capacity)
        lengths = .allocate(capacity: TokenBatch.capacity)
        offsets = .allocate(capacity: TokenBatch.capacity)
        bytes = .allocate(capacity: TokenBatch.capacity * TokenBatch.longest)
        longTokens = .allocate(capacity: TokenBatch.capacity)
    }

    deinit {
        words.deallocate()
        hashes.deallocate()
        lengths.deallocate()
        offsets.deallocate()
        bytes.deallocate()
        longTokens.deallocate()
    }

    /// Adds a token of up to 8 bytes, given as `word`; returns true when
    /// the batch is full.
    @inline(__always)
    func append(word: UInt64, length: Int, hash: UInt64) -> Bool {
        words[count] = word
        lengths[count] = length
        hashes[count] = hash
        count &+= 1
        return count == TokenBatch.capacity
    }

    /// Adds a token of 9 to `longest` bytes (copied); returns true when
    /// the batch is full.
    @inline(__always)
    func append(long token: UnsafeBufferPointer<UInt8>, word: UInt64, hash: UInt64) -> Bool {
        // 9 to 64 bytes as 8-byte words, the last one overlapping the one
        // before: no call to memcpy (a libc call a token cost ~1% of stats).
        let n = token.count
        let src = UnsafeRawPointer(token.baseAddress!)
        let dst = UnsafeMutableRawPointer(bytes + used)
        var i = 0
        while i &+ 8 <= n {
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        if i < n {
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self), toByteOffset: n &- 8, as: UInt64.self)
        }
        offsets[count] = used
        longTokens[longCount] = count
        longCount &+= 1
        used &+= token.count
        return append(word: word, length: token.count, hash: hash)
    }

    /// Counts the batch's tokens in `table`'s current document, in order;
    /// returns how many there were and empties the batch (`hashes` keep
    /// them until the next append).
    @inline(__always)
    func count(into table: TokenTable) -> Int {
        let n = count
        table.warm(hashes, longTokens: longTokens, count: longCount)
        table.countBatch(words: words, lengths: lengths, hashes: hashes, count: n, bytes: bytes, offsets: offsets)
        count = 0
        used = 0
        longCount = 0
        return n
    }
}
