import ArgumentParser
import FingerprintKit
import Foundation

extension WeightsOptions.Align: ExpressibleByArgument {}

/// Options of the checkpoint commands: corpus options (tokenizer, globs,
/// JSONL fields) do not apply to model weights.
struct CheckpointOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Write the result to this file (atomically) instead of standard output.")
    var output: String?

    @Option(help: "Seed for every random choice (independent initialisations, randomized SVD).")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(name: [.short, .long], help: "No notes on standard error.")
    var quiet = false

    @Flag(
        help:
            "Write CSV cells that start with = + - or @ as they are (by default they get a leading ' so that spreadsheets do not run them as formulas)."
    )
    var csvFormulas = false

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1.") }
    }

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The note for tensors of a checkpoint's shards that its weight map
    /// does not list (not read: a counted skip, never a silent one), on
    /// standard error unless --quiet.
    func noteUnmapped(_ c: Checkpoint) {
        guard !quiet, let note = CheckpointOptions.unmappedNote(c) else { return }
        FileHandle.standardError.write(Data((note.terminalSafe + "\n").utf8))
    }

    static func unmappedNote(_ c: Checkpoint) -> String? {
        guard !c.unmapped.isEmpty else { return nil }
        let n = c.unmapped.count
        let shown = c.unmapped.prefix(3).joined(separator: ", ") + (n > 3 ? ", …" : "")
        return "fingerprint: note: \(c.path): \(n) \(n == 1 ? "tensor" : "tensors") in its shards \(n == 1 ? "is" : "are") not where "
            + "\(Checkpoint.indexName)'s weight map puts \(n == 1 ? "it" : "them"), and not read: \(shown)"
    }

    func configure() {
        configureBLAS(threads: threads)
        CSV.neutralizeFormulas = !csvFormulas
    }

    /// Checks, before any work, that --output can be written and is not an input.
    func checkOutput(inputs: [String]) throws {
        guard let output, output != "-" else { return }
        try StreamingOutput.preflight(output)
        try OutputGuard.refuseOverlap(output, flag: "--output", inputs: inputs)
    }

    func write(_ text: String) throws { try AtomicFile.write(text, to: output) }
}

/// Runs a checkpoint command body: applies the options, then maps a library
/// error to one line and its exit status (see `runReporting`).
func runReporting(_ options: CheckpointOptions, _ body: () throws -> Void) throws {
    options.configure()
    try runReporting(nil, body)
}

struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Is one model checkpoint derived from another? Compares safetensors checkpoints tensor by tensor.",
        discussion: """
            Each MODEL is a .safetensors file or a directory with model.safetensors.index.json and its shards \
            (or a model.safetensors). Tensors are matched by name and shape, the rest by shape and order. For \
            each matched tensor: cosine, relative L2 distance and Pearson's r of the values; for 2-D tensors \
            the correlation of log singular values and the cosine after re-ordering units (rows or columns) \
            to match, with the permutation recovered. Each statistic gets a z-score against a null: the same \
            statistic between mismatched tensors of equal shape and against independent initialisations. Each \
            pair of models gets a verdict (derived, independent or inconclusive; none without a null) with its \
            evidence; the rule is in docs/DESIGN.md. A tensor holding NaN or infinite values is not compared, \
            and listed with their count. A malformed file is exit 65, naming the file and the fault.
            """
    )

    @Argument(help: "Two or more checkpoints (.safetensors files or model directories).")
    var models: [String]

    @Option(
        name: .customLong("null"),
        help:
            "Mismatched tensors of the same shape compared with each tensor, as its null (--null 0 --inits 0: flat statistics only, no verdict)."
    )
    var nullPartners = 4

    @Option(help: "Independent initialisations of each shape in the null.")
    var inits = 2

    @Option(help: "Standard deviation of the independent initialisations.")
    var initStd = 0.02

    @Option(help: "Unit alignment of 2-D tensors: auto (only tensors the flat statistics did not recognise), all or none.")
    var align: WeightsOptions.Align = .auto

    @Flag(help: "Skip the singular-value spectra.")
    var noSpectra = false

    @Option(help: "Output format.")
    var format: ReportFormat = .table

    @Option(help: "With --format html: show at most N tensors in each pair's table.")
    var htmlLimit: Int = WeightsHTML.defaultTableLimit

    @Option(
        help:
            "With --format html: at most N panels in each pair's spectra chart (tensors at evenly spaced ranks of the spectral correlation)."
    )
    var spectraPanels: Int = WeightsHTML.defaultSpectraPanels

    @OptionGroup var options: CheckpointOptions

    func validate() throws {
        guard models.count >= 2 else { throw ValidationError("give at least two checkpoints.") }
        guard nullPartners >= 0 else { throw ValidationError("--null must be 0 or more.") }
        guard inits >= 0 else { throw ValidationError("--inits must be 0 or more.") }
        guard nullPartners + inits != 1 else {
            throw ValidationError("--null plus --inits must be 0 (no null, no verdict) or at least 2 (a null needs two values).")
        }
        guard initStd > 0, initStd.isFinite else { throw ValidationError("--init-std must be a positive number.") }
        guard htmlLimit >= 1 else { throw ValidationError("--html-limit must be at least 1.") }
        guard spectraPanels >= 1 else { throw ValidationError("--spectra-panels must be at least 1.") }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: models)
            let checkpoints = try models.map { try Checkpoint(path: $0) }
            for c in checkpoints { options.noteUnmapped(c) }
            var o = WeightsOptions()
            o.nullPartners = nullPartners
            o.inits = inits
            o.initStd = initStd
            o.align = align
            o.spectra = !noSpectra
            o.seed = options.seed
            o.threads = options.threadCount
            let report = try WeightsComparison.run(checkpoints, options: o)
            switch format.output {
            case .json: try options.write(JSONOutput.encode(report))
            case .csv: try options.write(WeightsReportWriter.csv(report))
            case .html: try options.write(WeightsHTML.page(report, tableLimit: htmlLimit, spectraPanels: spectraPanels))
            default: try options.write(WeightsReportWriter.table(report))
            }
        }
    }
}
