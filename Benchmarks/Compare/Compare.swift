// Compare: end-to-end Comparison.run (what `fingerprint compare A B` does
// minus formatting): read + tokenise + count both sides with 8/13-gram
// hashing, divergences, the 999-permutation JSD test with 200 bootstrap
// resamples, MMD (999 permutations), self-baselines, keyness and overlap.
//
// Data (generated once, seed 1, cached on disk): A = ~5 MB of source A,
// B = ~5 MB where each document comes from source B with probability 0.1,
// else from source A (like the generator's `mix-10`: a real but small
// difference).

import BenchSupport
import Benchmark
import FingerprintKit
import Foundation

let sideBytes = 5_000_000

nonisolated(unsafe) var corpora: (a: String, b: String)?

func prepare() throws {
    BenchSupport.printEnvironment("Compare")
    guard corpora == nil else { return }
    let root = try BenchSupport.cachedDirectory("compare-5MB-seed1-v\(CorpusGenerator.version)") { dir in
        let g = CorpusGenerator(seed: 1)
        let (n, _) = try BenchSupport.writeCorpus(
            to: dir + "/a", generator: g, source: g.sourceA,
            stream: CorpusGenerator.Stream.sourceA, approximateBytes: sideBytes)
        // B: document i from B with probability 0.1 (decided by its own stream), else from A on another stream.
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
        var rng = Xoshiro256(seed: 1, stream: 0xB0B)
        for i in 0..<n {
            let fromB = rng.nextUnit() < 0.1
            let doc =
                fromB
                ? g.document(source: g.sourceB, words: 300, stream: 0xB0B0, index: i)
                : g.document(source: g.sourceA, words: 300, stream: 0xA0A0, index: i)
            try Data(doc).write(to: URL(fileURLWithPath: String(format: "%@/b/d%06d.txt", dir, i)))
        }
    }
    corpora = (root + "/a", root + "/b")
}

let bytesPerSecond = BenchmarkMetric.custom("compare bytes/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p50: 35.0]),
        bytesPerSecond: .init(relative: [.p50: 35.0]),
        .peakMemoryResident: .init(relative: [.p50: 25.0]),
        .mallocCountTotal: .init(relative: [.p50: 25.0]),
    ]
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, bytesPerSecond, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(20),
        maxIterations: 8,
        thresholds: thresholds,
        setup: { try prepare() }
    )

    Benchmark("Compare 5 MB vs 5 MB: Comparison.run, 999 permutations, all cores") { benchmark in
        let (a, b) = corpora!
        let inputA = try CorpusInput(path: a)
        let inputB = try CorpusInput(path: b)
        var options = CompareOptions()
        options.permutations = 999
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            let report = try Comparison.run(inputA, inputB, options: options)
            let dt = BenchSupport.now() - t0
            blackHole(report)
            benchmark.measurement(bytesPerSecond, Int(Double(report.a.bytes + report.b.bytes) / dt))
            if benchmark.currentIteration <= 1 {
                BenchSupport.eprint(
                    String(
                        format: "[Compare] %d + %d documents, %d + %d bytes: T = %.6g, p = %.4g, %.2f s",
                        report.a.documents, report.b.documents, report.a.bytes, report.b.bytes,
                        report.test.statistic, report.test.pValue ?? .nan, dt))
            }
        }
    }
}
