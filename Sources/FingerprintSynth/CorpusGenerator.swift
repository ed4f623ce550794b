import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Deterministic synthetic corpora with known relations between them.
///
/// From one seed: four sources — A, B and C independent (`SourceModel`), and
/// A2, a close variant of A — and twelve corpus directories:
///
/// | path | relation |
/// |---|---|
/// | `source-a` | documents of A |
/// | `source-b` | documents of B (independent of A) |
/// | `copy-a` | exact copies of `source-a` (same file names) |
/// | `subst-05`, `subst-20`, `subst-50` | `source-a` with each word replaced with probability p by a different word |
/// | `mix-10`, `mix-50` | each document from B with probability p, else from A |
/// | `planted` | documents of C with verbatim passages of `source-a` inserted |
/// | `near-dups` | documents of A, some of them near-copies of others |
/// | `paired/a`, `paired/b` | file i of both on the same topic, by A and by A2 |
///
/// Every document has its own random stream, derived from the seed, the
/// corpus and the document index, so any document can be regenerated alone,
/// generation runs in parallel, and the output does not depend on the
/// thread count.
public struct CorpusGenerator: Sendable {
    /// Bump when the output for a given seed changes.
    public static let version = "1"

    public static let substitutionRates: [Double] = [0.05, 0.2, 0.5]
    public static let mixtureProportions: [Double] = [0.1, 0.5]
    public static let topicWordsPerPrompt = 20
    public static let topicWeight = 0.3
    public static let pairedRankSwaps = 12
    public static let passageWords = 30...80
    public static let nearDuplicateRates: [Double] = [0.02, 0.03, 0.04, 0.05]

    /// Stream tags: document `i` of a corpus is written from
    /// `Xoshiro256(seed: seed, stream: tag << 40 | i)`.
    public enum Stream {
        public static let sourceA: UInt64 = 1
        public static let sourceB: UInt64 = 2
        public static let substitution: UInt64 = 10  // + rate index
        public static let mixture: UInt64 = 20  // + proportion index
        public static let plantedHost: UInt64 = 30
        public static let plantedPlan: UInt64 = 31
        public static let nearDuplicateOriginal: UInt64 = 40
        public static let nearDuplicateVariant: UInt64 = 41
        public static let nearDuplicatePlan: UInt64 = 42
        public static let pairedTopic: UInt64 = 50
        public static let pairedA: UInt64 = 51
        public static let pairedB: UInt64 = 52
    }

    public let seed: UInt64
    /// Worker threads (output is the same for any count).
    public var threads: Int
    public let sourceA: SourceModel
    public let sourceB: SourceModel
    public let sourceC: SourceModel
    /// A close variant of A (`pairedRankSwaps` swapped ranks) for `paired/b`.
    public let sourceA2: SourceModel

    public init(seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.seed = seed
        self.threads = max(1, threads)
        sourceA = SourceModel(seed: seed, name: "A")
        sourceB = SourceModel(seed: seed, name: "B")
        sourceC = SourceModel(seed: seed, name: "C")
        sourceA2 = sourceA.variant(name: "A2", seed: seed, swaps: CorpusGenerator.pairedRankSwaps)
    }

    /// The corpus directories, in manifest order.
    public static let corpusPaths = [
        "source-a", "source-b", "copy-a", "subst-05", "subst-20", "subst-50",
        "mix-10", "mix-50", "planted", "near-dups", "paired/a", "paired/b",
    ]

    // MARK: - In-memory helpers

    /// The random stream of document `index` of the corpus tagged `stream`.
    public func rng(stream: UInt64, index: Int) -> Xoshiro256 {
        Xoshiro256(seed: seed, stream: (stream << 40) | UInt64(index))
    }

    /// `count` documents of `source`, document i from `rng(stream:index: i)`.
    /// With `source: sourceA, stream: Stream.sourceA` these are the files of
    /// `source-a`.
    public func documents(source: SourceModel, count: Int, words: Int, stream: UInt64) -> [String] {
        (0..<count).map { String(decoding: document(source: source, words: words, stream: stream, index: $0), as: UTF8.self) }
    }

    /// Document `index` of `source` on the stream tagged `stream`, as bytes.
    public func document(source: SourceModel, words: Int, stream: UInt64, index: Int) -> [UInt8] {
        var r = rng(stream: stream, index: index)
        var out: [UInt8] = []
        source.render(words: words, rng: &r, into: &out)
        return out
    }

    /// The whole set in memory: the manifest and every file by relative path.
    public func inMemory(documentsPerCorpus: Int, wordsPerDocument: Int) throws -> (manifest: SynthManifest, files: [String: [UInt8]]) {
        let sink = MemorySink()
        let m = try generate(documentsPerCorpus: documentsPerCorpus, wordsPerDocument: wordsPerDocument, into: sink)
        return (m, sink.files)
    }

    // MARK: - Writing to a directory

    /// Writes the demo set and `manifest.json` into `directory` (created if
    /// missing). Refuses a non-empty directory unless `force`; with `force`,
    /// old `docNNNN.txt` files in the corpus folders are removed first and
    /// nothing else is touched.
    /// - Throws: `FingerprintError` (.usage for a non-empty directory, .io).
    @discardableResult
    public func writeDemo(
        to directory: String, documentsPerCorpus: Int, wordsPerDocument: Int,
        force: Bool = false
    ) throws -> SynthManifest {
        try CorpusGenerator.check(documentsPerCorpus: documentsPerCorpus, wordsPerDocument: wordsPerDocument)
        try prepare(directory, force: force)
        var m = try generate(
            documentsPerCorpus: documentsPerCorpus, wordsPerDocument: wordsPerDocument,
            into: DirectorySink(root: directory))
        m.requestedBytes = nil
        try AtomicFile.write(m.encoded(), to: directory + "/manifest.json")
        return m
    }

    /// Writes a set of about `totalBytes` bytes in all (the same twelve
    /// relations, more documents per corpus) and `manifest.json`.
    @discardableResult
    public func writeSized(
        to directory: String, totalBytes: Int, wordsPerDocument: Int = 350,
        force: Bool = false
    ) throws -> SynthManifest {
        let n = try documentsFor(totalBytes: totalBytes, wordsPerDocument: wordsPerDocument)
        try prepare(directory, force: force)
        var m = try generate(
            documentsPerCorpus: n, wordsPerDocument: wordsPerDocument,
            into: DirectorySink(root: directory))
        m.requestedBytes = totalBytes
        try AtomicFile.write(m.encoded(), to: directory + "/manifest.json")
        return m
    }

    /// Documents per corpus for a set of about `totalBytes` bytes, measured
    /// on a small set generated and discarded.
    public func documentsFor(totalBytes: Int, wordsPerDocument: Int) throws -> Int {
        let probe = 24
        let m = try generate(documentsPerCorpus: probe, wordsPerDocument: wordsPerDocument, into: DiscardSink())
        return max(2, Int((Double(totalBytes) / Double(m.totalBytes) * Double(probe)).rounded()))
    }

    func prepare(_ directory: String, force: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw FingerprintError.outputFailed(
                    path: directory, reason: "exists and is not a directory; choose another output directory")
            }
            let entries = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            if !entries.isEmpty {
                guard force else {
                    throw FingerprintError.destinationNotEmpty(path: directory)
                }
                for p in CorpusGenerator.corpusPaths {
                    let dir = directory + "/" + p
                    for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where CorpusGenerator.isDocumentName(name) {
                        do { try fm.removeItem(atPath: dir + "/" + name) } catch {
                            throw FingerprintError.outputFailed(
                                path: "\(dir)/\(name)", reason: "cannot remove it: \(error.localizedDescription)")
                        }
                    }
                }
            }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw FingerprintError.outputFailed(path: directory, reason: error.localizedDescription)
            }
        }
    }

    /// "doc" + digits + ".txt": the names this generator writes.
    static func isDocumentName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard u.count > 7, name.hasPrefix("doc"), name.hasSuffix(".txt") else { return false }
        return u[3..<(u.count - 4)].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
