import FingerprintCore

/// The bytes of the shared word list, laid out once for fast rendering:
/// every word's UTF-8 (ASCII) bytes in one pool, with offsets.
final class WordTable: Sendable {
    static let shared = WordTable(WordList.english)

    let words: [String]
    /// All words' bytes, back to back.
    let pool: [UInt8]
    /// `starts[i]..<starts[i + 1]` are the bytes of word `i` in `pool`.
    let starts: [Int32]

    var count: Int { words.count }

    init(_ words: [String]) {
        self.words = words
        var pool: [UInt8] = []
        var starts: [Int32] = [0]
        for w in words {
            pool.append(contentsOf: w.utf8)
            starts.append(Int32(pool.count))
        }
        self.pool = pool
        self.starts = starts
    }

    /// Whether the letters `bytes` spell word `index`, ignoring ASCII case.
    func matches(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = Int(starts[index])
        let e = Int(starts[index + 1])
        guard e - s == bytes.count else { return false }
        for k in 0..<bytes.count where (bytes[k] | 0x20) != pool[s + k] { return false }
        return true
    }

    /// Appends word `index` to `out`, with its first letter in upper case
    /// when `capitalized`.
    @inline(__always)
    func append(_ index: Int, capitalized: Bool, to out: inout [UInt8]) {
        let s = Int(starts[index])
        let e = Int(starts[index + 1])
        pool.withUnsafeBufferPointer { p in
            if capitalized {
                out.append(p[s] & 0xDF)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[(s + 1)..<e]))
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[s..<e]))
            }
        }
    }
}

/// A topic that dominates a document: with probability `weight` each word is
/// one of `words` (word-list indices, drawn uniformly), otherwise it comes
/// from the source's own model.
package struct SynthTopic: Sendable, Equatable {
    public var words: [Int]
    public var weight: Double

    public init(words: [Int], weight: Double) {
        precondition(!words.isEmpty && words.allSatisfy { $0 >= 0 && $0 < WordList.english.count })
        self.words = words
        self.weight = weight
    }
}

/// One synthetic "source" (an author, a model): its own Zipfian preference
/// over the shared `WordList.english` and a sparse bigram model.
///
/// - Unigram: a seeded permutation of the word list gives each word a rank
///   r = 1, 2, …; P(rank r) ∝ r^(−s) with the exponent s = 1 + m/32,
///   m ∈ 0…6 chosen by the seed (1.0 to 1.1875). Sampling is a binary search
///   in a cumulative table (O(log V)).
/// - Bigram: every word has `successorsPerWord` preferred successors (drawn
///   uniformly from the 400 most frequent ranks); after a word, one of them
///   follows with probability `bigramProbability`, otherwise the next word is
///   a fresh unigram draw. The first word of a sentence is a unigram draw.
/// - Layout: sentences of 4 + U{0…11} + U{0…11} words (mean 15), first word
///   capitalised, a comma after a word with probability 1/10, ending with
///   '.' (80%), '?' (12%) or '!' (8%); paragraphs of 2–6 sentences separated
///   by a blank line; the document ends with a newline.
///
/// Only integer arithmetic, IEEE basic operations and square roots are used
/// (no `pow`, `log` or `exp`), so a seed gives the same bytes on every
/// platform.
public struct SourceModel: Sendable {
    /// A short label ("A", "B", …) recorded in manifests.
    public let name: String
    /// The seed this model was built from (before mixing in the name).
    public let seed: UInt64
    /// The Zipf exponent s.
    public let exponent: Double
    /// Probability that a word is followed by one of its preferred successors.
    public let bigramProbability: Double
    /// Preferred successors per word.
    public let successorsPerWord: Int
    /// `wordAtRank[r]` is the word-list index of the word of rank r + 1.
    public let wordAtRank: [Int]
    /// Unnormalised cumulative weights: `cumulative[r]` = Σ_{k ≤ r} (k + 1)^(−s).
    let cumulative: [Double]
    /// `successors[w * successorsPerWord + j]`: the j-th preferred successor of word w.
    let successors: [Int32]
    let table: WordTable

    static let successorRanks = 400

    /// Builds the source named `name` from `seed`; the name is mixed into the
    /// seed (FNV-1a of its UTF-8), so sources with different names differ.
    public init(seed: UInt64, name: String) {
        self.init(seed: seed, name: name, table: .shared)
    }

    init(seed: UInt64, name: String, table: WordTable) {
        self.name = name
        self.seed = seed
        self.table = table
        self.bigramProbability = 0.4
        self.successorsPerWord = 3
        var rng = Xoshiro256(seed: seed, stream: SourceModel.fnv1a(name))
        let v = table.count
        let step = rng.next(below: 7)
        self.exponent = 1 + Double(step) / 32
        var perm = Array(0..<v)
        rng.shuffle(&perm)
        self.wordAtRank = perm
        self.cumulative = SourceModel.zipfCumulative(count: v, step: step)
        let top = min(v, SourceModel.successorRanks)
        var succ = [Int32](repeating: 0, count: v * successorsPerWord)
        for w in 0..<v {
            for j in 0..<successorsPerWord {
                succ[w * successorsPerWord + j] = Int32(perm[rng.next(below: top)])
            }
        }
        self.successors = succ
    }

    private init(copying base: SourceModel, name: String, wordAtRank: [Int]) {
        self.name = name
        self.seed = base.seed
        self.exponent = base.exponent
        self.bigramProbability = base.bigramProbability
        self.successorsPerWord = base.successorsPerWord
        self.wordAtRank = wordAtRank
        self.cumulative = base.cumulative
        self.successors = base.successors
        self.table = base.table
    }

    /// A close relative of this source: the same exponent and bigrams, but
    /// `swaps` times a word among the 100 most frequent ranks trades places
    /// with a word among the 500 most frequent. Used for paired corpora,
    /// where two sources must differ subtly.
    public func variant(name: String, seed: UInt64, swaps: Int) -> SourceModel {
        var rng = Xoshiro256(seed: seed, stream: SourceModel.fnv1a(name))
        var perm = wordAtRank
        let v = perm.count
        for _ in 0..<swaps {
            let i = rng.next(below: min(v, 100))
            let j = rng.next(below: min(v, 500))
            perm.swapAt(i, j)
        }
        return SourceModel(copying: self, name: name, wordAtRank: perm)
    }

    /// The probability of the word of rank `rank + 1` under the unigram model.
    public func probability(rank: Int) -> Double {
        let total = cumulative[cumulative.count - 1]
        return (rank == 0 ? cumulative[0] : cumulative[rank] - cumulative[rank - 1]) / total
    }

    /// Draws a rank (0-based) from the Zipf distribution: O(log V).
    @inline(__always)
    public func sampleRank(_ rng: inout Xoshiro256) -> Int {
        cumulative.withUnsafeBufferPointer { c in
            let u = rng.nextUnit() * c[c.count - 1]
            // First index with c[i] > u.
            var lo = 0
            var hi = c.count - 1
            while lo < hi {
                let mid = (lo + hi) >> 1
                if c[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            return lo
        }
    }

    /// Draws a word-list index from the unigram model.
    @inline(__always)
    public func sampleWord(_ rng: inout Xoshiro256) -> Int { wordAtRank[sampleRank(&rng)] }

    @inline(__always)
    func nextWord(after prev: Int, topic: SynthTopic?, _ rng: inout Xoshiro256) -> Int {
        if let topic, rng.nextUnit() < topic.weight {
            return topic.words[rng.next(below: topic.words.count)]
        }
        if prev >= 0, rng.nextUnit() < bigramProbability {
            return Int(successors[prev * successorsPerWord + rng.next(below: successorsPerWord)])
        }
        return sampleWord(&rng)
    }

    /// One document of exactly `words` words (about 6.5 bytes a word).
    public func document(words: Int, rng: inout Xoshiro256) -> String {
        var out: [UInt8] = []
        render(words: words, topic: nil, rng: &rng, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One document on `topic` (see `SynthTopic`).
    package func document(words: Int, topic: SynthTopic, rng: inout Xoshiro256) -> String {
        var out: [UInt8] = []
        render(words: words, topic: topic, rng: &rng, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends one document of exactly `words` words to `out` (nothing when
    /// `words` ≤ 0).
    package func render(words: Int, topic: SynthTopic? = nil, rng: inout Xoshiro256, into out: inout [UInt8]) {
        guard words > 0 else { return }
        out.reserveCapacity(out.count + words * 8 + 16)
        var remaining = words
        var inParagraph = 0
        var paragraphLength = 2 + rng.next(below: 5)
        while remaining > 0 {
            var length = 4 + rng.next(below: 12) + rng.next(below: 12)
            if length > remaining || remaining - length < 4 { length = remaining }
            if inParagraph > 0 { out.append(0x20) }
            var prev = -1
            for k in 0..<length {
                let w = nextWord(after: prev, topic: topic, &rng)
                table.append(w, capitalized: k == 0, to: &out)
                if k < length - 1 {
                    if rng.next(below: 10) == 0 { out.append(UInt8(ascii: ",")) }
                    out.append(0x20)
                }
                prev = w
            }
            let t = rng.next(below: 100)
            out.append(t < 80 ? UInt8(ascii: ".") : t < 92 ? UInt8(ascii: "?") : UInt8(ascii: "!"))
            remaining -= length
            inParagraph += 1
            if remaining > 0, inParagraph >= paragraphLength {
                out.append(0x0A)
                out.append(0x0A)
                inParagraph = 0
                paragraphLength = 2 + rng.next(below: 5)
            }
        }
        out.append(0x0A)
    }

    /// Cumulative Zipf weights Σ_{k ≤ r} k^(−(1 + m/32)) for r = 1…count,
    /// computed with square roots and products only (portable to the bit).
    static func zipfCumulative(count: Int, step m: Int) -> [Double] {
        var c = [Double](repeating: 0, count: count)
        var sum = 0.0
        for r in 0..<count {
            let k = Double(r + 1)
            let root = k.squareRoot().squareRoot().squareRoot().squareRoot().squareRoot()  // k^(1/32)
            var scale = k
            for _ in 0..<m { scale *= root }
            sum += 1 / scale
            c[r] = sum
        }
        return c
    }

    /// FNV-1a of a string's UTF-8 bytes (stable everywhere, unlike `Hasher`).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
