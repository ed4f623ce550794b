import CKernels
import Foundation

/// An open-addressing hash table from token bytes to dense ids `0..<count`,
/// storing the bytes in one arena (no `String` per token).
///
/// In hashed mode (`storesBytes == false`) a token is identified by its
/// 64-bit hash alone: memory stays bounded by the number of distinct hashes
/// and the collision probability for n types is about n²/2⁶⁵.
///
/// Storage is manually managed (the hot loop of counting runs through
/// `insert`, and array bounds/uniqueness checks cost ~20% there). A table is
/// used by one thread at a time.
///
/// - Complexity: `insert` is O(token length) expected; the slot array
///   doubles at load factor 1/2.
package final class TokenTable: @unchecked Sendable {
    public let storesBytes: Bool
    public private(set) var count = 0
    /// Two words a slot: [key, meta]. key = the token's first 8 bytes
    /// (zero-padded), or the full hash in hashed mode; meta = 0 for empty,
    /// else (hash >> 40) << 40 | min(length, 255) << 32 | (id + 1). A probe
    /// for a token of up to 8 bytes is answered from the slot alone, one
    /// cache line, without touching the id arrays or the arena.
    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private var hashStore: UnsafeMutablePointer<UInt64>
    private var offsetStore: UnsafeMutablePointer<Int>  // count + 1 entries
    private var idCapacity: Int
    private var arenaStore: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int

    public init(storesBytes: Bool = true, capacity: Int = 1 << 12) {
        self.storesBytes = storesBytes
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = .allocate(capacity: 2 * c)
        slots.initialize(repeating: 0, count: 2 * c)
        mask = c - 1
        idCapacity = max(16, capacity)
        hashStore = .allocate(capacity: idCapacity)
        offsetStore = .allocate(capacity: idCapacity + 1)
        offsetStore[0] = 0
        arenaCapacity = storesBytes ? max(64, capacity * 8) : 1
        arenaStore = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deallocate()
        hashStore.deallocate()
        offsetStore.deallocate()
        arenaStore.deallocate()
    }

    /// 64-bit hash of each id's token.
    public var hashes: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: hashStore, count: count) }

    /// The id of `token`, inserting it when new.
    @inline(__always)
    public func insert(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        insert(token, hash: TokenTable.hash(token))
    }

    /// The first 8 bytes of a token, little-endian, zero-padded.
    @inline(__always)
    static func word(_ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = token.count
        if n >= 8 { return UnsafeRawPointer(token.baseAddress!).loadUnaligned(as: UInt64.self) }
        var k: UInt64 = 0
        var i = 0
        while i < n {
            k |= UInt64(token[i]) << (8 &* UInt64(i))
            i &+= 1
        }
        return k
    }

    /// `word(token)` in one load, for a token with at least 8 readable
    /// bytes from its start (see `TokenSink.acceptPadded`).
    @inline(__always)
    static func paddedWord(_ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = token.count
        let k = UnsafeRawPointer(token.baseAddress!).loadUnaligned(as: UInt64.self)
        return n >= 8 ? k : k & ((1 &<< UInt64(8 &* n)) &- 1)
    }

    /// The table's 64-bit token hash (also the identity of a type in hashed
    /// mode). Tokens of up to 8 bytes — most words — are hashed from one
    /// word: their bytes, little-endian, mixed with the length.
    @inline(__always)
    public static func hash(_ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = token.count
        if n > 8 { return Hash64.hash(token) }
        return shortHash(word: word(token), length: n)
    }

    /// `hash` of a token of `length` ≤ 8 bytes whose zero-padded bytes are `word`.
    @inline(__always)
    static func shortHash(word: UInt64, length: Int) -> UInt64 {
        SplitMix64.mix(word ^ (UInt64(length) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// `hash` of a token with at least 8 readable bytes from its start
    /// (`TokenSink.acceptPadded`): a short one's bytes in one load.
    @inline(__always)
    static func paddedHash(_ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        token.count > 8 ? Hash64.hash(token) : shortHash(word: paddedWord(token), length: token.count)
    }

    /// `hash` of a string's UTF-8 bytes.
    public static func hash(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { hash($0) }
    }

    @inline(__always)
    private func key(_ token: UnsafeBufferPointer<UInt8>, _ h: UInt64) -> UInt64 {
        guard storesBytes else { return h }
        let n = token.count
        if n >= 8 { return UnsafeRawPointer(token.baseAddress!).loadUnaligned(as: UInt64.self) }
        var k: UInt64 = 0
        var i = 0
        while i < n {
            k |= UInt64(token[i]) << (8 * UInt64(i))
            i += 1
        }
        return k
    }

    @inline(__always)
    private func meta(_ h: UInt64, _ n: Int) -> UInt64 {
        (h & 0xFFFF_FF00_0000_0000) | (UInt64(min(n, 255)) << 32)
    }

    /// Slot index of `token` (hash `h`), or of the empty slot where it belongs.
    @inline(__always)
    private func probe(_ token: UnsafeBufferPointer<UInt8>, _ h: UInt64) -> (slot: Int, id: Int) {
        probe(token, h, key(token, h))
    }

    @inline(__always)
    private func probe(_ token: UnsafeBufferPointer<UInt8>, _ h: UInt64, _ k: UInt64) -> (slot: Int, id: Int) {
        let n = token.count
        return probe(hash: h, key: k, meta: meta(h, n)) { id in !storesBytes || n <= 8 || equal(id, token) }
    }

    /// The probe itself: slot index and id of the type whose slot holds
    /// `key` and `meta` (its hash's top 24 bits and length) and that
    /// `matches` accepts, or of the empty slot where it belongs. A token of
    /// up to 8 bytes (and any token in hashed mode) is told by its slot
    /// alone; a longer one's bytes are compared by `matches`.
    @inline(__always)
    private func probe(hash h: UInt64, key k: UInt64, meta m: UInt64, matches: (Int) -> Bool) -> (slot: Int, id: Int) {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let sm = slots[2 &* i &+ 1]
            if sm == 0 { return (i, -1) }
            if sm & 0xFFFF_FFFF_0000_0000 == m && slots[2 &* i] == k {
                let id = Int(truncatingIfNeeded: sm & 0xFFFF_FFFF) &- 1
                if matches(id) { return (i, id) }
            }
            i = (i &+ 1) & mask
        }
    }

    @inline(__always)
    public func insert(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32 {
        insert(token, hash: h, word: key(token, h))
    }

    /// `insert` with the token's first 8 bytes already loaded (`word(token)`;
    /// in hashed mode any value: the hash is the key there).
    @inline(__always)
    public func insert(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64, word: UInt64) -> Int32 {
        let k = storesBytes ? word : h
        let (i, found) = probe(token, h, k)
        if found >= 0 { return Int32(truncatingIfNeeded: found) }
        let id = count
        precondition(id < Int(UInt32.max) - 1, "more than 4 billion types")
        slots[2 * i] = k
        slots[2 * i + 1] = meta(h, token.count) | UInt64(id + 1)
        if id == idCapacity { growIds() }
        hashStore[id] = h
        if storesBytes {
            let n = token.count
            if arenaCount + n > arenaCapacity { growArena(arenaCount + n) }
            if n > 0 { (arenaStore + arenaCount).update(from: token.baseAddress!, count: n) }
            arenaCount += n
            offsetStore[id + 1] = arenaCount
        }
        count = id + 1
        if count * 2 > mask + 1 { growSlots() }
        return Int32(id)
    }

    /// `insert` of a token of `length` ≤ 8 bytes given as its zero-padded
    /// bytes `word` (`TokenTable.word`): a hit is answered from the slot
    /// alone, without the token's bytes, and inlined into the caller's loop;
    /// only a new type takes the general path.
    @inline(__always)
    func insertShort(word k: UInt64, length n: Int, hash h: UInt64) -> Int32 {
        let found = probe(hash: h, key: storesBytes ? k : h, meta: meta(h, n)) { _ in true }.id
        return found >= 0 ? Int32(truncatingIfNeeded: found) : insertNewShort(word: k, length: n, hash: h)
    }

    @inline(never)
    private func insertNewShort(word k: UInt64, length n: Int, hash h: UInt64) -> Int32 {
        withUnsafeBytes(of: k) { b in
            insert(UnsafeBufferPointer(start: b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n), hash: h, word: k)
        }
    }

    /// Starts loading the slot where a token of hash `h` is looked up first,
    /// without waiting for it: called when a token joins a batch, so that
    /// by the time the batch is counted its slots are in the cache.
    @inline(__always)
    func prefetch(hash h: UInt64) {
        fp_prefetch(slots + 2 &* (Int(truncatingIfNeeded: h) & mask))
    }

    /// For each token longer than 8 bytes whose first slot (fetched by
    /// `prefetch` when it joined the batch) holds a type, starts loading
    /// that type's stored bytes, which the token will be compared with: the
    /// cache misses of a batch overlap instead of following one another.
    @inline(__always)
    func warm(_ hashes: UnsafePointer<UInt64>, lengths: UnsafePointer<Int>, count: Int) {
        guard storesBytes else { return }
        for j in 0..<count where lengths[j] > 8 {
            let m = slots[2 &* (Int(truncatingIfNeeded: hashes[j]) & mask) &+ 1]
            if m != 0 { fp_prefetch(arenaStore + offsetStore[Int(truncatingIfNeeded: m & 0xFFFF_FFFF) &- 1]) }
        }
    }

    /// The id of `token`, or nil.
    public func find(_ token: UnsafeBufferPointer<UInt8>) -> Int32? {
        let (_, id) = probe(token, TokenTable.hash(token))
        return id >= 0 ? Int32(id) : nil
    }

    @inline(__always)
    private func equal(_ id: Int, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        let a = offsetStore[id]
        let n = token.count
        guard offsetStore[id + 1] - a == n else { return false }
        if n == 0 { return true }
        let x = UnsafeRawPointer(arenaStore + a)
        let y = UnsafeRawPointer(token.baseAddress!)
        if n <= 16 {
            // Short tokens (most of them): overlapping 8-byte loads, no libc call.
            if n >= 8 {
                return x.loadUnaligned(as: UInt64.self) == y.loadUnaligned(as: UInt64.self)
                    && x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            }
            if n >= 4 {
                return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
                    && x.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == y.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
            }
            var i = 0
            while i < n {
                if x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) { return false }
                i += 1
            }
            return true
        }
        return memcmp(x, y, n) == 0
    }

    private func growSlots() {
        let c = (mask + 1) * 2
        let old = slots
        let oldCount = mask + 1
        slots = .allocate(capacity: 2 * c)
        slots.initialize(repeating: 0, count: 2 * c)
        mask = c - 1
        for j in 0..<oldCount where old[2 * j + 1] != 0 {
            let id = Int(old[2 * j + 1] & 0xFFFF_FFFF) - 1
            var i = Int(truncatingIfNeeded: hashStore[id]) & mask
            while slots[2 * i + 1] != 0 { i = (i &+ 1) & mask }
            slots[2 * i] = old[2 * j]
            slots[2 * i + 1] = old[2 * j + 1]
        }
        old.deallocate()
    }

    private func growIds() {
        let c = idCapacity * 2
        let h = UnsafeMutablePointer<UInt64>.allocate(capacity: c)
        h.update(from: hashStore, count: count)
        hashStore.deallocate()
        hashStore = h
        let o = UnsafeMutablePointer<Int>.allocate(capacity: c + 1)
        o.update(from: offsetStore, count: count + 1)
        offsetStore.deallocate()
        offsetStore = o
        idCapacity = c
    }

    private func growArena(_ need: Int) {
        var c = arenaCapacity * 2
        while c < need { c *= 2 }
        let a = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        a.update(from: arenaStore, count: arenaCount)
        arenaStore.deallocate()
        arenaStore = a
        arenaCapacity = c
    }

    /// Calls `body` with the bytes of token `id` (empty in hashed mode).
    @inline(__always)
    public func withToken<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard storesBytes else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: arenaStore + offsetStore[id], count: offsetStore[id + 1] - offsetStore[id]))
    }

    /// Bytes of token `id` start at this offset in `arenaBytes`.
    func offset(_ id: Int) -> Int { offsetStore[id] }
    var arenaBytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: arenaStore, count: arenaCount) }

    /// The token `id` as a string; in hashed mode, `#` and 16 hex digits.
    public func string(_ id: Int) -> String {
        guard storesBytes else { return Vocabulary.hashLabel(hashStore[id]) }
        return withToken(id) { String(decoding: $0, as: UTF8.self) }
    }
}
