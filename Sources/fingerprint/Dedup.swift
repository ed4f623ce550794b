import ArgumentParser
import FingerprintKit

extension DedupMethod: ExpressibleByArgument {}
extension KeepRule: ExpressibleByArgument {}

struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Near-duplicate clusters: MinHash + LSH (verified exactly), SimHash, or exact text.",
        discussion:
            "Every MinHash candidate pair is verified with the exact Jaccard of its shingle sets before it is reported. The input is never modified; --write-kept writes a deduplicated copy."
    )

    @Argument(help: "Directory (or .jsonl file, or fingerprint file) of documents.")
    var dir: String

    @Option(help: "minhash, simhash or exact.")
    var method: DedupMethod = .minhash

    @Option(help: "Words per shingle (minhash, simhash).")
    var shingle: Int = 5

    @Option(help: "MinHash permutations (minhash).")
    var perms: Int = 128

    @Option(parsing: .unconditional, help: "Jaccard similarity threshold (minhash).")
    var threshold: Double = 0.8

    @Option(help: "Largest Hamming distance between SimHash fingerprints (simhash).")
    var hamming: Int = 3

    @Option(help: "Which member of a cluster to keep: longest or first (by path).")
    var keep: KeepRule = .longest

    @Option(
        name: .customLong("max-df"),
        help: "Shingles in more than this share of the documents are boilerplate and ignored (minhash; with 100 or more documents).")
    var maxDF: Double = 1

    @Option(help: "Directory of boilerplate files (licences, templates) whose shingles are ignored (minhash).")
    var boilerplate: String?

    @Option(help: "Write a deduplicated copy of the corpus to this new directory.")
    var writeKept: String?

    @Option(help: "With --format html: show at most N clusters.")
    var htmlLimit: Int = 200

    @Option(help: "Output format.")
    var format: StreamFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        if let t = try? options.tokenizerSpec(), !t.isModel, t != .word {
            throw ValidationError(
                "dedup shingles words (or a model tokenizer's tokens), not --tokenizer \(options.tokenizer); --shingle sets the words per shingle."
            )
        }
        guard (1...64).contains(shingle) else { throw ValidationError("--shingle must be from 1 to 64.") }
        guard (1...4096).contains(perms) else { throw ValidationError("--perms must be from 1 to 4096.") }
        guard threshold > 0 && threshold <= 1 else { throw ValidationError("--threshold must be in (0, 1].") }
        guard (0...31).contains(hamming) else { throw ValidationError("--hamming must be from 0 to 31.") }
        guard maxDF > 0 && maxDF <= 1 else { throw ValidationError("--max-df must be in (0, 1].") }
        guard htmlLimit >= 1 else { throw ValidationError("--html-limit must be at least 1.") }
        // Options of another method are refused, not ignored (review 31b: --method exact
        // --boilerplate removed no boilerplate, and said nothing).
        try refuseIgnored([
            (method != .minhash && threshold != 0.8, "--threshold"), (method != .minhash && perms != 128, "--perms"),
            (method != .minhash && maxDF != 1, "--max-df"), (method != .minhash && boilerplate != nil, "--boilerplate"),
            (method != .simhash && hamming != 3, "--hamming"),
        ]) { "\($0) does not apply to --method \(method.rawValue)." }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: [dir, boilerplate, writeKept])
            try options.checkReadable([boilerplate])
            if let writeKept {
                if StreamInput.isStream(dir) {
                    throw FingerprintError.invalidParameter(
                        name: "--write-kept", value: writeKept,
                        reason: "needs a corpus of files to copy; a stream (standard input, a pipe) cannot be copied from")
                }
                if FingerprintFile.looksLikeFingerprint(dir) {
                    throw FingerprintError.badData(
                        path: dir, reason: "is a fingerprint file, which keeps no text: --write-kept needs the corpus itself")
                }
                try Dedup.checkDestination(writeKept)
                try OutputGuard.refuseOverlap(writeKept, flag: "--write-kept", inputs: [dir])
            }
            // The HTML report reads documents again.
            if format == .html && !options.dryRun { try StreamInput.keep(dir) }
            var o = DedupOptions()
            o.method = method
            o.shingle = shingle
            o.perms = perms
            o.threshold = threshold
            o.hamming = hamming
            o.keep = keep
            o.maxDF = maxDF
            o.boilerplate = boilerplate
            let tokenizer = try options.tokenizerSpec()
            if tokenizer.isModel {
                // char:N and ngram:N are refused in validate(): shingles are words or model tokens.
                guard boilerplate == nil else {
                    throw ValidationError("--boilerplate works with word shingles only, not with --tokenizer \(options.tokenizer).")
                }
                o.tokenizer = tokenizer
            }
            o.seed = options.seed == 0 ? 1 : options.seed
            o.read = options.readOptions
            let input = try options.input(dir)
            // What the run would refuse of a file, a dry run refuses too.
            if options.dryRun && input.kind == .fingerprint {
                try FingerprintStore.requireSketches(of: try FingerprintFile(path: input.path), options: o)
            }
            let stop = try options.planGate(
                inputs: [input], json: format == .json || format == .jsonl, advice: "--method simhash keeps no shingle sets",
                shingling: true
            ) { depth in
                WorkPlan.dedup(
                    try CorpusSurvey.survey(input, tokenizer: .word, shingle: shingle, pairs: .jaccards, depth: depth), perms: perms,
                    threads: options.readOptions.threads,
                    threshold: threshold, minhash: o.method == .minhash)
            }
            if stop { return }
            if let writeKept { try Dedup.checkKeptNames(try input.jsonlFileNames(), in: writeKept) }
            let result = try Dedup.run(input, options: o, progress: options.progress())
            let report = DedupReport(result, corpus: input.description, options: o)
            // What can fail goes first: the kept copy (`KeptCopy`: staged beside a new
            // target, committed last), the skipped list, then the report. A failure leaves
            // -o's file as it was, and an interruption leaves a directory named as
            // temporary, not a partial copy under the name asked for (review 31b).
            let kept = try writeKept.map { try KeptCopy(result, input: input, to: $0) }
            defer { kept?.discard() }
            try options.writeSkipped(result.skips)
            switch format.output {
            case .json: try options.write(JSONOutput.encode(report))
            case .jsonl: try options.write(report.jsonl())
            case .csv: try options.write(report.csv())
            case .html:
                let read = CorpusInput.textLookup([input], limit: 1 << 16)
                try options.write(
                    DedupHTML.page(report, limit: htmlLimit) { name in read(0, name).map { String(decoding: $0, as: UTF8.self) } })
            default: try options.write(report.table())
            }
            options.noteSkips(result.skips, listedInOutput: format != .csv)
            if let kept {
                try kept.commit()
                options.note("wrote \(kept.documents) documents to \(kept.directory)")
            }
        }
    }
}
