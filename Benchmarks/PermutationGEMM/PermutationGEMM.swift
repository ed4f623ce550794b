// PermutationGEMM: the permutation test's group sums as `fingerprint compare`
// computes them — FeatureMatrix<Float>.multiply of a (P × N) 0/1 indicator by
// the (N × F) count matrix, 256 permutation rows per GEMM — against one bare
// BLAS.gemm (cblas_sgemm) of the same shape.
//
// Shape: P = 999 relabellings, N = 2000 generated documents (1000 of source
// A, 1000 of source B, 300 words each), F = 1001 features (top 1000 types by
// pooled count + "other"). FLOPs per product: 2·P·N·F ≈ 4.0 GFLOP.
//
// Metrics: wall clock; `GFLOP/s ×1000` (custom, i.e. MFLOP/s, higher is
// better); for the FeatureMatrix benchmarks also `% of bare sgemm` (custom:
// the bare GEMM's median time, measured in the setup of the same process,
// over this iteration's time); peak memory and malloc calls.

import BenchSupport
import Benchmark
import FingerprintKit
import Foundation

let permutationCount = 999
let documentsPerSide = 1000
let topK = 1000

struct GEMMData {
    var features: FeatureMatrix<Float>
    var dense: Matrix<Float>
    var indicators: Matrix<Float>
    var permutations: [[UInt8]]
    var design: Design
    var flops: Double { 2 * Double(indicators.rows) * Double(dense.rows) * Double(dense.cols) }
}

nonisolated(unsafe) var cached: GEMMData?
nonisolated(unsafe) var bareSeconds: Double = 0
nonisolated(unsafe) var seconds: [Double] = []

func data() -> GEMMData {
    if let cached { return cached }
    BenchSupport.printEnvironment("PermutationGEMM")
    let g = CorpusGenerator(seed: 1)
    var docs: [[UInt8]] = []
    for i in 0..<documentsPerSide {
        docs.append(g.document(source: g.sourceA, words: 300, stream: CorpusGenerator.Stream.sourceA, index: i))
    }
    for i in 0..<documentsPerSide {
        docs.append(g.document(source: g.sourceB, words: 300, stream: CorpusGenerator.Stream.sourceB, index: i))
    }
    let m = Counter.count(documents: docs).matrix
    // The compare test's features: top-K by pooled count (ties by token) + "other".
    let top = m.vocabulary.topByCount(topK)
    var typeToColumn = [Int32](repeating: Int32(top.count), count: m.typeCount)
    for (c, t) in top.enumerated() { typeToColumn[t] = Int32(c) }
    let cols = top.count + 1
    let n = m.documentCount
    let features = FeatureMatrix<Float>(m, documents: Array(0..<n), typeToColumn: typeToColumn, cols: cols)
    let dense = features.block(0..<n)
    let design = Design(a: documentsPerSide, b: documentsPerSide)
    let permutations = (0..<permutationCount).map { design.permutation($0, seed: 0) }
    var indicators = Matrix<Float>(rows: permutationCount, cols: n)
    for (r, p) in permutations.enumerated() { for d in 0..<n where p[d] == 0 { indicators[r, d] = 1 } }
    let d = GEMMData(features: features, dense: dense, indicators: indicators, permutations: permutations, design: design)
    BenchSupport.eprint(
        "[PermutationGEMM] P = \(permutationCount), N = \(n), F = \(cols) (vocabulary \(m.typeCount)); "
            + "\(String(format: "%.2f", d.flops / 1e9)) GFLOP per product; FeatureMatrix block rows \(features.blockRows)")
    cached = d
    return d
}

/// Median time of `reps` bare GEMMs (after one warm-up): the reference the
/// FeatureMatrix benchmarks divide by.
func calibrateBare(_ d: GEMMData, reps: Int = 7) throws {
    var c = Matrix<Float>(rows: d.indicators.rows, cols: d.dense.cols)
    try BLAS.gemm(d.indicators, d.dense, into: &c)
    var t: [Double] = []
    for _ in 0..<reps {
        let t0 = BenchSupport.now()
        try BLAS.gemm(d.indicators, d.dense, into: &c)
        t.append(BenchSupport.now() - t0)
    }
    bareSeconds = BenchSupport.median(t)
    seconds = []
}

/// JSD in bits of group-A counts `a` vs `totals − a`: the same arithmetic as
/// the engine's PermutationTest.jsd (internal), which compare applies to each
/// row of the GEMM's output.
@inline(never)
func jsd(_ a: UnsafeBufferPointer<Float>, _ totals: [Double]) -> Double {
    var ta = 0.0
    var tt = 0.0
    for j in 0..<totals.count {
        ta += Double(a[j])
        tt += totals[j]
    }
    let tb = tt - ta
    guard ta > 0, tb > 0 else { return 0 }
    var hm = 0.0
    var hp = 0.0
    var hq = 0.0
    for j in 0..<totals.count {
        let ca = Double(a[j])
        let p = ca / ta
        let q = (totals[j] - ca) / tb
        if p > 0 { hp -= p * log2(p) }
        if q > 0 { hq -= q * log2(q) }
        let m = 0.5 * (p + q)
        if m > 0 { hm -= m * log2(m) }
    }
    return max(0, hm - 0.5 * (hp + hq))
}

/// FeatureMatrix.multiply's whole-matrix path (blocks of 256 indicator rows:
/// allocate, fill, GEMM, hand each row on), compiled for Float in this module.
func specialisedMultiply(_ d: GEMMData, branchless: Bool, consume: (UnsafeBufferPointer<Float>) -> Void) throws {
    let n = d.dense.rows
    let f = d.dense.cols
    var start = 0
    while start < permutationCount {
        let r = min(256, permutationCount - start)
        // Storage built here (specialised); Matrix(rows:cols:) would run the engine's generic init.
        var w = Matrix<Float>(rows: r, cols: n, storage: [Float](repeating: 0, count: r * n))
        w.storage.withUnsafeMutableBufferPointer { buf in
            for i in 0..<r {
                let p = d.permutations[start + i]
                let row = UnsafeMutableBufferPointer(rebasing: buf[(i * n)..<((i + 1) * n)])
                if branchless {
                    for j in 0..<n { row[j] = Float(1 &- p[j]) }
                } else {
                    for j in 0..<n where p[j] == 0 { row[j] = 1 }
                }
            }
        }
        var sums = Matrix<Float>(rows: r, cols: f, storage: [Float](repeating: 0, count: r * f))
        try BLAS.gemm(w, d.dense, into: &sums)
        sums.storage.withUnsafeBufferPointer { s in
            for i in 0..<r { consume(UnsafeBufferPointer(rebasing: s[(i * f)..<((i + 1) * f)])) }
        }
        start += r
    }
}

let mflops = BenchmarkMetric.custom("GFLOP/s x1000", polarity: .prefersLarger, useScalingFactor: false)
let percentOfBare = BenchmarkMetric.custom("% of bare sgemm", polarity: .prefersLarger, useScalingFactor: false)

func record(_ benchmark: Benchmark, _ d: GEMMData, _ dt: Double, relative: Bool) {
    benchmark.measurement(mflops, Int(d.flops / dt / 1e6))
    if relative {
        seconds.append(dt)
        benchmark.measurement(percentOfBare, Int((100 * bareSeconds / dt).rounded()))
    }
}

func report(_ name: String) {
    guard !seconds.isEmpty, bareSeconds > 0, let d = cached else { return }
    let ours = BenchSupport.median(seconds)
    BenchSupport.eprint(
        String(
            format: "[PermutationGEMM] %@: median %.1f ms = %.1f GFLOP/s; bare sgemm %.1f ms = %.1f GFLOP/s; ratio ours/bare %.2f",
            name, ours * 1e3, d.flops / ours / 1e9, bareSeconds * 1e3, d.flops / bareSeconds / 1e9, bareSeconds / ours))
}

let benchmarks: @Sendable () -> Void = {
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p50: 35.0]),
        mflops: .init(relative: [.p50: 35.0]),
        // A ratio within one process: steadier than either time, still noisy on 2 shared cores.
        percentOfBare: .init(relative: [.p50: 20.0]),
        .peakMemoryResident: .init(relative: [.p50: 25.0]),
        .mallocCountTotal: .init(relative: [.p50: 25.0]),
    ]
    /// A configuration with the thresholds of its metrics only.
    func config(
        _ metrics: [BenchmarkMetric], setup: Benchmark.BenchmarkSetupHook? = nil,
        teardown: Benchmark.BenchmarkTeardownHook? = nil
    ) -> Benchmark.Configuration {
        .init(
            metrics: metrics, warmupIterations: 2, maxDuration: .seconds(6), maxIterations: 60,
            thresholds: thresholds.filter { metrics.contains($0.key) }, setup: setup, teardown: teardown)
    }
    let gemmMetrics: [BenchmarkMetric] = [.wallClock, mflops, .peakMemoryResident, .mallocCountTotal]
    let relativeMetrics: [BenchmarkMetric] = [.wallClock, mflops, percentOfBare, .peakMemoryResident, .mallocCountTotal]

    Benchmark(
        "Permutation GEMM: bare BLAS.gemm 999x2000 * 2000x1001 (one call)",
        configuration: config(gemmMetrics, setup: { _ = data() })
    ) { benchmark in
        let d = data()
        var c = Matrix<Float>(rows: d.indicators.rows, cols: d.dense.cols)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            try BLAS.gemm(d.indicators, d.dense, into: &c)
            let dt = BenchSupport.now() - t0
            blackHole(c.storage[0])
            record(benchmark, d, dt, relative: false)
        }
    }

    Benchmark(
        "Permutation GEMM: bare BLAS.gemm in blocks of 256 rows",
        configuration: config(
            relativeMetrics, setup: { try calibrateBare(data()) },
            teardown: { report("bare, 256-row blocks") })
    ) { benchmark in
        let d = data()
        let n = d.dense.rows
        let blocks = stride(from: 0, to: permutationCount, by: 256).map { s -> Matrix<Float> in
            let r = min(256, permutationCount - s)
            return Matrix(rows: r, cols: n, storage: Array(d.indicators.storage[(s * n)..<((s + r) * n)]))
        }
        var outs = blocks.map { Matrix<Float>(rows: $0.rows, cols: d.dense.cols) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            for i in blocks.indices { try BLAS.gemm(blocks[i], d.dense, into: &outs[i]) }
            let dt = BenchSupport.now() - t0
            blackHole(outs[0].storage[0])
            record(benchmark, d, dt, relative: true)
        }
    }

    Benchmark(
        "Permutation GEMM: FeatureMatrix.multiply, precomputed relabellings",
        configuration: config(
            relativeMetrics, setup: { try calibrateBare(data()) },
            teardown: { report("FeatureMatrix.multiply (precomputed)") })
    ) { benchmark in
        let d = data()
        for _ in benchmark.scaledIterations {
            var checksum: Float = 0
            let t0 = BenchSupport.now()
            try d.features.multiply(
                weightRows: permutationCount,
                fill: { r, buf in
                    let p = d.permutations[r]
                    for i in 0..<p.count where p[i] == 0 { buf[i] = 1 }
                },
                consume: { _, sums in
                    checksum += sums[0]
                })
            let dt = BenchSupport.now() - t0
            blackHole(checksum)
            record(benchmark, d, dt, relative: true)
        }
    }

    // FeatureMatrix.multiply's loop (whole-matrix case) copied here, where it is
    // compiled for Float: called from another module, the engine's generic
    // `multiply` runs unspecialised (value-witness calls per element when it
    // allocates its blocks). The gap between this and the benchmark above is
    // that cost; the gap between the two fills is the branchy fill's.
    for branchless in [false, true] {
        let fillName = branchless ? "branchless fill" : "same branchy fill"
        Benchmark(
            "Permutation GEMM: multiply's loop specialised for Float here, \(fillName)",
            configuration: config(
                relativeMetrics, setup: { try calibrateBare(data()) },
                teardown: { report("multiply's loop specialised, \(fillName)") })
        ) { benchmark in
            let d = data()
            for _ in benchmark.scaledIterations {
                var checksum: Float = 0
                let t0 = BenchSupport.now()
                try specialisedMultiply(d, branchless: branchless) { checksum += $0[0] }
                let dt = BenchSupport.now() - t0
                blackHole(checksum)
                record(benchmark, d, dt, relative: true)
            }
        }
    }

    // The serial work around the GEMMs, alone (no GEMM): where the gap between
    // "as compare runs it" and the bare GEMM goes.
    Benchmark(
        "Permutation GEMM parts: 999 x Design.permutation (N = 2000), no GEMM",
        configuration: config([.wallClock, .mallocCountTotal], setup: { _ = data() })
    ) { benchmark in
        let d = data()
        for _ in benchmark.scaledIterations {
            var ones = 0
            for r in 0..<permutationCount { ones &+= Int(d.design.permutation(r, seed: 0)[r]) }
            blackHole(ones)
        }
    }

    Benchmark(
        "Permutation GEMM parts: 999 x JSD over 1001 features, no GEMM",
        configuration: config([.wallClock, .mallocCountTotal], setup: { _ = data() })
    ) { benchmark in
        let d = data()
        let totals = d.features.weightedColumnSums { _ in 1 }
        let sums = (0..<totals.count).map { Float($0 % 7 == 0 ? 0 : totals[$0] / 2) }
        for _ in benchmark.scaledIterations {
            var s = 0.0
            for _ in 0..<permutationCount { s += sums.withUnsafeBufferPointer { jsd($0, totals) } }
            blackHole(s)
        }
    }

    Benchmark(
        "Permutation GEMM: the engine's permutation null as compare runs it (draw + GEMM + JSD)",
        configuration: config(
            relativeMetrics, setup: { try calibrateBare(data()) },
            teardown: { report("compare's permutation null (draw + GEMM + JSD)") })
    ) { benchmark in
        let d = data()
        let totals = d.features.weightedColumnSums { _ in 1 }
        var o = CompareOptions()
        o.permutations = permutationCount
        for _ in benchmark.scaledIterations {
            let t0 = BenchSupport.now()
            let null = try PermutationTest.null(
                d.features, totals: totals, design: d.design, permutations: o.permutations, seed: o.seed, threads: o.read.threads)
            let dt = BenchSupport.now() - t0
            blackHole(null)
            record(benchmark, d, dt, relative: true)
        }
    }
}
