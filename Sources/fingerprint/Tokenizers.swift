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
            path the file is looked for in TIKTOKEN_CACHE_DIR), or Hugging Face byte-level BPE \
            tokenizer.json files. The merge list is the multi-byte tokens in rank order (tiktoken) or \
            the tokens the merges make, in order (tokenizer.json); a merge listed twice counts once. \
            Verdicts: same; the same merges with other ids, or with tokens no merge makes; A extends B (B's merges are \
            A's first ones) or B extends A; a common origin (at least 1,000 first merges agree); a common origin, \
            edited (the first 1,000 or more merges both have come in the same order, at most 1% out of place, \
            whatever merges only one has); unrelated.
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

    struct Loaded {
        var sha256: String
        var entries: [([UInt8], UInt32)]
        var merges: [[UInt8]]
    }

    /// A ranks file by preset (`cl100k:PATH`, `cl100k`) or by plain path,
    /// or a byte-level BPE tokenizer.json (`.json`, or `hf:PATH`).
    static func load(_ text: String) throws -> Loaded {
        var isDirectory: ObjCBool = false
        let file = OutputGuard.tokenizerFile(text) ?? text
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FingerprintError.badData(path: file, reason: "is a directory; give a ranks file (.tiktoken) or a tokenizer.json")
        }
        if TiktokenPreset(rawValue: String(text.prefix { $0 != ":" })) != nil,
            case .tiktoken(let e) = try TokenizerSpec(parsing: text)
        {
            return tiktoken(e)
        }
        if text.hasSuffix(".json") || text.hasPrefix("hf:") {
            let path = text.hasPrefix("hf:") ? String(text.dropFirst(3)) : text
            let t = try HFTokenizer(path: path)
            guard let bpe = t.bpe else {
                throw FingerprintError.badData(
                    path: path, reason: "a WordPiece tokenizer has no merge list to compare; give BPE tokenizers")
            }
            return Loaded(sha256: t.sha256, entries: bpe.vocabularyEntries, merges: bpe.mergeList)
        }
        return tiktoken(try TiktokenEncoding(preset: .cl100k, path: text))
    }

    static func tiktoken(_ e: TiktokenEncoding) -> Loaded {
        let entries = e.vocabulary.entriesByRank()
        return Loaded(sha256: e.sha256, entries: entries, merges: entries.filter { $0.0.count >= 2 }.map(\.0))
    }

    func run() throws {
        try runReporting {
            if let output, output != "-" {
                let files = [a, b].map { t in OutputGuard.tokenizerFile(t) ?? t }
                try OutputGuard.refuseOverlap(output, flag: "--output", inputs: files)
            }
            let ea = try Self.load(a)
            let eb = try Self.load(b)
            let c = TokenizerComparison(
                a: ea.entries, aMerges: ea.merges, aName: a, aSHA256: ea.sha256,
                b: eb.entries, bMerges: eb.merges, bName: b, bSHA256: eb.sha256)
            let text = format == .json ? try JSONOutput.encode(c) : TokenizersReport.table(c)
            try AtomicFile.write(text, to: output)
        }
    }
}
