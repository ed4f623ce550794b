import ArgumentParser
import FingerprintKit
import Foundation

/// `--format` of stats and bench.
enum TableFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv
    var output: OutputFormat { OutputFormat(rawValue: rawValue)! }
}

/// `--format` of compare.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv, html
    var output: OutputFormat { OutputFormat(rawValue: rawValue)! }
}

/// `--format` of batch and dedup, whose rows can stream as JSON Lines.
enum StreamFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, jsonl, csv, html
    var output: OutputFormat { OutputFormat(rawValue: rawValue)! }
}

/// Options every command takes.
struct SharedOptions: ParsableArguments {
    @Option(help: "Tokenizer: word, char:N or ngram:N.")
    var tokenizer: String = "word"

    @Option(name: [.short, .long], help: "Write the result to this file (atomically) instead of standard output.")
    var output: String?

    @Option(help: "Seed for every random choice (permutations, resamples, subsamples).")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("glob"), help: "File-name pattern for directories (repeatable; default *.txt *.md *.text).")
    var globs: [String] = []

    @Option(help: "JSONL field that holds the text.")
    var field: String = "text"

    @Flag(help: "Treat any skipped input as an error (exit 65).")
    var strict = false

    @Flag(name: [.short, .long], help: "No progress bar or notes on standard error.")
    var quiet = false

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1.") }
        do { _ = try TokenizerSpec(parsing: tokenizer) } catch { throw ValidationError("--tokenizer: \(error)") }
    }

    /// The parsed --tokenizer (validated by `validate()`).
    func tokenizerSpec() throws -> TokenizerSpec { try TokenizerSpec(parsing: tokenizer) }

    var readOptions: ReadOptions {
        ReadOptions(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, strict: strict)
    }

    /// Applies process-wide settings: the BLAS thread count follows --threads.
    func configure() {
        if let threads { BLAS.setThreads(threads) }
    }

    func input(_ path: String, keyField: String? = nil) throws -> CorpusInput {
        try CorpusInput(path: path, globs: globs.isEmpty ? CorpusInput.defaultGlobs : globs, field: field, keyField: keyField)
    }

    func progress() -> ProgressSink? { quiet ? nil : TerminalProgress.make() }

    func write(_ text: String) throws { try AtomicFile.write(text, to: output) }

    /// Prints a note on standard error unless --quiet.
    func note(_ s: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}
