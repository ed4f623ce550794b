// swift-tools-version: 6.1
import PackageDescription

// Targets compile in the Swift 5 language mode: the engine shares raw buffers
// across DispatchQueue.concurrentPerform workers (each writes its own slots),
// which Swift 6's strict concurrency checking cannot express without copies.
let package = Package(
    name: "Fingerprint",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "FingerprintKit", targets: ["FingerprintKit"]),
        .executable(name: "fingerprint", targets: ["fingerprint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - C libraries

        /// CBLAS and LAPACKE from the system (`libblas-dev`, `liblapacke-dev`).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "blas",
            providers: [.apt(["libblas-dev", "liblapacke-dev"])]
        ),

        // MARK: - Public API

        /// The engine: corpus input, tokenizers, counting, statistics, sketches, reports.
        .target(
            name: "FingerprintKit",
            dependencies: ["CBLAS"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),

        /// The command-line tool.
        .executableTarget(
            name: "fingerprint",
            dependencies: [
                "FingerprintKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),

        // MARK: - Tests

        .testTarget(
            name: "FingerprintKitTests",
            dependencies: ["FingerprintKit"],
            exclude: ["Fixtures"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "FingerprintCLITests",
            dependencies: ["FingerprintKit", "fingerprint"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
