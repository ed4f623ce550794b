import ArgumentParser
import FingerprintKit
import Foundation

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write deterministic synthetic corpora with known relations, and their manifest.",
        discussion: """
            Writes twelve corpus folders (source-a, source-b, copy-a, subst-05/20/50, mix-10/50, planted, \
            near-dups, paired/a, paired/b) and manifest.json, which states each folder's relation to the \
            others. The same seed and options give the same bytes on every machine. With --size, writes \
            about that many bytes in all (more documents per corpus), for benchmarks.
            """
    )

    @Argument(help: "Output directory (created if missing; must be empty unless --force).")
    var outdir: String

    @Option(help: "Seed for every random choice.")
    var seed: UInt64 = 0

    @Option(help: "Documents per corpus (default 50; not with --size).")
    var docs: Int?

    @Option(help: "Words per document.")
    var words: Int = 350

    @Option(help: "Write about this many bytes in all, e.g. 100MB, 1GB, 512MiB (sets the documents per corpus).")
    var size: String?

    @Option(help: "Worker threads (default: all cores; the output does not depend on it).")
    var threads: Int?

    @Flag(help: "Write into a non-empty directory, replacing the generated files (docNNNN.txt in the corpus folders, manifest.json).")
    var force = false

    @Flag(name: [.short, .long], help: "No summary on standard error.")
    var quiet = false

    func validate() throws {
        if let d = docs, d < 2 { throw ValidationError("--docs must be at least 2.") }
        if words < 10 { throw ValidationError("--words must be at least 10.") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1.") }
        if let size {
            guard ByteSize.parse(size) != nil else {
                throw ValidationError("--size must be a positive size such as 100MB, 1GB or 512MiB, not '\(size)'.")
            }
            if docs != nil { throw ValidationError("--size and --docs cannot be used together.") }
        }
    }

    func run() throws {
        try runReporting {
            let generator = CorpusGenerator(seed: seed, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let start = Date()
            let manifest: SynthManifest
            if let size, let bytes = ByteSize.parse(size) {
                manifest = try generator.writeSized(to: outdir, totalBytes: bytes, wordsPerDocument: words, force: force)
            } else {
                manifest = try generator.writeDemo(
                    to: outdir, documentsPerCorpus: docs ?? 50, wordsPerDocument: words,
                    force: force)
            }
            if !quiet {
                let seconds = Date().timeIntervalSince(start)
                let mb = Double(manifest.totalBytes) / 1e6
                let line = String(
                    format: "wrote %d files, %.1f MB in %d corpora to %@ in %.2f s (%.0f MB/s)",
                    manifest.totalFiles, mb, manifest.corpora.count, outdir, seconds,
                    mb / max(seconds, 1e-9))
                // The newline after the escaping (review 31b: it was shown as "\n").
                FileHandle.standardError.write(Data((line.terminalSafe + "\n").utf8))
            }
        }
    }
}
