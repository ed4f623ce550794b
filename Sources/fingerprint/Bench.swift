import ArgumentParser
import FingerprintBench
import FingerprintKit
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "End-to-end benchmark: speed and accuracy of stats, compare, batch, dedup and attribute on generated corpora with planted truth.",
        discussion: """
            With --peers, runs scikit-learn, rensa, datasketch, NumPy and wc -w on the same corpus in the same run \
            (pip install scikit-learn datasketch rensa numpy); missing peers are reported as skipped. \
            The attribute task cross-validates --method linear (10 folds) on --attribute-documents generated \
            documents of 5 sources; with --peers, scikit-learn's char 2-4 TfidfVectorizer + LogisticRegression \
            runs on the same folds. \
            With --tokenizer cl100k:FILE, also times stats with that tokenizer next to word, and with --peers \
            tiktoken's encode_ordinary_batch on the same files (pip install tiktoken).
            """
    )

    @Option(help: "Corpus size to generate, e.g. 10MB, 100MB, 1GB.")
    var size: String = "10MB"

    @Option(help: "Use this directory made by `fingerprint synth` instead of generating one.")
    var corpus: String?

    @Option(help: "Generate into this directory and keep it (default: a temporary directory, removed after).")
    var workDir: String?

    @Option(help: "Independent data sets for the compare test's false-positive rate and power.")
    var seeds: Int = 20

    @Option(help: "Permutations for the compare runs.")
    var permutations: Int = 999

    @Option(help: "Documents of the attribute task (10-fold cross-validation; 0: no attribute task).")
    var attributeDocuments: Int = 20_000

    @Flag(help: "Also run the peers in Benchmarks/peers (Python) and report ratios.")
    var peers = false

    @Option(help: "Python interpreter for --peers.")
    var python: String = "python3"

    @Option(help: "Directory of the peer scripts (default: Benchmarks/peers, found from here or from the binary).")
    var peersDir: String?

    @Option(help: "Output format.")
    var format: TableFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        if options.dryRun || options.force {
            throw ValidationError("bench measures by running: it has no --dry-run or --force; --size sets its cost.")
        }
        // The shared options bench has no use for are refused, not ignored (review 31b).
        try refuseIgnored([
            (!options.globs.isEmpty, "--glob"), (options.field != "text", "--field"), (options.stdin != .text, "--stdin"),
            (options.strict, "--strict"), (options.skipped != nil, "--skipped"), (options.csvFormulas, "--csv-formulas"),
        ]) { "\($0) does not apply to bench, which reads a corpus made by synth as it is." }
        if options.tokenizer != "word" {
            guard case .tiktoken = try? options.tokenizerSpec() else {
                throw ValidationError("bench takes --tokenizer cl100k:FILE (a tiktoken encoding) only, not \(options.tokenizer).")
            }
        }
        guard corpus != nil || ByteSize.parse(size) != nil else {
            throw ValidationError("--size takes a size such as 10MB, 512MiB or 1GB, not '\(size)'.")
        }
        guard (1...10_000).contains(seeds) else { throw ValidationError("--seeds must be from 1 to 10,000.") }
        guard attributeDocuments == 0 || attributeDocuments >= 50 else {
            throw ValidationError("--attribute-documents must be 0 (no attribute task) or at least 50 (10 folds of 5 sources).")
        }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: [corpus])
            var o = BenchOptions()
            o.size = ByteSize.parse(size) ?? 10_000_000
            o.corpus = corpus
            o.workDirectory = workDir
            o.seed = options.seed
            o.seeds = seeds
            o.permutations = permutations
            o.threads = options.readOptions.threads
            o.peers = peers
            o.attributionDocuments = attributeDocuments
            o.python = python
            o.peersDirectory = peersDir
            o.binary = Bundle.main.executablePath ?? CommandLine.arguments[0]
            if case .tiktoken(let e) = try options.tokenizerSpec() { o.modelTokenizer = e }
            let report = try Bench.run(o) { options.note("bench: \($0)") }
            switch format.output {
            case .json: try options.write(JSONOutput.encode(report))
            case .csv: try options.write(report.csv())
            default: try options.write(report.table())
            }
        }
    }
}
