// swift-tools-version: 6.1
//
// Benchmarks for FingerprintKit, run with ordo-one/benchmark (formerly package-benchmark):
//
//     swift package --package-path Benchmarks benchmark
//
// (see Benchmarks/README.md). This is its own package so that the root
// package does not depend on the benchmark tooling.
import PackageDescription

let package = Package(
    name: "FingerprintBenchmarks",
    dependencies: [
        // Named so the product reference does not depend on the checkout directory name.
        .package(name: "Fingerprint", path: ".."),
        // Only the malloc interposer trait: the default traits also pull in
        // swift-runtime-interposer, which is not available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        /// Shared helpers: generated corpora, the BLAS banner, timing.
        .target(
            name: "BenchSupport",
            dependencies: [.product(name: "FingerprintKit", package: "Fingerprint")],
            path: "BenchSupport",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "Ingest",
            dependencies: benchmarkDependencies,
            path: "Ingest",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PermutationGEMM",
            dependencies: benchmarkDependencies,
            path: "PermutationGEMM",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Compare",
            dependencies: benchmarkDependencies,
            path: "Compare",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "BatchCosine",
            dependencies: benchmarkDependencies,
            path: "BatchCosine",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MinHash",
            dependencies: benchmarkDependencies,
            path: "MinHash",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Winnowing",
            dependencies: benchmarkDependencies,
            path: "Winnowing",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

var benchmarkDependencies: [Target.Dependency] {
    [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "FingerprintKit", package: "Fingerprint"),
        "BenchSupport",
    ]
}
