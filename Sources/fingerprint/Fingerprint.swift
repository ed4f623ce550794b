import ArgumentParser
import FingerprintKit

@main
struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Measure how alike two bodies of text are, and why.",
        discussion: """
            Exit codes: 0 success; 1 --fail-on-match found a match; 64 bad usage; \
            65 nothing usable in a corpus; 66 input not found or unreadable; 74 cannot write output.
            """,
        version: FingerprintKit.Fingerprint.version,
        subcommands: [Stats.self, Compare.self, BatchCommand.self, DedupCommand.self, BenchCommand.self, Synth.self]
    )
}
