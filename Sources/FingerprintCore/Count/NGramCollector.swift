import Foundation

/// Collects hashed word n-grams (n = 8 and 13 by default) of each document
/// from a stream of token hashes, with a polynomial rolling hash mod 2⁶⁴
/// (O(1) per token per n). N-grams never span two documents.
package final class NGramCollector {
    public let sizes: [Int]
    /// Optional reference set of the largest n: each document reports how
    /// many of its distinct n-grams are in it (contamination check).
    let reference: NGramIndex?
    private var ring = [UInt64](repeating: 0, count: 64)
    private var seen = 0
    private var rolling: [UInt64]
    private var powers: [UInt64]
    private var doc: [[UInt64]]
    /// All documents' distinct n-grams, per size (duplicates across documents kept).
    public private(set) var all: [[UInt64]]
    /// The current document's n-grams of the largest size found in the
    /// reference (distinct, at most `maxHitsKept`), for passage alignment.
    public private(set) var lastHits: [UInt64] = []
    public var maxHitsKept = 4096
    package static let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1

    public init(sizes: [Int] = [8, 13], reference: NGramIndex? = nil) {
        precondition(sizes.allSatisfy { $0 >= 1 && $0 <= 64 })
        self.sizes = sizes
        self.reference = reference
        rolling = sizes.map { _ in 0 }
        powers = sizes.map { n in (0..<n).reduce(UInt64(1)) { p, _ in p &* NGramCollector.base } }
        doc = sizes.map { _ in [] }
        all = sizes.map { _ in [] }
    }

    @inline(__always)
    public func add(_ h: UInt64) {
        ring[seen & 63] = h
        seen &+= 1
        for k in 0..<sizes.count {
            let n = sizes[k]
            var r = rolling[k] &* NGramCollector.base &+ h
            if seen > n { r = r &- ring[(seen - n - 1) & 63] &* powers[k] }
            rolling[k] = r
            if seen >= n { doc[k].append(SplitMix64.mix(r ^ UInt64(n))) }
        }
    }

    /// Ends a document: returns (n-grams of the largest size, how many of
    /// them are in the reference), repeats counted. The collected n-grams
    /// keep repeats too; `NGramIndex` removes them when it sorts.
    public func finishDocument() -> (grams: Int, hits: Int) {
        var result = (grams: 0, hits: 0)
        for k in 0..<sizes.count {
            all[k].append(contentsOf: doc[k])
            if k == sizes.count - 1 {
                var hits = 0
                lastHits.removeAll(keepingCapacity: true)
                if let reference {
                    for x in doc[k] where reference.contains(x) {
                        hits += 1
                        if lastHits.count < maxHitsKept { lastHits.append(x) }
                    }
                    if lastHits.count > 1 {
                        lastHits.sort()
                        RadixSort.compact(&lastHits)
                    }
                }
                result = (doc[k].count, hits)
            }
            doc[k].removeAll(keepingCapacity: true)
        }
        seen = 0
        for k in 0..<rolling.count { rolling[k] = 0 }
        return result
    }

    /// Hands over the collected n-grams of size index `k` (and forgets them).
    public func takeAll(_ k: Int) -> [UInt64] {
        let a = all[k]
        all[k] = []
        return a
    }

    public func discardDocument() {
        for k in 0..<sizes.count { doc[k].removeAll(keepingCapacity: true) }
        seen = 0
        for k in 0..<rolling.count { rolling[k] = 0 }
    }
}
