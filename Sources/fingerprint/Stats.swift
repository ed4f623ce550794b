import ArgumentParser
import FingerprintKit

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Profile one corpus: sizes, entropy, Yule's K, Zipf exponent, top tokens.",
        discussion: """
            Given a checkpoint (a .safetensors file, or a model directory with model.safetensors.index.json or \
            model.safetensors), profiles its tensors instead: mean, standard deviation, kurtosis, spectral norm \
            and effective rank of each, and the standard deviation of each layer's values.
            """
    )

    @Argument(help: "A directory, a text file, a .jsonl file, a fingerprint file (.fp), - for standard input, or a checkpoint.")
    var corpus: String

    @Option(help: "How many top tokens to list.")
    var top: Int = 20

    @Flag(help: "Identify tokens by a 64-bit hash only (bounded memory; tokens shown as hashes).")
    var hashed = false

    @Option(help: "Output format.")
    var format: TableFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more.") }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: [corpus])
            if CheckpointProfile.isCheckpoint(corpus) {
                if options.dryRun {
                    throw ValidationError("--dry-run is for corpora; stats on a checkpoint maps it and reads each tensor once.")
                }
                let checkpoint = try Checkpoint(path: corpus)
                if let note = CheckpointOptions.unmappedNote(checkpoint) { options.note(note) }
                let profile = try CheckpointProfile.compute(checkpoint, threads: options.readOptions.threads)
                switch format.output {
                case .json: try options.write(JSONOutput.encode(profile))
                case .csv: try options.write(CheckpointStatsWriter.csv(profile))
                default: try options.write(CheckpointStatsWriter.table(profile))
                }
                return
            }
            let input = try options.input(corpus)
            let tokenizer = try options.tokenizerSpec()
            let stop = try options.planGate(
                inputs: [input], json: format == .json, advice: "--hashed keeps one 64-bit hash per type, or --threads 1 one counting table"
            ) { depth in
                WorkPlan.stats(
                    try CorpusSurvey.survey(input, tokenizer: tokenizer, pairs: [], depth: depth), threads: options.readOptions.threads)
            }
            if stop { return }
            Trace.mark("stats: checked")
            let counted = try Counter.count(
                input, tokenizer: try options.tokenizerSpec(), hashed: hashed, buildMatrix: false,
                options: options.readOptions, progress: options.progress())
            let profile = CorpusProfile(counted, topN: top)
            Trace.mark("stats: profile")
            try options.writeSkipped(counted.skips)
            switch format.output {
            case .json: try options.write(JSONOutput.encode(profile))
            case .csv: try options.write(StatsReport.csv(profile))
            default: try options.write(StatsReport.table(profile))
            }
            Trace.mark("stats: written")
            options.noteSkips(counted.skips, listedInOutput: format != .csv)
        }
    }
}
