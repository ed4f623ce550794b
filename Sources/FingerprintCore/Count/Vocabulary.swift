import Foundation

/// The types of a counted corpus, in canonical order: sorted by their UTF-8
/// bytes (which is code-point order, Python's `str` order), or by hash in
/// hashed mode. Ids therefore do not depend on the thread count or on the
/// order documents were read in.
public struct Vocabulary: Sendable {
    /// True when tokens are identified by a 64-bit hash only.
    public let hashed: Bool
    /// Token bytes of each id, concatenated (empty in hashed mode).
    public let arena: [UInt8]
    public let offsets: [Int]
    public let hashes: [UInt64]
    /// Total occurrences of each type in the corpus.
    public internal(set) var totalCounts: [Int]
    /// Number of documents each type occurs in.
    public internal(set) var documentFrequency: [Int32]

    public var count: Int { hashes.count }

    init(hashed: Bool, arena: [UInt8], offsets: [Int], hashes: [UInt64], totalCounts: [Int], documentFrequency: [Int32]) {
        self.hashed = hashed
        self.arena = arena
        self.offsets = offsets
        self.hashes = hashes
        self.totalCounts = totalCounts
        self.documentFrequency = documentFrequency
    }

    /// The token with id `i` (hashed mode: `#` and 16 hex digits).
    public func token(_ i: Int) -> String {
        if hashed { return Vocabulary.hashLabel(hashes[i]) }
        return String(decoding: arena[offsets[i]..<offsets[i + 1]], as: UTF8.self)
    }

    static func hashLabel(_ h: UInt64) -> String {
        let s = String(h, radix: 16)
        return "#" + String(repeating: "0", count: 16 - s.count) + s
    }

    /// The id of `token`, or nil (binary search; O(log V)).
    public func id(of token: String) -> Int? {
        if hashed {
            let h = TokenTable.hash(token)
            var lo = 0
            var hi = count
            while lo < hi {
                let m = (lo + hi) / 2
                if hashes[m] < h { lo = m + 1 } else { hi = m }
            }
            return lo < count && hashes[lo] == h ? lo : nil
        }
        let t = Array(token.utf8)
        var lo = 0
        var hi = count
        while lo < hi {
            let m = (lo + hi) / 2
            if arena[offsets[m]..<offsets[m + 1]].lexicographicallyPrecedes(t) { lo = m + 1 } else { hi = m }
        }
        return lo < count && arena[offsets[lo]..<offsets[lo + 1]].elementsEqual(t) ? lo : nil
    }

    /// Ids of the `k` most frequent types by total count (ties: canonical
    /// token order, i.e. smaller id first), in that order — scikit-learn's
    /// `max_features` rule. Label-free: it depends only on the pooled counts.
    public func topByCount(_ k: Int) -> [Int] {
        Vocabulary.topK(totalCounts.count, k) { totalCounts[$0] }
    }

    /// Ids of the `k` types in the most documents (ties: token order).
    public func topByDocumentFrequency(_ k: Int) -> [Int] {
        Vocabulary.topK(documentFrequency.count, k) { Int(documentFrequency[$0]) }
    }

    /// Selects the k largest keys, ties to the smaller index; O(n log k).
    package static func topK(_ n: Int, _ k: Int, key: (Int) -> Int) -> [Int] {
        let k = min(k, n)
        guard k > 0 else { return [] }
        if k * 4 >= n {
            return (0..<n).sorted {
                let a = key($0)
                let b = key($1)
                return a != b ? a > b : $0 < $1
            }.prefix(k).map { $0 }
        }
        // Min-heap of the best k so far; the root is the worst kept.
        var heap: [Int] = []
        heap.reserveCapacity(k)
        func worse(_ a: Int, _ b: Int) -> Bool {  // a ranks below b
            let ka = key(a)
            let kb = key(b)
            return ka != kb ? ka < kb : a > b
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count && worse(heap[l], heap[m]) { m = l }
                if r < heap.count && worse(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in 0..<n {
            if heap.count < k {
                heap.append(i)
                var c = heap.count - 1
                while c > 0 {
                    let p = (c - 1) / 2
                    if worse(heap[c], heap[p]) {
                        heap.swapAt(c, p)
                        c = p
                    } else {
                        break
                    }
                }
            } else if worse(heap[0], i) {
                heap[0] = i
                siftDown(0)
            }
        }
        return heap.sorted { worse($1, $0) }
    }
}
