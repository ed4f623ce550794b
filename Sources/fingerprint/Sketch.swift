import ArgumentParser
import FingerprintKit
import Foundation

/// The options that decide what a fingerprint file holds (`sketch`, `index add`).
struct SketchParameters: ParsableArguments {
    @Option(help: "Tokens per MinHash shingle (words, or a model tokenizer's tokens).")
    var shingle: Int = 5

    @Option(help: "MinHash permutations.")
    var perms: Int = 128

    @Option(
        parsing: .unconditional,
        help:
            "Jaccard threshold the index's LSH bands are tuned for, when the file is made (default 0.8; index query --threshold defaults to it)."
    )
    var threshold: Double?

    @Option(help: "Key file (32 random bytes or 64 hex digits): tokens, n-grams and names stored as keyed hashes, never as text.")
    var key: String?

    @Flag(help: "With --key: keep the documents' paths (by default they are keyed hashes too).")
    var keepNames = false

    @Option(help: "Prepended to every document name (sketching shards of one collection that merge later).")
    var namePrefix: String = ""

    func validate() throws {
        if !(1...64).contains(shingle) { throw ValidationError("--shingle must be between 1 and 64.") }
        if !(1...4096).contains(perms) { throw ValidationError("--perms must be between 1 and 4096.") }
        if let t = threshold, !(t > 0 && t <= 1) { throw ValidationError("--threshold must be in (0, 1].") }
        if keepNames && key == nil { throw ValidationError("--keep-names goes with --key.") }
    }

    func options(_ shared: SharedOptions) throws -> SketchOptions {
        var o = SketchOptions()
        o.tokenizer = try shared.tokenizerSpec()
        o.shingle = shingle
        o.perms = perms
        o.seed = shared.seed == 0 ? 1 : shared.seed
        o.threshold = threshold ?? 0.8
        o.key = try key.map { try FingerprintKey.read(path: $0) }
        o.keepNames = keepNames
        o.namePrefix = namePrefix
        o.read = shared.readOptions
        return o
    }
}

struct SketchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sketch",
        abstract: "Write a corpus's fingerprint file (SQLite): counts, sketches and n-gram sets, not the text.",
        discussion: """
            Every command that takes a corpus takes the .fp instead, with the same numbers; what needs the text \
            (shared passages, evidence, --write-kept) is reported as unavailable for that side. With --key the \
            file holds keyed hashes instead of tokens, n-grams and names: two parties with the same key can compare \
            their files, and the text cannot be read back (docs/FINGERPRINT-FILES.md says what still leaks). \
            -o NAME.fp is required: the file is written under a temporary name and renamed when complete.
            """
    )

    @Argument(help: "A directory, a text file, a .jsonl file, or - for standard input.")
    var corpus: String

    @OptionGroup var sketch: SketchParameters

    @Option(
        help: ArgumentHelp(
            "Sketch only shard K of N (0-based): the corpus's files in reading order, cut into N runs of about equal bytes. Merging the N files in order (fingerprint merge) gives the whole corpus's file.",
            valueName: "K/N"))
    var shard: String?

    @Option(help: "Output format of the summary.")
    var format: TableFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        guard let out = options.output, out != "-" else {
            throw ValidationError("sketch needs --output NAME.fp (the fingerprint file to write).")
        }
        if let shard, Shard(parsing: shard) == nil {
            throw ValidationError("--shard must be K/N with 0 ≤ K < N ≤ 1000000 (e.g. 0/8).")
        }
    }

    func run() throws {
        try runReporting(options) {
            let out = options.output!
            try options.checkOutput(inputs: [corpus, sketch.key])
            try FingerprintStore.checkNewFile(out)
            var input = try options.input(corpus)
            if input.kind == .fingerprint {
                throw ValidationError("\(corpus) is already a fingerprint file; fingerprint merge combines files.")
            }
            var o = try sketch.options(options)
            if let shard {
                // A shard may hold no document; its file is then empty and merges as nothing.
                input.shard = Shard(parsing: shard)
                o.read.allowsNoDocuments = true
            }
            let stop = try options.planGate(inputs: [input], json: format == .json, advice: "--threads 1 keeps one counting table") {
                depth in
                WorkPlan.sketch(
                    try CorpusSurvey.survey(input, tokenizer: o.tokenizer, shingle: o.shingle, pairs: [], depth: depth), options: o)
            }
            if stop { return }
            let change = try FingerprintStore.sketch(input, to: out, options: o, progress: options.progress())
            try printChange(change, format: format, verb: "sketched")
            try options.reportSkips(change.skipped, listedInOutput: format == .json)
        }
    }
}

/// Prints what `sketch`, `index add/remove` and `merge` did, on standard output.
func printChange(_ c: IndexChange, format: TableFormat, verb: String) throws {
    switch format {
    case .json: print(try JSONOutput.encode(c), terminator: "")
    case .csv:
        print(
            CSV.row(["file", "added", "replaced", "unchanged", "removed", "skipped", "documents", "vocabulary", "bytes"])
                + CSV.row(
                    [c.file]
                        + [c.added, c.replaced, c.unchanged, c.removed, c.skipped.count, c.documents, c.vocabulary, c.fileBytes].map {
                            String($0)
                        }), terminator: "")
    case .table:
        var parts = ["\(c.added) added"]
        if c.replaced > 0 { parts.append("\(c.replaced) replaced") }
        if c.unchanged > 0 { parts.append("\(c.unchanged) unchanged") }
        if c.removed > 0 { parts.append("\(c.removed) removed") }
        if !c.skipped.isEmpty { parts.append("\(c.skipped.count) skipped") }
        let perDocument = c.documents > 0 ? ", \(c.fileBytes / c.documents) bytes a document" : ""
        print(
            "\(c.file.terminalSafe): \(verb): \(parts.joined(separator: ", ")); now \(c.documents) documents, "
                + "\(c.vocabulary) types, \(c.fileBytes) bytes on disk\(perDocument)")
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge fingerprint files made with the same parameters into one (shards → one file).",
        discussion:
            "The result holds what sketching all the shards' corpora at once would: the same documents, vocabulary, counts and sketches. Document names must be distinct across the files (sketch shards with --name-prefix). One file gives a copy in the current schema (a schema-1 file gains the gram index without being changed in place)."
    )

    @Argument(help: "The fingerprint files to merge.")
    var files: [String]

    @Option(name: [.short, .long], help: "The merged fingerprint file to write (atomically).")
    var output: String

    @Option(
        parsing: .unconditional,
        help:
            "Jaccard threshold the merged file's LSH bands are made for, from the stored signatures (default: the files', which must then agree)."
    )
    var threshold: Double?

    @Option(help: "Output format of the summary.")
    var format: TableFormat = .table

    func validate() throws {
        if files.isEmpty { throw ValidationError("merge needs one or more fingerprint files.") }
        if let t = threshold, !(t > 0 && t <= 1) { throw ValidationError("--threshold must be in (0, 1].") }
    }

    func run() throws {
        try runReporting {
            try StreamingOutput.preflight(output)
            try FingerprintStore.checkNewFile(output)
            try OutputGuard.refuseOverlap(output, flag: "--output", inputs: files)
            for f in files {
                let input = try CorpusInput(path: f)
                try refusePipe(input)
                guard input.kind == .fingerprint else {
                    throw FingerprintError.badData(path: f, reason: "is not a fingerprint file (make one with fingerprint sketch)")
                }
            }
            try printChange(try FingerprintStore.merge(files, to: output, threshold: threshold), format: format, verb: "merged")
        }
    }
}

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "A persistent reference index in a fingerprint file: add, remove, list, query.",
        discussion: """
            Each change is one SQLite transaction: a run killed in the middle leaves the file as it was before or as \
            it is after, never between. The file is in WAL mode, so queries run while another process adds documents.
            """,
        subcommands: [IndexAdd.self, IndexRemove.self, IndexList.self, IndexQuery.self]
    )
}

/// A fingerprint file is read in place by SQLite: a pipe (or `-`) given as
/// one is refused before it is opened.
func refusePipe(_ input: CorpusInput) throws {
    guard input.isStream else { return }
    throw FingerprintError.inputNotFound(
        path: input.path,
        reason: input.path == "-"
            ? "a fingerprint file is read in place, not from standard input: give its path"
            : "is a pipe, not a regular file; a fingerprint file is read in place, not as a stream")
}

/// Opens an existing fingerprint file named on the command line.
func openFingerprint(_ path: String, writable: Bool) throws -> FingerprintFile {
    let input = try CorpusInput(path: path)
    try refusePipe(input)
    guard input.kind == .fingerprint else {
        throw FingerprintError.badData(path: path, reason: "is not a fingerprint file (make one with fingerprint sketch CORPUS -o \(path))")
    }
    return try FingerprintFile(path: path, writable: writable)
}

struct IndexAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a corpus's documents: new ones added, changed ones (by SHA-256) replaced, unchanged ones left.",
        discussion:
            "The file is created when it does not exist (as sketch would). Documents are known by name (--name-prefix keeps two corpora's names apart). "
            + "FILE is what is written: --output is not taken, and the summary goes to standard output."
    )

    @Argument(help: "The fingerprint file (the index).")
    var file: String

    @Argument(help: "A directory, a text file, a .jsonl file, or - for standard input.")
    var corpus: String

    @OptionGroup var sketch: SketchParameters

    @Option(help: "Output format of the summary.")
    var format: TableFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        if options.output != nil {
            throw ValidationError("index add writes FILE and prints its summary on standard output; it takes no --output.")
        }
    }

    func run() throws {
        try runReporting(options) {
            try OutputGuard.refuseOverlap(file, flag: "FILE", inputs: [corpus] + (sketch.key.map { [$0] } ?? []))
            // The skip list must not replace the index, the corpus or the key.
            try options.checkOutput(inputs: [file, corpus, sketch.key])
            let input = try options.input(corpus)
            if input.kind == .fingerprint { throw ValidationError("\(corpus) is a fingerprint file; fingerprint merge combines files.") }
            let o = try sketch.options(options)
            let stop = try options.planGate(inputs: [input], json: format == .json, advice: "--threads 1 keeps one counting table") {
                depth in
                WorkPlan.sketch(
                    try CorpusSurvey.survey(input, tokenizer: o.tokenizer, shingle: o.shingle, pairs: [], depth: depth), options: o,
                    command: "index add")
            }
            if stop { return }
            guard FileManager.default.fileExists(atPath: file) else {
                try StreamingOutput.preflight(file)
                let change = try FingerprintStore.sketch(input, to: file, options: o, progress: options.progress())
                try printChange(change, format: format, verb: "created")
                return try options.reportSkips(change.skipped, listedInOutput: format == .json)
            }
            let f = try openFingerprint(file, writable: true)
            if f.parameters.keyed && o.key == nil {
                throw FingerprintError.badData(path: file, reason: "is keyed: adding documents needs its key (--key)")
            }
            // The bands were chosen when the file was made (it was silently
            // ignored); queries choose their own threshold.
            if let t = sketch.threshold, t != f.parameters.threshold {
                throw FingerprintError.invalidParameter(
                    name: "--threshold", value: "\(t)",
                    reason:
                        "this file's LSH bands were made for Jaccard ≥ \(f.parameters.threshold) and cannot change; index query --threshold takes any"
                )
            }
            // Whether names are kept is the file's (it was silently ignored).
            if sketch.keepNames && !f.parameters.keepNames {
                throw ValidationError(
                    "--keep-names: \(file) hashes its documents' names and cannot keep them in clear; sketch a new file with --keep-names")
            }
            var o2 = o
            o2.keepNames = f.parameters.keepNames
            let change = try FingerprintStore.add(input, to: f, options: o2, progress: options.progress())
            try printChange(change, format: format, verb: "added")
            // A stream's documents are named by its path, which is the same
            // for every run of `index add FILE -` or `<(…)` (/dev/fd/63):
            // a second stream replaces the first's documents.
            if input.isStream && o.namePrefix.isEmpty && change.replaced > 0 {
                options.note(
                    "fingerprint: note: \(change.replaced) documents replaced stored ones of the same names: a stream's documents are named by its path (\(input.path)), the same in every run; --name-prefix keeps two streams' documents apart"
                )
            }
            try options.reportSkips(change.skipped, listedInOutput: format == .json)
        }
    }
}

struct IndexRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove documents by name (as index list shows them), in one transaction.")

    @Argument(help: "The fingerprint file (the index).")
    var file: String

    @Argument(help: "Document names.")
    var names: [String]

    @Option(help: "The key of a keyed file (names are given in clear and hashed with it).")
    var key: String?

    func validate() throws {
        if names.isEmpty { throw ValidationError("Name at least one document to remove.") }
    }

    func run() throws {
        try runReporting {
            let f = try openFingerprint(file, writable: true)
            let (removed, missing, shadowing) = try FingerprintStore.remove(
                names, from: f, key: try key.map { try FingerprintKey.read(path: $0) })
            print("\(file.terminalSafe): removed \(removed) documents; now \(try f.documentCount())")
            for n in shadowing {
                FileHandle.standardError.write(
                    Data(
                        ("fingerprint: note: '\(n.terminalSafe)' is a document's name and also how index list shows another's, "
                            + "whose name holds control characters: the first was removed, the other kept (give its raw name to remove it)\n")
                            .utf8))
            }
            if !missing.isEmpty {
                FileHandle.standardError.write(
                    Data(
                        "fingerprint: \(missing.count) names not in the index: \(missing.prefix(5).joined(separator: ", ").terminalSafe)\n"
                            .utf8))
            }
        }
    }
}

struct IndexList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the documents and parameters of a fingerprint file.")

    @Argument(help: "The fingerprint file.")
    var file: String

    @Option(help: "Output format.")
    var format: TableFormat = .table

    func run() throws {
        try runReporting {
            let f = try openFingerprint(file, writable: false)
            var docs: [IndexListing.Document] = []
            var tokens = 0
            try f.forEachDocument(columns: []) { _, d in
                docs.append(.init(name: d.info.name, bytes: d.info.bytes, tokens: d.tokens, sha256: SHA256.hexString(d.digest)))
                // The table's total (a damaged file's counts could pass Int.max: a trap).
                let (sum, overflow) = tokens.addingReportingOverflow(d.tokens)
                if overflow { throw FingerprintError.badData(path: file, reason: "damaged document sizes") }
                tokens = sum
            }
            let listing = IndexListing(file: file, parameters: f.parameters, documents: docs, skipped: try f.skips())
            switch format {
            case .json: print(try JSONOutput.encode(listing), terminator: "")
            case .csv: print(listing.csv(), terminator: "")
            case .table: print(listing.table(), terminator: "")
            }
        }
    }
}

struct IndexQuery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Check a corpus against the index: near-duplicates, 13-gram containment, nearest documents; no reference text read.",
        discussion: """
            Near-duplicates come from the stored LSH bands, every candidate verified by the exact Jaccard of the \
            stored shingle sets. Containment is the share of a document's distinct word 13-grams found anywhere in \
            the index (the contamination question). Neighbours are by TF-IDF cosine over the stored counts. \
            With --fail-on-match the exit status is 1 when any document matches. --dry-run is not taken (index \
            list shows the index's size), and --format html is not offered.
            """
    )

    @Argument(help: "The fingerprint file (the index).")
    var file: String

    @Argument(help: "The questioned corpus: a directory, a text file, a .jsonl file, or - for standard input.")
    var corpus: String

    @Option(parsing: .unconditional, help: "Jaccard threshold for near-duplicates (default: the one the index was made for).")
    var threshold: Double?

    @Option(
        help:
            "Nearest index documents listed per document by TF-IDF cosine (0: none). It loads every stored count vector: on a large index it costs far more than the rest of the query."
    )
    var top: Int = 0

    @Option(help: "A document whose share of 13-grams found in the index reaches this is a match.")
    var minContainment: Double = 0.5

    @Option(help: "The key of a keyed index.")
    var key: String?

    @Flag(help: "Exit with status 1 when any document matches (for CI).")
    var failOnMatch = false

    @Option(help: "Output format: table, json, jsonl or csv (no html).")
    var format: StreamFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        if let t = threshold, !(t > 0 && t <= 1) { throw ValidationError("--threshold must be in (0, 1].") }
        if top < 0 { throw ValidationError("--top must be 0 or more.") }
        if !(minContainment > 0 && minContainment <= 1) { throw ValidationError("--min-containment must be in (0, 1].") }
        if format == .html { throw ValidationError("index query writes table, json, jsonl or csv.") }
    }

    func run() throws {
        try runReporting(options) {
            try options.checkOutput(inputs: [file, corpus, key])
            let f = try openFingerprint(file, writable: false)
            var o = QueryOptions()
            o.threshold = threshold
            o.top = top
            o.minContainment = minContainment
            o.key = try key.map { try FingerprintKey.read(path: $0) }
            o.read = options.readOptions
            let input = try options.input(corpus)
            if options.dryRun {
                throw ValidationError(
                    "index query does not take --dry-run: it reads the questioned corpus once (twice with --top) and looks its n-grams and bands up in the index (index list shows the index's size)."
                )
            }
            // The questioned documents are sketched as `sketch` would: the
            // same check before the run (a compressed file holding far more
            // text than its size, or one large document, is refused, exit 75).
            var so = SketchOptions()
            so.tokenizer = try options.tokenizerSpec()
            so.shingle = f.parameters.shingle
            so.read = options.readOptions
            _ = try options.planGate(
                inputs: [input], json: false, advice: "question fewer or smaller documents at a time", dryRunShows: false
            ) { depth in
                WorkPlan.sketch(
                    try CorpusSurvey.survey(input, tokenizer: so.tokenizer, shingle: so.shingle, pairs: [], depth: depth), options: so,
                    command: "index query")
            }
            let report = try FingerprintStore.query(
                input, against: f, tokenizer: so.tokenizer, options: o, progress: options.progress())
            switch format {
            case .json: try options.write(JSONOutput.encode(report))
            case .jsonl: try options.write(QueryReportWriter.jsonl(report))
            case .csv: try options.write(QueryReportWriter.csv(report))
            default: try options.write(QueryReportWriter.table(report))
            }
            try options.reportSkips(report.skipped, listedInOutput: format != .csv)
            if failOnMatch && report.matched { throw ExitCode(ExitStatus.matchFound) }
        }
    }
}
