import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension CorpusGenerator {
    // MARK: - Manifest

    func manifest(
        n: Int, w: Int, results: [DocumentResult], plan: NearDuplicatePlan,
        nd: [(bytes: Int, words: Int, variant: SynthManifest.NearDuplicateCluster.Variant?)]
    ) -> SynthManifest {
        let rates = CorpusGenerator.substitutionRates
        let props = CorpusGenerator.mixtureProportions
        func pct(_ p: Double) -> String { String(Int((p * 100).rounded())) + "%" }
        // A passage is at most a whole document: with short documents (review 31b,
        // --words 10) the manifest said 30-80 where every passage had --words words.
        // So can a near-copy of a short document be byte-identical to its original.
        let unchanged =
            nd.contains { $0.variant.map { $0.substitutedWords == 0 && $0.droppedSentences == 0 } ?? false }
            ? "; a short document can come out unchanged, its entry then records 0 of each" : ""
        let lengths = CorpusGenerator.passageWords
        let passageWords =
            w >= lengths.upperBound
            ? "\(lengths.lowerBound)-\(lengths.upperBound)"
            : w > lengths.lowerBound ? "\(lengths.lowerBound)-\(w)" : "\(w) (whole documents)"
        typealias C = SynthManifest.Corpus
        var corpora: [C] = [
            C(path: "source-a", relation: "source", description: "documents written by source A", source: "A"),
            C(
                path: "source-b", relation: "independent",
                description: "documents written by source B, independent of A (its own word preferences and bigrams)",
                source: "B", base: "source-a"),
            C(
                path: "copy-a", relation: "copy", description: "exact byte copies of source-a, same file names",
                base: "source-a"),
        ]
        for p in rates {
            var c = C(
                path: CorpusGenerator.corpusPaths[corpora.count], relation: "substituted",
                description:
                    "source-a with each word replaced, with probability \(p), by a different word drawn uniformly from the word list; same file names",
                base: "source-a")
            c.substitutionProbability = p
            corpora.append(c)
        }
        for p in props {
            var c = C(
                path: CorpusGenerator.corpusPaths[corpora.count], relation: "mixture",
                description:
                    "each document written by source B with probability \(p), else by source A (fresh documents, not copies of source-a or source-b); document_sources names the source of every file",
                source: "A", base: "source-a")
            c.otherSource = "B"
            c.proportion = p
            corpora.append(c)
        }
        corpora.append(
            C(
                path: "planted", relation: "planted",
                description:
                    "documents written by source C (independent of A and B), into which verbatim passages of \(passageWords) words copied from documents of source-a are inserted at word boundaries (each followed by a space); passages gives exact byte offsets in both files",
                source: "C", base: "source-a"))
        corpora.append(
            C(
                path: "near-dups", relation: "near-duplicates",
                description:
                    "documents written by source A; clusters lists groups of one original and 1-3 near-copies of it (\(pct(CorpusGenerator.nearDuplicateRates.first!))-\(pct(CorpusGenerator.nearDuplicateRates.last!)) of words substituted and/or one sentence dropped\(unchanged)); every other document is unrelated",
                source: "A"))
        var pa = C(
            path: "paired/a", relation: "paired",
            description:
                "file i answers prompt i: source A writing with the prompt's \(CorpusGenerator.topicWordsPerPrompt) topic words (each word is a topic word with probability \(CorpusGenerator.topicWeight)); paired with paired/b by file name",
            source: "A", base: "paired/b")
        pa.pairedWith = "paired/b"
        pa.topicWeight = CorpusGenerator.topicWeight
        var pb = C(
            path: "paired/b", relation: "paired",
            description:
                "file i answers prompt i: source A2 (a close variant of A: \(CorpusGenerator.pairedRankSwaps) swapped word ranks) writing with the same topic words as paired/a file i; a paired test detects A vs A2, an unpaired test is swamped by the shared topics",
            source: "A2", base: "paired/a")
        pb.pairedWith = "paired/a"
        pb.topicWeight = CorpusGenerator.topicWeight
        corpora.append(pa)
        corpora.append(pb)

        var substituted = [Int](repeating: 0, count: rates.count)
        var fromOther = [Int](repeating: 0, count: props.count)
        var sources = [[String: String]](repeating: [:], count: props.count)
        var passages: [SynthManifest.PlantedPassage] = []
        var prompts: [SynthManifest.PairedPrompt] = []
        for (i, r) in results.enumerated() {
            let name = CorpusGenerator.fileName(i, count: n)
            for k in 0..<12 where k != 9 {
                corpora[k].files += 1
                corpora[k].bytes += r.bytes[k]
                corpora[k].words += r.words[k]
            }
            for k in 0..<rates.count { substituted[k] += r.substituted[k] }
            for k in 0..<props.count {
                if r.fromOther[k] { fromOther[k] += 1 }
                sources[k][name] = r.fromOther[k] ? "B" : "A"
            }
            passages += r.passages
            prompts.append(.init(file: name, topicWords: r.topic))
        }
        for k in 0..<rates.count { corpora[3 + k].substitutedWords = substituted[k] }
        for k in 0..<props.count {
            corpora[6 + k].documentsFromOther = fromOther[k]
            corpora[6 + k].documentSources = sources[k]
        }
        corpora[8].passages = passages
        corpora[10].prompts = prompts
        corpora[11].prompts = prompts

        // near-dups
        for r in nd {
            corpora[9].files += 1
            corpora[9].bytes += r.bytes
            corpora[9].words += r.words
        }
        var clusters: [SynthManifest.NearDuplicateCluster] = plan.clusters.map { slots in
            let names = slots.map { CorpusGenerator.fileName($0, count: n) }
            let variants = slots.dropFirst().map { nd[$0].variant! }.sorted { $0.file < $1.file }
            return .init(members: names.sorted(), original: names[0], variants: variants)
        }
        clusters.sort { $0.members[0] < $1.members[0] }
        corpora[9].clusters = clusters
        corpora[9].singletons = n - plan.clusters.reduce(0) { $0 + $1.count }

        func source(_ s: SourceModel, variantOf: String? = nil, swaps: Int? = nil) -> SynthManifest.Source {
            .init(
                name: s.name, zipfExponent: s.exponent, bigramProbability: s.bigramProbability,
                successorsPerWord: s.successorsPerWord, variantOf: variantOf, rankSwaps: swaps)
        }
        return SynthManifest(
            generatorVersion: CorpusGenerator.version, seed: seed, documentsPerCorpus: n, wordsPerDocument: w,
            requestedBytes: nil, wordListSize: WordList.english.count,
            sources: [
                source(sourceA), source(sourceB), source(sourceC),
                source(sourceA2, variantOf: "A", swaps: CorpusGenerator.pairedRankSwaps),
            ],
            corpora: corpora, totalFiles: corpora.reduce(0) { $0 + $1.files },
            totalBytes: corpora.reduce(0) { $0 + $1.bytes })
    }
}
