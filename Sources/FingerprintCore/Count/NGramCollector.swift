import Foundation

/// Collects hashed word n-grams (n = 8 and 13 by default) of each document
/// from a stream of token hashes, with a polynomial rolling hash mod 2⁶⁴
/// (O(1) per token per n). N-grams never span two documents.
package final class NGramCollector {
    public let sizes: [Int]
    /// Optional reference set of the n-grams of `reportIndex`'s size: each
    /// document reports how many of its n-grams are in it (contamination).
    let reference: NGramIndex?
    /// The size index whose hits are counted against `reference` (the last).
    let reportIndex: Int
    /// Optional second reference, of size index `candidateIndex`: the
    /// n-grams of that size found in it are kept in `lastHits` (candidates
    /// for passage alignment, which may need shorter n-grams than the report).
    let candidateReference: NGramIndex?
    let candidateIndex: Int
    // `add` runs once a token: its state lives in memory the collector
    // allocates itself and reaches through pointers, not in arrays (an
    // array of arrays cost a uniqueness check of each on every append,
    // ~2.5% of `sketch`'s samples, besides the run-time exclusivity checks
    // of a class's stored properties). The collector belongs to one worker.
    private let count: Int
    /// Token hashes given one at a time (`add(_:)`), not yet rolled: they
    /// go through the batch loop 64 at a time.
    private let pending = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
    @exclusivity(unchecked) private var pendingCount = 0
    private let ring = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
    @exclusivity(unchecked) private var seen = 0
    private let rolling: UnsafeMutablePointer<UInt64>
    private let powers: UnsafeMutablePointer<UInt64>
    private let lengths: UnsafeMutablePointer<Int>
    /// The current document's n-grams of each size: `doc[k][0..<docCount[k]]`.
    private let doc: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>
    private let docCount: UnsafeMutablePointer<Int>
    private let docCapacity: UnsafeMutablePointer<Int>
    /// All documents' distinct n-grams, per size (duplicates across documents kept).
    public private(set) var all: [[UInt64]]
    /// The current document's n-grams found in the candidate reference (or,
    /// without one, in `reference`), distinct, at most `maxHitsKept`: the
    /// seeds of passage alignment.
    public private(set) var lastHits: [UInt64] = []
    /// Hits kept per document: the smallest hash values among its shared
    /// n-grams, a uniform and deterministic sample spread over the document
    /// (memory stays O(documents) when B is largely contained in A).
    public var maxHitsKept = 64
    /// The finished document's token count and the hash of its token
    /// sequence (`Hash64.combine` over the token hashes, then the count):
    /// what `dedup --method exact` compares.
    public private(set) var lastTokens = 0
    public private(set) var lastDigest: UInt64 = 0
    @exclusivity(unchecked) private var digest: UInt64 = 0
    package static let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1

    /// - Parameters:
    ///   - reference: n-grams of size index `reportIndex` (default: the
    ///     last size); each document counts its hits in it.
    ///   - candidate: n-grams of size index `candidate.index` whose hits
    ///     are kept as `lastHits`; nil: the hits of `reference` are kept.
    public init(
        sizes: [Int] = [8, 13], reference: NGramIndex? = nil, reportIndex: Int? = nil,
        candidate: (index: Int, set: NGramIndex)? = nil
    ) {
        precondition(sizes.allSatisfy { $0 >= 1 && $0 <= 64 })
        self.sizes = sizes
        self.reference = reference
        self.reportIndex = reportIndex ?? sizes.count - 1
        candidateReference = candidate?.set
        candidateIndex = candidate?.index ?? self.reportIndex
        count = sizes.count
        ring.initialize(repeating: 0, count: 64)
        rolling = .allocate(capacity: sizes.count)
        rolling.initialize(repeating: 0, count: sizes.count)
        powers = .allocate(capacity: sizes.count)
        lengths = .allocate(capacity: sizes.count)
        doc = .allocate(capacity: sizes.count)
        docCount = .allocate(capacity: sizes.count)
        docCapacity = .allocate(capacity: sizes.count)
        for (k, n) in sizes.enumerated() {
            (powers + k).initialize(to: (0..<n).reduce(UInt64(1)) { p, _ in p &* NGramCollector.base })
            (lengths + k).initialize(to: n)
            (doc + k).initialize(to: .allocate(capacity: 1024))
            (docCount + k).initialize(to: 0)
            (docCapacity + k).initialize(to: 1024)
        }
        all = sizes.map { _ in [] }
    }

    deinit {
        for k in 0..<count { doc[k].deallocate() }
        for p in [pending, ring, rolling, powers] { p.deallocate() }
        lengths.deallocate()
        doc.deallocate()
        docCount.deallocate()
        docCapacity.deallocate()
    }

    /// Adds the next token's hash. Hashes given one at a time are held
    /// and rolled 64 at a time by `add(_:count:)`, so that the rolling step
    /// is written once (two copies of it, here and in a `Shingler` used by
    /// `dedup`, each had the n = 64 bug in turn, fixed in 7c63b9b and
    /// e830f92) and runs over batches whoever calls it. Whatever reads the
    /// n-grams (`finishDocument`, `drainDocument`) rolls the held ones first.
    @inline(__always)
    public func add(_ h: UInt64) {
        pending[pendingCount] = h
        pendingCount &+= 1
        if pendingCount == 64 { rollPending() }
    }

    private func rollPending() {
        let m = pendingCount
        guard m > 0 else { return }
        pendingCount = 0
        roll(pending, count: m)
    }

    /// `add` of `hs[0..<m]`, in order, one size at a time: each size's
    /// rolling hash stays in a register over the whole batch, and the
    /// hashes the window drops are read from the batch itself (or, for the
    /// batch's first n, from the ring, which it reads before writing: with
    /// n = 64 the token leaving the window shares the new one's slot).
    /// `CountingWorker` taps its token batches here.
    @inline(__always)
    public func add(_ hs: UnsafePointer<UInt64>, count m: Int) {
        if pendingCount > 0 { rollPending() }
        roll(hs, count: m)
    }

    @inline(__always)
    private func roll(_ hs: UnsafePointer<UInt64>, count m: Int) {
        guard m > 0 else { return }
        var d = digest
        for j in 0..<m { d = Hash64.combine(d, hs[j]) }
        digest = d
        let seen0 = seen
        for k in 0..<count {
            let n = lengths[k]
            let p = powers[k]
            let tag = UInt64(n)
            var r = rolling[k]
            var c = docCount[k]
            while c &+ m > docCapacity[k] { grow(k) }
            let out = doc[k]
            for j in 0..<m {
                let i = seen0 &+ j  // the token's index in the document
                r = r &* NGramCollector.base &+ hs[j]
                if i >= n { r = r &- (j >= n ? hs[j &- n] : ring[(i &- n) & 63]) &* p }
                if i &+ 1 >= n {
                    out[c] = SplitMix64.mix(r ^ tag)
                    c &+= 1
                }
            }
            rolling[k] = r
            docCount[k] = c
        }
        for j in max(0, m - 64)..<m { ring[(seen0 &+ j) & 63] = hs[j] }
        seen = seen0 &+ m
    }

    /// Doubles the capacity of size `k`'s buffer (kept across documents).
    private func grow(_ k: Int) {
        let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: docCapacity[k] * 2)
        bigger.moveInitialize(from: doc[k], count: docCount[k])
        doc[k].deallocate()
        doc[k] = bigger
        docCapacity[k] *= 2
    }

    /// The current document's n-grams of size index `k`.
    private func grams(_ k: Int) -> UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: doc[k], count: docCount[k]) }

    /// Ends a document: returns (n-grams of the largest size, how many of
    /// them are in the reference), repeats counted. The collected n-grams
    /// keep repeats too; `NGramIndex` removes them when it sorts.
    public func finishDocument() -> (grams: Int, hits: Int) {
        rollPending()
        var result = (grams: 0, hits: 0)
        for k in 0..<count {
            let grams = grams(k)
            all[k].append(contentsOf: grams)
            if k == reportIndex {
                var hits = 0
                if let reference { for x in grams where reference.contains(x) { hits += 1 } }
                result = (grams.count, hits)
            }
            if k == candidateIndex {
                lastHits.removeAll(keepingCapacity: true)
                if let set = candidateReference ?? reference {
                    for x in grams where set.contains(x) { lastHits.append(x) }
                    if lastHits.count > 1 {
                        lastHits.sort()
                        RadixSort.compact(&lastHits)
                    }
                    if lastHits.count > maxHitsKept { lastHits.removeLast(lastHits.count - maxHitsKept) }
                }
            }
            docCount[k] = 0
        }
        lastTokens = seen
        lastDigest = Hash64.combine(digest, UInt64(seen))
        seen = 0
        digest = 0
        rolling.update(repeating: 0, count: count)
        return result
    }

    /// Gives the collection of size index `k` storage for the current
    /// document's n-grams (`HashBufferPool`), when it holds none: with
    /// room enough, `finishDocument` copies them into memory already
    /// touched. The count is what this document has so far, plus the up to
    /// 64 hashes not yet rolled.
    public func supply(_ k: Int, from pool: HashBufferPool) {
        guard all[k].isEmpty else { return }
        let buffer = pool.take(atLeast: docCount[k] &+ 64)
        if buffer.capacity > all[k].capacity { all[k] = buffer }
    }

    /// Hands over the collected n-grams of size index `k` (and forgets them).
    public func takeAll(_ k: Int) -> [UInt64] {
        let a = all[k]
        all[k] = []
        return a
    }

    /// Hands the current document's n-grams of size index `k` found so far
    /// (repeats included, in text order) to `body` and forgets them; the
    /// window goes on, so the next ones continue the same document. A
    /// streaming reader's memory stays that of one batch, not a document.
    public func drainDocument(_ k: Int, _ body: (UnsafeBufferPointer<UInt64>) -> Void) {
        rollPending()
        body(grams(k))
        docCount[k] = 0
    }

    public func discardDocument() {
        pendingCount = 0
        docCount.update(repeating: 0, count: count)
        seen = 0
        digest = 0
        rolling.update(repeating: 0, count: count)
    }
}

/// A token sink that gives each token's hash (`TokenTable.hash`) to an
/// `NGramCollector`: the word n-grams of a document read by a scanner other
/// than the counting one (the counting tokenizer is not `word`), or by
/// itself (`dedup`'s shingles).
package struct NGramSink: TokenSink {
    package let collector: NGramCollector

    package init(_ collector: NGramCollector) { self.collector = collector }

    @inline(__always)
    package mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { collector.add(TokenTable.hash(token)) }

    @inline(__always)
    package mutating func acceptPadded(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        collector.add(TokenTable.paddedHash(token))
    }
}
