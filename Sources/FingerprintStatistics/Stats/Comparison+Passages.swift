import FingerprintCore
import Foundation

extension Comparison {
    /// The longest passages B shares with A. Candidates: each document of B
    /// with an n-gram of A (n = `passageCandidateSize`: 13, or the passage
    /// guarantee w + k − 1 when that is shorter), paired with the 8
    /// documents of A that hold the most of those n-grams, then the
    /// `--passages` pairs that share the most of the rest — found by one
    /// more read of A, which keeps only the n-grams B hit. Each pair is then aligned exactly
    /// (winnowing seeds, maximal spans), re-reading just its two files.
    static func sharedPassages(
        _ sa: Counted, _ sb: Counted, inputA: CorpusInput, inputB: CorpusInput, options o: CompareOptions, notes: inout [String]
    ) throws -> [SharedPassage] {
        guard o.passages > 0, sb.hitHashes.contains(where: { !$0.isEmpty }) else { return [] }
        var wanted = Set<UInt64>()
        var cappedSample = false
        for h in sb.hitHashes {
            for x in h {
                guard wanted.count < 1 << 20 else {
                    cappedSample = cappedSample || !wanted.contains(x)
                    continue
                }
                wanted.insert(x)
            }
        }
        let n = o.passageCandidateSize
        let want = wanted
        let scan = try CorpusReader.read(inputA, options: o.read) { GramFilterWorker(n: n, keep: want) }
        defer { for w in scan.workers { w.release() } }
        var holders: [UInt64: [Int32]] = [:]
        for (d, out) in scan.outputs.enumerated() { for h in out.output { holders[h, default: []].append(Int32(d)) } }
        // Each document of B with the 8 documents of A that hold the most of its sampled
        // n-grams (the 64 smallest hash values of those it shares: votes grow with the
        // length shared); then, of the pairs left, the `--passages` with the most votes over
        // the whole corpus, so that a document of B copied from more sources than 8 has its
        // longest passages found (review 31a: 12 sources gave 8 passages and no note). At
        // most `--passages` pairs left are kept a document of B: where every document holds
        // one licence line, keeping them all took memory quadratic in the documents (review 31c).
        var pairs: [(a: Int, b: Int)] = []
        var rest: [(a: Int, b: Int, votes: Int)] = []
        var notAligned = 0
        for (j, hits) in sb.hitHashes.enumerated() where !hits.isEmpty {
            var votes: [Int32: Int] = [:]
            for h in hits { for d in holders[h] ?? [] { votes[d, default: 0] += 1 } }
            let ranked = votes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            for (d, _) in ranked.prefix(8) { pairs.append((Int(d), j)) }
            for (d, v) in ranked.dropFirst(8).prefix(o.passages) { rest.append((Int(d), j, v)) }
            notAligned += max(0, ranked.count - 8 - o.passages)
        }
        rest.sort { ($1.votes, $0.b, $0.a) < ($0.votes, $1.b, $1.a) }
        pairs += rest.prefix(o.passages).map { ($0.a, $0.b) }
        notAligned += max(0, rest.count - o.passages)
        if notAligned > 0 {
            notes.append(
                "shared passages: \(notAligned) pairs of documents that share n-grams were not aligned "
                    + "(each document of B is aligned with the 8 documents of A that share the most with it, then the \(o.passages) pairs that share the most of the rest)"
            )
        }
        if cappedSample {
            notes.append(
                "shared passages: the sample of shared n-grams reached its bound (\(wanted.count) values); later documents of B got no candidates"
            )
        }
        var filter: BoilerplateFilter? = nil
        if let dir = o.boilerplate { filter = try BoilerplateFilter.files(in: dir, k: o.passageK, readOptions: o.read) }
        // Document frequency is only evidence of boilerplate over enough
        // documents: with fewer than 100, a k-gram in 2 of 20 is not boilerplate.
        // Only k-grams of the candidate documents of B can seed or extend a
        // passage, so only theirs are counted over A (memory ∝ candidates).
        if o.maxDF < 1 && sa.corpus.documents.count >= 100 && !pairs.isEmpty {
            let bDocs = sb.corpus.documents.map { inputB.document($0) }
            var worker = KGramWorker(k: o.passageK)
            defer { worker.release() }
            var parts: [[UInt64]] = []
            for j in Set(pairs.map(\.b)).sorted() {
                guard let text = try? bDocs[j].read() else { continue }
                text.withUnsafeBufferPointer { worker.feed($0) }
                parts.append(worker.finish())
            }
            let among = NGramIndex(parts: &parts)
            let frequent = try BoilerplateFilter.frequent(
                in: inputA, k: o.passageK, maxDF: o.maxDF, readOptions: o.read, among: among)
            filter = filter.map { $0.union(frequent) } ?? frequent
        }
        return try PassageAlignment.sharedPassages(
            a: sa.corpus.documents.map { inputA.document($0) },
            b: sb.corpus.documents.map { inputB.document($0) }, pairs: pairs,
            options: PassageOptions(k: o.passageK, w: o.passageW, boilerplate: filter),
            limit: o.passages, threads: o.read.threads)
    }
}

/// Keeps, per document, those of its word n-grams that are in `keep`.
struct GramFilterWorker: DocumentWorker {
    var scanner = WordScanner()
    var sink: NGramSink
    let keep: Set<UInt64>
    var found: [UInt64] = []
    init(n: Int, keep: Set<UInt64>) {
        sink = NGramSink(NGramCollector(sizes: [n]))
        self.keep = keep
    }
    var invalidSequences: Int { scanner.invalidSequences }
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        scanner.feed(chunk, into: &sink)
        keepFound()
    }
    /// Moves the n-grams read so far that are in `keep` to `found`.
    mutating func keepFound() {
        sink.collector.drainDocument(0) { grams in
            for s in grams where keep.contains(s) { found.append(s) }
        }
    }
    mutating func finish() -> [UInt64] {
        scanner.finish(into: &sink)
        keepFound()
        sink.collector.discardDocument()
        let f = BoilerplateFilter.sortedDistinct(found)
        found.removeAll(keepingCapacity: true)
        return f
    }
    mutating func discard() {
        var null = NullSink()
        scanner.finish(into: &null)
        sink.collector.discardDocument()
        found.removeAll(keepingCapacity: true)
    }
    func release() { scanner.release() }
}
