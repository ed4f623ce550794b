// Ingest: read + tokenise (word) + count a generated 20 MB corpus from disk
// (page cache warm after the first iteration), as `fingerprint stats` does;
// and the same bytes as one file, which the reader splits into parts at
// whitespace so that every core works on it (issue 16).
//
// Metrics: wall clock; `ingest bytes/s` (custom, corpus bytes / wall time of
// the iteration, higher is better — package-benchmark's `.throughput` counts
// iterations per second, which here is corpora/s); peak resident memory;
// malloc calls.

import BenchSupport
import Benchmark
import FingerprintKit
import Foundation

/// 20 MB in all over the generator's twelve corpus folders (seed 1).
let corpusBytes = 20_000_000

nonisolated(unsafe) var corpusDirectory: String?
nonisolated(unsafe) var corpusSize = 0
/// A directory holding one file: the corpus's files concatenated.
nonisolated(unsafe) var singleFileDirectory: String?

func prepareCorpus() throws {
    BenchSupport.printEnvironment("Ingest")
    guard corpusDirectory == nil else { return }
    let dir = try BenchSupport.cachedDirectory("ingest-20MB-seed1-v\(CorpusGenerator.version)") { dir in
        try CorpusGenerator(seed: 1).writeSized(to: dir, totalBytes: corpusBytes)
    }
    // Bytes the reader sees (the *.txt files; not manifest.json).
    let probe = try Counter.count(CorpusInput(path: dir), buildMatrix: false)
    corpusSize = probe.bytes
    corpusDirectory = dir
    singleFileDirectory = try BenchSupport.cachedDirectory("ingest-20MB-seed1-one-file-v\(CorpusGenerator.version)") { one in
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".txt") }.sorted()
        FileManager.default.createFile(atPath: one + "/all.txt", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: one + "/all.txt"))
        defer { try? out.close() }
        for f in files {
            // A newline between documents, so no two of them join into one token.
            try out.write(contentsOf: FileManager.default.contents(atPath: dir + "/" + f)! + [0x0A])
        }
    }
}

let bytesPerSecond = BenchmarkMetric.custom("ingest bytes/s", polarity: .prefersLarger, useScalingFactor: false)

/// One read of the corpus; records bytes/s.
func ingest(_ benchmark: Benchmark, threads: Int, buildMatrix: Bool, oneFile: Bool = false) throws {
    let input = try CorpusInput(path: oneFile ? singleFileDirectory! : corpusDirectory!)
    for _ in benchmark.scaledIterations {
        let t0 = BenchSupport.now()
        let counted = try Counter.count(input, buildMatrix: buildMatrix, options: ReadOptions(threads: threads))
        let dt = BenchSupport.now() - t0
        blackHole(counted.matrix.tokenCount)
        blackHole(counted)
        benchmark.measurement(bytesPerSecond, Int(Double(counted.bytes) / dt))
    }
}

let benchmarks: @Sendable () -> Void = {
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        // Loose: 2 shared cores, the lead may be building at the same time.
        .wallClock: .init(relative: [.p50: 35.0]),
        bytesPerSecond: .init(relative: [.p50: 35.0]),
        .peakMemoryResident: .init(relative: [.p50: 25.0]),
        .mallocCountTotal: .init(relative: [.p50: 20.0]),
    ]
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, bytesPerSecond, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(8),
        maxIterations: 15,
        thresholds: thresholds,
        setup: { try prepareCorpus() }
    )

    Benchmark("Ingest 20 MB: tokenise + count, all cores (stats path, no matrix)") { benchmark in
        try ingest(benchmark, threads: ProcessInfo.processInfo.activeProcessorCount, buildMatrix: false)
    }

    Benchmark("Ingest 20 MB: tokenise + count, all cores, CSR matrix (compare path)") { benchmark in
        try ingest(benchmark, threads: ProcessInfo.processInfo.activeProcessorCount, buildMatrix: true)
    }

    Benchmark("Ingest 20 MB: tokenise + count, 1 thread (no matrix)") { benchmark in
        try ingest(benchmark, threads: 1, buildMatrix: false)
    }

    Benchmark("Ingest 20 MB as one file: all cores, read in parts (no matrix)") { benchmark in
        try ingest(benchmark, threads: ProcessInfo.processInfo.activeProcessorCount, buildMatrix: false, oneFile: true)
    }

    Benchmark("Ingest 20 MB as one file: 1 thread (no matrix)") { benchmark in
        try ingest(benchmark, threads: 1, buildMatrix: false, oneFile: true)
    }
}
