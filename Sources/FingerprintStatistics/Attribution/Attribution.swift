import FingerprintCore
import Foundation

/// Options of `attribute` (docs/DESIGN.md §13).
public struct AttributionOptions: Sendable {
    public var features = AttributionFeatureOptions()
    public var method: AttributionMethod = .linear
    /// The distance `delta` ranks by (both are reported).
    public var delta: DeltaDistance = .cosine
    /// The inverse penalty of `linear`; nil: chosen by inner cross-validation.
    public var inverseRegularization: Double? = nil
    /// Folds of the inner cross-validation that chooses C.
    public var innerFolds = 3
    /// Folds of the stratified cross-validation (evaluation without groups).
    public var folds = 10
    /// Bootstrap resamples for the 95% intervals of the metrics.
    public var bootstrap = 1000
    /// Contributing features listed per document.
    public var topFeatures = 5
    /// Also attribute the questioned documents as one corpus, ranking and
    /// testing by this distance; nil: documents only.
    public var corpus: CorpusDistance? = nil
    /// Relabellings of the corpus-level permutation test.
    public var permutations = 999
    /// `impostors`: rounds, impostors drawn per candidate and round, and the
    /// share of open-set documents allowed an answer (the abstention level).
    public var impostorRounds = 100
    public var impostorsPerRound = 10
    public var abstainAlpha = 0.05
    public var seed: UInt64 = 0
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    /// - Throws: `FingerprintError.invalidParameter` for a value out of range.
    public func validate() throws {
        try features.validate()
        if features.weighting == .tfidf && method != .linear {
            throw FingerprintError.invalidParameter(
                name: "weighting", value: "tfidf", reason: "is for --method linear (delta and impostors compare z-scores)")
        }
        if let c = inverseRegularization, !(c > 0 && c.isFinite) {
            throw FingerprintError.invalidParameter(name: "C", value: "\(c)", reason: "must be a positive number")
        }
        if folds < 2 { throw FingerprintError.invalidParameter(name: "cv", value: "\(folds)", reason: "needs at least 2 folds") }
        if innerFolds < 2 {
            throw FingerprintError.invalidParameter(name: "inner-cv", value: "\(innerFolds)", reason: "needs at least 2 folds")
        }
        if permutations < 1 {
            throw FingerprintError.invalidParameter(name: "permutations", value: "\(permutations)", reason: "must be at least 1")
        }
        if impostorRounds < 1 || impostorsPerRound < 1 {
            throw FingerprintError.invalidParameter(
                name: "rounds", value: "\(impostorRounds)/\(impostorsPerRound)", reason: "rounds and impostors must be at least 1")
        }
        if !(abstainAlpha > 0 && abstainAlpha < 1) {
            throw FingerprintError.invalidParameter(name: "abstain-alpha", value: "\(abstainAlpha)", reason: "must be between 0 and 1")
        }
        if bootstrap < 0 { throw FingerprintError.invalidParameter(name: "bootstrap", value: "\(bootstrap)", reason: "must be 0 or more") }
        if topFeatures < 0 {
            throw FingerprintError.invalidParameter(name: "top-features", value: "\(topFeatures)", reason: "must be 0 or more")
        }
    }
}

/// Documents with their sources, held in memory.
package struct AttributionData: Sendable {
    package var names: [String]
    package var texts: [[UInt8]]
    /// Candidate index of each document, or −1 for a questioned one.
    package var labels: [Int]
    /// Group index of each document (leave-one-group-out), or nil.
    package var groups: [Int]?
    package var groupNames: [String]
    package var classes: [String]

    package init(names: [String], texts: [[UInt8]], labels: [Int], classes: [String], groups: [Int]? = nil, groupNames: [String] = []) {
        self.names = names
        self.texts = texts
        self.labels = labels
        self.classes = classes
        self.groups = groups
        self.groupNames = groupNames
    }
}

/// Random streams of attribution (docs/DESIGN.md §7).
package enum AttributionStreams {
    /// Stratified fold assignment: stream + class index.
    package static let folds: UInt64 = 0x4154_5446_0000_0000  // "ATTF"
    /// Inner folds that choose C: stream + outer fold.
    package static let innerFolds: UInt64 = 0x4154_5449_0000_0000  // "ATTI"
    /// Bootstrap resample b of the metrics: stream + b.
    package static let bootstrap: UInt64 = 0x4154_5442_0000_0000  // "ATTB"
    /// General Impostors draws for test row i: stream + i (open-set
    /// calibration rows: + 2³¹ + i).
    package static let impostors: UInt64 = 0x4154_544D_0000_0000  // "ATTM"
}

/// Authorship attribution: which candidate source wrote each document.
public enum Attribution {
    /// Stratified K-fold assignment of `labels`: each class's documents are
    /// shuffled with their own stream and dealt round-robin, continuing
    /// where the previous class stopped, so that fold sizes differ by at
    /// most one.
    package static func stratifiedFolds(labels: [Int], classes: Int, folds k: Int, seed: UInt64, stream: UInt64) -> [Int] {
        var fold = [Int](repeating: 0, count: labels.count)
        var next = 0
        for c in 0..<classes {
            var members = labels.indices.filter { labels[$0] == c }
            var rng = Xoshiro256(seed: seed, stream: stream &+ UInt64(c))
            rng.shuffle(&members)
            for i in members {
                fold[i] = next % k
                next += 1
            }
        }
        return fold
    }

    /// Trains on `training` and predicts `testing` (indices into `data`),
    /// every feature learnt from `training` only. With no C given for
    /// `linear`, C is chosen by an inner stratified cross-validation on
    /// `training` (by whole groups when `data.groups` is set; lowest
    /// held-out log-loss over `AttributionFit.cGrid`, ties to the smaller C,
    /// each C's fit warm-started from the previous one), each inner fold
    /// again learning its features from its own training part.
    package static func split(
        _ data: AttributionData, families global: [FeatureFamily]?, words: FeatureFamily?, training: [Int], testing: [Int],
        options o: AttributionOptions, innerStream: UInt64
    ) throws -> FoldOutcome {
        let k = data.classes.count
        func families(_ train: [Int]) throws -> [FeatureFamily] {
            if let global { return global }
            let keep = TextMask.keptWords(words!, rows: train, k: o.features.mask ?? 0)
            return try FeatureCounting.families(data.texts, options: o.features, keep: keep, threads: 1)
        }
        var chosen = o.inverseRegularization
        if o.method == .linear && chosen == nil {
            let labels = training.map { data.labels[$0] }
            var inner = stratifiedFolds(labels: labels, classes: k, folds: o.innerFolds, seed: o.seed, stream: innerStream)
            if let g = data.groups {
                // Grouped data: whole groups go to one inner fold (groups in
                // index order, dealt round-robin), so C is chosen on unseen groups too.
                let present = Array(Set(training.map { g[$0] })).sorted()
                if present.count >= o.innerFolds {
                    let rank = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0 % o.innerFolds) })
                    inner = training.map { rank[g[$0]]! }
                }
            }
            let grid = AttributionFit.grid(o.features.weighting)
            var loss = [Double](repeating: 0, count: grid.count)
            for f in 0..<o.innerFolds {
                let tr = training.indices.filter { inner[$0] != f }.map { training[$0] }
                let te = training.indices.filter { inner[$0] == f }.map { training[$0] }
                guard !te.isEmpty, !tr.isEmpty else { continue }
                let fit = try fitter(try families(tr), training: tr, testing: te, inner: true)
                // Ascending C, each fit starting from the previous optimum.
                var warm: MultinomialLogistic? = nil
                for (gi, c) in grid.enumerated() {
                    let out = try fit(c, warm)
                    warm = out.model
                    for (i, d) in te.enumerated() { loss[gi] -= Foundation.log(max(out.probabilities![i][data.labels[d]], 1e-15)) }
                }
            }
            var best = 0
            for gi in loss.indices where loss[gi] < loss[best] { best = gi }
            chosen = grid[best]
        }
        return try fitter(try families(training), training: training, testing: testing)(chosen, nil)

        /// Features of `training + testing` learnt from `training`, and the
        /// fit of `o.method` on them for a C (and a warm start).
        func fitter(_ fams: [FeatureFamily], training tr: [Int], testing te: [Int], inner: Bool = false) throws -> (
            Double?, MultinomialLogistic?
        ) throws -> FoldOutcome {
            let labels = tr.map { data.labels[$0] }
            if o.features.weighting == .tfidf {
                let feats = SparseFoldFeatures.build(fams, options: o.features, training: tr, documents: tr + te)
                return { c, warm in
                    try AttributionFit.runSparse(
                        feats, trainRows: tr.count, labels: labels, classes: k, options: o, c: c, warmStart: warm,
                        tolerance: inner ? AttributionFit.innerTolerance : MultinomialLogistic.gradientTolerance)
                }
            }
            let feats = FoldFeatures.build(fams, options: o.features, training: tr, documents: tr + te)
            return { c, warm in
                try AttributionFit.run(feats, trainRows: tr.count, labels: labels, classes: k, options: o, c: c, warmStart: warm)
            }
        }
    }

    /// Counts the fold-independent families (nil with masking, whose
    /// families depend on the training set) and the `word` family masking
    /// chooses its kept words from.
    package static func prepare(_ data: AttributionData, options o: AttributionOptions) throws -> (
        families: [FeatureFamily]?, words: FeatureFamily?
    ) {
        if o.features.mask != nil {
            let words = FeatureFamily(name: "word", matrix: try FeatureCounting.countTexts(data.texts, spec: .word))
            return (nil, words)
        }
        return (try FeatureCounting.families(data.texts, options: o.features, keep: nil, threads: o.threads), nil)
    }

    package static func prediction(_ data: AttributionData, _ d: Int, _ out: FoldOutcome, _ i: Int, fold: Int?) -> AttributionPrediction {
        AttributionPrediction(
            document: data.names[d], truth: data.labels[d] >= 0 ? data.classes[data.labels[d]] : nil,
            predicted: data.classes[out.predicted[i]], probabilities: out.probabilities?[i], burrowsDelta: out.burrows?[i],
            cosineDelta: out.cosine?[i], margin: out.margins[i], fold: fold, topFeatures: out.contributions[i],
            impostorScores: out.impostorScores?[i], abstained: out.abstained?[i])
    }

    /// Attributes the questioned documents (label −1) of `data`, training on
    /// all the others.
    /// - Complexity: one count of the text, then one fit (see `evaluate`).
    package static func attribute(_ data: AttributionData, options o: AttributionOptions) throws -> AttributionReport {
        try withSingleThreadedBLAS { try attributeBody(data, options: o) }
    }

    static func attributeBody(_ data: AttributionData, options o: AttributionOptions) throws -> AttributionReport {
        try o.validate()
        let training = data.labels.indices.filter { data.labels[$0] >= 0 }
        let testing = data.labels.indices.filter { data.labels[$0] < 0 }
        try checkClasses(data, training)
        let (fams, words) = try prepare(data, options: o)
        let out = try split(
            data, families: fams, words: words, training: training, testing: testing, options: o, innerStream: AttributionStreams.innerFolds
        )
        var r = AttributionReport(mode: "attribute", data: data, training: training, options: o)
        var predictions = testing.enumerated().map { prediction(data, $1, out, $0, fold: nil) }
        let wordCounts = try words ?? FeatureFamily(name: "word", matrix: FeatureCounting.countTexts(data.texts, spec: .word))
        r.notes += markWithoutEvidence(
            &predictions, data, words: wordCounts, textClass: textClasses(data), training: training, testing: testing
        ).notes(heldOut: false)
        r.predictions = predictions
        r.c = out.c.map { [$0] }
        r.abstainThresholds = out.threshold.map { [$0] }
        r.iterations = out.iterations.map { [$0] }
        r.featureCount = out.featureCount
        if let distance = o.corpus {
            let families =
                try fams
                ?? FeatureCounting.families(
                    data.texts, options: o.features, keep: TextMask.keptWords(words!, rows: training, k: o.features.mask ?? 0),
                    threads: o.threads)
            r.corpus = try corpusLevel(data, families: families, options: o, distance: distance, permutations: o.permutations)
        }
        return r
    }

    /// What `markWithoutEvidence` found, for the notes.
    struct WithoutEvidence {
        var empty = 0
        var unseen = 0
        var tied = 0
        /// Attributed, but the same text as a training document.
        var seen = 0

        mutating func add(_ o: WithoutEvidence) {
            empty += o.empty
            unseen += o.unseen
            tied += o.tied
            seen += o.seen
        }

        /// One note a kind found. `heldOut`: cross-validation's test
        /// documents, whose model is their fold's.
        func notes(heldOut: Bool) -> [String] {
            let what = heldOut ? "held-out document" : "questioned document"
            let references = heldOut ? "the documents their model was trained on" : "the reference documents"
            func count(_ n: Int) -> String { n == 1 ? "1 \(what)" : "\(n) \(what)s" }
            var out: [String] = []
            if empty > 0 { out.append("\(count(empty)) \(empty == 1 ? "holds" : "hold") no word: no candidate is named") }
            if unseen > 0 {
                out.append("\(count(unseen)) \(unseen == 1 ? "shares" : "share") no word with \(references): no candidate is named")
            }
            if seen > 0 {
                out.append(
                    heldOut
                        ? "\(count(seen)) \(seen == 1 ? "has" : "have") the same text as a document \(seen == 1 ? "its" : "their") model was trained on: "
                            + "\(seen == 1 ? "its prediction is" : "their predictions are") no test, and the metrics are optimistic"
                        : "\(count(seen)) \(seen == 1 ? "is" : "are") also among the reference documents (the same text): "
                            + "the model was fitted on \(seen == 1 ? "it" : "them"), so \(seen == 1 ? "its" : "their") attribution is no evidence"
                )
            }
            if tied > 0 {
                out.append(
                    "\(count(tied)) \(tied == 1 ? "ties" : "tie") exactly between \(tied == 1 ? "its" : "their") best two candidates: no candidate is named"
                )
            }
            return out
        }
    }

    /// The same number for documents of the same text, in order of first appearance.
    static func textClasses(_ data: AttributionData) -> [Int] {
        var ids: [[UInt8]: Int] = [:]
        return data.texts.map { t in
            if let i = ids[t] { return i }
            ids[t] = ids.count
            return ids.count - 1
        }
    }

    /// No candidate is named for a document the model has nothing to go on
    /// for: one without a word, or without a word any training document
    /// has (its features are then the same for every such document, and
    /// the answer says nothing about its text), or one whose best two
    /// candidates tie exactly (the first in name order won). Each is marked
    /// abstained (the table shows "none (best: …)") and its top features
    /// dropped (review, session 29: such documents were attributed with a
    /// margin and no word said). A document whose text is a training
    /// document's is counted, not marked: its answer is no evidence.
    /// `predictions[k]` is `testing[k]`'s; `words` counts every document of
    /// the data (a row each), and `textClass` numbers its distinct texts
    /// (`textClasses`: each text hashed once a run, not once a fold).
    static func markWithoutEvidence(
        _ predictions: inout [AttributionPrediction], _ data: AttributionData, words: FeatureFamily, textClass: [Int], training: [Int],
        testing: [Int]
    ) -> WithoutEvidence {
        var known = [Bool](repeating: false, count: words.typeCount)
        for d in training { words.forEach(inRow: d) { c, _ in known[c] = true } }
        let trainingTexts = Set(training.map { textClass[$0] })
        var found = WithoutEvidence()
        for (k, d) in testing.enumerated() {
            if trainingTexts.contains(textClass[d]) { found.seen += 1 }
            var shared = false
            words.forEach(inRow: d) { c, _ in shared = shared || known[c] }
            if words.lengths[d] == 0 {
                found.empty += 1
            } else if !shared {
                found.unseen += 1
            } else if predictions[k].margin == 0 {
                found.tied += 1
            } else {
                continue
            }
            predictions[k].abstained = true
            predictions[k].topFeatures = []
        }
        return found
    }

    /// Cross-validates on the labelled documents of `data`: leave-one-group-out
    /// when `data.groups` is set, else stratified `options.folds`-fold. Every
    /// document is predicted once, by a model that never saw it nor its
    /// fold's documents in its features.
    /// - Complexity: folds × (feature building + one fit), plus the inner
    ///   cross-validation of C for `linear` without a C.
    package static func evaluate(_ data: AttributionData, options o: AttributionOptions) throws -> AttributionReport {
        try withSingleThreadedBLAS { try evaluateBody(data, options: o) }
    }

    static func evaluateBody(_ data: AttributionData, options o: AttributionOptions) throws -> AttributionReport {
        try o.validate()
        let labelled = data.labels.indices.filter { data.labels[$0] >= 0 }
        try checkClasses(data, labelled)
        var perClass = [Int](repeating: 0, count: data.classes.count)
        for d in labelled { perClass[data.labels[d]] += 1 }
        var foldNotes: [String] = []
        let fold: [Int]
        let nFolds: Int
        if let g = data.groups {
            // A candidate all of whose documents are in one group is, when
            // that group is held out, unknown to the model that predicts it.
            var groupsOf = [Set<Int>](repeating: [], count: data.classes.count)
            for d in labelled { groupsOf[data.labels[d]].insert(g[d]) }
            let single = groupsOf.indices.filter { perClass[$0] > 0 && groupsOf[$0].count == 1 }
            if !single.isEmpty {
                foldNotes.append(
                    "\(single.count) candidates have all their documents in one group (\(single.prefix(5).map { data.classes[$0] }.joined(separator: ", "))): "
                        + "when that group is held out, no model has seen them, so their documents cannot be attributed correctly")
            }
            let present = Array(Set(labelled.map { g[$0] })).sorted()
            guard present.count >= 2 else {
                throw FingerprintError.invalidParameter(
                    name: "groups", value: "\(present.count)", reason: "leave-one-group-out needs at least 2 groups")
            }
            let index = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
            fold = labelled.map { index[g[$0]]! }
            nFolds = present.count
        } else {
            guard o.folds <= labelled.count else {
                throw FingerprintError.invalidParameter(
                    name: "cv", value: "\(o.folds)", reason: "more folds than the \(labelled.count) labelled documents")
            }
            // A candidate's only document is tested by a model that never saw the candidate.
            if let c = perClass.indices.first(where: { perClass[$0] == 1 }) {
                throw FingerprintError.badData(
                    path: "reference",
                    reason:
                        "candidate \(data.classes[c]) has 1 document: cross-validation needs at least 2 of each (the model that predicts the one would never have seen the candidate)"
                )
            }
            let few = perClass.indices.filter { perClass[$0] > 0 && perClass[$0] < o.folds }
            if !few.isEmpty {
                foldNotes.append(
                    "\(few.count) candidates have fewer documents than the \(o.folds) folds (\(few.prefix(5).map { "\(data.classes[$0]): \(perClass[$0])" }.joined(separator: ", "))): "
                        + "some folds test them with fewer training documents, and some test none of them")
            }
            fold = stratifiedFolds(
                labels: labelled.map { data.labels[$0] }, classes: data.classes.count, folds: o.folds, seed: o.seed,
                stream: AttributionStreams.folds)
            nFolds = o.folds
        }
        let (fams, words) = try prepare(data, options: o)
        var inner = o
        inner.threads = 1
        let outcomes = try Parallel.map(nFolds, threads: o.threads) { f -> (test: [Int], train: [Int], out: FoldOutcome)? in
            let test = labelled.indices.filter { fold[$0] == f }.map { labelled[$0] }
            let train = labelled.indices.filter { fold[$0] != f }.map { labelled[$0] }
            guard !test.isEmpty else { return nil }
            let out = try split(
                data, families: fams, words: words, training: train, testing: test, options: inner,
                innerStream: AttributionStreams.innerFolds &+ UInt64(f))
            return (test, train, out)
        }
        var preds: [(Int, AttributionPrediction)] = []
        var cs: [Double] = []
        var featureCounts: [Int] = []
        var iterations: [Int] = []
        var thresholds: [Double] = []
        let wordCounts = try words ?? FeatureFamily(name: "word", matrix: FeatureCounting.countTexts(data.texts, spec: .word))
        let textClass = textClasses(data)
        var withoutEvidence = WithoutEvidence()
        for (f, o) in outcomes.enumerated() {
            guard let o else { continue }
            if let t = o.out.threshold { thresholds.append(t) }
            // Each held-out document with nothing to go on, or tied, abstains
            // as a questioned one would (its fold's training set is its reference).
            var held = o.test.enumerated().map { i, d in prediction(data, d, o.out, i, fold: f) }
            withoutEvidence.add(
                markWithoutEvidence(&held, data, words: wordCounts, textClass: textClass, training: o.train, testing: o.test))
            preds += zip(o.test, held).map { ($0, $1) }
            if let c = o.out.c { cs.append(c) }
            if let it = o.out.iterations { iterations.append(it) }
            featureCounts.append(o.out.featureCount)
        }
        preds.sort { $0.0 < $1.0 }
        var r = AttributionReport(mode: "evaluate", data: data, training: labelled, options: o)
        r.predictions = preds.map(\.1)
        r.c = cs.isEmpty ? nil : cs
        r.abstainThresholds = thresholds.isEmpty ? nil : thresholds
        r.iterations = iterations.isEmpty ? nil : iterations
        r.featureCount = featureCounts.max() ?? 0
        r.notes += foldNotes + withoutEvidence.notes(heldOut: true)
        r.evaluation = AttributionMetrics.evaluate(
            predictions: r.predictions, classes: data.classes, units: data.groups.map { g in preds.map { g[$0.0] } },
            folds: nFolds, scheme: data.groups == nil ? "stratified-k-fold" : "leave-one-group-out", options: o)
        return r
    }

    /// Runs `body` with the BLAS library on one thread, restoring its
    /// setting afterwards. Multithreaded OpenBLAS splits the inner dimension
    /// of long-thin products such as (P − Y)ᵀ·X across threads, so their
    /// sums — and then the L-BFGS path — would depend on the thread count;
    /// attribution parallelises over folds instead (and over-subscribing
    /// the cores with both was 3–4× slower).
    package static func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        let saved = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(saved) }
        return try body()
    }

    static func checkClasses(_ data: AttributionData, _ training: [Int]) throws {
        let present = Set(training.map { data.labels[$0] })
        guard present.count >= 2 else {
            throw FingerprintError.badData(
                path: "reference", reason: "needs documents of at least 2 candidate sources (found \(present.count))")
        }
    }
}

extension Attribution {
    /// Reads the corpora and attributes (with `questioned`) or evaluates
    /// (without it), as `fingerprint attribute` does.
    /// - Throws: `FingerprintError` for unreadable inputs, fewer than two
    ///   labelled candidates, or an option out of range.
    /// - Complexity: one read of the text, then see `evaluate`.
    public static func run(
        reference: CorpusInput, labels: AttributionLabels, groups: AttributionGroups?, questioned: CorpusInput?,
        options o: AttributionOptions, read: ReadOptions = ReadOptions(), progress: ProgressSink? = nil
    ) throws -> AttributionReport {
        try o.validate()
        let (data, skips, notes) = try AttributionCorpus.load(
            reference: reference, labels: labels, groups: groups, questioned: questioned, options: read, progress: progress)
        var r = questioned == nil ? try evaluate(data, options: o) : try attribute(data, options: o)
        r.skips = skips
        r.notes = notes + r.notes
        return r
    }
}
