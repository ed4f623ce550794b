import FingerprintKit
import XCTest

@testable import FingerprintBench
@testable import FingerprintCore
@testable import FingerprintReport
@testable import FingerprintStatistics
@testable import FingerprintSynth

/// Counting and the corpus profile against Python (Fixtures/stats.json).
final class CountingTests: XCTestCase {
    func testProfilesMatchPythonReference() throws {
        let expected = try loadJSON("stats.json") as! [String: [String: Any]]
        XCTAssertEqual(Set(expected.keys), ["tiny", "zipfy", "mixed"])
        for (name, e) in expected {
            let input = try CorpusInput(path: fixtures.appendingPathComponent("stats/\(name)").path)
            let p = CorpusProfile(try Counter.count(input))
            XCTAssertEqual(p.documents, e["documents"] as! Int, name)
            XCTAssertEqual(p.tokens, e["tokens"] as! Int, name)
            XCTAssertEqual(p.types, e["types"] as! Int, name)
            XCTAssertEqual(p.bytes, e["bytes"] as! Int, name)
            assertClose(p.entropyBits, e["entropy_bits"] as! Double, 1e-12, name)
            assertClose(p.typeTokenRatio, e["type_token_ratio"] as! Double, 1e-12, name)
            assertClose(p.yulesK, e["yules_k"] as! Double, 1e-10, name)
            assertClose(p.zipfExponent, e["zipf_exponent"] as! Double, 1e-9, name)
            XCTAssertEqual(p.zipfRanks, e["zipf_ranks"] as! Int, name)
            let top = (e["top"] as! [[Any]]).map { "\($0[0] as! String)=\($0[1] as! Int)" }
            XCTAssertEqual(p.top.map { "\($0.token)=\($0.count)" }, top, name)
        }
    }

    /// The matrix, vocabulary and ids are the same whatever the thread count.
    func testCountingIsIdenticalForAnyThreadCount() throws {
        let input = try CorpusInput(path: fixtures.appendingPathComponent("stats/zipfy").path)
        let one = try Counter.count(input, options: ReadOptions(threads: 1))
        for t in [2, 3, 8] {
            let many = try Counter.count(input, options: ReadOptions(threads: t))
            XCTAssertEqual(one.matrix.rowStart, many.matrix.rowStart)
            XCTAssertEqual(one.matrix.columns, many.matrix.columns)
            XCTAssertEqual(one.matrix.counts, many.matrix.counts)
            XCTAssertEqual(one.matrix.vocabulary.arena, many.matrix.vocabulary.arena)
            XCTAssertEqual(one.documents, many.documents)
        }
    }

    /// The matrix-free path (what `stats` uses) gives the same vocabulary,
    /// totals, document frequencies and lengths as the full one.
    func testMatrixFreeCountingAgrees() throws {
        let input = try CorpusInput(path: fixtures.appendingPathComponent("stats/mixed").path)
        let full = try Counter.count(input, options: ReadOptions(threads: 3))
        let lean = try Counter.count(input, buildMatrix: false, options: ReadOptions(threads: 3))
        XCTAssertEqual(full.matrix.vocabulary.arena, lean.matrix.vocabulary.arena)
        XCTAssertEqual(full.matrix.vocabulary.totalCounts, lean.matrix.vocabulary.totalCounts)
        XCTAssertEqual(full.matrix.vocabulary.documentFrequency, lean.matrix.vocabulary.documentFrequency)
        XCTAssertEqual(full.matrix.lengths, lean.matrix.lengths)
        XCTAssertEqual(lean.matrix.nonZeros, 0)
    }

    /// Vocabulary ids are in code-point order and CSR rows are sorted.
    func testVocabularyIsSortedAndRowsAreCanonical() throws {
        let input = try CorpusInput(path: fixtures.appendingPathComponent("stats/mixed").path)
        let c = try Counter.count(input)
        let v = c.matrix.vocabulary
        let tokens = (0..<v.count).map(v.token)
        XCTAssertEqual(tokens, tokens.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } })
        for d in 0..<c.matrix.documentCount {
            let cols = c.matrix.columns[c.matrix.rowStart[d]..<c.matrix.rowStart[d + 1]]
            XCTAssertEqual(Array(cols), cols.sorted())
        }
        for (i, t) in tokens.enumerated() { XCTAssertEqual(v.id(of: t), i) }
        XCTAssertNil(v.id(of: "no-such-token-here"))
    }

    /// Hashed mode counts the same multiset (up to the names of types).
    func testHashedModeGivesTheSameCounts() throws {
        let input = try CorpusInput(path: fixtures.appendingPathComponent("stats/zipfy").path)
        let exact = try Counter.count(input)
        let hashed = try Counter.count(input, hashed: true)
        XCTAssertEqual(exact.matrix.typeCount, hashed.matrix.typeCount)
        XCTAssertEqual(exact.matrix.vocabulary.totalCounts.sorted(), hashed.matrix.vocabulary.totalCounts.sorted())
        XCTAssertEqual(exact.matrix.lengths, hashed.matrix.lengths)
        let id = try XCTUnwrap(hashed.matrix.vocabulary.id(of: "cheafloo"))
        XCTAssertEqual(hashed.matrix.vocabulary.totalCounts[id], 964)
    }

    /// Top-K by count breaks ties by token, never by order of appearance.
    func testTopKBreaksTiesByToken() {
        let counts = [5, 9, 5, 1, 9, 5]
        XCTAssertEqual(Vocabulary.topK(counts.count, 4) { counts[$0] }, [1, 4, 0, 2])
        XCTAssertEqual(Vocabulary.topK(counts.count, 2) { counts[$0] }, [1, 4])
        // The heap path (k much smaller than n) agrees with a full sort.
        var g = Xoshiro256(seed: 3)
        let big = (0..<5000).map { _ in g.next(below: 50) }
        let full = (0..<big.count).sorted { big[$0] != big[$1] ? big[$0] > big[$1] : $0 < $1 }
        XCTAssertEqual(Vocabulary.topK(big.count, 37) { big[$0] }, Array(full.prefix(37)))
    }

    func testEntropyEdgeCases() {
        XCTAssertEqual(Entropy.bits([Int]()), 0)
        XCTAssertEqual(Entropy.bits([0, 0]), 0)
        assertClose(Entropy.bits([1, 1, 1, 1]), 2)
        XCTAssertEqual(Entropy.yulesK([Int]()), 0)
        XCTAssertEqual(Entropy.zipf([7]).ranks, 1)
        // Exact power law f = 1000 / r^1.5 (real-valued): exponent 1.5.
        let counts = (1...200).map { Int((1e9 / pow(Double($0), 1.5)).rounded()) }
        assertClose(Entropy.zipf(counts).exponent, 1.5, 1e-6)
        // 3,000 ranks of f = 10¹² / r^2 (shuffled, with zeros between):
        // the fit takes the 1,000 largest, whatever their order.
        var rng = SplitMix64(seed: 5)
        var many = (1...3000).map { Int((1e12 / pow(Double($0), 2)).rounded()) } + Array(repeating: 0, count: 500)
        many.shuffle(using: &rng)
        let fit = Entropy.zipf(many)
        XCTAssertEqual(fit.ranks, 1000)
        assertClose(fit.exponent, 2, 1e-6)
        XCTAssertEqual(Entropy.zipf([0, 5, 0, 5]).ranks, 2)
    }
}

/// `Parallel.pair`: both halves run, each on its own thread, and an error
/// comes back after both have finished (the first's before the second's).
final class ParallelPairTests: XCTestCase {
    struct Failure: Error, Equatable { let which: Int }

    func testBothRunAtOnceAndReturnTheirValues() throws {
        // Each half waits for the other to have started: on one thread, or
        // one after the other, this would time out.
        let a = DispatchSemaphore(value: 0)
        let b = DispatchSemaphore(value: 0)
        let (x, y) = try Parallel.pair(
            { () -> Bool in
                a.signal()
                return b.wait(timeout: .now() + 20) == .success
            },
            { () -> Bool in
                b.signal()
                return a.wait(timeout: .now() + 20) == .success
            })
        XCTAssertTrue(x)
        XCTAssertTrue(y)
    }

    func testErrorsAreRethrownAfterBothFinish() {
        let finished = NSLock()
        var done: [Int] = []
        func mark(_ k: Int) {
            finished.lock()
            done.append(k)
            finished.unlock()
        }
        XCTAssertThrowsError(
            try Parallel.pair(
                { () throws -> Int in
                    mark(1)
                    throw Failure(which: 1)
                },
                { () throws -> Int in
                    Thread.sleep(forTimeInterval: 0.05)
                    mark(2)
                    throw Failure(which: 2)
                })
        ) { XCTAssertEqual($0 as? Failure, Failure(which: 1)) }
        XCTAssertEqual(Set(done), [1, 2])
        XCTAssertThrowsError(try Parallel.pair({ 1 }, { () throws -> Int in throw Failure(which: 2) })) {
            XCTAssertEqual($0 as? Failure, Failure(which: 2))
        }
    }
}
