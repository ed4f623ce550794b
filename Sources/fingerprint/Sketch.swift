import ArgumentParser
import FingerprintKit
import Foundation

/// The options that decide what a fingerprint file holds (`sketch`, `index add`).
struct SketchParameters: ParsableArguments {
    @Option(help: "Tokens per MinHash shingle (words, or a model tokenizer's tokens).")
    var shingle: Int = 5

    @Option(help: "MinHash permutations.")
    var perms: Int = 128

    @Option(help: "Jaccard threshold the index's LSH bands are tuned for (index query --threshold defaults to it).")
    var threshold: Double = 0.8

    @Option(help: "Key file (32 random bytes or 64 hex digits): tokens, n-grams and names stored as keyed hashes, never as text.")
    var key: String?

    @Flag(help: "With --key: keep the documents' paths (by default they are keyed hashes too).")
    var keepNames = false

    @Option(help: "Prepended to every document name (sketching shards of one collection that merge later).")
    var namePrefix: String = ""

    func validate() throws {
        if !(1...64).contains(shingle) { throw ValidationError("--shingle must be between 1 and 64.") }
        if !(1...4096).contains(perms) { throw ValidationError("--perms must be between 1 and 4096.") }
        if !(threshold > 0 && threshold <= 1) { throw ValidationError("--threshold must be in (0, 1].") }
        if keepNames && key == nil { throw ValidationError("--keep-names goes with --key.") }
    }

    func options(_ shared: SharedOptions) throws -> SketchOptions {
        var o = SketchOptions()
        o.tokenizer = try shared.tokenizerSpec()
        o.shingle = shingle
        o.perms = perms
        o.seed = shared.seed == 0 ? 1 : shared.seed
        o.threshold = threshold
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
            The file is written under a temporary name and renamed when complete.
            """
    )

    @Argument(help: "A directory, a text file, a .jsonl file, or - for standard input.")
    var corpus: String

    @OptionGroup var sketch: SketchParameters

    @Option(help: "Output format of the summary.")
    var format: TableFormat = .table

    @OptionGroup var options: SharedOptions

    func validate() throws {
        guard let out = options.output, out != "-" else {
            throw ValidationError("sketch needs --output NAME.fp (the fingerprint file to write).")
        }
    }

    func run() throws {
        try runReporting(options) {
            let out = options.output!
            try options.checkOutput(inputs: [corpus])
            var st = stat()
            if stat(out, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
                throw FingerprintError.outputFailed(path: out, reason: "is not a regular file; a fingerprint file is a database file")
            }
            let input = try options.input(corpus)
            if input.kind == .fingerprint {
                throw ValidationError("\(corpus) is already a fingerprint file; fingerprint merge combines files.")
            }
            let o = try sketch.options(options)
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
            "The result holds what sketching all the shards' corpora at once would: the same documents, vocabulary, counts and sketches. Document names must be distinct across the files (sketch shards with --name-prefix)."
    )

    @Argument(help: "The fingerprint files to merge.")
    var files: [String]

    @Option(name: [.short, .long], help: "The merged fingerprint file to write (atomically).")
    var output: String

    @Option(help: "Output format of the summary.")
    var format: TableFormat = .table

    func validate() throws {
        if files.count < 2 { throw ValidationError("merge needs two or more fingerprint files.") }
    }

    func run() throws {
        try runReporting {
            try StreamingOutput.preflight(output)
            try OutputGuard.refuseOverlap(output, flag: "--output", inputs: files)
            for f in files {
                let input = try CorpusInput(path: f)
                guard input.kind == .fingerprint else {
                    throw FingerprintError.badData(path: f, reason: "is not a fingerprint file (make one with fingerprint sketch)")
                }
            }
            try printChange(try FingerprintStore.merge(files, to: output), format: format, verb: "merged")
        }
    }
}
