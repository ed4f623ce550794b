import FingerprintCore
import Foundation

/// Reading a fingerprint file as the commands read a corpus.
extension FingerprintStore {
    /// Refuses to put side by side corpora whose tokens are not comparable:
    /// a keyed file and text (or an unkeyed file), or files of two keys.
    public static func requireSameKey(_ a: CountedCorpus, _ b: CountedCorpus) throws {
        try requireSameKey((a.input, a.keyID), (b.input, b.keyID))
    }

    /// The same, of two inputs by name and key id (nil: text, or a file
    /// made without a key), as a dry run knows them before reading.
    public static func requireSameKey(_ a: (input: String, keyID: String?), _ b: (input: String, keyID: String?)) throws {
        guard a.keyID != b.keyID else { return }
        let (keyed, other) = a.keyID != nil ? (a, b) : (b, a)
        let why =
            other.keyID == nil
            ? "is keyed (sketch --key) and \(other.input) is not: keyed hashes can only be compared with files made with the same key"
            : "was made with another key than \(other.input) (key ids \(keyed.keyID!) and \(other.keyID!))"
        throw FingerprintError.badData(path: keyed.input, reason: why)
    }

    /// What `dedup` and `batch --method minhash` need of a file before they
    /// read it (also what their `--dry-run` checks): its shingles are of the
    /// run's tokens (`requireShingles`) and size, and current, and a keyed file
    /// has no boilerplate to match.
    /// - Throws: `.badData` naming the file and the mismatch.
    package static func requireSketches(of file: FingerprintFile, options o: DedupOptions) throws {
        if file.parameters.keyed && o.boilerplate != nil {
            throw FingerprintError.badData(
                path: file.path, reason: "is keyed: boilerplate files cannot be matched against its keyed shingles")
        }
        try file.requireShingles(tokenizer: o.tokenizer)
        try file.requireCurrentShingles()
        guard file.parameters.shingle == o.shingle else {
            throw FingerprintError.badData(
                path: file.path,
                reason:
                    "was sketched with \(file.parameters.shingle)-token shingles; this run asks for \(o.shingle) (set --shingle \(file.parameters.shingle), or sketch again)"
            )
        }
    }

    /// The sketches `dedup` and `batch --method minhash` need, from a file.
    /// Signatures are recomputed from the stored shingles when the run's
    /// permutations or seed differ from the file's; the shingle size and
    /// the tokens shingled must be the file's.
    /// - Throws: `.badData` naming the file and the mismatch.
    static func sketches(_ input: CorpusInput, options o: DedupOptions) throws -> (
        documents: [DocumentInfo], sketches: [SketchedDocument], skips: [Skip], keyID: String?
    ) {
        let file = try FingerprintFile(path: input.path)
        try requireSketches(of: file, options: o)
        try file.requireNoSkips(strict: o.read.strict)
        let resign = file.parameters.permutations != o.perms || file.parameters.seed != o.seed
        let hasher = MinHasher(perms: o.perms, seed: o.seed)
        var documents: [DocumentInfo] = []
        var sketches: [SketchedDocument] = []
        try file.forEachDocument(columns: .sketch) { _, d in
            documents.append(d.info)
            sketches.append(
                SketchedDocument(
                    tokens: d.shingleTokens, shingles: o.method == .minhash ? d.shingles : [],
                    signature: resign ? hasher.signature(of: d.shingles) : d.minhash, simhash: d.simhash, exact: d.exact))
        }
        guard !documents.isEmpty else {
            throw FingerprintError.noDocuments(path: file.path, reason: "the fingerprint file holds no document", patterns: [])
        }
        return (documents, sketches, try file.skips(), file.parameters.keyID)
    }

    /// One side of `compare` from a file: its counts, and the n-gram sets
    /// of each stored size with, per document, its distinct n-grams of the
    /// reported size found in `reference`.
    static func compareSide(
        _ input: CorpusInput, tokenizer: TokenizerSpec, sizes: [Int], reference: NGramIndex?, strict: Bool
    ) throws -> (corpus: CountedCorpus, ngrams: [NGramIndex], documentHits: [Int]) {
        let file = try FingerprintFile(path: input.path)
        try file.requireCompatible(tokenizer: tokenizer)
        try file.requireNoSkips(strict: strict)
        guard sizes.allSatisfy(file.parameters.ngramSizes.contains) else {
            throw FingerprintError.badData(path: file.path, reason: "stores n-grams of sizes \(file.parameters.ngramSizes), not \(sizes)")
        }
        let corpus = try file.countedCorpus(tokenizer: tokenizer)
        var parts: [[[UInt64]]] = sizes.map { _ in [] }
        var hits: [Int] = []
        let last = file.parameters.ngramSizes.firstIndex(of: sizes.last!)!
        try file.forEachDocument(columns: .grams) { _, d in
            for (k, n) in sizes.enumerated() { parts[k].append(d.grams[file.parameters.ngramSizes.firstIndex(of: n)!]) }
            hits.append(reference.map { r in d.grams[last].filter { r.contains($0) }.count } ?? 0)
        }
        let ngrams = (0..<sizes.count).map { NGramIndex(parts: &parts[$0]) }
        return (corpus, ngrams, hits)  // the corpus carries the file's key id
    }
}
