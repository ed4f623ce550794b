import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension CorpusGenerator {
    // MARK: - Generation

    /// The file name of document `index` (0-based) in a corpus of `count`.
    public static func fileName(_ index: Int, count: Int) -> String {
        let width = max(4, String(count).count)
        let digits = String(index + 1)
        return "doc" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".txt"
    }

    static func check(documentsPerCorpus n: Int, wordsPerDocument w: Int) throws {
        guard n >= 2 else {
            throw FingerprintError.invalidParameter(name: "documents per corpus", value: "\(n)", reason: "must be at least 2")
        }
        guard w >= 10 else {
            throw FingerprintError.invalidParameter(name: "words per document", value: "\(w)", reason: "must be at least 10")
        }
        guard n < 1 << 40 else { throw FingerprintError.invalidParameter(name: "documents per corpus", value: "\(n)", reason: "too many") }
    }

    /// Per-document results of the main pass.
    struct DocumentResult {
        var bytes = [Int](repeating: 0, count: 12)
        var words = [Int](repeating: 0, count: 12)
        var substituted = [Int](repeating: 0, count: 3)
        var fromOther = [Bool](repeating: false, count: 2)
        var passages: [SynthManifest.PlantedPassage] = []
        var topic: [String] = []
    }

    /// Generates the whole set into `sink` and returns its manifest.
    public func generate(documentsPerCorpus n: Int, wordsPerDocument w: Int, into sink: SynthSink) throws -> SynthManifest {
        try CorpusGenerator.check(documentsPerCorpus: n, wordsPerDocument: w)
        let paths = CorpusGenerator.corpusPaths
        try sink.makeDirectories(paths)

        // Main pass: every corpus except near-dups, document by document.
        let results = try parallelMap(n) { i in try self.writeDocumentSet(i, n: n, words: w, sink: sink) }

        // Near-duplicates: planned up front, then written slot by slot.
        let plan = nearDuplicatePlan(n)
        let nd = try parallelMap(n) { j in try self.writeNearDuplicate(slot: j, plan: plan, n: n, words: w, sink: sink) }

        return manifest(n: n, w: w, results: results, plan: plan, nd: nd)
    }

    /// `(0..<n).map(work)` on the generator's threads, 8 indices at a time;
    /// the first error stops the workers and is rethrown.
    func parallelMap<T>(_ n: Int, _ work: (Int) throws -> T) throws -> [T] {
        if n < 32 { return try (0..<n).map(work) }
        return try Parallel.map(n, threads: threads, batch: 8, work)
    }

    func writeDocumentSet(_ i: Int, n: Int, words w: Int, sink: SynthSink) throws -> DocumentResult {
        var res = DocumentResult()
        let name = CorpusGenerator.fileName(i, count: n)
        func put(_ k: Int, _ bytes: [UInt8], words: Int) throws {
            try sink.write(bytes, to: CorpusGenerator.corpusPaths[k] + "/" + name)
            res.bytes[k] = bytes.count
            res.words[k] = words
        }

        // source-a, source-b, copy-a
        let a = document(source: sourceA, words: w, stream: Stream.sourceA, index: i)
        try put(0, a, words: w)
        try put(1, document(source: sourceB, words: w, stream: Stream.sourceB, index: i), words: w)
        try put(2, a, words: w)

        // subst-05, subst-20, subst-50
        for (k, p) in CorpusGenerator.substitutionRates.enumerated() {
            var r = rng(stream: Stream.substitution + UInt64(k), index: i)
            let s = CorpusGenerator.substitute(a, probability: p, rng: &r)
            res.substituted[k] = s.substituted
            try put(3 + k, s.text, words: s.words)
        }

        // mix-10, mix-50: fresh documents, from B with probability p.
        for (k, p) in CorpusGenerator.mixtureProportions.enumerated() {
            var r = rng(stream: Stream.mixture + UInt64(k), index: i)
            let other = r.nextUnit() < p
            res.fromOther[k] = other
            var out: [UInt8] = []
            (other ? sourceB : sourceA).render(words: w, rng: &r, into: &out)
            try put(6 + k, out, words: w)
        }

        // planted
        let planted = plant(i, n: n, words: w, targetName: name)
        res.passages = planted.passages
        try put(8, planted.text, words: planted.words)

        // paired/a, paired/b
        var tr = rng(stream: Stream.pairedTopic, index: i)
        let topic = CorpusGenerator.topic(&tr)
        res.topic = topic.words.map { WordList.english[$0] }
        var ra = rng(stream: Stream.pairedA, index: i)
        var pa: [UInt8] = []
        sourceA.render(words: w, topic: topic, rng: &ra, into: &pa)
        try put(10, pa, words: w)
        var rb = rng(stream: Stream.pairedB, index: i)
        var pb: [UInt8] = []
        sourceA2.render(words: w, topic: topic, rng: &rb, into: &pb)
        try put(11, pb, words: w)
        return res
    }

    /// `topicWordsPerPrompt` distinct words drawn uniformly from the word list.
    package static func topic(_ rng: inout Xoshiro256) -> SynthTopic {
        var chosen: [Int] = []
        while chosen.count < topicWordsPerPrompt {
            let w = rng.next(below: WordList.english.count)
            if !chosen.contains(w) { chosen.append(w) }
        }
        return SynthTopic(words: chosen, weight: topicWeight)
    }

    /// Document `i` of `planted`: a document of C with 0 (25%), 1 (50%) or
    /// 2 (25%) passages of 30–80 words copied verbatim from documents of
    /// `source-a`, each inserted before a word of the host, followed by a space.
    func plant(_ i: Int, n: Int, words w: Int, targetName: String)
        -> (text: [UInt8], words: Int, passages: [SynthManifest.PlantedPassage])
    {
        let host = document(source: sourceC, words: w, stream: Stream.plantedHost, index: i)
        var plan = rng(stream: Stream.plantedPlan, index: i)
        let r = plan.next(below: 4)
        let k = r == 0 ? 0 : r == 3 ? 2 : 1
        let hostWords = CorpusGenerator.wordSpans(host)
        struct Item {
            var at: Int
            var origin: Int
            var bytes: ArraySlice<UInt8>
            var offset: Int
            var words: Int
        }
        var items: [Item] = []
        for _ in 0..<k {
            let o = plan.next(below: n)
            let origin = document(source: sourceA, words: w, stream: Stream.sourceA, index: o)
            let spans = CorpusGenerator.wordSpans(origin)
            let range = CorpusGenerator.passageWords
            let length = min(spans.count, range.lowerBound + plan.next(below: range.count))
            let first = plan.next(below: spans.count - length + 1)
            let lo = spans[first].lowerBound
            let hi = spans[first + length - 1].upperBound
            let at = hostWords[plan.next(below: hostWords.count)].lowerBound
            items.append(Item(at: at, origin: o, bytes: origin[lo..<hi], offset: lo, words: length))
        }
        // Stable order by insertion point.
        let order = items.indices.sorted { (items[$0].at, $0) < (items[$1].at, $1) }
        var out: [UInt8] = []
        out.reserveCapacity(host.count + items.reduce(0) { $0 + $1.bytes.count + 1 })
        var cursor = 0
        var passages: [SynthManifest.PlantedPassage] = []
        var total = hostWords.count
        for j in order {
            let it = items[j]
            out.append(contentsOf: host[cursor..<it.at])
            passages.append(
                .init(
                    targetFile: targetName, targetOffset: out.count, targetLength: it.bytes.count,
                    originCorpus: "source-a", originFile: CorpusGenerator.fileName(it.origin, count: n),
                    originOffset: it.offset, originLength: it.bytes.count, words: it.words))
            out.append(contentsOf: it.bytes)
            out.append(0x20)
            cursor = it.at
            total += it.words
        }
        out.append(contentsOf: host[cursor...])
        return (out, total, passages)
    }
}
