// Winnowing and passage alignment: fingerprints of 2,000 generated documents
// (k = 8, w = 8), and exact alignment of 200 document pairs that share
// planted passages.
//
// Metrics: wall clock; `MB/s` of text fingerprinted or aligned; peak resident
// memory; malloc calls.

import BenchSupport
import Benchmark
import FingerprintKit
import Foundation

nonisolated(unsafe) var texts: [[UInt8]] = []
nonisolated(unsafe) var pairs: [([UInt8], [UInt8])] = []

func prepare() throws {
    BenchSupport.printEnvironment("Winnowing")
    guard texts.isEmpty else { return }
    let g = CorpusGenerator(seed: 5)
    texts = (0..<2000).map { g.document(source: g.sourceA, words: 350, stream: 1, index: $0) }
    // Pairs: B = an unrelated document with 3 passages of A inserted.
    for i in 0..<200 {
        let a = texts[i]
        var b = g.document(source: g.sourceB, words: 300, stream: 2, index: i)
        for k in 0..<3 {
            let start = (a.count / 4) * k
            let end = min(a.count, start + 400)
            b += Array(" ".utf8) + a[start..<end] + Array(" ".utf8)
        }
        pairs.append((a, b))
    }
}

let megabytesPerSecond = BenchmarkMetric.custom("text KB/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, megabytesPerSecond, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(8),
        maxIterations: 15,
        thresholds: [
            .wallClock: .init(relative: [.p50: 35.0]),
            megabytesPerSecond: .init(relative: [.p50: 35.0]),
        ],
        setup: { try prepare() }
    )

    Benchmark("Winnowing: fingerprints of 2,000 documents (k 8, w 8)") { benchmark in
        let w = Winnowing(k: 8, w: 8)
        let bytes = texts.reduce(0) { $0 + $1.count }
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            var n = 0
            for t in texts { n += w.fingerprints(words: t).count }
            benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / (BenchSupport.now() - t0) / 1e3))
            blackHole(n)
        }
    }

    Benchmark("Passage alignment: 200 pairs with planted passages") { benchmark in
        let bytes = pairs.reduce(0) { $0 + $1.0.count + $1.1.count }
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            var n = 0
            for (a, b) in pairs { n += PassageAlignment.align(a, b).count }
            benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / (BenchSupport.now() - t0) / 1e3))
            blackHole(n)
        }
    }
}
