import ArgumentParser
import FingerprintKit

@main
struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Measure how alike two bodies of text are, and why.",
        discussion: """
            Exit codes: 0 success; 1 --fail-on-match found a match; 64 bad usage; \
            65 nothing usable in a corpus; 66 input not found or unreadable; 70 an internal limit \
            (a matrix too large for 32-bit BLAS); 74 cannot write output.

            A path that starts with '-' goes after '--': fingerprint stats -- -notes.txt. \
            The definitions of every statistic are in docs/DESIGN.md.
            """,
        version: versionText,
        subcommands: [Stats.self, Compare.self, BatchCommand.self, DedupCommand.self, BenchCommand.self, Synth.self]
    )

    /// `fingerprint --version`: the version, and the BLAS library in use
    /// (OpenBLAS is 20–40× faster than the reference BLAS).
    static var versionText: String {
        let blas = BLAS.runtime
        return "fingerprint \(Fingerprint.version)\nBLAS: \(blas.library) (core \(blas.core), \(blas.threads) threads)"
    }
}
