import Foundation

/// Per-document counts are 32-bit (`LocalCounts`, the document-term
/// matrix's entries, a fingerprint file's (id, count) pairs). A count past
/// 2³¹ − 1 — one token more than 2,147,483,647 times in one document, which
/// takes a document of over 4 GB — is capped there, never wrapped (until
/// session 19 `stats` of a 4.4 GB file of "a" reported a count of
/// −2,094,967,296); corpus totals stay exact (`Int`). The capped entries
/// are counted here, for the command line to say so.
package enum CountLimit {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var capped = 0

    /// Capped entries so far in this process.
    package static var cappedEntries: Int {
        lock.lock()
        defer { lock.unlock() }
        return capped
    }

    /// `c` as a per-document count: capped at `Int32.max`, and counted when it is.
    @inline(__always)
    package static func clamp(_ c: Int) -> Int32 {
        if c > Int(Int32.max) {
            lock.lock()
            capped += 1
            lock.unlock()
            return .max
        }
        return Int32(truncatingIfNeeded: c)
    }
}
