import ArgumentParser
import FingerprintKit
import Foundation

/// `--stdin`: how standard input is read.
enum StdinFormat: String, CaseIterable, ExpressibleByArgument {
    case text, jsonl
}

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
    @Option(
        help:
            "Tokenizer: word, char:N, ngram:N, a tiktoken encoding r50k|p50k|cl100k|o200k[:RANKS-FILE], or hf:TOKENIZER-JSON (WordPiece); model token ids as tokens."
    )
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

    @Option(
        help:
            "How standard input (-) and pipes (<(…), FIFOs) are read: text (one document) or jsonl (one document a line, the text in --field)."
    )
    var stdin: StdinFormat = .text

    @Flag(help: "Treat any skipped input as an error (exit 65).")
    var strict = false

    @Flag(name: [.short, .long], help: "No progress bar or notes on standard error.")
    var quiet = false

    @Option(help: "Also write every skipped input (path,reason CSV) to this file.")
    var skipped: String?

    @Flag(
        help:
            "Write CSV cells that start with = + - or @ as they are (by default they get a leading ' so that spreadsheets do not run them as formulas)."
    )
    var csvFormulas = false

    @Flag(help: "Print the planned work and the estimated peak memory and time, then exit 0 without doing the work.")
    var dryRun = false

    @Flag(help: "Run even when the estimated peak memory exceeds the memory available now.")
    var force = false

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1.") }
        do { try TokenizerSpec.checkSyntax(tokenizer) } catch { throw ValidationError("--tokenizer: \(error)") }
    }

    /// The parsed --tokenizer (its form validated by `validate()`); reads a
    /// model tokenizer's file, so a missing or malformed one fails here
    /// (exit 66 or 65), not as a usage error.
    func tokenizerSpec() throws -> TokenizerSpec { try TokenizerSpec(parsing: tokenizer) }

    var readOptions: ReadOptions {
        ReadOptions(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, strict: strict)
    }

    /// Applies process-wide settings: the BLAS thread count follows --threads.
    func configure() {
        configureBLAS(threads: threads)
        CSV.neutralizeFormulas = !csvFormulas
    }

    /// The corpus at `path`; `group` selects JSONL records by a field
    /// (`F=V`: only those with value V) or names the field that groups them
    /// (`F`, value nil), given by the option `groupOption` (`--where`,
    /// `--vs`, `--by-field`). Any input but JSON Lines is then refused
    /// (exit 64): it has no fields, and the option was ignored.
    func input(
        _ path: String, keyField: String? = nil, group: (field: String, value: String?)? = nil, groupOption: String = "--where"
    ) throws -> CorpusInput {
        var input = try CorpusInput(
            path: path, globs: globs.isEmpty ? CorpusInput.defaultGlobs : globs, field: field, keyField: keyField,
            standardInputIsJSONL: stdin == .jsonl)
        if let group, input.kind != .jsonl {
            let what =
                switch input.kind {
                case .directory: "a directory"
                case .fingerprint: "a fingerprint file"
                default: "not JSON Lines (a .jsonl file, or standard input with --stdin jsonl)"
                }
            throw FingerprintError.invalidParameter(
                name: groupOption, value: group.value.map { "\(group.field)=\($0)" } ?? group.field,
                reason: "\(input.description) is \(what): it has no fields to select its documents by")
        }
        input.groupField = group?.field
        input.groupValue = group?.value
        return input
    }

    func progress() -> ProgressSink? { quiet ? nil : TerminalProgress.make() }

    func write(_ text: String) throws { try AtomicFile.write(text, to: output) }

    /// Before a run with matrix products, when standard error is a
    /// terminal: one line when OpenBLAS runs kernels below the CPU's
    /// (`BLAS.kernelAdvice`; --version, --dry-run and bench say it too).
    func noteSlowBLAS() {
        guard isatty(2) != 0, let tip = BLAS.kernelAdvice else { return }
        note("fingerprint: note: " + tip)
    }

    /// Prints a note on standard error unless --quiet.
    func note(_ s: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((s.terminalSafe + "\n").utf8))
    }
}

extension SharedOptions {
    /// Checks, before any work, that `--output` can be written and is not
    /// one of the `inputs` (nor a file inside an input directory, nor a hard
    /// link to an input file): a run never overwrites what it reads.
    /// The tokenizer's file (a ranks file, a tokenizer.json) is an input too.
    func checkOutput(inputs: [String?]) throws {
        let read = inputs.compactMap { $0 } + (OutputGuard.tokenizerFile(tokenizer).map { [$0] } ?? [])
        if let skipped {
            try StreamingOutput.preflight(skipped)
            try OutputGuard.refuseOverlap(skipped, flag: "--skipped", inputs: read)
            // One regular file for both loses the report; one device
            // (`/dev/null` for both) is fine.
            var st = stat()
            if let output, output != "-", stat(output, &st) != 0 || (st.st_mode & S_IFMT) == S_IFREG {
                try OutputGuard.refuseOverlap(skipped, flag: "--skipped", inputs: [output], what: "the --output path")
            }
        }
        guard let output, output != "-" else { return }
        try StreamingOutput.preflight(output)
        try OutputGuard.refuseOverlap(output, flag: "--output", inputs: read)
    }

    /// Checks that each of `paths` (optional inputs such as --against or
    /// --boilerplate) exists and can be read, before any work.
    func checkReadable(_ paths: [String?]) throws {
        for case let p? in paths where p != "-" { _ = try CorpusInput(path: p) }
    }
}

/// Refuses, in one line, the first option given that the run would ignore
/// (an option of another method or mode): `options` pairs whether each was
/// given with its flag, `why` words the refusal of that flag (exit 64).
func refuseIgnored(_ options: [(given: Bool, flag: String)], because why: (String) -> String) throws {
    if let first = options.first(where: \.given) { throw ValidationError(why(first.flag)) }
}

/// Refuses an output path that is, or lies inside, an input.
enum OutputGuard {
    /// `what`: how the message names the path it must not be (default: the input).
    static func refuseOverlap(_ output: String, flag: String, inputs: [String], what: String? = nil) throws {
        let out = absolute(output)
        var os = stat()
        let outExists = stat(output, &os) == 0
        for input in inputs where input != "-" {
            let inp = absolute(input)
            var st = stat()
            let sameFile = outExists && stat(input, &st) == 0 && st.st_dev == os.st_dev && st.st_ino == os.st_ino
            if sameFile || out == inp {
                throw FingerprintError.invalidParameter(
                    name: flag, value: output, reason: "is \(what ?? "the input \(input)"); choose another path")
            }
            if out.hasPrefix(inp.hasSuffix("/") ? inp : inp + "/") {
                throw FingerprintError.invalidParameter(
                    name: flag, value: output, reason: "lies inside the input \(input); choose a path outside it")
            }
            // An input read by SQLite (a fingerprint file) has its log, its
            // log's index and its journal beside it, under its name: an
            // output there would be replaced by SQLite, or replace the log
            // of commits not yet in the file.
            for suffix in ["-wal", "-shm", "-journal"] where out == inp + suffix {
                throw FingerprintError.invalidParameter(
                    name: flag, value: output, reason: "is where SQLite keeps the \(suffix) file of the input \(input); choose another path"
                )
            }
        }
        // Beside any SQLite file, not only an input's (said above): SQLite takes
        // `X.fp-wal` for X.fp's log, and the next read of X.fp deleted it.
        for suffix in ["-wal", "-shm", "-journal"] where output.hasSuffix(suffix) {
            let base = String(output.dropLast(suffix.count))
            if FingerprintFile.looksLikeFingerprint(base) {
                throw FingerprintError.invalidParameter(
                    name: flag, value: output, reason: "is where SQLite keeps the \(suffix) file of \(base); choose another path")
            }
        }
    }

    /// The file a `--tokenizer` value reads (`cl100k:RANKS-FILE`,
    /// `hf:TOKENIZER-JSON`), if any.
    static func tokenizerFile(_ spec: String) -> String? {
        guard let colon = spec.firstIndex(of: ":") else { return nil }
        let name = String(spec[..<colon])
        let rest = String(spec[spec.index(after: colon)...])
        guard !rest.isEmpty, name == "hf" || TiktokenPreset(rawValue: name) != nil else { return nil }
        return rest
    }

    /// The absolute path with symbolic links resolved, as far as it exists:
    /// the longest existing prefix is resolved and the rest appended.
    static func absolute(_ path: String) -> String {
        var p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var rest: [String] = []
        while !p.isEmpty && p != "/" {
            if let r = realpath(p, nil) {
                defer { free(r) }
                return ([String(cString: r)] + rest.reversed()).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
            }
            rest.append((p as NSString).lastPathComponent)
            p = (p as NSString).deletingLastPathComponent
        }
        return path
    }
}

extension SharedOptions {
    /// Skipped inputs where a format has no room for them: listed in
    /// `--skipped FILE` when given, and counted on standard error (with the
    /// first few) when `listedInOutput` is false — CSV rows, streamed lines.
    func reportSkips(_ skips: [Skip], listedInOutput: Bool) throws {
        try writeSkipped(skips)
        noteSkips(skips, listedInOutput: listedInOutput)
    }

    /// `--skipped FILE`: written before the command's own output is
    /// committed, so that a failure here leaves `-o`'s file as it was
    /// (review 31b: the report was already replaced, then exit 74).
    func writeSkipped(_ skips: [Skip]) throws {
        if let skipped {
            try AtomicFile.write(CSV.row(["path", "reason"]) + skips.map { CSV.row([$0.path, $0.reason]) }.joined(), to: skipped)
        }
    }

    /// The note on standard error of skips the output does not list.
    func noteSkips(_ skips: [Skip], listedInOutput: Bool) {
        guard !listedInOutput, !skips.isEmpty else { return }
        let first = skips.prefix(3).map(\.description).joined(separator: "; ")
        note(
            "fingerprint: \(skips.count) inputs skipped (\(first)\(skips.count > 3 ? "; …" : ""))"
                + (skipped == nil ? "; --skipped FILE lists them all" : ""))
    }
}

/// The BLAS thread count follows --threads, and OpenBLAS's idle pool is
/// stopped before the work starts (`BLAS.stopIdleThreads`), both when the
/// library opens: commands that multiply no matrix never load it
/// (`BLASLibrary`). Both option groups' `configure()` call this.
func configureBLAS(threads: Int?) {
    BLAS.configure(threads: threads, stopPool: true)
}

extension SharedOptions {
    /// Inputs stored in fewer bytes than this are not surveyed before a real
    /// run: at the engine's bounded footprint they cannot exhaust the memory.
    static let surveyThreshold = 64 << 20

    /// `--dry-run` and the memory check before a run. With `--dry-run`,
    /// prints the plan (`json`: as JSON) and returns true: the command stops.
    /// Otherwise, when the inputs are large enough to matter and `--force`
    /// is not given, refuses to start (exit 75) if the estimated peak exceeds
    /// the memory available now, naming the option that lowers it (the
    /// inputs surveyed for a bound first, `WorkPlan.gated`).
    /// `dryRunShows`: the refusal points at `--dry-run` (not for `index query`, which takes none).
    /// `shingling`: the run reads a file's shingles, not its counts
    /// (`FingerprintFile.requireShingles`).
    func planGate(
        inputs: [CorpusInput], json: Bool, advice: String, dryRunShows: Bool = true, shingling: Bool = false,
        _ make: (SurveyDepth) throws -> WorkPlan
    ) throws -> Bool {
        try CorpusSurvey.withListingsKept {
            try checkPlan(inputs: inputs, json: json, advice: advice, dryRunShows: dryRunShows, shingling: shingling, make)
        }
    }

    private func checkPlan(
        inputs: [CorpusInput], json: Bool, advice: String, dryRunShows: Bool, shingling: Bool,
        _ make: (SurveyDepth) throws -> WorkPlan
    ) throws -> Bool {
        // A fingerprint file made with another tokenizer is refused by the
        // run; a dry run says so too, instead of a plan (exit 0).
        // So is a keyed file beside text or a file of another key.
        if dryRun {
            var keys: [(input: String, keyID: String?)] = []
            for input in inputs {
                guard input.kind == .fingerprint else {
                    keys.append((input.description, nil))
                    continue
                }
                let file = try FingerprintFile(path: input.path)
                if shingling {
                    try file.requireShingles(tokenizer: try tokenizerSpec())
                } else {
                    try file.requireCompatible(tokenizer: try tokenizerSpec())
                }
                keys.append((input.path, file.parameters.keyID))
            }
            for k in keys.dropFirst() { try FingerprintStore.requireSameKey(keys[0], k) }
        }
        if !dryRun {
            if force { return false }
            let stored = try inputs.reduce(0) { try $0 &+ CorpusSurvey.planningBytes($1) }
            // Small inputs are not worth the survey, unless the memory is scarce.
            let available = WorkPlan.availableMemory() ?? .infinity
            guard Double(stored) >= min(Double(SharedOptions.surveyThreshold), available / 64) else { return false }
        }
        // The GEMM rate and the library only feed what --dry-run prints;
        // measuring would wake OpenBLAS's pool (see `BLAS.stopIdleThreads`),
        // and naming the library would load it, at the start of the real run.
        Trace.mark("plan: inputs listed")
        let available = WorkPlan.availableMemory()
        let made = try dryRun ? make(.estimate) : WorkPlan.gated(available: available, make)
        let plan = made.finished(
            gflops: dryRun ? WorkPlan.measureGflops() : 0, blas: dryRun ? BLAS.runtime.library : "", available: available,
            advice: made.largestDocumentBytes.map {
                "the largest document alone needs about \(PlanReport.bytes($0)) while it is read (its tokens are held): split it"
            } ?? advice)
        let depth =
            plan.corpora.contains { $0.isWorstCase }
            ? "the worst case, from sizes" : plan.corpora.contains { $0.isBound } ? "a bound" : "the estimate"
        Trace.mark("plan: surveyed (\(depth))")
        if dryRun {
            print(json ? try JSONOutput.encode(plan) : PlanReport.table(plan), terminator: "")
            return true
        }
        if plan.exceedsAvailable {
            let message =
                "fingerprint: error: this run needs about \(PlanReport.bytes(plan.peakBytes)) at its peak, more than the "
                + "\(PlanReport.bytes(plan.availableBytes ?? 0)) available now; \(plan.advice ?? advice), or --force to run anyway"
                + (dryRunShows ? " (--dry-run shows the estimate)" : "")
            FileHandle.standardError.write(Data((message.terminalSafe + "\n").utf8))
            throw ExitCode(ExitStatus.tooBig)
        }
        return false
    }
}
