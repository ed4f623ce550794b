import FingerprintCore
import Foundation

/// The ground truth of a synthetic corpus set (`manifest.json`): the
/// sources, and for each corpus directory its relation to the others with
/// every per-document detail a test needs (which documents came from which
/// source, where each planted passage sits, which files are near-copies).
///
/// Encoded deterministically (`encoded()`): sorted keys, pretty-printed; the
/// same seed and parameters give the same bytes.
public struct SynthManifest: Codable, Sendable, Equatable {
    public var schema = "fingerprint.synth/1"
    public var generator = "fingerprint synth"
    public var generatorVersion: String
    public var seed: UInt64
    public var documentsPerCorpus: Int
    public var wordsPerDocument: Int
    /// `--size` in bytes when the set was sized to a byte budget.
    public var requestedBytes: Int?
    public var wordListSize: Int
    public var sources: [Source]
    public var corpora: [Corpus]
    public var totalFiles: Int
    public var totalBytes: Int

    /// The corpus at `path` ("source-a", "paired/b", …).
    public func corpus(_ path: String) -> Corpus? { corpora.first { $0.path == path } }

    /// The manifest as deterministic JSON (sorted keys, pretty-printed,
    /// trailing newline).
    public func encoded() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try e.encode(self), as: UTF8.self) + "\n"
    }

    /// Reads a manifest written by `encoded()`.
    public static func decode(_ data: Data) throws -> SynthManifest {
        try JSONDecoder().decode(SynthManifest.self, from: data)
    }

    enum CodingKeys: String, CodingKey {
        case schema, generator, seed, sources, corpora
        case generatorVersion = "generator_version"
        case documentsPerCorpus = "documents_per_corpus"
        case wordsPerDocument = "words_per_document"
        case requestedBytes = "requested_bytes"
        case wordListSize = "word_list_size"
        case totalFiles = "total_files"
        case totalBytes = "total_bytes"
    }

    /// One synthetic source model.
    public struct Source: Codable, Sendable, Equatable {
        public var name: String
        public var zipfExponent: Double
        public var bigramProbability: Double
        public var successorsPerWord: Int
        /// For a variant: the source it was derived from, and how many rank swaps.
        public var variantOf: String?
        public var rankSwaps: Int?

        enum CodingKeys: String, CodingKey {
            case name
            case zipfExponent = "zipf_exponent"
            case bigramProbability = "bigram_probability"
            case successorsPerWord = "successors_per_word"
            case variantOf = "variant_of"
            case rankSwaps = "rank_swaps"
        }
    }

    /// One corpus directory and its known relation.
    public struct Corpus: Codable, Sendable, Equatable {
        /// Directory relative to the manifest, e.g. "subst-20" or "paired/a".
        public var path: String
        /// "source", "independent", "copy", "substituted", "mixture",
        /// "planted", "near-duplicates" or "paired".
        public var relation: String
        public var description: String
        /// The source model that wrote the documents (nil for copies and
        /// substitutions, which derive from `base`).
        public var source: String?
        /// The corpus this one is related to.
        public var base: String?
        public var files: Int
        public var bytes: Int
        public var words: Int

        // substituted
        public var substitutionProbability: Double?
        /// Words actually replaced (each by a different word).
        public var substitutedWords: Int?

        // mixture
        public var otherSource: String?
        public var proportion: Double?
        public var documentsFromOther: Int?
        /// File name → source name, for every document.
        public var documentSources: [String: String]?

        // planted
        public var passages: [PlantedPassage]?

        // near-duplicates
        public var clusters: [NearDuplicateCluster]?
        public var singletons: Int?

        // paired
        public var pairedWith: String?
        public var topicWeight: Double?
        public var prompts: [PairedPrompt]?

        enum CodingKeys: String, CodingKey {
            case path, relation, description, source, base, files, bytes, words, proportion, passages, clusters
            case singletons, prompts
            case substitutionProbability = "substitution_probability"
            case substitutedWords = "substituted_words"
            case otherSource = "other_source"
            case documentsFromOther = "documents_from_other"
            case documentSources = "document_sources"
            case pairedWith = "paired_with"
            case topicWeight = "topic_weight"
        }

        public init(
            path: String, relation: String, description: String, source: String? = nil,
            base: String? = nil
        ) {
            self.path = path
            self.relation = relation
            self.description = description
            self.source = source
            self.base = base
            self.files = 0
            self.bytes = 0
            self.words = 0
        }
    }

    /// A verbatim passage copied from `origin_file` of `origin_corpus` into
    /// `target_file`: `target[target_offset ..< target_offset + target_length]
    /// == origin[origin_offset ..< origin_offset + origin_length]` (bytes).
    public struct PlantedPassage: Codable, Sendable, Equatable {
        public var targetFile: String
        public var targetOffset: Int
        public var targetLength: Int
        public var originCorpus: String
        public var originFile: String
        public var originOffset: Int
        public var originLength: Int
        public var words: Int

        enum CodingKeys: String, CodingKey {
            case words
            case targetFile = "target_file"
            case targetOffset = "target_offset"
            case targetLength = "target_length"
            case originCorpus = "origin_corpus"
            case originFile = "origin_file"
            case originOffset = "origin_offset"
            case originLength = "origin_length"
        }
    }

    /// A group of near-duplicate files: one original and its variants.
    public struct NearDuplicateCluster: Codable, Sendable, Equatable {
        /// All files of the cluster, sorted.
        public var members: [String]
        public var original: String
        public var variants: [Variant]

        /// A near-copy of the original: some words substituted and/or one
        /// sentence dropped.
        public struct Variant: Codable, Sendable, Equatable {
            public var file: String
            public var substitutionProbability: Double
            public var substitutedWords: Int
            public var droppedSentences: Int
            public var words: Int

            enum CodingKeys: String, CodingKey {
                case file, words
                case substitutionProbability = "substitution_probability"
                case substitutedWords = "substituted_words"
                case droppedSentences = "dropped_sentences"
            }
        }
    }

    /// The shared prompt of a pair of files: its topic words.
    public struct PairedPrompt: Codable, Sendable, Equatable {
        public var file: String
        public var topicWords: [String]

        enum CodingKeys: String, CodingKey {
            case file
            case topicWords = "topic_words"
        }
    }
}
