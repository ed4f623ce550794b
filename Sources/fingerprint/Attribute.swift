import ArgumentParser
import FingerprintKit
import Foundation

extension AttributionMethod: ExpressibleByArgument {}
extension DeltaDistance: ExpressibleByArgument {}
extension CorpusDistance: ExpressibleByArgument {}
extension FeatureWeighting: ExpressibleByArgument {}

/// `--format` of attribute.
enum AttributeFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, jsonl, csv, html
    var output: OutputFormat { OutputFormat(rawValue: rawValue)! }
}

struct AttributeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Which candidate source wrote each document: Delta or logistic regression on stylometric features.",
        discussion: """
            REF holds the candidates: a directory whose subdirectories are the sources, a JSONL file with \
            --label-field, or any corpus with --labels FILE.csv (path,label). With QUESTIONED, every questioned \
            document is attributed by a model trained on all of REF. Without it, the method is evaluated on REF \
            by stratified --cv K-fold cross-validation, or leave-one-group-out with --group-field/--groups \
            (so that a topic cannot leak between training and test). Features (relative frequencies of the \
            --mfw most frequent --tokenizer types, and of character n-grams with --char) are chosen and \
            z-scored on the training documents only; with --weighting tfidf (--method linear), every n-gram \
            seen in training is kept, weighted by TF-IDF as scikit-learn's TfidfVectorizer does, in a sparse \
            matrix.
            """
    )

    @Option(help: "The candidates' documents (see above).")
    var reference: String

    @Argument(help: "Documents to attribute (any corpus); without it, evaluate on REF.")
    var questioned: String?

    @Option(help: "JSONL field that holds each reference document's candidate label.")
    var labelField: String?

    @Option(help: "CSV file (path,label) with each reference document's candidate label.")
    var labels: String?

    @Option(help: "Folds of the stratified cross-validation when there is no QUESTIONED (default: 10).")
    var cv: Int?

    @Option(help: "JSONL field that holds each reference document's group, for leave-one-group-out evaluation.")
    var groupField: String?

    @Option(help: "CSV file (path,group) with each reference document's group, for leave-one-group-out evaluation.")
    var groups: String?

    @Option(help: "delta (nearest centroid), linear (multinomial logistic regression) or impostors (General Impostors: may answer none).")
    var method: AttributionMethod = .linear

    @Option(help: "The distance --method delta ranks by: cosine (Cosine Delta) or burrows (Burrows's Delta) (default: cosine).")
    var delta: DeltaDistance?

    @Option(help: "Most frequent --tokenizer types used as features (0: none).")
    var mfw: Int = 300

    @Option(help: "Also use character n-grams of these lengths, as N or N-M (e.g. 2-4).")
    var char: String?

    @Option(help: "With --char: most frequent n-grams kept for each length (default: 1000 with zscore, all with tfidf).")
    var charFeatures: Int?

    @Option(
        help:
            "Feature values: zscore (z-scored relative frequencies) or tfidf (TF-IDF rows of unit length, sparse; --method linear)."
    )
    var weighting: FeatureWeighting = .zscore

    @Flag(help: "With --weighting tfidf: term frequency 1 + ln(count) instead of the count (sublinear tf).")
    var sublinear = false

    @Option(help: "Text distortion: mask every word outside the K most frequent training words.")
    var mask: Int?

    @Flag(help: "With --mask: one placeholder character per masked word (DV-SA) instead of one per character (DV-MA).")
    var maskSingle = false

    @Option(name: .customLong("C"), help: "Inverse L2 penalty of --method linear (default: chosen by inner 3-fold cross-validation).")
    var c: Double?

    @Flag(help: "With QUESTIONED: also attribute it as one corpus, with a permutation test against each other candidate.")
    var corpus = false

    @Option(help: "With --corpus: the distance, cosine (Cosine Delta of centroids) or jsd (JSD of pooled counts) (default: cosine).")
    var corpusDistance: CorpusDistance?

    @Option(help: "With --corpus: relabellings of each permutation test (default: 999).")
    var permutations: Int?

    @Option(help: "Bootstrap resamples for the 95% intervals of the evaluation metrics.")
    var bootstrap: Int = 1000

    @Option(help: "Contributing features listed per document.")
    var topFeatures: Int = 5

    @Option(help: "Output format.")
    var format: AttributeFormat = .table

    @Option(help: "--method impostors: rounds, each on a random half of the features (default: 100).")
    var rounds: Int?

    @Option(help: "--method impostors: impostor documents drawn per candidate and round (default: 10).")
    var impostors: Int?

    @Option(
        help:
            "--method impostors: the share of documents whose source is not a candidate that may still get one (sets the threshold below which the answer is none) (default: 0.05)."
    )
    var abstainAlpha: Double?

    @Option(help: "With --format html: show at most N documents.")
    var htmlLimit: Int = 200

    @OptionGroup var options: SharedOptions

    /// `--char N` or `--char N-M`.
    static func charRange(_ s: String) -> ClosedRange<Int>? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        if parts.count == 1, let n = parts[0] { return n...n }
        if parts.count == 2, let a = parts[0], let b = parts[1], a <= b { return a...b }
        return nil
    }

    func validate() throws {
        if labelField != nil && labels != nil { throw ValidationError("--label-field and --labels cannot be combined.") }
        if groupField != nil && groups != nil { throw ValidationError("--group-field and --groups cannot be combined.") }
        if questioned != nil && (groupField != nil || groups != nil) {
            throw ValidationError("--group-field/--groups are for evaluation (no QUESTIONED).")
        }
        if let cv, cv < 2 { throw ValidationError("--cv must be at least 2.") }
        // Options that would be ignored are refused, not dropped in silence.
        if cv != nil && questioned != nil { throw ValidationError("--cv is for evaluation (no QUESTIONED).") }
        // Leave-one-group-out has one fold a group. A --dry-run cannot know
        // a --group-field's groups before reading, so there --cv K tells it
        // how many folds to assume.
        if cv != nil && (groups != nil || (groupField != nil && !options.dryRun)) {
            throw ValidationError(
                "--cv and --group-field/--groups cannot be combined (leave-one-group-out has one fold a group; with --group-field, --dry-run takes --cv as the number of groups to assume)."
            )
        }
        if delta != nil && method != .delta { throw ValidationError("--delta is for --method delta.") }
        if c != nil && method != .linear { throw ValidationError("--C is for --method linear.") }
        if method != .impostors && (rounds != nil || impostors != nil || abstainAlpha != nil) {
            throw ValidationError("--rounds, --impostors and --abstain-alpha are for --method impostors.")
        }
        if !corpus && (permutations != nil || corpusDistance != nil) {
            throw ValidationError("--permutations and --corpus-distance are for --corpus.")
        }
        if charFeatures != nil && char == nil { throw ValidationError("--char-features needs --char.") }
        guard mfw >= 0 else { throw ValidationError("--mfw must be 0 or more.") }
        if let char {
            guard let r = Self.charRange(char), r.lowerBound >= 1, r.upperBound <= 64 else {
                throw ValidationError("--char must be N or N-M with 1 ≤ N ≤ M ≤ 64, not \(char).")
            }
        }
        if mfw == 0 && char == nil { throw ValidationError("--mfw 0 needs --char (otherwise there are no features).") }
        if let charFeatures, charFeatures < 1 { throw ValidationError("--char-features must be at least 1.") }
        if weighting == .tfidf && method != .linear {
            throw ValidationError("--weighting tfidf is for --method linear (delta and impostors compare z-scores).")
        }
        if sublinear && weighting != .tfidf { throw ValidationError("--sublinear needs --weighting tfidf.") }
        if let mask, mask < 0 { throw ValidationError("--mask must be 0 or more.") }
        if maskSingle && mask == nil { throw ValidationError("--mask-single needs --mask.") }
        if let c, !(c > 0 && c.isFinite) { throw ValidationError("--C must be a positive number.") }
        if corpus && questioned == nil { throw ValidationError("--corpus needs QUESTIONED.") }
        if let permutations, !(1...1_000_000).contains(permutations) {
            throw ValidationError("--permutations must be from 1 to 1,000,000.")
        }
        guard (0...100_000).contains(bootstrap) else { throw ValidationError("--bootstrap must be from 0 to 100,000.") }
        guard topFeatures >= 0 else { throw ValidationError("--top-features must be 0 or more.") }
        if let rounds, !(1...100_000).contains(rounds) { throw ValidationError("--rounds must be from 1 to 100,000.") }
        if let impostors, impostors < 1 { throw ValidationError("--impostors must be at least 1.") }
        if let abstainAlpha, !(abstainAlpha > 0 && abstainAlpha < 1) {
            throw ValidationError("--abstain-alpha must be between 0 and 1.")
        }
        guard htmlLimit >= 1 else { throw ValidationError("--html-limit must be at least 1.") }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: [reference, questioned, labels, groups])
            try options.checkReadable([questioned, labels, groups])
            // --group-field reads each record again for its group.
            if groupField != nil && !options.dryRun { try StreamInput.keep(reference) }
            var o = AttributionOptions()
            o.features.tokenizer = try options.tokenizerSpec()
            o.features.mfw = mfw
            o.features.charRange = char.flatMap(Self.charRange)
            o.features.charFeatures = charFeatures
            o.features.weighting = weighting
            o.features.sublinearTF = sublinear
            o.features.mask = mask
            o.features.maskSingle = maskSingle
            o.method = method
            o.delta = delta ?? o.delta
            o.inverseRegularization = c
            o.impostorRounds = rounds ?? o.impostorRounds
            o.impostorsPerRound = impostors ?? o.impostorsPerRound
            o.abstainAlpha = abstainAlpha ?? o.abstainAlpha
            o.folds = cv ?? o.folds
            o.corpus = corpus ? corpusDistance ?? .cosine : nil
            o.permutations = permutations ?? o.permutations
            o.bootstrap = bootstrap
            o.topFeatures = topFeatures
            o.seed = options.seed
            o.threads = options.readOptions.threads
            let ref = try options.input(reference, keyField: labelField)
            let labelSource: AttributionLabels = labels.map { .table($0) } ?? (labelField != nil ? .key : .subdirectories)
            let groupSource: AttributionGroups? = groups.map { .table($0) } ?? groupField.map { .field($0) }
            let questionedInput = try questioned.map { try options.input($0) }
            // Attribution reads the text (a dry run said "ok" to a file the run refuses).
            for input in [ref] + (questionedInput.map { [$0] } ?? []) where input.kind == .fingerprint { throw input.textNeeded }
            let stop = try options.planGate(
                inputs: [ref] + (questionedInput.map { [$0] } ?? []), json: format == .json || format == .jsonl,
                advice: "fewer --mfw or --char-features lower the feature rows"
            ) { depth in
                let r = try CorpusSurvey.survey(ref, tokenizer: o.features.tokenizer, pairs: [], depth: depth)
                // Classes: subdirectories (or labels) are not known without
                // reading; the fits count folds × (1 + the inner folds × the C grid).
                // Leave-one-group-out has a fold a group: a --groups table
                // names them all (a --group-field's are only known after
                // reading the whole corpus, and --cv K, by default 10, stands in for them).
                let grid = AttributionFit.grid(weighting).count
                let folds = try groups.map { Set(try LabelTable.read($0).values).count } ?? o.folds
                let fits = (questionedInput == nil ? folds : 1) * (c == nil && method == .linear ? 1 + o.innerFolds * grid : 1)
                let notes =
                    groupField != nil && groups == nil
                    ? [
                        "folds: --cv \(o.folds) stands in for the groups of --group-field \(groupField!), which are known only after reading the reference"
                    ] : []
                return WorkPlan.attribute(
                    r,
                    questioned: try questionedInput.map {
                        try CorpusSurvey.survey($0, tokenizer: o.features.tokenizer, pairs: [], depth: depth)
                    },
                    features: mfw + (char == nil ? 0 : charFeatures ?? AttributionFeatureOptions.defaultCharFeatures), classes: 2,
                    folds: folds, fits: fits, threads: options.readOptions.threads,
                    sparseLengths: weighting == .tfidf ? (o.features.charRange?.count ?? 0) + (mfw > 0 ? 1 : 0) : nil, notes: notes)
            }
            if stop { return }
            options.noteSlowBLAS()
            let report = try Attribution.run(
                reference: ref, labels: labelSource, groups: groupSource, questioned: questionedInput,
                options: o, read: options.readOptions, progress: options.progress())
            try options.writeSkipped(report.skips)
            switch format.output {
            case .json: try options.write(JSONOutput.encode(report))
            case .csv: try options.write(report.csv())
            case .jsonl: try options.write(report.jsonl())
            case .html: try options.write(AttributionHTML.page(report, limit: htmlLimit))
            default: try options.write(report.table())
            }
            options.noteSkips(report.skips, listedInOutput: format != .csv && format != .jsonl)
        }
    }
}
