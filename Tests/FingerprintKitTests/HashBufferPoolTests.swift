import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// The storage the writer of a fingerprint file hands back to the readers
/// (`HashBufferPool`): what it keeps, what it gives, that sharing is never
/// broken, and that files sketched with it equal files sketched without.
final class HashBufferPoolTests: XCTestCase {
    func filled(_ n: Int, from: UInt64 = 1) -> [UInt64] { (0..<n).map { from &+ UInt64($0) } }

    /// Small arrays stay with their holder; a large one is kept empty.
    func testKeepsOnlyLargeArraysAndEmptiesThem() {
        let pool = HashBufferPool(limitBytes: 1 << 30)
        var small = filled(HashBufferPool.smallest - 1)
        pool.give(&small)
        XCTAssertEqual(small, filled(HashBufferPool.smallest - 1))
        XCTAssertEqual(pool.take(atLeast: HashBufferPool.smallest).capacity, 0)
        var large = filled(HashBufferPool.smallest)
        let capacity = large.capacity
        pool.give(&large)
        XCTAssertTrue(large.isEmpty)
        // Fewer values than the smallest kept size are not served from the pool.
        XCTAssertEqual(pool.take(atLeast: 100).capacity, 0)
        let back = pool.take(atLeast: HashBufferPool.smallest)
        XCTAssertTrue(back.isEmpty)
        XCTAssertEqual(back.capacity, capacity)
        XCTAssertEqual(pool.take(atLeast: HashBufferPool.smallest).capacity, 0, "given out once")
    }

    /// The smallest kept array that fits; else the largest (or nothing,
    /// when the caller cannot grow it).
    func testTakesTheSmallestThatFitsElseTheLargest() {
        let pool = HashBufferPool(limitBytes: 1 << 30)
        for n in [40_000, 10_000, 20_000] {
            var a = filled(n)
            pool.give(&a)
        }
        let fit = pool.take(atLeast: 15_000)
        XCTAssertGreaterThanOrEqual(fit.capacity, 20_000)
        XCTAssertLessThan(fit.capacity, 40_000)
        XCTAssertEqual(pool.take(atLeast: 50_000, orSmaller: false).capacity, 0)
        let largest = pool.take(atLeast: 50_000)
        XCTAssertGreaterThanOrEqual(largest.capacity, 40_000)
        let last = pool.take(atLeast: 50_000)
        XCTAssertGreaterThanOrEqual(last.capacity, 10_000)
        XCTAssertLessThan(last.capacity, 20_000)
        XCTAssertEqual(pool.take(atLeast: 10_000).capacity, 0)
    }

    /// Past its limit the pool keeps nothing more.
    func testKeepsNoMoreThanItsLimit() {
        let pool = HashBufferPool(limitBytes: 100_000)
        var a = filled(10_000)
        var b = filled(10_000)
        pool.give(&a)
        pool.give(&b)
        XCTAssertGreaterThan(pool.take(atLeast: 10_000).capacity, 0)
        XCTAssertEqual(pool.take(atLeast: 10_000).capacity, 0, "80 KB held, the second 80 KB not kept")
    }

    /// An array whose storage something else still holds is given back
    /// without touching that storage: the other holder keeps its values.
    func testSharedStorageIsNeverEmptiedUnderAnotherHolder() {
        let pool = HashBufferPool(limitBytes: 1 << 30)
        var a = filled(20_000, from: 7)
        let other = a
        pool.give(&a)
        XCTAssertEqual(other, filled(20_000, from: 7))
        var taken = pool.take(atLeast: 20_000)
        taken.append(contentsOf: repeatElement(0, count: 20_000))
        XCTAssertEqual(other, filled(20_000, from: 7))
    }

    /// `sortedUnique` with a pool: the same result; the parts' storage goes
    /// to the pool, and a kept array that fits holds the next result.
    func testSortedUniqueWithAPool() {
        var rng = Xoshiro256(seed: 5)
        let values = (0..<60_000).map { _ in rng.next() % 40_000_000_000 }
        let expected = values.sorted()
        let pool = HashBufferPool(limitBytes: 1 << 30)
        var big = filled(70_000)
        pool.give(&big)
        for round in 0..<3 {
            var parts = [Array(values[0..<20_000]), Array(values[20_000..<45_000]), Array(values[45_000...])]
            var plain = parts
            var sorted = RadixSort.sortedUnique(parts: &parts, unique: false, threads: 2, pool: pool)
            XCTAssertEqual(sorted, expected, "round \(round)")
            XCTAssertTrue(parts.isEmpty)
            // The result's storage goes back for the next round's result.
            pool.give(&sorted)
            XCTAssertEqual(RadixSort.sortedUnique(parts: &plain, unique: false, threads: 2), expected)
            var unique = expected
            RadixSort.compact(&unique)
            parts = [Array(values[0..<30_000]), Array(values[30_000...])]
            XCTAssertEqual(RadixSort.sortedUnique(parts: &parts, threads: 1, pool: pool), unique, "round \(round), unique")
        }
        XCTAssertGreaterThan(pool.take(atLeast: 20_000).capacity, 0, "the parts' storage was kept")
    }

    /// The n-gram collector gives the same n-grams into storage from the
    /// pool as into its own.
    func testCollectorSuppliedFromThePool() {
        var rng = Xoshiro256(seed: 6)
        let tokens = (0..<30_000).map { _ in rng.next() % 500 }
        func collect(_ pool: HashBufferPool?) -> [[UInt64]] {
            let c = NGramCollector(sizes: [5, 13])
            var out: [[UInt64]] = []
            for document in 0..<3 {
                for t in tokens.prefix(10_000 * (document + 1)) { c.add(t) }
                if let pool { for k in 0..<2 { c.supply(k, from: pool) } }
                _ = c.finishDocument()
                for k in 0..<2 {
                    var a = c.takeAll(k)
                    out.append(a)
                    pool?.give(&a)
                }
            }
            return out
        }
        let pool = HashBufferPool(limitBytes: 1 << 30)
        var warm = filled(40_000)
        pool.give(&warm)
        XCTAssertEqual(collect(pool), collect(nil))
    }

    /// A corpus of large documents sketched in batches of about one
    /// document (two reading threads: the writer gives storage back while
    /// the readers go on) stores every document exactly as a sketch in one
    /// batch does, where nothing comes back before the end.
    func testSketchInManyBatchesEqualsOneBatch() throws {
        let dir = try temporaryDirectory(self)
        let corpus = dir.appendingPathComponent("corpus")
        var state: UInt64 = 9
        func word() -> String {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return "w\((state >> 33) % 20_000)"
        }
        for k in 0..<10 {
            let words = 12_000 + 3_000 * (k % 4)
            try write((0..<words).map { _ in word() }.joined(separator: " "), to: corpus.appendingPathComponent("d\(k).txt"))
        }
        func rows(batchBytes: Int) throws -> [[String]] {
            let path = dir.appendingPathComponent("b\(batchBytes).fp").path
            var o = SketchOptions()
            o.read = ReadOptions(threads: 2)
            o.batchBytes = batchBytes
            try FingerprintStore.sketch(try CorpusInput(path: corpus.path), to: path, options: o)
            let file = try FingerprintFile(path: path)
            let s = try file.database.prepare(
                """
                SELECT name, hex(digest), tokens, hex(counts), exact, simhash, hex(minhash), hex(shingles),
                  hex(grams8), hex(grams13), length(shingles), length(grams13) FROM documents ORDER BY name
                """)
            var out: [[String]] = []
            while try s.step() { out.append((0..<12).map { s.string($0) ?? "" }) }
            return out
        }
        let many = try rows(batchBytes: 60_000)
        let one = try rows(batchBytes: .max)
        XCTAssertEqual(many.count, 10)
        // Each document's sets are large enough to be kept by the pool.
        for r in many { XCTAssertGreaterThan(Int(r[11])!, 8 * HashBufferPool.smallest) }
        XCTAssertEqual(many, one)
    }
}
