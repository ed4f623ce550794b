import ArgumentParser
import FingerprintKit
import Foundation

/// `--format` of tokenizers.
enum TokenizersFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json
}

struct TokenizersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizers",
        abstract: "Compare two tokenizer files: shared vocabulary, merge order, common merge prefix, verdict.",
        discussion: """
            A and B are tiktoken ranks files, as a path or as r50k|p50k|cl100k|o200k[:PATH] (without a \
            path the file is looked for in TIKTOKEN_CACHE_DIR). The merge list is the multi-byte tokens \
            in rank order. Verdicts: same; A extends B (B's merges are A's first ones) or B extends A; \
            a common origin (at least 1,000 first merges agree); unrelated.
            """
    )

    @Argument(help: "The first tokenizer file.")
    var a: String

    @Argument(help: "The second tokenizer file.")
    var b: String

    @Option(help: "Output format.")
    var format: TokenizersFormat = .table

    @Option(name: [.short, .long], help: "Write the result to this file (atomically) instead of standard output.")
    var output: String?

    /// A ranks file by preset (`cl100k:PATH`, `cl100k`) or by plain path.
    static func load(_ text: String) throws -> TiktokenEncoding {
        if TiktokenPreset(rawValue: String(text.prefix { $0 != ":" })) != nil,
            case .tiktoken(let e) = try TokenizerSpec(parsing: text)
        {
            return e
        }
        if text.hasSuffix(".json") {
            throw FingerprintError.badData(
                path: text, reason: "Hugging Face tokenizer.json files are not supported yet; give a tiktoken ranks file")
        }
        return try TiktokenEncoding(preset: .cl100k, path: text)
    }

    func run() throws {
        try runReporting {
            let ea = try Self.load(a)
            let eb = try Self.load(b)
            let c = TokenizerComparison(
                a: ea.vocabulary, aName: a, aSHA256: ea.sha256, b: eb.vocabulary, bName: b, bSHA256: eb.sha256)
            let text = format == .json ? try JSONOutput.encode(c) : TokenizersReport.table(c)
            try AtomicFile.write(text, to: output)
        }
    }
}
