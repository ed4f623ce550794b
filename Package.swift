// swift-tools-version: 6.1
import PackageDescription

// Targets follow the data flow — Core (inputs, tokens, counts) → Statistics →
// Report — so that a lower layer importing a higher one does not compile.
// The CLI is the only place that wires inputs, computation and writers.
//
// Targets compile in the Swift 5 language mode: the engine shares raw buffers
// across worker threads (each writes its own slots), which Swift 6's strict
// concurrency checking cannot express without copies.
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "Fingerprint",
    products: [
        .library(name: "FingerprintKit", targets: ["FingerprintKit"]),
        .executable(name: "fingerprint", targets: ["fingerprint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // MARK: - C libraries

        /// CBLAS and LAPACKE headers from the system (`libblas-dev`,
        /// `liblapacke-dev`). Nothing is linked: the libraries are opened
        /// when a command first multiplies a matrix (`BLASLibrary`).
        .systemLibrary(name: "CBLAS", providers: [.apt(["libblas-dev", "liblapacke-dev"])]),

        /// zlib (gzip inputs) and Zstandard (.zst inputs) from the system
        /// (`zlib1g-dev`, `libzstd-dev`).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        /// SQLite from the system (`libsqlite3-dev`): fingerprint files and the index.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        /// Inner loops in C with vector extensions: fast in the debug builds
        /// the tests run as well as in release (FlatStatistics).
        .target(name: "CKernels"),

        // MARK: - Engine, along the data flow

        /// Inputs, tokens and counts: corpora (directories, files, JSONL,
        /// stdin), tokenizers, the token table and document-term matrix,
        /// n-gram hashes; fingerprint files (SQLite) and keyed hashing;
        /// errors, hashing, seeded random, the work queue, atomic output.
        .target(name: "FingerprintCore", dependencies: ["CZlib", "CZstd", "CSQLite", "CKernels"], swiftSettings: swift5),

        /// Statistics on counts: divergences, BLAS/LAPACK linear algebra,
        /// the permutation test, comparison, batch similarity, sketches,
        /// dedup and passage alignment. Never formats text for people.
        .target(name: "FingerprintStatistics", dependencies: ["FingerprintCore", "CBLAS", "CKernels"], swiftSettings: swift5),

        /// Writers: table, JSON, JSONL, CSV, HTML/SVG, and the English
        /// verdicts. Receives document text from Core's re-reader; never
        /// opens corpus files itself.
        .target(name: "FingerprintReport", dependencies: ["FingerprintCore", "FingerprintStatistics"], swiftSettings: swift5),

        /// The generator of synthetic corpora with planted relations.
        .target(name: "FingerprintSynth", dependencies: ["FingerprintCore"], swiftSettings: swift5),

        /// The `bench` suite: generated corpora, accuracy against the planted
        /// truth, timings, and the Python peers.
        .target(
            name: "FingerprintBench",
            dependencies: ["FingerprintCore", "FingerprintStatistics", "FingerprintReport", "FingerprintSynth"],
            swiftSettings: swift5
        ),

        // MARK: - Public API

        /// The library users import: re-exports the engine's public API and
        /// adds in-memory entry points.
        .target(
            name: "FingerprintKit",
            dependencies: ["FingerprintCore", "FingerprintStatistics", "FingerprintReport", "FingerprintSynth"],
            swiftSettings: swift5
        ),

        /// The command-line tool.
        .executableTarget(
            name: "fingerprint",
            dependencies: [
                "FingerprintKit", "FingerprintBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swift5
        ),

        // MARK: - Fuzzing

        /// The fuzz targets' checks (JSONL parser, tokenizers, terminal and
        /// CSV escaping), shared by `fingerprint-fuzz` and the test suite.
        .target(name: "FingerprintFuzz", dependencies: ["FingerprintCore", "FingerprintReport"], swiftSettings: swift5),

        /// Replays the committed corpora (Tests/Fuzz/<target>/corpus) in a
        /// normal build; a libFuzzer binary when built by Scripts/fuzz.sh
        /// (`--sanitize fuzzer`, `-DFUZZING`).
        .executableTarget(name: "fingerprint-fuzz", dependencies: ["FingerprintFuzz"], swiftSettings: swift5),

        // MARK: - Tests

        .testTarget(
            name: "FingerprintKitTests",
            dependencies: ["FingerprintKit", "FingerprintBench", "CKernels"],
            exclude: ["Fixtures"],
            swiftSettings: swift5
        ),
        .testTarget(
            name: "FingerprintCLITests",
            dependencies: ["FingerprintKit", "fingerprint"],
            exclude: ["Golden", "Help"],
            swiftSettings: swift5
        ),
        .testTarget(name: "FingerprintFuzzTests", dependencies: ["FingerprintFuzz"], swiftSettings: swift5),
    ]
)
