import ArgumentParser
import FingerprintKit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Are corpora A and B alike? Divergences, a calibrated permutation test, the tokens that differ, shared n-grams.",
        discussion: """
        The test treats documents as the units: T = Jensen-Shannon divergence between the pooled \
        distributions of the top --features types (+ other), p-value from --permutations document \
        relabellings. Use --paired when A and B answer the same prompts (documents matched by \
        relative path, or by --pair-field for JSONL).
        """
    )

    @Argument(help: "Corpus A: a directory, a text file, a .jsonl file, or -.")
    var a: String

    @Argument(help: "Corpus B.")
    var b: String

    @Flag(help: "A and B answer the same prompts: permute labels only within matched pairs.")
    var paired = false

    @Option(help: "JSONL field that matches documents of A and B for --paired (default: relative path).")
    var pairField: String?

    @Option(help: "Top-K types (by pooled count, ties by token) + other, for the test.")
    var features: Int = 1000

    @Option(help: "Document relabellings for the permutation test.")
    var permutations: Int = 999

    @Option(help: "Bootstrap resamples for the confidence interval of the statistic (0 for none).")
    var bootstrap: Int = 200

    @Option(help: "Additive smoothing for KL and cross-entropy.")
    var alpha: Double = 0.5

    @Option(help: "Total mass a0 of the keyness prior (pooled distribution scaled to a0).")
    var prior: Double = 1000

    @OptionGroup var options: SharedOptions

    func validate() throws {
        guard features >= 1 else { throw ValidationError("--features must be at least 1.") }
        guard (1...1_000_000).contains(permutations) else { throw ValidationError("--permutations must be from 1 to 1,000,000.") }
        guard (0...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be from 0 to 100,000.") }
        guard alpha > 0 else { throw ValidationError("--alpha must be positive.") }
        guard prior > 0 else { throw ValidationError("--prior must be positive.") }
        guard a != "-" || b != "-" else { throw ValidationError("Only one of A and B can be standard input.") }
        if pairField != nil && !paired { throw ValidationError("--pair-field needs --paired.") }
        guard [.table, .json, .csv].contains(options.format) else {
            throw ValidationError("compare writes table, json or csv, not \(options.format.rawValue).")
        }
    }

    func run() throws {
        try runReporting(options) {
            var o = CompareOptions()
            o.tokenizer = options.tokenizerSpec
            o.features = features
            o.permutations = permutations
            o.bootstrap = bootstrap
            o.seed = options.seed
            o.paired = paired
            o.pairField = pairField
            o.alpha = alpha
            o.prior = prior
            o.read = options.readOptions
            let inputA = try options.input(a, keyField: pairField)
            let inputB = try options.input(b, keyField: pairField)
            let report = try Comparison.run(inputA, inputB, options: o, progress: options.progress())
            switch options.format {
            case .json: try options.write(JSONOutput.encode(report))
            case .csv: try options.write(CompareReportWriter.csv(report))
            default: try options.write(CompareReportWriter.table(report))
            }
        }
    }
}
