// Batch cosine: exact TF-IDF cosine top-10 of 4,000 generated documents
// (~300 words each) by the dense-head GEMM + sparse-tail search, as
// `fingerprint batch` runs it, and one bare sgemm of the head's shape.
//
// Metrics: wall clock; `documents/s`; `GEMM GFLOP/s` of the search's GEMM
// phase and `bare GFLOP/s` of one cblas_sgemm of the same shape (the design
// asks for >= 80%); peak resident memory; malloc calls.

import BenchSupport
import Benchmark
import FingerprintKit
import Foundation

nonisolated(unsafe) var vectors: SplitVectors?

func prepare() throws {
    BenchSupport.printEnvironment("BatchCosine")
    guard vectors == nil else { return }
    let g = CorpusGenerator(seed: 3)
    let docs = (0..<4000).map { g.document(source: $0 % 2 == 0 ? g.sourceA : g.sourceB, words: 300, stream: 1, index: $0) }
    let c = Counter.count(documents: docs)
    let t = TfIdfMatrix(c.matrix, features: 16384)
    var df = [Int](repeating: 0, count: t.cols)
    for k in t.columns { df[Int(k)] += 1 }
    let head = SimilaritySearch.headColumns(dfQueries: df, nq: t.rows, dfCandidates: df, nc: t.rows)
    vectors = SplitVectors(
        rowStart: t.rowStart, columns: t.columns, values: t.values, cols: t.cols,
        rows: Array(0..<t.rows), columnIsHead: head)
}

let docsPerSecond = BenchmarkMetric.custom("documents/s", polarity: .prefersLarger, useScalingFactor: false)
let gemmGFLOPs = BenchmarkMetric.custom("GEMM GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
let bareGFLOPs = BenchmarkMetric.custom("bare sgemm GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, docsPerSecond, gemmGFLOPs, bareGFLOPs, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 10,
        thresholds: [
            .wallClock: .init(relative: [.p50: 35.0]),
            docsPerSecond: .init(relative: [.p50: 35.0]),
            .peakMemoryResident: .init(relative: [.p50: 25.0]),
        ],
        setup: { try prepare() }
    )

    Benchmark("Batch cosine: 4,000 documents, top 10 (GEMM head + sparse tail)") { benchmark in
        let v = vectors!
        var o = SimilarityOptions()
        o.k = 10
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            var found = 0
            let timing = try SimilaritySearch.run(queries: v, candidates: v, selfPairs: true, options: o) { _, lists in
                found += lists.count
            }
            let dt = BenchSupport.now() - t0
            blackHole(found)
            benchmark.measurement(docsPerSecond, Int(Double(v.rows) / dt))
            if timing.gemm > 0 { benchmark.measurement(gemmGFLOPs, Int(timing.gemmFlops / timing.gemm / 1e9)) }
        }
        // A bare sgemm of one tile pair's shape, for the ratio.
        let n = min(2048, v.rows)
        let h = max(1, v.head.cols)
        let a = Matrix<Float>(rows: n, cols: h, repeating: 0.5)
        let b = Matrix<Float>(rows: h, cols: n, repeating: 0.25)
        var c = Matrix<Float>(rows: n, cols: n)
        let t0 = BenchSupport.now()
        try BLAS.gemm(a, b, into: &c)
        benchmark.measurement(bareGFLOPs, Int(2 * Double(n) * Double(n) * Double(h) / (BenchSupport.now() - t0) / 1e9))
    }
}
