import Foundation

/// An open-addressing hash table from token bytes to dense ids `0..<count`,
/// storing the bytes in one arena (no `String` per token).
///
/// In hashed mode (`storesBytes == false`) a token is identified by its
/// 64-bit hash alone: memory stays bounded by the number of distinct hashes
/// and the collision probability for n types is about n²/2⁶⁵.
///
/// - Complexity: `insert` is O(token length) expected; the table doubles at
///   load factor 1/2.
public struct TokenTable {
    public let storesBytes: Bool
    public private(set) var count = 0
    /// 64-bit hash of each id's token.
    public private(set) var hashes: [UInt64] = []
    /// Start of each id's bytes in `arena` (count + 1 entries when storing bytes).
    public private(set) var offsets: [Int] = [0]
    public private(set) var arena: [UInt8] = []
    private var slots: [Int32]
    private var mask: Int

    public init(storesBytes: Bool = true, capacity: Int = 1 << 12) {
        self.storesBytes = storesBytes
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = Array(repeating: -1, count: c)
        mask = c - 1
        hashes.reserveCapacity(capacity)
    }

    /// The id of `token`, inserting it when new.
    @inline(__always)
    public mutating func insert(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = Hash64.hash(token)
        return insert(token, hash: h)
    }

    @inline(__always)
    public mutating func insert(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32 {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if hashes[Int(s)] == h && (!storesBytes || equal(Int(s), token)) { return s }
            i = (i &+ 1) & mask
        }
        let id = Int32(count)
        slots[i] = id
        hashes.append(h)
        if storesBytes {
            arena.append(contentsOf: token)
            offsets.append(arena.count)
        }
        count += 1
        if count * 2 > slots.count { grow() }
        return id
    }

    /// The id of `token`, or nil.
    public func find(_ token: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Hash64.hash(token)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if hashes[Int(s)] == h && (!storesBytes || equal(Int(s), token)) { return s }
            i = (i &+ 1) & mask
        }
    }

    @inline(__always)
    private func equal(_ id: Int, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        let a = offsets[id], b = offsets[id + 1]
        guard b - a == token.count else { return false }
        if token.count == 0 { return true }
        return arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + a, token.baseAddress!, token.count) == 0 }
    }

    private mutating func grow() {
        let c = slots.count * 2
        slots = Array(repeating: -1, count: c)
        mask = c - 1
        for id in 0..<count {
            var i = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[i] >= 0 { i = (i &+ 1) & mask }
            slots[i] = Int32(id)
        }
    }

    /// Calls `body` with the bytes of token `id` (empty in hashed mode).
    @inline(__always)
    public func withToken<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard storesBytes else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offsets[id]..<offsets[id + 1]])) }
    }

    /// The token `id` as a string; in hashed mode, `#` and 16 hex digits.
    public func string(_ id: Int) -> String {
        guard storesBytes else { return Vocabulary.hashLabel(hashes[id]) }
        return withToken(id) { String(decoding: $0, as: UTF8.self) }
    }
}
