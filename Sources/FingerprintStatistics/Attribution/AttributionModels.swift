import FingerprintCore
import Foundation

/// How `attribute` decides between the candidate sources.
public enum AttributionMethod: String, Codable, Sendable, CaseIterable {
    /// Nearest class centroid of z-scores by Burrows's Delta or Cosine Delta.
    case delta
    /// Multinomial logistic regression (L2, scikit-learn's objective).
    case linear
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

    enum CodingKeys: String, CodingKey {
        case document, truth, predicted, probabilities
        case burrowsDelta = "burrows_delta"
        case cosineDelta = "cosine_delta"
        case margin, fold
        case topFeatures = "top_features"
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
}

package enum AttributionFit {
    /// Default grid of C for the inner cross-validation.
    package static let cGrid: [Double] = [0.001, 0.01, 0.1, 1, 10]

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
            return order.prefix(o.topFeatures).map { FeatureContribution(feature: f.names[$0], value: values[$0]) }
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
        case .linear:
            // Only the classes present in training are fitted; the others get probability 0.
            let present = Array(Set(labels)).sorted()
            let local = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
            let y = labels.map { local[$0]! }
            let chosen = c ?? 1
            var probs = [[Double]](repeating: [Double](repeating: 0, count: k), count: m)
            if present.count == 1 {
                for i in 0..<m {
                    probs[i][present[0]] = 1
                    predicted[i] = present[0]
                    margins[i] = 1
                }
                return FoldOutcome(
                    predicted: predicted, probabilities: probs, burrows: nil, cosine: nil, margins: margins, contributions: contributions,
                    c: chosen, featureCount: p)
            }
            let kk = present.count
            let model = try MultinomialLogistic.fit(x: train, rows: nt, cols: p, y: y, classes: kk, c: chosen, start: warmStart)
            let pr = try model.probabilities(test, rows: m)
            for i in 0..<m {
                for c in 0..<kk { probs[i][present[c]] = pr[i * kk + c] }
                let ranked = (0..<kk).sorted { pr[i * kk + $0] != pr[i * kk + $1] ? pr[i * kk + $0] > pr[i * kk + $1] : $0 < $1 }
                let best = ranked[0]
                let second = ranked[1]
                predicted[i] = present[best]
                margins[i] = pr[i * kk + best] - pr[i * kk + second]
                var v = [Double](repeating: 0, count: p)
                for j in 0..<p { v[j] = test[i * p + j] * (model.weights[best * p + j] - model.weights[second * p + j]) }
                contributions[i] = top(v)
            }
            return FoldOutcome(
                predicted: predicted, probabilities: probs, burrows: nil, cosine: nil, margins: margins, contributions: contributions,
                c: chosen, featureCount: p, model: model, iterations: model.iterations)
        }
    }
}
