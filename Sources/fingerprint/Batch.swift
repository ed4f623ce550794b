import ArgumentParser
import FingerprintKit

extension BatchMethod: ExpressibleByArgument {}

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Score a whole directory: every document's nearest neighbours, pairs over a threshold, clusters.",
        discussion: """
            Exact TF-IDF cosine (scikit-learn's TfidfVectorizer defaults) by blocked GEMM over the frequent \
            columns plus inverted lists over the rest; never materialises N × N. With --against REF, each \
            document is scored against REF only. With --by-subdir, each subdirectory is one corpus and the \
            output is the corpus × corpus matrix of JSD and centroid cosine with a clustering.
            Ranking ties are broken by document order (sorted paths).
            """
    )

    @Argument(help: "Directory (or .jsonl file, or fingerprint file) of documents.")
    var dir: String

    @Option(help: "Score each document against this corpus only.")
    var against: String?

    @Flag(help: "Each subdirectory of DIR is one corpus: corpus × corpus JSD and centroid cosine, with a clustering.")
    var bySubdir = false

    @Option(help: "Each value of this JSONL field is one corpus (as --by-subdir does for folders).")
    var byField: String?

    @Option(help: "A CSV (path,corpus) that names each document's corpus, as --by-subdir does for folders.")
    var labels: String?

    @Option(help: "With --by-subdir or --by-field: relabellings of each pair's permutation test (0: no tests).")
    var permutations: Int = 199

    @Flag(
        help:
            "With --by-subdir or --by-field: the corpora answer the same prompts; documents are matched by their name inside each folder (or --pair-field) and relabelled within pairs."
    )
    var paired = false

    @Option(help: "With --by-field --paired: the JSONL field that matches documents across corpora.")
    var pairField: String?

    @Option(
        help:
            "Similarity: tfidf (exact cosine of TF-IDF vectors), lsa (cosine after a randomized truncated SVD, see --dims) or minhash (Jaccard of word shingles, MinHash + LSH candidates at --threshold, each verified exactly)."
    )
    var method: BatchMethod = .tfidf

    @Option(help: "Dimensions for --method lsa.")
    var dims: Int = 128

    @Option(help: "TF-IDF vocabulary: the K types with the highest total count.")
    var features: Int = 16384

    @Flag(help: "Sublinear term frequency 1 + ln(tf).")
    var sublinear = false

    @Option(help: "Nearest neighbours per document.")
    var top: Int = 10

    @Option(parsing: .unconditional, help: "Also report every pair with cosine ≥ this (−1 to 1); clusters are built from these pairs.")
    var threshold: Double?

    @Flag(help: "Exit with status 1 when any pair reaches --threshold (for CI).")
    var failOnMatch = false

    @Option(help: "Documents per GEMM tile.")
    var tile: Int = 2048

    @Option(
        help: "Attach the N longest shared passages to each reported pair (pairs over --threshold, else each document's nearest neighbour)."
    )
    var evidence: Int = 0

    @Option(help: "With --evidence: directory of boilerplate files (licences, templates) whose text is not evidence.")
    var boilerplate: String?

    @Option(help: "Words per shingle for --method minhash.")
    var shingle: Int = 5

    @Option(help: "With --format html: show at most N pairs, clusters and corpora.")
    var htmlLimit: Int = 200

    @Option(help: "Output format (--by-subdir: table, json, csv or html).")
    var format: StreamFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        guard top >= 0 else { throw ValidationError("--top must be 0 or more.") }
        if let t = threshold, !(-1...1).contains(t) { throw ValidationError("--threshold must be between -1 and 1 (a cosine), not \(t).") }
        if failOnMatch && threshold == nil { throw ValidationError("--fail-on-match needs --threshold.") }
        guard features >= 1 else { throw ValidationError("--features must be at least 1.") }
        guard dims >= 1 else { throw ValidationError("--dims must be at least 1.") }
        // A tile is a tile × tile Float matrix: 16,384 is 1 GiB.
        guard (16...16_384).contains(tile) else { throw ValidationError("--tile must be from 16 to 16,384.") }
        if method == .minhash, let t = try? options.tokenizerSpec(), !t.isModel, t != .word {
            throw ValidationError(
                "--method minhash shingles words (or a model tokenizer's tokens), not --tokenizer \(options.tokenizer); --shingle sets the words per shingle."
            )
        }
        guard (1...64).contains(shingle) else { throw ValidationError("--shingle must be from 1 to 64.") }
        if bySubdir && against != nil { throw ValidationError("--by-subdir and --against cannot be combined.") }
        if byField != nil && (bySubdir || against != nil) {
            throw ValidationError("--by-field cannot be combined with --by-subdir or --against.")
        }
        if byField != nil && format == .jsonl { throw ValidationError("--by-field writes table, json, csv or html.") }
        if labels != nil && (bySubdir || byField != nil || against != nil) {
            throw ValidationError("--labels cannot be combined with --by-subdir, --by-field or --against.")
        }
        if labels != nil && format == .jsonl { throw ValidationError("--labels writes table, json, csv or html.") }
        guard (0...1_000_000).contains(permutations) else { throw ValidationError("--permutations must be from 0 to 1,000,000.") }
        if (paired || pairField != nil) && !bySubdir && byField == nil {
            throw ValidationError("--paired and --pair-field need --by-subdir or --by-field.")
        }
        if pairField != nil && (byField == nil || !paired) { throw ValidationError("--pair-field needs --by-field and --paired.") }
        if top == 0 && threshold == nil && !bySubdir && byField == nil && labels == nil {
            throw ValidationError("--top 0 needs --threshold (otherwise there is nothing to report).")
        }
        guard htmlLimit >= 1 else { throw ValidationError("--html-limit must be at least 1.") }
        if bySubdir && format == .jsonl { throw ValidationError("--by-subdir writes table, json, csv or html.") }
        if method == .minhash, let t = threshold, !(t > 0 && t <= 1) {
            throw ValidationError("--threshold with --method minhash is a Jaccard similarity in (0, 1], not \(t).")
        }
        // The corpus-matrix modes compare corpora, not documents: the
        // options of the document pairs would be ignored (--fail-on-match
        // silently never failing a CI job), so they are refused.
        if bySubdir || byField != nil || labels != nil {
            let mode = bySubdir ? "--by-subdir" : byField != nil ? "--by-field" : "--labels"
            try refuseIgnored([
                (threshold != nil, "--threshold"), (failOnMatch, "--fail-on-match"), (method != .tfidf, "--method"),
                (evidence > 0, "--evidence"), (top != 10, "--top"), (dims != 128, "--dims"),
            ]) { "\($0) applies to document pairs; \(mode) compares corpora and does not take it." }
        } else if permutations != 199 {
            throw ValidationError("--permutations applies to --by-subdir, --by-field and --labels (the corpora's tests).")
        }
        // Options of another method are refused, not ignored (review 31a).
        if dims != 128 && method != .lsa { throw ValidationError("--dims applies to --method lsa.") }
        if shingle != 5 && method != .minhash { throw ValidationError("--shingle applies to --method minhash.") }
        if method == .minhash {
            if sublinear { throw ValidationError("--sublinear applies to TF-IDF (--method tfidf or lsa), not minhash.") }
            if features != 16384 { throw ValidationError("--features applies to TF-IDF (--method tfidf or lsa), not minhash.") }
        }
        if boilerplate != nil && evidence == 0 { throw ValidationError("--boilerplate applies to --evidence.") }
    }

    func run() throws {
        var matchFound = false
        try runReporting(options) {
            try options.checkOutput(inputs: [dir, against, boilerplate, labels])
            try options.checkReadable([against, boilerplate, labels])
            // Evidence passages and the HTML report read documents again.
            if (evidence > 0 || format == .html) && !options.dryRun {
                for path in [dir, against].compactMap({ $0 }) { try StreamInput.keep(path) }
            }
            var o = BatchOptions()
            o.tokenizer = try options.tokenizerSpec()
            o.features = features
            o.sublinear = sublinear
            o.method = method
            o.dims = dims
            o.top = top
            o.threshold = threshold.map(Float.init)
            o.tile = tile
            o.evidence = evidence
            o.boilerplate = boilerplate
            o.shingle = shingle
            o.seed = options.seed
            o.read = options.readOptions
            o.permutations = permutations
            o.paired = paired
            let input = try options.input(dir, keyField: pairField, group: byField.map { ($0, nil) }, groupOption: "--by-field")
            let reference = try against.map { try options.input($0) }
            let stop = try options.planGate(
                inputs: [input] + (reference.map { [$0] } ?? []), json: format == .json || format == .jsonl,
                advice: threshold != nil
                    ? "a higher --threshold keeps fewer pairs, --method minhash holds no matrix"
                    : "--features or --tile lower the matrix and GEMM tiles, --method minhash holds no matrix",
                shingling: method == .minhash
            ) { depth in
                WorkPlan.batch(
                    try CorpusSurvey.survey(
                        input, tokenizer: o.tokenizer, shingle: shingle,
                        pairs: o.threshold == nil ? [] : o.method == .minhash ? .jaccards : .cosines, depth: depth),
                    against: try reference.map { try CorpusSurvey.survey($0, tokenizer: o.tokenizer, pairs: [], depth: depth) }, options: o)
            }
            if stop { return }
            if o.method != .minhash { options.noteSlowBLAS() }
            if bySubdir || byField != nil || labels != nil {
                if bySubdir && input.kind != .directory { throw ValidationError("--by-subdir needs a directory, not \(dir).") }
                let r = try CorpusMatrixReport.compute(input, labels: labels, options: o, progress: options.progress())
                try options.writeSkipped(r.skips)
                switch format.output {
                case .json: try options.write(JSONOutput.encode(r))
                case .csv: try options.write(r.csv())
                case .html: try options.write(BatchHTML.page(r, limit: htmlLimit))
                default: try options.write(r.table())
                }
                return options.noteSkips(r.skips, listedInOutput: format == .json || format == .table)
            }
            let out = try StreamingOutput(path: options.output)
            let outcome: Batch.Outcome
            do {
                switch format.output {
                case .csv, .jsonl:
                    let w: BatchSink = format == .csv ? BatchCSVWriter(out) : BatchJSONLWriter(out)
                    outcome = try Batch.run(input, reference: reference, options: o, sink: w, progress: options.progress())
                default:
                    let c = BatchCollector()
                    outcome = try Batch.run(input, reference: reference, options: o, sink: c, progress: options.progress())
                    switch format.output {
                    case .json: try out.write(try c.json())
                    case .html:
                        try out.write(
                            BatchHTML.page(c, limit: htmlLimit, documentText: CorpusInput.textLookup([input, reference ?? input])))
                    default: try out.write(c.table())
                    }
                }
                try options.writeSkipped(outcome.skipped)
                try out.commit()
            } catch {
                out.abort()
                throw error
            }
            options.noteSkips(outcome.skipped, listedInOutput: format != .csv)
            if failOnMatch && outcome.matched {
                options.note("fingerprint: --fail-on-match: \(outcome.pairsOverThreshold) pairs reached the threshold \(threshold!)")
                matchFound = true
            }
        }
        if matchFound { throw ExitCode(ExitStatus.matchFound) }
    }
}
