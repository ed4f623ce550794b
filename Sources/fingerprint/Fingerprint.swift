import ArgumentParser
import FingerprintKit
import Foundation

@main
struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Measure how alike two bodies of text are, and why.",
        discussion: """
            Exit codes: 0 success; 1 --fail-on-match found a match; 64 bad usage; \
            65 nothing usable in a corpus, a malformed checkpoint or fingerprint file, or fingerprint files that cannot be \
            compared; 66 input not found or unreadable; 70 an internal limit (a matrix too large for 32-bit BLAS); \
            74 cannot write output; 75 the estimated peak memory exceeds the memory available (--force runs anyway).

            A path that starts with '-' goes after '--': fingerprint stats -- -notes.txt. \
            The definitions of every statistic are in docs/DESIGN.md.
            """,
        // What ArgumentParser would print; `main()` answers --version
        // itself, with the BLAS library, which this would load every run.
        version: "fingerprint \(Fingerprint.version)",
        subcommands: [
            Stats.self, Compare.self, BatchCommand.self, DedupCommand.self, AttributeCommand.self, WeightsCommand.self,
            TokenizersCommand.self, SketchCommand.self, IndexCommand.self, MergeCommand.self, BenchCommand.self, Synth.self,
        ]
    )

    /// Runs the command line. An argument such as `-notes.txt` would be read
    /// as a bundle of short flags (`-n -o -t -e …`, and `-h` prints help);
    /// one that looks like a file name is refused with a hint to put it
    /// after `--`.
    static func main() {
        Trace.mark("main")
        if let (index, bytes) = nonUTF8Argument() {
            // Swift hands arguments over as strings, each invalid byte
            // replaced by U+FFFD: such a name would open another file or
            // none, and an output would be written under another name.
            FileHandle.standardError.write(
                Data(
                    ("fingerprint: error: argument \(index), '\(FileName.display(bytes).terminalSafe)', is not valid UTF-8 and cannot be used as given: "
                        + "name the folder that holds such a file instead (names found in a folder are read by their bytes), or rename it\n")
                        .utf8))
            Foundation.exit(ExitStatus.usage)
        }
        // Wherever ArgumentParser takes it: any argument before '--'.
        if CommandLine.arguments.dropFirst().prefix(while: { $0 != "--" }).contains("--version") {
            print(versionText)
            Foundation.exit(0)
        }
        if let arg = dashedPath(in: Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(
                Data(
                    "fingerprint: error: '\(arg.terminalSafe)' looks like a file name; put paths that start with '-' after '--', as in: fingerprint stats -- \(arg.terminalSafe)\n"
                        .utf8))
            Foundation.exit(ExitStatus.usage)
        }
        // Said once, at exit, whichever command capped a count (`CountLimit`).
        atexit {
            let n = CountLimit.cappedEntries
            guard n > 0 else { return }
            FileHandle.standardError.write(
                Data(
                    ("fingerprint: warning: \(n) per-document token counts passed 2,147,483,647 and were capped there "
                        + "(one token that often in one document of over 4 GB; corpus totals are exact where the document was read in parts)\n")
                        .utf8))
        }
        main(nil)
    }

    /// The first argument (1-based) whose bytes are not valid UTF-8, with them.
    static func nonUTF8Argument() -> (Int, [UInt8])? {
        for i in 1..<Int(CommandLine.argc) {
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
            if !FileName.isUTF8(bytes) { return (i, bytes) }
        }
        return nil
    }

    /// The first argument before `--` that starts with a single '-', is not
    /// a number, and holds a '.' or a '/' (so it cannot be short flags).
    static func dashedPath(in arguments: [String]) -> String? {
        for a in arguments {
            if a == "--" { return nil }
            guard a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 2, Double(a) == nil else { continue }
            if a.contains(".") || a.contains("/") { return a }
        }
        return nil
    }

    /// `fingerprint --version`: the version, and the BLAS library in use
    /// (OpenBLAS is 20–40× faster than the reference BLAS).
    static var versionText: String {
        let blas = BLAS.runtime
        return "fingerprint \(Fingerprint.version)\nBLAS: \(blas.library) (core \(blas.core), \(blas.threads) threads)"
            + (BLAS.kernelAdvice.map { "\nnote: \($0)" } ?? "")
    }
}
