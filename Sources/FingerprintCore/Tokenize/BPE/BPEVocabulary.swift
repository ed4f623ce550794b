import Foundation

/// A byte-level BPE vocabulary: byte strings and their ranks (the rank is
/// the token id, and a lower rank merges first), in one arena with an
/// open-addressing hash table, immutable once built and shared by threads.
package final class BPEVocabulary: @unchecked Sendable {
    /// The tokens' bytes, back to back.
    private let arena: [UInt8]
    /// Per entry: offset in `arena`, length, rank.
    private let starts: [Int32]
    private let lengths: [Int32]
    public let ranks: [UInt32]
    private let slots: [Int32]
    private let mask: Int
    /// Rank → entry (−1: no token with that rank).
    private let byRank: [Int32]
    /// Rank of each single byte.
    private let byteRank: [UInt32]

    /// No token (a pair that does not merge).
    public static let none = UInt32.max

    public var count: Int { ranks.count }

    /// Builds the table. - Throws: `BPEVocabulary.Problem` on a duplicate
    /// token or rank, or a byte without a rank.
    public init(tokens: [[UInt8]], ranks: [UInt32], requireAllBytes: Bool = true) throws(Problem) {
        precondition(tokens.count == ranks.count)
        var arena: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [Int32] = []
        arena.reserveCapacity(tokens.reduce(0) { $0 + $1.count })
        for t in tokens {
            starts.append(Int32(arena.count))
            lengths.append(Int32(t.count))
            arena.append(contentsOf: t)
        }
        var cap = 16
        while cap < tokens.count * 2 { cap <<= 1 }
        var slots = [Int32](repeating: -1, count: cap)
        let mask = cap - 1
        let maxRank = ranks.max() ?? 0
        guard maxRank < 1 << 26 else { throw .rankTooLarge(maxRank) }
        var byRank = [Int32](repeating: -1, count: Int(maxRank) + 1)
        try arena.withUnsafeBufferPointer { a throws(Problem) in
            for e in 0..<tokens.count {
                if byRank[Int(ranks[e])] >= 0 { throw .duplicateRank(ranks[e]) }
                byRank[Int(ranks[e])] = Int32(e)
                let p = a.baseAddress! + Int(starts[e])
                let n = Int(lengths[e])
                var s = Int(truncatingIfNeeded: Hash64.hash(p, n)) & mask
                while slots[s] >= 0 {
                    let o = Int(slots[s])
                    if Int(lengths[o]) == n && (n == 0 || memcmp(p, a.baseAddress! + Int(starts[o]), n) == 0) {
                        throw .duplicateToken(tokens[e], ranks[o], ranks[e])
                    }
                    s = (s + 1) & mask
                }
                slots[s] = Int32(e)
            }
        }
        self.arena = arena
        self.starts = starts
        self.lengths = lengths
        self.ranks = ranks
        self.slots = slots
        self.mask = mask
        self.byRank = byRank
        var byteRank = [UInt32](repeating: BPEVocabulary.none, count: 256)
        for e in 0..<tokens.count where tokens[e].count == 1 { byteRank[Int(tokens[e][0])] = ranks[e] }
        if requireAllBytes, let missing = byteRank.firstIndex(of: BPEVocabulary.none) { throw .missingByte(UInt8(missing)) }
        self.byteRank = byteRank
    }

    public enum Problem: Error, CustomStringConvertible {
        case duplicateRank(UInt32)
        case duplicateToken([UInt8], UInt32, UInt32)
        case missingByte(UInt8)
        case rankTooLarge(UInt32)
        public var description: String {
            switch self {
            case .duplicateRank(let r): return "rank \(r) is given to two tokens"
            case .duplicateToken(let t, let a, let b): return "token \(t.map { String($0, radix: 16) }) has two ranks, \(a) and \(b)"
            case .missingByte(let b): return "no token for the single byte 0x\(String(b, radix: 16)), so some text cannot be encoded"
            case .rankTooLarge(let r): return "rank \(r) is too large (at most 67108863)"
            }
        }
    }

    /// The rank of the byte string `p[0..<n]`, or `none`.
    @inline(__always)
    public func rank(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        if n == 1 { return byteRank[Int(p[0])] }
        return arena.withUnsafeBufferPointer { a -> UInt32 in
            slots.withUnsafeBufferPointer { sl -> UInt32 in
                var s = Int(truncatingIfNeeded: Hash64.hash(p, n)) & mask
                while true {
                    let e = Int(sl[s])
                    if e < 0 { return BPEVocabulary.none }
                    if Int(lengths[e]) == n && memcmp(p, a.baseAddress! + Int(starts[e]), n) == 0 { return ranks[e] }
                    s = (s + 1) & mask
                }
            }
        }
    }

    /// The bytes of the token with rank `r`, or nil.
    public func bytes(ofRank r: UInt32) -> [UInt8]? {
        guard Int(r) < byRank.count, byRank[Int(r)] >= 0 else { return nil }
        let e = Int(byRank[Int(r)])
        return Array(arena[Int(starts[e])..<Int(starts[e]) + Int(lengths[e])])
    }

    /// Every (bytes, rank) pair, in ascending rank.
    public func entriesByRank() -> [([UInt8], UInt32)] {
        byRank.compactMap { e in
            e < 0 ? nil : (Array(arena[Int(starts[Int(e)])..<Int(starts[Int(e)]) + Int(lengths[Int(e)])]), ranks[Int(e)])
        }
    }

    // MARK: - Merging

    /// Appends the ranks of the byte-pair encoding of `p[0..<n]` (n ≥ 1):
    /// the whole piece if it is a token; else, starting from single bytes,
    /// repeatedly merge the adjacent pair whose concatenation has the lowest
    /// rank (the leftmost on a tie) until no pair is a token — tiktoken's
    /// `byte_pair_merge`.
    ///
    /// - Complexity: O(n²) for pieces shorter than 128 bytes (tiktoken's
    ///   scan, fastest there); O(n log n) with a heap beyond, so a 1 MB piece
    ///   of one repeated character takes well under a second.
    public func encode(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        var work = MergeWork()
        encode(p, n, into: &out, work: &work)
    }

    /// `encode`, adding what it cost to `work` (tests check the complexity
    /// with it instead of a clock).
    package func encode(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], work: inout MergeWork) {
        if n == 1 {
            out.append(byteRank[Int(p[0])])
            return
        }
        let whole = rank(p, n, counting: &work)
        if whole != BPEVocabulary.none {
            out.append(whole)
            return
        }
        if n < 128 {
            mergeByScan(p, n, into: &out, work: &work)
        } else {
            mergeByHeap(p, n, into: &out, work: &work)
        }
    }

    /// `rank`, counted in `work`.
    @inline(__always)
    private func rank(_ p: UnsafePointer<UInt8>, _ n: Int, counting work: inout MergeWork) -> UInt32 {
        work.lookups += 1
        work.bytes += n
        return rank(p, n)
    }

    /// What a merge cost: lookups (of byte strings in the vocabulary here,
    /// of id pairs in the merge table in `HFByteLevelBPE`), the bytes they
    /// hashed (here only), and the parts visited by the scans' searches for
    /// the lowest rank.
    package struct MergeWork: Sendable {
        package var lookups = 0
        package var bytes = 0
        package var visits = 0
        package init() {}
    }

    /// tiktoken's quadratic scan, for short pieces.
    package func mergeByScan(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], work: inout MergeWork) {
        withUnsafeTemporaryAllocation(of: (Int, UInt32).self, capacity: n + 1) { parts in
            var m = 0
            var minRank = BPEVocabulary.none
            var minAt = -1
            for i in 0..<n - 1 {
                let r = rank(p + i, 2, counting: &work)
                if r < minRank {
                    minRank = r
                    minAt = i
                }
                parts[m] = (i, r)
                m += 1
            }
            parts[m] = (n - 1, BPEVocabulary.none)
            parts[m + 1] = (n, BPEVocabulary.none)
            m += 2
            // The rank of parts[i] merged with parts[i + 1], given that parts[i + 1] goes.
            func pairRank(_ i: Int) -> UInt32 {
                guard i + 3 < m else { return BPEVocabulary.none }
                return rank(p + parts[i].0, parts[i + 3].0 - parts[i].0, counting: &work)
            }
            while minRank != BPEVocabulary.none {
                let i = minAt
                if i > 0 { parts[i - 1].1 = pairRank(i - 1) }
                parts[i].1 = pairRank(i)
                for k in (i + 1)..<(m - 1) { parts[k] = parts[k + 1] }
                m -= 1
                work.visits += m
                minRank = BPEVocabulary.none
                minAt = -1
                for k in 0..<(m - 1) where parts[k].1 < minRank {
                    minRank = parts[k].1
                    minAt = k
                }
            }
            for k in 0..<(m - 1) { out.append(rank(p + parts[k].0, parts[k + 1].0 - parts[k].0)) }
        }
    }

    /// The same merges with a linked list and a min-heap of (rank, start)
    /// with lazy deletion: a popped pair is current when its left part is
    /// alive and its bytes still have the popped rank (ranks are unique per
    /// byte string, so a stale pair never matches).
    package func mergeByHeap(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], work: inout MergeWork) {
        var next = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i + 1) }
            c = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i - 1) }
            c = n
        }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        heap.reserve(n)
        for i in 0..<n - 1 {
            let r = rank(p + i, 2, counting: &work)
            if r != BPEVocabulary.none { heap.push(UInt64(r) << 32 | UInt64(i)) }
        }
        @inline(__always) func end(_ i: Int) -> Int { Int(next[i]) }  // start of the next part, or n
        while let top = heap.pop() {
            let r = UInt32(top >> 32)
            let left = Int(top & 0xFFFF_FFFF)
            guard alive[left], end(left) < n else { continue }
            let right = end(left)
            let stop = end(right)
            guard rank(p + left, stop - left, counting: &work) == r else { continue }
            alive[right] = false
            next[left] = Int32(stop)
            if stop < n { prev[stop] = Int32(left) }
            if stop < n {
                let r2 = rank(p + left, end(stop) - left, counting: &work)
                if r2 != BPEVocabulary.none { heap.push(UInt64(r2) << 32 | UInt64(left)) }
            }
            let before = Int(prev[left])
            if before >= 0 {
                let r0 = rank(p + before, stop - before, counting: &work)
                if r0 != BPEVocabulary.none { heap.push(UInt64(r0) << 32 | UInt64(before)) }
            }
        }
        var i = 0
        while i < n {
            let e = end(i)
            out.append(rank(p + i, e - i))
            i = e
        }
    }
}

/// A binary min-heap of UInt64 keys.
struct MinHeap {
    private var a: [UInt64] = []
    mutating func reserve(_ n: Int) { a.reserveCapacity(n) }
    mutating func push(_ v: UInt64) {
        a.append(v)
        var i = a.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if a[parent] <= a[i] { break }
            a.swapAt(parent, i)
            i = parent
        }
    }
    mutating func pop() -> UInt64? {
        guard let top = a.first else { return nil }
        let last = a.removeLast()
        if !a.isEmpty {
            a[0] = last
            var i = 0
            let n = a.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && a[l + 1] < a[l] { m = l + 1 }
                if a[i] <= a[m] { break }
                a.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
