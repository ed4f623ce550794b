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
/// A counting worker's table also counts a document's tokens in the slots
/// themselves (`countShort`, `count`, then `drainCounts` or `foldCounts`):
/// the slot a token is looked up in is in the cache already, where a
/// separate array of counts by id would be a second cache line a token
/// (on 104 MB over 50,000 types, its lines and the slots' did not both fit
/// the 2 MB L2 cache: 15% of `stats`' CPU with one thread).
///
/// - Complexity: `insert` is O(token length) expected; the slot array
///   doubles at load factor 1/2.
package final class TokenTable: @unchecked Sendable {
    public let storesBytes: Bool
    public private(set) var count = 0
    /// Two words a slot: [key, meta]. key = the token's first 8 bytes
    /// (zero-padded), or the full hash in hashed mode; meta = 0 for empty,
    /// else count << 40 | min(length, 255) << 32 | (id + 1), where count is
    /// the type's count in the current document (24 bits; see `bump`). A
    /// probe for a token of up to 8 bytes is answered from the slot alone,
    /// one cache line, without touching the id arrays or the arena: the key
    /// and length are the token (and in hashed mode the key is the hash).
    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private var hashStore: UnsafeMutablePointer<UInt64>
    private var offsetStore: UnsafeMutablePointer<Int>  // count + 1 entries
    private var idCapacity: Int
    private var arenaStore: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int
    /// Each id's slot (`idCapacity` entries), for the per-document counts.
    private var slotStore: UnsafeMutablePointer<Int>
    /// Ids counted since the last drain or fold, in the order of their
    /// first count in the document.
    private var touched: UnsafeMutablePointer<Int32>
    private var touchedCount = 0
    private var touchedCapacity = 1 << 12
    /// Counts past a slot's 24 bits, by id (see `bump`).
    private var overflow: [Int32: Int] = [:]

    private static let countShift: UInt64 = 40
    private static let countOne: UInt64 = 1 << 40
    private static let countMax: UInt64 = (1 << 24) - 1
    /// Moved to `overflow` when a slot's count reaches `countMax`.
    private static let countSpill: UInt64 = 1 << 23

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
        slotStore = .allocate(capacity: idCapacity)
        touched = .allocate(capacity: touchedCapacity)
    }

    deinit {
        slots.deallocate()
        hashStore.deallocate()
        offsetStore.deallocate()
        arenaStore.deallocate()
        slotStore.deallocate()
        touched.deallocate()
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

    /// A slot's length bits for a token of `n` bytes.
    @inline(__always)
    private func meta(_ n: Int) -> UInt64 { UInt64(min(n, 255)) << 32 }

    /// Slot index of `token` (hash `h`), or of the empty slot where it belongs.
    @inline(__always)
    private func probe(_ token: UnsafeBufferPointer<UInt8>, _ h: UInt64) -> (slot: Int, id: Int) {
        probe(token, h, key(token, h))
    }

    @inline(__always)
    private func probe(_ token: UnsafeBufferPointer<UInt8>, _ h: UInt64, _ k: UInt64) -> (slot: Int, id: Int) {
        let n = token.count
        return probe(hash: h, key: k, meta: meta(n)) { id in !storesBytes || n <= 8 || equal(id, token) }
    }

    /// The probe itself: slot index and id of the type whose slot holds
    /// `key` and the length bits `meta` and that `matches` accepts, or of
    /// the empty slot where it belongs. A token of up to 8 bytes (and any
    /// token in hashed mode) is told by its slot alone; a longer one's
    /// bytes are compared by `matches`.
    @inline(__always)
    private func probe(hash h: UInt64, key k: UInt64, meta m: UInt64, matches: (Int) -> Bool) -> (slot: Int, id: Int) {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let sm = slots[2 &* i &+ 1]
            if sm == 0 { return (i, -1) }
            if sm & 0xFF_0000_0000 == m && slots[2 &* i] == k {
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
        Int32(truncatingIfNeeded: insertReturningSlot(token, hash: h, word: word).id)
    }

    /// `insert`, also giving the type's slot (where it is after any growth).
    @inline(__always)
    private func insertReturningSlot(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64, word: UInt64) -> (id: Int, slot: Int) {
        let k = storesBytes ? word : h
        let (i, found) = probe(token, h, k)
        if found >= 0 { return (found, i) }
        let id = insertNew(token, hash: h, key: k, slot: i)
        return (id, slotStore[id])
    }

    /// Puts a new type in the empty slot `i`; returns its id.
    @inline(never)
    private func insertNew(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64, key k: UInt64, slot i: Int) -> Int {
        let id = count
        precondition(id < Int(UInt32.max) - 1, "more than 4 billion types")
        slots[2 * i] = k
        slots[2 * i + 1] = meta(token.count) | UInt64(id + 1)
        if id == idCapacity { growIds() }
        slotStore[id] = i
        hashStore[id] = h
        if storesBytes {
            let n = token.count
            if arenaCount + n > arenaCapacity { growArena(arenaCount + n) }
            if n > 0 { (arenaStore + arenaCount).update(from: token.baseAddress!, count: n) }
            arenaCount += n
            offsetStore[id + 1] = arenaCount
        }
        count = id + 1
        // Room in `touched` for one more id than there are types (`countBatch`).
        if count >= touchedCapacity { growTouched() }
        if count * 2 > mask + 1 { growSlots() }
        return id
    }

    /// `insert` of a token of `length` ≤ 8 bytes given as its zero-padded
    /// bytes `word` (`TokenTable.word`): a hit is answered from the slot
    /// alone, without the token's bytes, and inlined into the caller's loop;
    /// only a new type takes the general path.
    @inline(__always)
    func insertShort(word k: UInt64, length n: Int, hash h: UInt64) -> Int32 {
        Int32(truncatingIfNeeded: insertShortReturningSlot(word: k, length: n, hash: h).id)
    }

    @inline(__always)
    private func insertShortReturningSlot(word k: UInt64, length n: Int, hash h: UInt64) -> (id: Int, slot: Int) {
        let key = storesBytes ? k : h
        let (i, found) = probe(hash: h, key: key, meta: meta(n)) { _ in true }
        if found >= 0 { return (found, i) }
        let id = withUnsafeBytes(of: k) { b in
            insertNew(UnsafeBufferPointer(start: b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n), hash: h, key: key, slot: i)
        }
        return (id, slotStore[id])
    }

    // MARK: Per-document counts

    /// Counts one occurrence of a token of `length` ≤ 8 bytes given as its
    /// zero-padded bytes `word` (`insertShort`, and a count in the current
    /// document; see `drainCounts`, `foldCounts`).
    @inline(__always)
    func countShort(word k: UInt64, length n: Int, hash h: UInt64) {
        bump(insertShortReturningSlot(word: k, length: n, hash: h).slot)
    }

    /// Counts a batch's `n` tokens (`TokenBatch`) in order, as `countShort`
    /// and `count` would one at a time. A token of up to 8 bytes found in
    /// its slot (nearly all of them) is counted there with the slot array,
    /// its mask and `touched` held in registers: each token's trip through
    /// `countShort` reloaded them from the table (`callgrind`: ~20
    /// instructions a token of the ~150 `stats` spends). Its first count in
    /// the document joins `touched` without a branch: its id is written at
    /// the end of `touched` for every count, and the end moves on only for a
    /// first (`touched` always has room for one more than `count` ids; a
    /// document touches a type once). A new type, or a longer token, takes
    /// the general path.
    @inline(__always)
    func countBatch(
        words: UnsafePointer<UInt64>, lengths: UnsafePointer<Int>, hashes: UnsafePointer<UInt64>, count n: Int,
        bytes: UnsafePointer<UInt8>, offsets: UnsafePointer<Int>
    ) {
        var s = slots
        var msk = mask
        var t = touched
        var tc = touchedCount
        let byKey = storesBytes
        tokens: for j in 0..<n {
            let len = lengths[j]
            let h = hashes[j]
            if len <= 8 {
                let key = byKey ? words[j] : h
                let m = meta(len)
                var i = Int(truncatingIfNeeded: h) & msk
                while true {
                    let p = s + (2 &* i)
                    let sm = p[1]
                    if sm == 0 { break }  // a new type
                    if sm & 0xFF_0000_0000 == m && p[0] == key {
                        let c = sm &>> TokenTable.countShift
                        if c == TokenTable.countMax {
                            p[1] = spill(sm) &+ TokenTable.countOne
                            continue tokens
                        }
                        t[tc] = Int32(truncatingIfNeeded: sm & 0xFFFF_FFFF) &- 1
                        tc &+= c == 0 ? 1 : 0
                        p[1] = sm &+ TokenTable.countOne
                        continue tokens
                    }
                    i = (i &+ 1) & msk
                }
            }
            // A longer token, or a new type: the general path, which may
            // grow the slot array and `touched`.
            touchedCount = tc
            if len > 8 {
                count(UnsafeBufferPointer(start: bytes + offsets[j], count: len), hash: h, word: words[j])
            } else {
                countShort(word: words[j], length: len, hash: h)
            }
            s = slots
            msk = mask
            t = touched
            tc = touchedCount
        }
        touchedCount = tc
    }

    /// Counts one occurrence of `token` (any length; `insert` with a count).
    @inline(__always)
    func count(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64, word: UInt64) {
        bump(insertReturningSlot(token, hash: h, word: word).slot)
    }

    /// Adds one to the count in slot `i`: a type's first count in the
    /// document joins `touched`; a count that reaches 2²⁴ − 1 moves 2²³ of
    /// itself to `overflow`, so it stays above 0 (and is touched once).
    @inline(__always)
    private func bump(_ i: Int) {
        let p = slots + (2 &* i &+ 1)
        var sm = p.pointee
        let c = sm &>> TokenTable.countShift
        if c == 0 {
            touch(Int32(truncatingIfNeeded: sm & 0xFFFF_FFFF) &- 1)
        } else if c == TokenTable.countMax {
            sm = spill(sm)
        }
        p.pointee = sm &+ TokenTable.countOne
    }

    @inline(__always)
    private func touch(_ id: Int32) {
        if touchedCount == touchedCapacity { growTouched() }
        touched[touchedCount] = id
        touchedCount &+= 1
    }

    @inline(never)
    private func spill(_ sm: UInt64) -> UInt64 {
        overflow[Int32(truncatingIfNeeded: sm & 0xFFFF_FFFF) &- 1, default: 0] += Int(TokenTable.countSpill)
        return sm &- (TokenTable.countSpill &<< TokenTable.countShift)
    }

    /// Takes the count of id `id` in the current document and sets it to 0.
    @inline(__always)
    private func takeCount(_ id: Int32) -> Int {
        let p = slots + (2 &* slotStore[Int(id)] &+ 1)
        var c = Int(truncatingIfNeeded: p.pointee &>> TokenTable.countShift)
        p.pointee &= (1 &<< TokenTable.countShift) &- 1
        if !overflow.isEmpty, let more = overflow.removeValue(forKey: id) { c &+= more }
        return c
    }

    /// The current document's (ids, counts), ids in the order of their
    /// first occurrence; resets the counts for the next document. Counts
    /// past 2³¹ − 1 are capped there (`CountLimit`).
    func drainCounts() -> (ids: [Int32], counts: [Int32]) {
        let ids = Array(UnsafeBufferPointer(start: touched, count: touchedCount))
        var cs = [Int32](repeating: 0, count: touchedCount)
        cs.withUnsafeMutableBufferPointer { c in
            takeTouched(ahead: { _ in }) { k, _, n in c[k] = CountLimit.clamp(n) }
        }
        return (ids, cs)
    }

    /// Adds the current document's counts to `totals` and 1 to `df` of each
    /// type in it (both indexed by id, at least `count` long); resets.
    func foldCounts(into totals: inout [Int], _ df: inout [Int32]) {
        totals.withUnsafeMutableBufferPointer { t in
            df.withUnsafeMutableBufferPointer { f in
                takeTouched(ahead: { id in
                    fp_prefetch(t.baseAddress! + id)
                    fp_prefetch(f.baseAddress! + id)
                }) { _, id, n in
                    t[id] &+= n
                    f[id] &+= 1
                }
            }
        }
    }

    /// Calls `body(k, id, count)` for the k-th type counted in the current
    /// document, in order, taking its count (the slot's is reset), then
    /// empties `touched`. The ids are in first-occurrence order, so their
    /// `slotStore` entries and slots are scattered over arrays larger than
    /// the cache: each id's entry is prefetched 32 types ahead, its slot
    /// (and whatever `ahead` prefetches by id) 16 ahead (session 20: the
    /// fold of `stats` of 99 files of 1 MB, 6.2% → 3.7% of the samples).
    @inline(__always)
    private func takeTouched(ahead: (Int) -> Void, _ body: (Int, Int, Int) -> Void) {
        let n = touchedCount
        for k in 0..<n {
            if k &+ 32 < n { fp_prefetch(slotStore + Int(touched[k &+ 32])) }
            if k &+ 16 < n {
                let next = Int(touched[k &+ 16])
                fp_prefetch(slots + (2 &* slotStore[next] &+ 1))
                ahead(next)
            }
            let id = touched[k]
            body(k, Int(id), takeCount(id))
        }
        touchedCount = 0
    }

    /// `touched` has room for one id more than there are types (what
    /// `countBatch`'s branch-free write needs; for tests).
    var touchedHasRoom: Bool { touchedCapacity > count }

    private func growTouched() {
        touchedCapacity *= 2
        touched = Self.moved(touched, count: touchedCount, capacity: touchedCapacity)
    }

    /// A buffer of `capacity` holding `p`'s first `count` elements; frees `p`.
    private static func moved<T>(_ p: UnsafeMutablePointer<T>, count: Int, capacity: Int) -> UnsafeMutablePointer<T> {
        let n = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        n.moveInitialize(from: p, count: count)
        p.deallocate()
        return n
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
    func warm(_ hashes: UnsafePointer<UInt64>, longTokens: UnsafePointer<Int>, count: Int) {
        guard storesBytes else { return }
        for k in 0..<count {
            let j = longTokens[k]
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
            slotStore[id] = i
        }
        old.deallocate()
    }

    private func growIds() {
        let c = idCapacity * 2
        hashStore = Self.moved(hashStore, count: count, capacity: c)
        offsetStore = Self.moved(offsetStore, count: count + 1, capacity: c + 1)
        slotStore = Self.moved(slotStore, count: count, capacity: c)
        idCapacity = c
    }

    private func growArena(_ need: Int) {
        var c = arenaCapacity * 2
        while c < need { c *= 2 }
        arenaStore = Self.moved(arenaStore, count: arenaCount, capacity: c)
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
