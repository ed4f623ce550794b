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

    @Argument(help: "Corpus A: a directory, a text file, a .jsonl file, a fingerprint file (.fp), or -.")
    var a: String

    @Argument(help: "Corpus B (default: A again, with --where and --vs choosing two groups of one JSONL file).")
    var b: String?

    @Option(name: .customLong("where"), help: "Only the JSONL records of A whose field F has value V (F=V).")
    var whereA: String?

    @Option(name: .customLong("vs"), help: "Only the JSONL records of B whose field F has value V (F=V).")
    var whereB: String?

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

    @Option(help: "Additive smoothing for KL and cross-entropy (from 1e-9 to 1e9).")
    var alpha: Double = 0.5

    @Option(help: "Total mass a0 of the keyness prior (pooled distribution scaled to a0; from 1e-9 to 1e12).")
    var prior: Double = 1000

    @Option(help: "With --format html: show at most N items of each list (tokens, passages, skipped inputs).")
    var htmlLimit: Int = 200

    @Option(help: "Shared passages to report, longest first (0 for none).")
    var passages: Int = 20

    @Option(name: .customLong("passage-k"), help: "Passage noise threshold: shortest shared run reported, in words.")
    var passageK: Int = 8

    @Option(
        name: .customLong("passage-w"),
        help: "Winnowing window; in each pair of documents aligned, every shared run of w + k - 1 words or more is found.")
    var passageW: Int = 8

    @Option(
        name: .customLong("max-df"),
        help: "k-grams in more than this share of A's documents are boilerplate, not evidence (with 100 or more documents).")
    var maxDF: Double = 0.05

    @Option(help: "Directory of boilerplate files (licences, templates) whose text is not evidence.")
    var boilerplate: String?

    @Option(help: "Output format.")
    var format: ReportFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        guard features >= 1 else { throw ValidationError("--features must be at least 1.") }
        guard (1...1_000_000).contains(permutations) else { throw ValidationError("--permutations must be from 1 to 1,000,000.") }
        guard (0...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be from 0 to 100,000.") }
        // Outside these the sums lose every digit (a denormal α gave a
        // cross-entropy below the entropy; α = 1e308 one of 0).
        guard alpha >= 1e-9 && alpha <= 1e9 else { throw ValidationError("--alpha must be from 1e-9 to 1e9, not \(alpha).") }
        guard prior >= 1e-9 && prior <= 1e12 else { throw ValidationError("--prior must be from 1e-9 to 1e12, not \(prior).") }
        guard a != "-" || (b ?? a) != "-" else { throw ValidationError("Only one of A and B can be standard input.") }
        if b == nil && (whereA == nil || whereB == nil) {
            throw ValidationError("Give corpus B, or --where F=V1 and --vs F=V2 to compare two groups of one JSONL file.")
        }
        for w in [whereA, whereB].compactMap({ $0 }) where Compare.selector(w) == nil {
            throw ValidationError("--where and --vs take FIELD=VALUE, not '\(w)'.")
        }
        if pairField != nil && !paired { throw ValidationError("--pair-field needs --paired.") }
        guard passages >= 0 else { throw ValidationError("--passages must be 0 or more.") }
        guard (1...64).contains(passageK), (1...64).contains(passageW) else {
            throw ValidationError("--passage-k and --passage-w must be from 1 to 64.")
        }
        guard maxDF > 0 && maxDF <= 1 else { throw ValidationError("--max-df must be in (0, 1].") }
        guard htmlLimit >= 1 else { throw ValidationError("--html-limit must be at least 1.") }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: [a, b ?? a, boilerplate])
            try options.checkReadable([boilerplate])
            // Shared passages and the HTML report read documents again.
            if (passages > 0 || format == .html) && !options.dryRun {
                for path in [a, b].compactMap({ $0 }) { try StreamInput.keep(path) }
            }
            var o = CompareOptions()
            o.tokenizer = try options.tokenizerSpec()
            o.features = features
            o.permutations = permutations
            o.bootstrap = bootstrap
            o.seed = options.seed
            o.paired = paired
            o.pairField = pairField
            o.alpha = alpha
            o.prior = prior
            o.passages = passages
            o.passageK = passageK
            o.passageW = passageW
            o.maxDF = maxDF
            o.boilerplate = boilerplate
            o.read = options.readOptions
            let inputA = try options.input(a, keyField: pairField, group: whereA.flatMap(Compare.selector))
            let inputB = try options.input(b ?? a, keyField: pairField, group: whereB.flatMap(Compare.selector), groupOption: "--vs")
            let stop = try options.planGate(
                inputs: [inputA, inputB], json: format == .json,
                advice:
                    "the 8- and 13-gram sets take 9 bytes a token and size; compare samples of the corpora (fewer files, or --where/--vs on a field)"
            ) { depth in
                WorkPlan.compare(
                    try CorpusSurvey.survey(inputA, tokenizer: o.tokenizer, pairs: [], depth: depth),
                    try CorpusSurvey.survey(inputB, tokenizer: o.tokenizer, pairs: [], depth: depth),
                    options: o)
            }
            if stop { return }
            options.noteSlowBLAS()
            let report = try Comparison.run(inputA, inputB, options: o, progress: options.progress()).withVerdict()
            try options.writeSkipped(report.a.skips + report.b.skips)
            switch format.output {
            case .json: try options.write(JSONOutput.encode(report))
            case .csv: try options.write(CompareReportWriter.csv(report))
            case .html:
                try options.write(CompareHTML.page(report, limit: htmlLimit, documentText: CorpusInput.textLookup([inputA, inputB])))
            default: try options.write(CompareReportWriter.table(report))
            }
            options.noteSkips(report.a.skips + report.b.skips, listedInOutput: format != .csv)
        }
    }

    /// `F=V` as (field, value).
    static func selector(_ s: String) -> (field: String, value: String?)? {
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex else { return nil }
        return (String(s[..<eq]), String(s[s.index(after: eq)...]))
    }
}
