import FingerprintCore
import Foundation

/// Which features attribution learns, and how (docs/DESIGN.md §13).
public struct AttributionFeatureOptions: Sendable, Codable, Equatable {
    /// Tokenizer of the most-frequent-word family (`word`, `char:N`, `ngram:N`).
    public var tokenizer: TokenizerSpec = .word
    /// Most frequent types of `tokenizer` over the training documents (0: none).
    public var mfw = 300
    /// Character n-gram lengths (`--char 2-4`); nil: no character features.
    public var charRange: ClosedRange<Int>? = nil
    /// Most frequent character n-grams kept for each length in `charRange`;
    /// nil: `defaultCharFeatures` with z-scores, every n-gram seen in
    /// training with TF-IDF.
    public var charFeatures: Int? = nil
    /// How counts become feature values.
    public var weighting: FeatureWeighting = .zscore
    /// With `.tfidf`: term frequency 1 + ln(count) instead of the count
    /// (scikit-learn's `sublinear_tf=True`), so that a feature repeated in
    /// one document weighs less than the same count spread over several.
    public var sublinearTF = false
    /// Text distortion (Stamatatos 2017): keep the K most frequent training
    /// words, mask every other word; nil: no masking.
    public var mask: Int? = nil
    /// DV-SA (one placeholder character a masked word) instead of DV-MA (one a character).
    public var maskSingle = false

    public init() {}

    /// Character n-grams kept a length with z-scores when none is given.
    public static let defaultCharFeatures = 1000

    /// The cap on character n-grams a length in effect; nil: no cap.
    public var charCap: Int? { charFeatures ?? (weighting == .zscore ? Self.defaultCharFeatures : nil) }

    /// The cap on the types of family `index` (of `FeatureCounting.families`:
    /// the word family first when `mfw` > 0); nil: none. Dense (z-scored)
    /// rows always cap the character families, at `defaultCharFeatures`
    /// when none is given — also under `--weighting tfidf`, whose corpus-level
    /// attribution (`--corpus`) measures distances on z-scores.
    package func cap(family index: Int, dense: Bool) -> Int? {
        index == 0 && mfw > 0 ? mfw : dense ? charFeatures ?? Self.defaultCharFeatures : charCap
    }

    enum CodingKeys: String, CodingKey {
        case tokenizer, mfw
        case charRange = "char_range"
        case charFeatures = "char_features"
        case weighting
        case sublinearTF = "sublinear_tf"
        case mask
        case maskSingle = "mask_single"
    }

    /// Rejects values the engine cannot use.
    /// - Throws: `FingerprintError.invalidParameter`.
    public func validate() throws {
        if mfw < 0 { throw FingerprintError.invalidParameter(name: "mfw", value: "\(mfw)", reason: "must be 0 or more") }
        if let r = charRange, r.lowerBound < 1 || r.upperBound > 64 {
            throw FingerprintError.invalidParameter(name: "char", value: "\(r)", reason: "lengths must be from 1 to 64")
        }
        if let c = charFeatures, c < 1 {
            throw FingerprintError.invalidParameter(name: "char-features", value: "\(c)", reason: "must be at least 1")
        }
        if sublinearTF && weighting != .tfidf {
            throw FingerprintError.invalidParameter(name: "sublinear", value: "true", reason: "needs --weighting tfidf")
        }
        if let k = mask, k < 0 { throw FingerprintError.invalidParameter(name: "mask", value: "\(k)", reason: "must be 0 or more") }
        if mfw == 0 && charRange == nil {
            throw FingerprintError.invalidParameter(
                name: "mfw", value: "0", reason: "no features: give a positive count or character n-grams")
        }
    }
}

/// One family of count features (the MFW tokenizer, or character n-grams of
/// one length) counted over every document: the columns are the canonical
/// vocabulary of all documents, but a fold only ever *selects* columns by
/// their training counts, so the held-out documents cannot influence it.
package struct FeatureFamily: Sendable {
    package var name: String
    package var rowStart: [Int]
    package var columns: [Int32]
    package var counts: [Int32]
    /// Tokens of this family in each document.
    package var lengths: [Int]
    package var typeCount: Int
    /// The text of type `t`.
    package var token: @Sendable (Int) -> String
    /// With a model tokenizer (whose types are token ids): the token's text.
    package var text: (@Sendable (Int) -> String?)? = nil

    package init(name: String, matrix m: DocumentTermMatrix) {
        let vocabulary = m.vocabulary
        self.init(
            name: name, rowStart: m.rowStart, columns: m.columns, counts: m.counts, lengths: m.lengths, typeCount: m.typeCount,
            token: { vocabulary.token($0) })
    }

    package init(
        name: String, rowStart: [Int], columns: [Int32], counts: [Int32], lengths: [Int], typeCount: Int,
        token: @escaping @Sendable (Int) -> String
    ) {
        self.name = name
        self.rowStart = rowStart
        self.columns = columns
        self.counts = counts
        self.lengths = lengths
        self.typeCount = typeCount
        self.token = token
    }

    /// Calls `body(type, count)` for each entry of document `d`.
    @inline(__always)
    package func forEach(inRow d: Int, _ body: (Int, Int) -> Void) {
        for k in rowStart[d]..<rowStart[d + 1] { body(Int(columns[k]), Int(counts[k])) }
    }

    /// The types a fold learns from its `training` rows: the `cap` with the
    /// largest total count there (in `Vocabulary.topK`'s order), or with no
    /// cap every type some training row holds (by type); and each type's
    /// training document frequency.
    package func trainingTypes(_ training: [Int], cap: Int?) -> (types: [Int], df: [Int32]) {
        var df = [Int32](repeating: 0, count: typeCount)
        var totals = [Int](repeating: 0, count: typeCount)
        for d in training {
            forEach(inRow: d) { t, c in
                df[t] += 1
                totals[t] += c
            }
        }
        guard let cap else { return ((0..<typeCount).filter { df[$0] > 0 }, df) }
        return (Vocabulary.topK(typeCount, cap) { totals[$0] }.filter { totals[$0] > 0 }, df)
    }
}

/// Text distortion (Stamatatos 2017): the words outside a kept set are
/// replaced by placeholders of their length.
package enum TextMask {
    /// The `k` most frequent `word` tokens over `rows` of `words` that hold no
    /// decimal digit (ties by UTF-8 byte order), as token strings.
    package static func keptWords(_ words: FeatureFamily, rows: [Int], k: Int) -> Set<[UInt8]> {
        var totals = [Int](repeating: 0, count: words.typeCount)
        for d in rows { words.forEach(inRow: d) { t, c in totals[t] += c } }
        var eligible = [Bool](repeating: true, count: words.typeCount)
        for t in 0..<words.typeCount where totals[t] > 0 {
            eligible[t] = !words.token(t).unicodeScalars.contains {
                $0.properties.generalCategory == .decimalNumber
            }
        }
        let top = Vocabulary.topK(words.typeCount, k) { eligible[$0] ? totals[$0] : -1 }
        return Set(top.filter { totals[$0] > 0 && eligible[$0] }.map { Array(words.token($0).utf8) })
    }

    /// The distorted text and its token stream: the text is lower-cased, each
    /// `word` token kept when it is in `keep` and holds no digit, otherwise
    /// replaced by `#` for each decimal digit and `*` for each other
    /// character (DV-MA), or by one `#` (all digits) or `*` (DV-SA).
    /// Everything between tokens is kept (lower-cased).
    /// - Complexity: O(bytes).
    package static func distort(_ text: [UInt8], keep: Set<[UInt8]>, single: Bool) -> (text: [UInt8], tokens: [[UInt8]]) {
        var scanner = WordScanner()
        defer { scanner.release() }
        var sink = RangeCollector()
        text.withUnsafeBufferPointer { scanner.feed($0, into: &sink) }
        scanner.finish(into: &sink)
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(sink.tokens.count)
        var at = 0
        for (tok, range) in zip(sink.tokens, sink.ranges) {
            if range.lowerBound > at { out += Array(String(decoding: text[at..<range.lowerBound], as: UTF8.self).lowercased().utf8) }
            at = max(at, range.upperBound)
            let bytes = Array(tok.utf8)
            let digits = tok.unicodeScalars.map { $0.properties.generalCategory == .decimalNumber }
            let mapped: [UInt8]
            if !digits.contains(true) && keep.contains(bytes) {
                mapped = bytes
            } else if single {
                mapped = digits.allSatisfy { $0 } ? [0x23] : [0x2A]
            } else {
                mapped = digits.map { $0 ? 0x23 : 0x2A }
            }
            out += mapped
            tokens.append(mapped)
        }
        if at < text.count { out += Array(String(decoding: text[at...], as: UTF8.self).lowercased().utf8) }
        return (out, tokens)
    }

    /// Counts token streams (one array of tokens a document) as a
    /// document-term matrix whose vocabulary is in canonical byte order, as
    /// `Counter` does for text: word types, or `n`-grams of them joined by one
    /// space.
    package static func count(tokenStreams: [[[UInt8]]], n: Int, name: String) -> FeatureFamily {
        var ids: [[UInt8]: Int32] = [:]
        var rows: [[Int32: Int32]] = []
        var lengths: [Int] = []
        for doc in tokenStreams {
            var row: [Int32: Int32] = [:]
            var count = 0
            if doc.count >= n {
                for i in 0...(doc.count - n) {
                    var g = doc[i]
                    for j in 1..<n { g += [0x20] + doc[i + j] }
                    let id: Int32
                    if let e = ids[g] {
                        id = e
                    } else {
                        id = Int32(ids.count)
                        ids[g] = id
                    }
                    row[id, default: 0] += 1
                    count += 1
                }
            }
            rows.append(row)
            lengths.append(count)
        }
        let types = ids.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var remap = [Int32](repeating: 0, count: types.count)
        var names: [String] = []
        for (rank, (bytes, id)) in types.enumerated() {
            remap[Int(id)] = Int32(rank)
            names.append(String(decoding: bytes, as: UTF8.self))
        }
        var rowStart = [0]
        var columns: [Int32] = []
        var counts: [Int32] = []
        for row in rows {
            for (c, k) in row.map({ (remap[Int($0.key)], $0.value) }).sorted(by: { $0.0 < $1.0 }) {
                columns.append(c)
                counts.append(k)
            }
            rowStart.append(columns.count)
        }
        let tokens = names
        return FeatureFamily(
            name: name, rowStart: rowStart, columns: columns, counts: counts, lengths: lengths, typeCount: tokens.count,
            token: { tokens[$0] })
    }
}

/// Counts the feature families of a set of documents held in memory.
package enum FeatureCounting {
    /// The families of `options` counted over `texts` (every document, in
    /// order). With masking, `keep` is the kept-word set (from the training
    /// documents only) and every text is distorted first.
    /// - Complexity: one tokenising pass over the text per family.
    package static func families(
        _ texts: [[UInt8]], options o: AttributionFeatureOptions, keep: Set<[UInt8]>?, threads: Int
    ) throws -> [FeatureFamily] {
        var specs: [(String, TokenizerSpec)] = []
        if o.mfw > 0 { specs.append((o.tokenizer.shortName, o.tokenizer)) }
        if let r = o.charRange { for n in r { specs.append(("char:\(n)", .char(n))) } }
        if let keep {
            let distorted = texts.map { TextMask.distort($0, keep: keep, single: o.maskSingle) }
            return try Parallel.map(specs.count, threads: threads) { i -> FeatureFamily in
                let (name, spec) = specs[i]
                switch spec {
                case .word: return TextMask.count(tokenStreams: distorted.map(\.tokens), n: 1, name: name)
                case .ngram(let n): return TextMask.count(tokenStreams: distorted.map(\.tokens), n: n, name: name)
                case .char, .tiktoken, .huggingFace:
                    return labelled(FeatureFamily(name: name, matrix: try countTexts(distorted.map(\.text), spec: spec)), spec: spec)
                }
            }
        }
        return try Parallel.map(specs.count, threads: threads) { i in
            labelled(FeatureFamily(name: specs[i].0, matrix: try countTexts(texts, spec: specs[i].1)), spec: specs[i].1)
        }
    }

    /// A model tokenizer's types are its token ids (decimal): each gets its
    /// text too (`FeatureFamily.text`, from `TokenizerSpec.text(ofToken:)`;
    /// the bare id told a reader nothing).
    static func labelled(_ family: FeatureFamily, spec: TokenizerSpec) -> FeatureFamily {
        guard spec.isModel else { return family }
        let base = family.token
        var f = family
        f.text = { t in spec.text(ofToken: base(t)) }
        return f
    }

    /// Counts every text as one document (an empty text is a document with
    /// no token, never skipped, so rows stay aligned with `texts`).
    static func countTexts(_ texts: [[UInt8]], spec: TokenizerSpec) throws -> DocumentTermMatrix {
        let placeholder: [UInt8] = [0x20]
        let c = Counter.count(documents: texts.map { $0.isEmpty ? placeholder : $0 }, tokenizer: spec)
        guard c.matrix.documentCount == texts.count else {
            throw FingerprintError.limit("attribution: counted \(c.matrix.documentCount) of \(texts.count) documents")
        }
        return c.matrix
    }
}

/// The features of one training set: the selected columns of each family,
/// the training mean and population standard deviation of their relative
/// frequencies, and the z-scores of every document.
package struct FoldFeatures: Sendable {
    /// Feature names, as `family token` (e.g. `word the`, `char:3 th`).
    package var names: [String]
    /// A model token's text, by feature (`FeatureFamily.text`); empty when
    /// no family has any.
    package var texts: [String?] = []
    /// Training mean and population standard deviation of each feature.
    package var mean: [Double]
    package var sd: [Double]
    /// z-scores, documents × features, row-major, of the documents asked for.
    package var z: [Double]
    package var rows: Int
    package var cols: Int { names.count }

    /// Selects features by training counts only, then z-scores `documents`.
    ///
    /// A feature's relative frequency in a document is its count divided by
    /// the document's number of tokens of that family; z = (x − mean) / sd
    /// with the training mean and population sd, and z = 0 where sd = 0.
    /// - Complexity: O(nnz of the training rows + V log k) to select, then
    ///   O(nnz + documents × features).
    package static func build(
        _ families: [FeatureFamily], options o: AttributionFeatureOptions, training: [Int], documents: [Int]
    ) -> FoldFeatures {
        var names: [String] = []
        var texts: [String?] = []
        // Column of each type of each family, −1 when it is not selected (an
        // array, not a dictionary: this look-up runs once per nonzero).
        var maps: [[Int32]] = []
        for (fi, fam) in families.enumerated() {
            var map = [Int32](repeating: -1, count: fam.typeCount)
            for t in fam.trainingTypes(training, cap: o.cap(family: fi, dense: true)).types {
                map[t] = Int32(names.count)
                names.append(fam.name + " " + fam.token(t))
                texts.append(fam.text?(t))
            }
            maps.append(map)
        }
        let p = names.count
        func relative(_ d: Int, into row: UnsafeMutableBufferPointer<Double>) {
            for (fi, fam) in families.enumerated() {
                let len = fam.lengths[d]
                guard len > 0 else { continue }
                let inv = 1.0 / Double(len)
                maps[fi].withUnsafeBufferPointer { map in
                    fam.forEach(inRow: d) { t, c in
                        let j = Int(map[t])
                        if j >= 0 { row[j] = Double(c) * inv }
                    }
                }
            }
        }
        // Training mean and population sd (two passes, in training order).
        var mean = [Double](repeating: 0, count: p)
        var sd = [Double](repeating: 0, count: p)
        var train = [Double](repeating: 0, count: training.count * p)
        train.withUnsafeMutableBufferPointer { tp in
            for (i, d) in training.enumerated() {
                let row = UnsafeMutableBufferPointer(rebasing: tp[(i * p)..<((i + 1) * p)])
                relative(d, into: row)
                for j in 0..<p { mean[j] += row[j] }
            }
        }
        let n = Double(max(1, training.count))
        for j in 0..<p { mean[j] /= n }
        for i in 0..<training.count {
            for j in 0..<p {
                let e = train[i * p + j] - mean[j]
                sd[j] += e * e
            }
        }
        for j in 0..<p { sd[j] = (sd[j] / n).squareRoot() }
        var z = [Double](repeating: 0, count: documents.count * p)
        z.withUnsafeMutableBufferPointer { zp in
            for (i, d) in documents.enumerated() {
                let row = UnsafeMutableBufferPointer(rebasing: zp[(i * p)..<((i + 1) * p)])
                relative(d, into: row)
                for j in 0..<p { row[j] = sd[j] > 0 ? (row[j] - mean[j]) / sd[j] : 0 }
            }
        }
        return FoldFeatures(
            names: names, texts: texts.contains { $0 != nil } ? texts : [], mean: mean, sd: sd, z: z, rows: documents.count)
    }
}
