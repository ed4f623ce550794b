import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Alignment

/// One document A prepared for alignment against any number of B
/// documents: its tokens and an index of all its (non-boilerplate) k-gram
/// hashes → positions.
package struct PassageAligner: Sendable {
    public let options: PassageOptions
    public let bytes: [UInt8]
    public let text: TokenizedText
    let index: KGramPositions

    /// Tokenizes and indexes document A.
    /// - Complexity: O(bytes of A).
    public init(_ a: [UInt8], options: PassageOptions = PassageOptions()) {
        if let bp = options.boilerplate {
            precondition(bp.k == options.k, "boilerplate filter built with k = \(bp.k), alignment uses k = \(options.k)")
        }
        self.options = options
        bytes = a
        text = TokenizedText(words: a)
        index = KGramPositions(Winnowing.kgramHashes(text.hashes, k: options.k), ignored: options.boilerplate?.hashes)
    }

    /// The passages B shares with A, in B order (then A order).
    public func align(_ b: [UInt8]) -> [Passage] {
        let tb = TokenizedText(words: b)
        let spans = self.spans(tb)
        return PassageAlignment.describe(spans, a: bytes, b: b, ta: text, tb: tb, options: options)
    }

    /// The shared spans of B's tokens with A's, as token ranges, merged,
    /// boilerplate-only spans dropped, in (B, A) order.
    func spans(_ tb: TokenizedText) -> [TokenSpan] {
        let k = options.k
        let winnow = options.winnowing
        let bKGrams = Winnowing.kgramHashes(tb.hashes, k: k)
        let fps = winnow.select(bKGrams)
        var runs = seedAndExtend(fps, tb)
        guard !runs.isEmpty else { return [] }
        runs = PassageAlignment.merge(runs)
        if let bp = options.boilerplate {
            // Tokens inside some boilerplate k-gram of B (prefix sums).
            var diff = [Int](repeating: 0, count: tb.count + 1)
            for (j, h) in bKGrams.enumerated() where bp.contains(h) {
                diff[j] += 1
                diff[j + k] -= 1
            }
            var prefix = [Int](repeating: 0, count: tb.count + 1)
            var cover = 0
            for j in 0..<tb.count {
                cover += diff[j]
                prefix[j + 1] = prefix[j] + (cover > 0 ? 1 : 0)
            }
            runs.removeAll { s in (s.bHi - s.bLo) - (prefix[s.bHi] - prefix[s.bLo]) < k }
        }
        return runs
    }

    /// Seeds: each fingerprint of B against A's k-gram positions; each seed
    /// whose tokens really match for ≥ k tokens is extended both ways.
    ///
    /// Seeds whose k-gram lies inside B's part of a run already found are
    /// skipped: that text is attributed. Each extension walks a diagonal
    /// stretch no earlier extension walked (an earlier run on the same
    /// diagonal ends at a differing token), so the work is O(fingerprints ·
    /// (log + maxCandidates) + total length of the runs found).
    private func seedAndExtend(_ fps: [Winnowing.Fingerprint], _ tb: TokenizedText) -> [TokenSpan] {
        let k = options.k
        let maxC = max(1, options.maxCandidates)
        let na = text.count
        let nb = tb.count
        var runs: [TokenSpan] = []
        var coveredUntil = 0
        var hint = 0
        var candidates: [Int] = []
        text.hashes.withUnsafeBufferPointer { ha in
            tb.hashes.withUnsafeBufferPointer { hb in
                index.positions.withUnsafeBufferPointer { pos in
                    for fp in fps {
                        let j = fp.position
                        if j + k <= coveredUntil { continue }
                        let occ = index.occurrences(fp.hash)
                        if occ.isEmpty { continue }
                        candidates.removeAll(keepingCapacity: true)
                        if occ.count <= maxC {
                            for x in occ { candidates.append(pos[x]) }
                        } else {
                            // The maxC occurrences nearest the previous diagonal
                            // (ties: the smaller position first).
                            let target = j + hint
                            var lo = occ.lowerBound
                            var hi = occ.upperBound
                            while lo < hi {
                                let m = (lo + hi) >> 1
                                if pos[m] < target { lo = m + 1 } else { hi = m }
                            }
                            var l = lo - 1
                            var r = lo
                            while candidates.count < maxC {
                                let useLeft: Bool
                                if l < occ.lowerBound {
                                    useLeft = false
                                } else if r >= occ.upperBound {
                                    useLeft = true
                                } else {
                                    useLeft = target - pos[l] <= pos[r] - target
                                }
                                if useLeft {
                                    candidates.append(pos[l])
                                    l -= 1
                                } else {
                                    candidates.append(pos[r])
                                    r += 1
                                }
                            }
                        }
                        var bestLen = 0
                        for i in candidates {
                            var f = 0
                            while i + f < na && j + f < nb && ha[i + f] == hb[j + f] { f += 1 }
                            if f < k { continue }  // hash collision, not a match
                            var s = 0
                            while i - s > 0 && j - s > 0 && ha[i - s - 1] == hb[j - s - 1] { s += 1 }
                            runs.append(TokenSpan(aLo: i - s, aHi: i + f, bLo: j - s, bHi: j + f))
                            if j + f > coveredUntil { coveredUntil = j + f }
                            if s + f > bestLen {
                                bestLen = s + f
                                hint = i - j
                            }
                        }
                    }
                }
            }
        }
        return runs
    }
}

/// Token ranges of a shared span: A tokens aLo..<aHi, B tokens bLo..<bHi.
struct TokenSpan: Equatable, Sendable {
    var aLo: Int, aHi: Int, bLo: Int, bHi: Int
}

/// All positions of each k-gram hash of a document, grouped by hash in
/// increasing position order: an open-addressing table of the distinct
/// hashes, then a counting sort (O(k-grams), no comparison sort).
struct KGramPositions: Sendable {
    private let mask: Int
    private let keys: [UInt64]
    private let ids: [Int32]
    private let offsets: [Int]
    /// Positions grouped by hash id.
    let positions: [Int]

    init(_ kgrams: [UInt64], ignored: NGramIndex?) {
        var cap = 16
        while cap < 2 * kgrams.count { cap <<= 1 }
        mask = cap - 1
        var keys = [UInt64](repeating: 0, count: cap)
        var ids = [Int32](repeating: -1, count: cap)
        var counts: [Int] = []
        var idOf = [Int32](repeating: -1, count: kgrams.count)
        keys.withUnsafeMutableBufferPointer { keys in
            ids.withUnsafeMutableBufferPointer { ids in
                for (p, h) in kgrams.enumerated() {
                    if let ignored, ignored.contains(h) { continue }
                    var slot = Int(truncatingIfNeeded: h) & (cap - 1)
                    while ids[slot] >= 0 && keys[slot] != h { slot = (slot + 1) & (cap - 1) }
                    if ids[slot] < 0 {
                        ids[slot] = Int32(counts.count)
                        keys[slot] = h
                        counts.append(0)
                    }
                    let id = Int(ids[slot])
                    counts[id] += 1
                    idOf[p] = Int32(id)
                }
            }
        }
        var offsets = [Int](repeating: 0, count: counts.count + 1)
        for i in 0..<counts.count { offsets[i + 1] = offsets[i] + counts[i] }
        var fill = offsets
        var positions = [Int](repeating: 0, count: offsets[counts.count])
        for p in 0..<idOf.count where idOf[p] >= 0 {
            let id = Int(idOf[p])
            positions[fill[id]] = p
            fill[id] += 1
        }
        self.keys = keys
        self.ids = ids
        self.offsets = offsets
        self.positions = positions
    }

    /// Indices into `positions` of the occurrences of `h`.
    @inline(__always)
    func occurrences(_ h: UInt64) -> Range<Int> {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = ids[slot]
            if id < 0 { return 0..<0 }
            if keys[slot] == h { return offsets[Int(id)]..<offsets[Int(id) + 1] }
            slot = (slot + 1) & mask
        }
    }
}

/// Shared passages between two documents, and between the documents of two
/// corpora.
///
/// B's winnowed fingerprints are looked up among *all* of A's k-gram hashes,
/// so every run of ≥ t = w + k − 1 equal tokens that B shares with A (and
/// that is not boilerplate) contains a seed; each seed is extended token by
/// token in both directions while the tokens are equal, which makes the run
/// maximal; runs that overlap (or touch) in both documents are merged; runs
/// shorter than k tokens never count. Tokens are compared by their 64-bit
/// hashes.
///
/// - Complexity: O(|A| + |B|) to tokenize and index, plus O(fingerprints of
///   B × (1 + maxCandidates)) lookups and O(total length of the runs found)
///   to extend; a document made of one token repeated a million times,
///   aligned with itself, costs about maxCandidates × its length. Memory is
///   O(|A| + |B|) (about 40 bytes per token of A, 24 per token of B).
