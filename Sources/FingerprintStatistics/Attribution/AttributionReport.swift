import FingerprintCore
import Foundation

/// A value with its 95% bootstrap percentile interval (none without
/// resamples, `--bootstrap 0`: it was printed as value–value).
public struct Estimate: Codable, Sendable, Equatable {
    public var value: Double
    public var low: Double?
    public var high: Double?
}

/// Cross-validated quality of an attribution method.
public struct AttributionEvaluation: Codable, Sendable {
    /// `stratified-k-fold` or `leave-one-group-out`.
    public var scheme: String
    public var folds: Int
    public var documents: Int
    public var accuracy: Estimate
    /// Unweighted mean over the candidates of F1 = 2TP / (2TP + FP + FN).
    public var macroF1: Estimate
    /// Mean over documents of Σ_k (p_k − y_k)² (methods with probabilities).
    public var brier: Estimate?
    /// Expected calibration error of the top probability, 10 equal-width bins.
    public var ece: Estimate?
    /// Counts: rows are the true candidates, columns the predicted ones.
    /// Accuracy, macro-F1, the Brier score, ECE and the confusion matrix
    /// take every document's best candidate, answered or not (a forced
    /// choice); the four below tell the answers apart.
    public var confusion: [[Int]]
    /// Documents that got no candidate (`impostors`, ties, no evidence);
    /// these four are present with `impostors` or any abstention.
    public var abstained: Int?
    /// Share of documents that got a candidate.
    public var coverage: Estimate?
    /// Accuracy over the documents that got a candidate (none: absent).
    public var answeredAccuracy: Estimate?
    /// c@1 (Peñas & Rodrigo 2011): (R + U·R/n) / n for R right answers and
    /// U abstentions in n documents: an abstention counts as the answered
    /// accuracy, so it scores above a wrong answer and below a right one.
    public var cAt1: Estimate?
    /// Accuracy of guessing: 1 / candidates, and always the largest candidate.
    public var chanceUniform: Double
    public var chanceMajority: Double
    public var bootstrap: Int
    /// What the bootstrap resamples: `document`, or `group` with groups.
    public var bootstrapUnit: String

    enum CodingKeys: String, CodingKey {
        case scheme, folds, documents, accuracy
        case macroF1 = "macro_f1"
        case brier, ece, confusion, abstained, coverage
        case answeredAccuracy = "answered_accuracy"
        case cAt1 = "c_at_1"
        case chanceUniform = "chance_uniform"
        case chanceMajority = "chance_majority"
        case bootstrap
        case bootstrapUnit = "bootstrap_unit"
    }
}

/// The result of `fingerprint attribute`.
public struct AttributionReport: Codable, Sendable {
    public struct Candidate: Codable, Sendable {
        public var name: String
        /// Training documents of this candidate.
        public var documents: Int
    }
    public var schema = "fingerprint.attribute/1"
    public var version = Fingerprint.version
    /// `attribute` (questioned documents) or `evaluate` (cross-validation).
    public var mode: String
    public var method: AttributionMethod
    /// The distance `delta` ranks by.
    public var delta: DeltaDistance?
    public var features: AttributionFeatureOptions
    /// Features in the model (the largest over the folds).
    public var featureCount = 0
    /// C of `linear`: the one given, or the one chosen in each fold.
    public var c: [Double]?
    /// L-BFGS iterations of each final fit of `linear` (one a fold).
    public var iterations: [Int]?
    /// `impostors`: the score below which a document gets no candidate (one
    /// a fold), from the open-set simulation on its training documents.
    public var abstainThresholds: [Double]?
    /// Documents that got no candidate (kept with `predictions`): with
    /// `impostors`, and with any method when one had nothing to go on.
    public private(set) var abstentions: Int?
    public var seed: UInt64
    public var candidates: [Candidate]
    public var predictions: [AttributionPrediction] = [] {
        didSet {
            let n = predictions.filter { $0.abstained == true }.count
            abstentions = method == .impostors || n > 0 ? n : nil
        }
    }
    public var evaluation: AttributionEvaluation?
    /// The questioned documents attributed as one corpus (`--corpus`).
    public var corpus: CorpusAttribution?
    public var skips: [Skip] = []
    public var notes: [String] = []

    enum CodingKeys: String, CodingKey {
        case schema, version, mode, method, delta, features
        case featureCount = "feature_count"
        case c, iterations
        case abstainThresholds = "abstain_thresholds"
        case abstentions
        case seed, candidates, predictions, evaluation, corpus, skips, notes
    }

    package init(mode: String, data: AttributionData, training: [Int], options o: AttributionOptions) {
        self.mode = mode
        method = o.method
        delta = o.method == .delta ? o.delta : nil
        features = o.features
        seed = o.seed
        candidates = data.classes.indices.map { c in
            Candidate(name: data.classes[c], documents: training.filter { data.labels[$0] == c }.count)
        }
    }
}

/// Accuracy, macro-F1, Brier score and calibration error with bootstrap
/// intervals.
package enum AttributionMetrics {
    package static let calibrationBins = 10

    struct Point {
        var truth: Int
        var predicted: Int
        var probabilities: [Double]?
        var answered = true
    }

    struct Values {
        var acc: Double
        var f1: Double
        var brier: Double?
        var ece: Double?
        var coverage: Double
        /// nil when no document was answered.
        var answeredAcc: Double?
        var cAt1: Double
    }

    static func values(_ pts: [Point], _ idx: [Int], classes k: Int) -> Values {
        var tp = [Int](repeating: 0, count: k)
        var fp = tp
        var fn = tp
        var correct = 0
        var brier = 0.0
        var binN = [Int](repeating: 0, count: calibrationBins)
        var binConf = [Double](repeating: 0, count: calibrationBins)
        var binAcc = [Double](repeating: 0, count: calibrationBins)
        let withP = pts.first?.probabilities != nil
        var answered = 0
        var answeredRight = 0
        for i in idx {
            let p = pts[i]
            if p.answered {
                answered += 1
                if p.truth == p.predicted { answeredRight += 1 }
            }
            if p.truth == p.predicted {
                correct += 1
                tp[p.truth] += 1
            } else {
                fp[p.predicted] += 1
                fn[p.truth] += 1
            }
            if let pr = p.probabilities {
                for c in 0..<k {
                    let e = pr[c] - (c == p.truth ? 1 : 0)
                    brier += e * e
                }
                let conf = pr[p.predicted]
                let b = min(calibrationBins - 1, max(0, Int((conf * Double(calibrationBins)).rounded(.up)) - 1))
                binN[b] += 1
                binConf[b] += conf
                binAcc[b] += p.truth == p.predicted ? 1 : 0
            }
        }
        let n = Double(max(1, idx.count))
        var f1 = 0.0
        var used = 0
        for c in 0..<k where tp[c] + fp[c] + fn[c] > 0 {
            f1 += 2 * Double(tp[c]) / Double(2 * tp[c] + fp[c] + fn[c])
            used += 1
        }
        var ece = 0.0
        for b in 0..<calibrationBins where binN[b] > 0 { ece += abs(binAcc[b] - binConf[b]) / n }
        let right = Double(answeredRight)
        return Values(
            acc: Double(correct) / n, f1: used > 0 ? f1 / Double(used) : 0, brier: withP ? brier / n : nil, ece: withP ? ece : nil,
            coverage: Double(answered) / n, answeredAcc: answered > 0 ? right / Double(answered) : nil,
            cAt1: (right + Double(idx.count - answered) * right / n) / n)
    }

    /// Percentile (linear interpolation, as NumPy's default) of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down))
        let hi = min(sorted.count - 1, lo + 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// The metrics of `predictions` (each with a truth) and their 95%
    /// percentile bootstrap intervals: `options.bootstrap` resamples of the
    /// documents, or of the groups (`units`, whole groups drawn) when given.
    /// - Complexity: O(bootstrap × documents).
    package static func evaluate(
        predictions: [AttributionPrediction], classes: [String], units: [Int]?, folds: Int, scheme: String, options o: AttributionOptions
    ) -> AttributionEvaluation {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let k = classes.count
        let pts = predictions.map {
            Point(
                truth: index[$0.truth!]!, predicted: index[$0.predicted]!, probabilities: $0.probabilities, answered: $0.abstained != true)
        }
        let abstained = pts.filter { !$0.answered }.count
        let abstention = o.method == .impostors || abstained > 0
        let all = Array(pts.indices)
        let v = values(pts, all, classes: k)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var support = [Int](repeating: 0, count: k)
        for p in pts {
            confusion[p.truth][p.predicted] += 1
            support[p.truth] += 1
        }
        // Resampling units: each document, or each group's documents.
        var members: [[Int]]
        if let units {
            var byUnit: [Int: [Int]] = [:]
            for (i, u) in units.enumerated() { byUnit[u, default: []].append(i) }
            members = byUnit.keys.sorted().map { byUnit[$0]! }
        } else {
            members = all.map { [$0] }
        }
        var acc: [Double] = []
        var f1: [Double] = []
        var brier: [Double] = []
        var ece: [Double] = []
        var coverage: [Double] = []
        var answeredAcc: [Double] = []
        var cAt1: [Double] = []
        for b in 0..<o.bootstrap {
            var rng = Xoshiro256(seed: o.seed, stream: AttributionStreams.bootstrap &+ UInt64(b))
            var idx: [Int] = []
            for _ in 0..<members.count { idx += members[rng.next(below: members.count)] }
            let r = values(pts, idx, classes: k)
            acc.append(r.acc)
            f1.append(r.f1)
            if let x = r.brier { brier.append(x) }
            if let x = r.ece { ece.append(x) }
            coverage.append(r.coverage)
            // A resample without an answer has no answered accuracy: the
            // interval is over the resamples that have one.
            if let x = r.answeredAcc { answeredAcc.append(x) }
            cAt1.append(r.cAt1)
        }
        func estimate(_ value: Double, _ draws: [Double]) -> Estimate {
            let s = draws.sorted()
            return s.isEmpty
                ? Estimate(value: value, low: nil, high: nil)
                : Estimate(value: value, low: percentile(s, 0.025), high: percentile(s, 0.975))
        }
        return AttributionEvaluation(
            scheme: scheme, folds: folds, documents: pts.count, accuracy: estimate(v.acc, acc), macroF1: estimate(v.f1, f1),
            brier: v.brier.map { estimate($0, brier) }, ece: v.ece.map { estimate($0, ece) }, confusion: confusion,
            abstained: abstention ? abstained : nil, coverage: abstention ? estimate(v.coverage, coverage) : nil,
            answeredAccuracy: abstention ? v.answeredAcc.map { estimate($0, answeredAcc) } : nil,
            cAt1: abstention ? estimate(v.cAt1, cAt1) : nil,
            chanceUniform: 1 / Double(k), chanceMajority: Double(support.max() ?? 0) / Double(max(1, pts.count)),
            bootstrap: o.bootstrap, bootstrapUnit: units == nil ? "document" : "group")
    }
}
