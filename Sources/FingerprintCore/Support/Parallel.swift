import Foundation

/// The engine's one way to run work on several threads.
///
/// Two shapes cover every parallel loop in Fingerprint:
/// - `chunks`: a fixed split of `0..<n` into ranges whose boundaries do not
///   depend on the thread count, so floating-point work done per range (a
///   GEMM on a block of rows, a per-bucket sort) gives the same bits with 1
///   thread or 64;
/// - `queue`: items handed out in index order from a shared counter to a
///   fixed set of workers (numbered `0..<workers`, so a caller can keep one
///   scratch state per worker), for items of very different cost such as
///   files of different sizes.
///
/// Both stop handing out work after the first error and rethrow it.
package enum Parallel {
    /// Runs `body` over `0..<n` in ranges of exactly `chunk` elements (the
    /// last may be shorter), on up to `threads` threads.
    /// - Complexity: O(n / chunk) dispatches.
    package static func chunks(_ n: Int, chunk: Int, threads: Int, _ body: (Range<Int>) throws -> Void) throws {
        guard n > 0 else { return }
        let chunk = max(1, chunk)
        let count = (n - 1) / chunk + 1
        let range = { (c: Int) in (c * chunk)..<min(n, c * chunk + chunk) }
        if threads <= 1 || count == 1 {
            for c in 0..<count { try body(range(c)) }
            return
        }
        try queue(count, threads: threads) { _, c in try body(range(c)) }
    }

    /// `chunks` for a body that cannot fail.
    package static func chunks(_ n: Int, chunk: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        try! chunks(n, chunk: chunk, threads: threads) { (r: Range<Int>) throws in body(r) }
    }

    /// Runs `body(worker, item)` for every item of `0..<count`, items taken
    /// in increasing order, `batch` at a time, by `min(threads, count)`
    /// workers. After the first error no new item starts; the error is
    /// rethrown once all workers have stopped.
    /// - Returns: the number of workers used.
    @discardableResult
    package static func queue(
        _ count: Int, threads: Int, batch: Int = 1,
        _ body: (_ worker: Int, _ item: Int) throws -> Void
    ) throws -> Int {
        guard count > 0 else { return 0 }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for i in 0..<count { try body(0, i) }
            return 1
        }
        let state = QueueState()
        let batch = max(1, batch)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            while let start = state.take(batch, limit: count) {
                for i in start..<min(count, start + batch) {
                    do { try body(w, i) } catch {
                        state.fail(error)
                        return
                    }
                }
            }
        }
        if let failure = state.failure { throw failure }
        return workers
    }

    /// `(a(), b())`, computed at once: `a` on this thread, `b` on a new one
    /// (a thread of its own, so the two overlap whatever the machine's
    /// width). Both run to the end; the first's error is rethrown before
    /// the second's.
    package static func pair<A, B>(_ a: () throws -> A, _ b: () throws -> B) throws -> (A, B) {
        let done = DispatchSemaphore(value: 0)
        return try withoutActuallyEscaping(b) { b in
            let job = Job(b)
            Thread.detachNewThread {
                job.run()
                done.signal()
            }
            let ra = Result { try a() }
            done.wait()
            return (try ra.get(), try job.result!.get())
        }
    }

    /// `(0..<count).map(work)` computed by `queue`.    /// `(0..<count).map(work)` computed by `queue`.
    package static func map<T>(_ count: Int, threads: Int, batch: Int = 1, _ work: (Int) throws -> T) throws -> [T] {
        var slots = [T?](repeating: nil, count: count)
        try slots.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress
            try queue(count, threads: threads, batch: batch) { _, i in base![i] = try work(i) }
        }
        return slots.map { $0! }
    }

    /// The shared counter and first error of a `queue`.
    private final class QueueState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private(set) var failure: Error?

        func take(_ n: Int, limit: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard failure == nil, next < limit else { return nil }
            let s = next
            next += n
            return s
        }

        func fail(_ error: Error) {
            lock.lock()
            if failure == nil { failure = error }
            lock.unlock()
        }
    }
}

/// Work for another thread: the closure (dropped as soon as it has run, so
/// that a caller's `withoutActuallyEscaping` finds it released) and its result.
private final class Job<T>: @unchecked Sendable {
    private var body: (() throws -> T)?
    private(set) var result: Result<T, Error>? = nil
    init(_ body: @escaping () throws -> T) { self.body = body }
    func run() {
        let f = body!
        body = nil
        result = Result { try f() }
    }
}
