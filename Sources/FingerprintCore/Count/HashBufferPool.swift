import Foundation

/// Arrays of hashes handed back by the writer of a fingerprint file, for
/// the reading threads' next documents: a document's n-gram sets are
/// arrays of megabytes, and each new one was memory the kernel had to
/// fault in (a page fault every 4 KB; with the sort's scratch, 11% of
/// `sketch`'s samples), freed again a batch later. Only large arrays are
/// kept (small ones come cheaply from the allocator's free lists), at most
/// `limitBytes` of them.
///
/// An array given back while something else still refers to its storage
/// is emptied into new storage (Swift's copy on write): kept, but not yet
/// faulted in, as without the pool.
package final class HashBufferPool: @unchecked Sendable {
    /// Arrays of fewer values go back to the allocator.
    package static let smallest = 8_192
    private let lock = NSLock()
    private var buffers: [[UInt64]] = []
    private var heldBytes = 0
    let limitBytes: Int

    package init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    /// An empty array for `n` values: the smallest kept one that holds
    /// them, else (when `orSmaller`) the largest kept one, which the
    /// caller's appends grow, else a new one.
    package func take(atLeast n: Int, orSmaller: Bool = true) -> [UInt64] {
        guard n >= HashBufferPool.smallest else { return [] }
        return lock.withLock {
            var best = -1
            for (i, b) in buffers.enumerated() {
                let c = b.capacity
                if best < 0 {
                    best = i
                    continue
                }
                let bc = buffers[best].capacity
                // A buffer that fits beats one that does not; among those
                // that fit the smallest, among those that do not the largest.
                if c >= n ? (bc < n || c < bc) : (bc < n && c > bc) { best = i }
            }
            guard best >= 0, orSmaller || buffers[best].capacity >= n else { return [] }
            heldBytes -= buffers[best].capacity * 8
            return buffers.remove(at: best)
        }
    }

    /// Whether `give` takes `a`.
    @inline(__always)
    package static func keeps(_ a: [UInt64]) -> Bool { a.capacity >= smallest }

    /// Takes a large `a` (leaving it empty) and keeps its storage, emptied,
    /// when there is room; leaves a small one as it is, for its holder to
    /// free with others. (Arrays freed one at a time by the writer while
    /// the readers allocate contend for the allocator's lock: `index add`
    /// of 1,000,000 short documents took 17 s instead of 15 when every set
    /// was freed here.)
    package func give(_ a: inout [UInt64]) {
        guard HashBufferPool.keeps(a) else { return }
        var b: [UInt64] = []
        swap(&a, &b)
        b.removeAll(keepingCapacity: true)
        lock.withLock {
            guard heldBytes + b.capacity * 8 <= limitBytes else { return }
            heldBytes += b.capacity * 8
            buffers.append(b)
        }
    }
}
