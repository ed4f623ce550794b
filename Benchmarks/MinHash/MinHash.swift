// MinHash: signatures (128 permutations, 5-word shingles) of 5,000 generated
// documents of ~300 words, tokenised and shingled as `fingerprint dedup`
// does, then LSH banding and exact verification.
//
// Metrics: wall clock; `documents/s` for signing and for the whole dedup;
// peak resident memory; malloc calls.

import BenchSupport
import Benchmark
import FingerprintKit
import Foundation

nonisolated(unsafe) var texts: [[UInt8]] = []

func prepare() throws {
    BenchSupport.printEnvironment("MinHash")
    guard texts.isEmpty else { return }
    let g = CorpusGenerator(seed: 4)
    texts = (0..<5000).map { g.document(source: g.sourceA, words: 300, stream: 1, index: $0) }
}

let docsPerSecond = BenchmarkMetric.custom("documents/s", polarity: .prefersLarger, useScalingFactor: false)

/// Sketches every text with one worker (one thread).
func sketch(_ hasher: MinHasher) -> [SketchedDocument] {
    var w = SketchWorker(shingle: 5, hasher: hasher)
    defer { w.release() }
    return texts.map { t in
        t.withUnsafeBufferPointer { w.feed($0) }
        return w.finish()
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, docsPerSecond, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(8),
        maxIterations: 15,
        thresholds: [
            .wallClock: .init(relative: [.p50: 35.0]),
            docsPerSecond: .init(relative: [.p50: 35.0]),
            .peakMemoryResident: .init(relative: [.p50: 25.0]),
        ],
        setup: { try prepare() }
    )

    Benchmark("MinHash: tokenise + shingle + sign 5,000 documents (1 thread)") { benchmark in
        let hasher = MinHasher(perms: 128, seed: 1)
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            let s = sketch(hasher)
            benchmark.measurement(docsPerSecond, Int(Double(s.count) / (BenchSupport.now() - t0)))
            blackHole(s)
        }
    }

    Benchmark("MinHash: sign + LSH + verify (dedup at Jaccard 0.5)") { benchmark in
        let hasher = MinHasher(perms: 128, seed: 1)
        let docs = (0..<texts.count).map { DocumentInfo(name: "d\($0)", path: "d\($0)", line: nil, bytes: texts[$0].count) }
        var o = DedupOptions()
        o.threshold = 0.5
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            let r = Dedup.cluster(documents: docs, sketches: sketch(hasher), options: o)
            benchmark.measurement(docsPerSecond, Int(Double(docs.count) / (BenchSupport.now() - t0)))
            blackHole(r.clusters.count)
        }
    }
}
