import FingerprintCore
import Foundation

/// How `attribute` decides between the candidate sources.
public enum AttributionMethod: String, Codable, Sendable, CaseIterable {
    /// Nearest class centroid of z-scores by Burrows's Delta or Cosine Delta.
    case delta
    /// Multinomial logistic regression (L2, scikit-learn's objective).
    case linear
    /// General Impostors (Koppel & Winter 2014): open-set verification
    /// that abstains when no candidate beats the impostors often enough.
    case impostors
}

/// The distance `--method delta` ranks by.
public enum DeltaDistance: String, Codable, Sendable, CaseIterable {
    /// Mean absolute difference of z-scores (Burrows 2002).
    case burrows
    /// 1 − cosine of the z-score vectors (Smith & Aldridge 2011; Evert et al. 2017).
    case cosine
}

/// Nearest-centroid distances on z-scores.
package enum DeltaDistances {
    /// Class centroids (classes × p): the mean z-score of each class's rows;
    /// a class with no row has a zero centroid.
    package static func centroids(z: [Double], cols p: Int, labels: [Int], classes k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: k * p)
        var n = [Int](repeating: 0, count: k)
        for (i, y) in labels.enumerated() {
            n[y] += 1
            for j in 0..<p { c[y * p + j] += z[i * p + j] }
        }
        for y in 0..<k where n[y] > 0 { for j in 0..<p { c[y * p + j] /= Double(n[y]) } }
        return c
    }

    /// Burrows's Delta: mean_j |z_j − c_j|.
    package static func burrows(_ z: ArraySlice<Double>, _ c: ArraySlice<Double>) -> Double {
        var s = 0.0
        for (a, b) in zip(z, c) { s += abs(a - b) }
        return z.isEmpty ? 0 : s / Double(z.count)
    }

    /// Cosine Delta: 1 − z·c / (‖z‖‖c‖); 1 when either vector is zero.
    package static func cosine(_ z: ArraySlice<Double>, _ c: ArraySlice<Double>) -> Double {
        var d = 0.0
        var nz = 0.0
        var nc = 0.0
        for (a, b) in zip(z, c) {
            d += a * b
            nz += a * a
            nc += b * b
        }
        return nz > 0 && nc > 0 ? 1 - d / (nz.squareRoot() * nc.squareRoot()) : 1
    }
}

/// One feature's share in a decision: how much it moved the document
/// towards the predicted source and away from the runner-up.
public struct FeatureContribution: Codable, Sendable, Equatable {
    public var feature: String
    public var value: Double
    /// A model token's text (the feature names its id), else absent.
    public var text: String? = nil

    /// As reports show it: the feature, and a model token's text quoted.
    public var label: String { text.map { "\(feature) \"\($0)\"" } ?? feature }
}

/// The decision for one document.
public struct AttributionPrediction: Codable, Sendable {
    public var document: String
    /// The known source (evaluation), or nil.
    public var truth: String?
    public var predicted: String
    /// Probability of each candidate, in the order of `candidates` (`linear`).
    public var probabilities: [Double]?
    /// Burrows's Delta and Cosine Delta to each candidate's centroid (`delta`).
    public var burrowsDelta: [Double]?
    public var cosineDelta: [Double]?
    /// Best minus runner-up: probability (linear) or distance (delta).
    public var margin: Double
    /// The fold (or held-out group) the document was predicted in.
    public var fold: Int?
    /// Features that most favour `predicted` over the runner-up.
    public var topFeatures: [FeatureContribution]
    /// `impostors`: the share of rounds each candidate beat every impostor.
    public var impostorScores: [Double]? = nil
    /// `impostors`: no candidate's score reached the threshold ("none of
    /// the candidates"); `predicted` is then the best of them all the same.
    public var abstained: Bool? = nil

    enum CodingKeys: String, CodingKey {
        case document, truth, predicted, probabilities
        case burrowsDelta = "burrows_delta"
        case cosineDelta = "cosine_delta"
        case margin, fold
        case topFeatures = "top_features"
        case impostorScores = "impostor_scores"
        case abstained
    }
}

/// A trained model on one training set, applied to its test rows.
package struct FoldOutcome: Sendable {
    /// classes-wide scores of each test row: probabilities (linear) or the
    /// chosen distance (delta).
    package var predicted: [Int]
    package var probabilities: [[Double]]?
    package var burrows: [[Double]]?
    package var cosine: [[Double]]?
    package var margins: [Double]
    package var contributions: [[FeatureContribution]]
    package var c: Double?
    package var featureCount: Int
    /// The fitted logistic model (`linear` with two or more classes).
    package var model: MultinomialLogistic? = nil
    /// L-BFGS iterations of the fit.
    package var iterations: Int? = nil
    /// `impostors`: scores of each test row, whether it abstained, and the
    /// threshold the training documents gave.
    package var impostorScores: [[Double]]? = nil
    package var abstained: [Bool]? = nil
    package var threshold: Double? = nil
}

package enum AttributionFit {
    /// Default grid of C for the inner cross-validation (z-scores).
    package static let cGrid: [Double] = [0.001, 0.01, 0.1, 1, 10]
    /// The grid for TF-IDF rows: they have unit norm, so C works on another
    /// scale (scikit-learn's default, 1, sits inside it).
    package static let cGridTFIDF: [Double] = [0.1, 1, 10, 100]

    /// The stop of the TF-IDF fits that only choose C (scikit-learn's
    /// default `tol`): their held-out log-loss needs far less precision than
    /// the model that predicts, and the fits with C = 10 and 100 on unit-norm
    /// rows take hundreds of iterations more at 1e-6.
    package static let innerTolerance = 1e-4

    /// The grid of C for `weighting`.
    package static func grid(_ weighting: FeatureWeighting) -> [Double] { weighting == .tfidf ? cGridTFIDF : cGrid }

    /// `linear` on sparse rows: fits on the first `trainRows` rows of `f`
    /// and applies the model to the rest, as `run` does on dense rows.
    /// `tolerance`: the stop on the gradient (the inner cross-validation of
    /// C uses `innerTolerance`).
    package static func runSparse(
        _ f: SparseFoldFeatures, trainRows nt: Int, labels: [Int], classes k: Int, options o: AttributionOptions, c: Double?,
        warmStart: MultinomialLogistic? = nil, tolerance: Double = MultinomialLogistic.gradientTolerance
    ) throws -> FoldOutcome {
        let p = f.cols
        return try linear(labels: labels, classes: k, testRows: f.rows - nt, c: c, features: p) { y, kk, chosen in
            let model = try MultinomialLogistic.fit(
                sparse: f, rows: nt, y: y, classes: kk, c: chosen, start: warmStart, tolerance: tolerance)
            return (model, model.probabilities(sparse: f, rows: nt..<f.rows))
        } contributions: { i, best, second, model in
            var v: [(Int, Double)] = []
            f.forEach(inRow: nt + i) { j, x in v.append((j, x * (model.weights[best * p + j] - model.weights[second * p + j]))) }
            v.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            return v.prefix(o.topFeatures).map {
                FeatureContribution(feature: f.names[$0.0], value: $0.1, text: f.texts.isEmpty ? nil : f.texts[$0.0])
            }
        }
    }

    /// `linear` on any rows: fits the classes present in `labels` with
    /// `fit(y, classes, C)` (labels renumbered 0..<classes; it returns the
    /// model and the test rows' probabilities, rows × classes), gives the
    /// absent classes probability 0, and ranks each test row's classes
    /// (ties to the lower index); `contributions(i, best, second, model)`
    /// lists what decided test row i. One class present: it gets every row.
    static func linear(
        labels: [Int], classes k: Int, testRows m: Int, c: Double?, features p: Int,
        fit: (_ y: [Int], _ classes: Int, _ c: Double) throws -> (MultinomialLogistic, [Double]),
        contributions: (_ row: Int, _ best: Int, _ second: Int, _ model: MultinomialLogistic) -> [FeatureContribution]
    ) throws -> FoldOutcome {
        var predicted = [Int](repeating: 0, count: m)
        var margins = [Double](repeating: 0, count: m)
        var decided = [[FeatureContribution]](repeating: [], count: m)
        let present = Array(Set(labels)).sorted()
        let local = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
        let chosen = c ?? 1
        var probs = [[Double]](repeating: [Double](repeating: 0, count: k), count: m)
        if present.count == 1 {
            for i in 0..<m {
                probs[i][present[0]] = 1
                predicted[i] = present[0]
                margins[i] = 1
            }
            return FoldOutcome(
                predicted: predicted, probabilities: probs, burrows: nil, cosine: nil, margins: margins, contributions: decided,
                c: chosen, featureCount: p)
        }
        let kk = present.count
        let (model, pr) = try fit(labels.map { local[$0]! }, kk, chosen)
        for i in 0..<m {
            for c in 0..<kk { probs[i][present[c]] = pr[i * kk + c] }
            let ranked = (0..<kk).sorted { pr[i * kk + $0] != pr[i * kk + $1] ? pr[i * kk + $0] > pr[i * kk + $1] : $0 < $1 }
            let (best, second) = (ranked[0], ranked[1])
            predicted[i] = present[best]
            margins[i] = pr[i * kk + best] - pr[i * kk + second]
            decided[i] = contributions(i, best, second, model)
        }
        return FoldOutcome(
            predicted: predicted, probabilities: probs, burrows: nil, cosine: nil, margins: margins, contributions: decided,
            c: chosen, featureCount: p, model: model, iterations: model.iterations)
    }

    /// Fits `method` on the first `trainRows` rows of `f` and applies it to
    /// the rest.
    package static func run(
        _ f: FoldFeatures, trainRows nt: Int, labels: [Int], classes k: Int, options o: AttributionOptions, c: Double?,
        warmStart: MultinomialLogistic? = nil
    ) throws -> FoldOutcome {
        let p = f.cols
        let m = f.rows - nt
        let train = Array(f.z[0..<(nt * p)])
        let test = Array(f.z[(nt * p)...])
        var predicted = [Int](repeating: 0, count: m)
        var margins = [Double](repeating: 0, count: m)
        var contributions = [[FeatureContribution]](repeating: [], count: m)
        func top(_ values: [Double]) -> [FeatureContribution] {
            let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
            return order.prefix(o.topFeatures).map {
                FeatureContribution(feature: f.names[$0], value: values[$0], text: f.texts.isEmpty ? nil : f.texts[$0])
            }
        }
        switch o.method {
        case .delta:
            let present = Set(labels)
            let c = DeltaDistances.centroids(z: train, cols: p, labels: labels, classes: k)
            var bur = [[Double]](repeating: [], count: m)
            var cos = [[Double]](repeating: [], count: m)
            for i in 0..<m {
                let z = test[(i * p)..<((i + 1) * p)]
                bur[i] = (0..<k).map { DeltaDistances.burrows(z, c[($0 * p)..<(($0 + 1) * p)]) }
                cos[i] = (0..<k).map { DeltaDistances.cosine(z, c[($0 * p)..<(($0 + 1) * p)]) }
                let d = o.delta == .burrows ? bur[i] : cos[i]
                let ranked = (0..<k).filter { present.contains($0) }.sorted { d[$0] != d[$1] ? d[$0] < d[$1] : $0 < $1 }
                let best = ranked[0]
                predicted[i] = best
                guard ranked.count > 1 else { continue }
                let second = ranked[1]
                margins[i] = d[second] - d[best]
                var v = [Double](repeating: 0, count: p)
                if o.delta == .burrows {
                    for j in 0..<p {
                        v[j] = (abs(z[z.startIndex + j] - c[second * p + j]) - abs(z[z.startIndex + j] - c[best * p + j])) / Double(p)
                    }
                } else {
                    let nz = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let nb = c[(best * p)..<((best + 1) * p)].reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let ns = c[(second * p)..<((second + 1) * p)].reduce(0) { $0 + $1 * $1 }.squareRoot()
                    if nz > 0 {
                        for j in 0..<p {
                            let zb = nb > 0 ? c[best * p + j] / nb : 0
                            let zs = ns > 0 ? c[second * p + j] / ns : 0
                            v[j] = z[z.startIndex + j] * (zb - zs) / nz
                        }
                    }
                }
                contributions[i] = top(v)
            }
            return FoldOutcome(
                predicted: predicted, probabilities: nil, burrows: bur, cosine: cos, margins: margins, contributions: contributions, c: nil,
                featureCount: p)
        case .impostors:
            let gi = GeneralImpostors(train: train, rows: nt, cols: p, labels: labels, classes: k, options: o)
            let threshold = gi.threshold()
            var scores = [[Double]](repeating: [], count: m)
            var abstained = [Bool](repeating: false, count: m)
            let present = Set(labels)
            for i in 0..<m {
                let z = Array(test[(i * p)..<((i + 1) * p)])
                scores[i] = gi.scores(z, candidates: Array(0..<k), excluded: nil, stream: UInt64(i))
                let ranked = (0..<k).filter { present.contains($0) }.sorted {
                    scores[i][$0] != scores[i][$1] ? scores[i][$0] > scores[i][$1] : $0 < $1
                }
                predicted[i] = ranked[0]
                abstained[i] = scores[i][ranked[0]] < threshold
                if ranked.count > 1 { margins[i] = scores[i][ranked[0]] - scores[i][ranked[1]] }
                // Contributions as for Cosine Delta: towards the best centroid, away from the runner-up's.
                if ranked.count > 1 {
                    let (b, s) = (ranked[0], ranked[1])
                    let cb = gi.centroids[(b * p)..<((b + 1) * p)]
                    let cs = gi.centroids[(s * p)..<((s + 1) * p)]
                    let nb = cb.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let ns = cs.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let nz = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    var v = [Double](repeating: 0, count: p)
                    if nz > 0 {
                        for j in 0..<p {
                            v[j] = z[j] * ((nb > 0 ? cb[cb.startIndex + j] / nb : 0) - (ns > 0 ? cs[cs.startIndex + j] / ns : 0)) / nz
                        }
                    }
                    contributions[i] = top(v)
                }
            }
            var out = FoldOutcome(
                predicted: predicted, probabilities: nil, burrows: nil, cosine: nil, margins: margins, contributions: contributions, c: nil,
                featureCount: p)
            out.impostorScores = scores
            out.abstained = abstained
            out.threshold = threshold
            return out
        case .linear:
            // Only the classes present in training are fitted; the others get probability 0.
            return try linear(labels: labels, classes: k, testRows: m, c: c, features: p) { y, kk, chosen in
                let model = try MultinomialLogistic.fit(x: train, rows: nt, cols: p, y: y, classes: kk, c: chosen, start: warmStart)
                return (model, try model.probabilities(test, rows: m))
            } contributions: { i, best, second, model in
                var v = [Double](repeating: 0, count: p)
                for j in 0..<p { v[j] = test[i * p + j] * (model.weights[best * p + j] - model.weights[second * p + j]) }
                return top(v)
            }
        }
    }
}

/// General Impostors (Koppel & Winter 2014) on z-scored features. In each
/// of `rounds` rounds a random half of the features is drawn, and for each
/// candidate `impostorsPerRound` training documents of the other
/// candidates; the candidate scores the round when the questioned document
/// is closer (cosine on those features) to the candidate's centroid than
/// to every impostor. A candidate's score is the share of rounds it won.
///
/// The threshold below which the answer is "none of the candidates" comes
/// from the training documents by simulating the open set: each training
/// document (at most 400, evenly spaced) is scored against every *other*
/// candidate, its own candidate left out of the candidates and the
/// impostors (and its own share of the training centring undone); the
/// threshold is the (1 − α/k) quantile of those scores, k candidates, so
/// that a document whose source is not among the candidates gets an answer
/// with probability at most about α (`abstainAlpha`).
package struct GeneralImpostors {
    let train: [Double]
    let rows: Int
    let cols: Int
    let labels: [Int]
    let classes: Int
    let o: AttributionOptions
    let centroids: [Double]
    /// Training rows of each class.
    let members: [[Int]]
    /// The mean of the class centroids: every vector is compared relative
    /// to it, not to the pooled training mean, so that a candidate with most
    /// of the training documents (whose centroid is then near the pooled
    /// mean) is not a zero vector that never beats an impostor.
    let center: [Double]

    init(train: [Double], rows: Int, cols: Int, labels: [Int], classes: Int, options: AttributionOptions) {
        self.train = train
        self.rows = rows
        self.cols = cols
        self.labels = labels
        self.classes = classes
        self.o = options
        centroids = DeltaDistances.centroids(z: train, cols: cols, labels: labels, classes: classes)
        var m = [[Int]](repeating: [], count: classes)
        for (i, y) in labels.enumerated() { m[y].append(i) }
        members = m
        let present = (0..<classes).filter { !m[$0].isEmpty }
        var c = [Double](repeating: 0, count: cols)
        for y in present { for j in 0..<cols { c[j] += centroids[y * cols + j] / Double(present.count) } }
        center = c
    }

    /// Scores of `z` against each of `candidates` (the others get 0);
    /// impostors come from the training rows of the other candidates, never
    /// of `excluded`, nor the row `skip`.
    /// `shift`, added to every centroid and impostor row: undoes the part
    /// of the training centring that came from `z` itself (a training row
    /// scored in the open-set simulation).
    func scores(_ z: [Double], candidates: [Int], excluded: Int?, skip: Int? = nil, shift: [Double]? = nil, stream: UInt64) -> [Double] {
        var rng = Xoshiro256(seed: o.seed, stream: AttributionStreams.impostors &+ stream)
        let z = (0..<cols).map { z[$0] - center[$0] }
        let shift = (0..<cols).map { (shift?[$0] ?? 0) - center[$0] }
        var wins = [Int](repeating: 0, count: classes)
        let half = max(1, cols / 2)
        var order = Array(0..<cols)
        let cand = candidates.filter { !members[$0].isEmpty }
        for _ in 0..<o.impostorRounds {
            // A random half of the features (partial Fisher–Yates).
            for j in 0..<half {
                let r = j + rng.next(below: cols - j)
                order.swapAt(j, r)
            }
            let feats = order[0..<half]
            for a in cand {
                let pool = cand.filter { $0 != a && $0 != excluded }
                let poolSize = pool.reduce(0) { $0 + members[$1].count }
                guard poolSize > 0 else { continue }
                let sa = Self.cosine(z, centroids, offset: a * cols, feats, shift: shift)
                var beaten = true
                for _ in 0..<min(o.impostorsPerRound, poolSize) {
                    var pick = rng.next(below: poolSize)
                    var row = -1
                    for c in pool {
                        if pick < members[c].count {
                            row = members[c][pick]
                            break
                        }
                        pick -= members[c].count
                    }
                    if row == skip { continue }
                    if Self.cosine(z, train, offset: row * cols, feats, shift: shift) >= sa {
                        beaten = false
                        break
                    }
                }
                if beaten { wins[a] += 1 }
            }
        }
        return wins.map { Double($0) / Double(max(1, o.impostorRounds)) }
    }

    static func cosine(_ z: [Double], _ m: [Double], offset: Int, _ feats: ArraySlice<Int>, shift: [Double]? = nil) -> Double {
        var d = 0.0
        var nz = 0.0
        var nm = 0.0
        for j in feats {
            let a = z[j]
            let b = m[offset + j] + (shift?[j] ?? 0)
            d += a * b
            nz += a * a
            nm += b * b
        }
        return nz > 0 && nm > 0 ? d / (nz.squareRoot() * nm.squareRoot()) : -1
    }

    /// The abstention threshold (0 with fewer than 3 candidates, or when no
    /// simulated pair has an impostor pool of at least two rounds' worth of
    /// documents: the open set cannot be simulated, and the method never
    /// abstains).
    func threshold() -> Double {
        let present = (0..<classes).filter { !members[$0].isEmpty }
        guard present.count >= 3, rows > 0 else { return 0 }
        let n = min(rows, 400)
        var best: [Double] = []
        for t in 0..<n {
            let i = t * rows / n
            let z = Array(train[(i * cols)..<((i + 1) * cols)])
            let own = labels[i]
            // The training rows sum to zero: without row i the others' mean
            // is −z_i/(n − 1), which would pull every centroid and impostor
            // away from row i and make the open set look more open than it is.
            let shift = z.map { $0 / Double(max(1, rows - 1)) }
            let s = scores(
                z, candidates: present.filter { $0 != own }, excluded: own, skip: i, shift: shift, stream: 0x8000_0000 &+ UInt64(i))
            // A pair counts only when its impostor pool is a real crowd (two
            // rounds' worth of documents): beating three documents of one
            // small candidate says nothing about an absent source.
            for a in present where a != own {
                let pool = present.filter { $0 != a && $0 != own }.reduce(0) { $0 + members[$1].count }
                if pool >= 2 * o.impostorsPerRound { best.append(s[a]) }
            }
        }
        guard !best.isEmpty else { return 0 }
        best.sort()
        // A document from outside faces every candidate: the threshold is the
        // (1 − α/k) quantile of the open-set scores of single candidates, so
        // that the chance that any of the k reaches it stays about α.
        let q = 1 - o.abstainAlpha / Double(present.count)
        let k = min(best.count - 1, Int((Double(best.count) * q).rounded(.down)))
        return best[k] + 1e-12
    }
}
