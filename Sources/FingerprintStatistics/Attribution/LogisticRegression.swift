import CKernels
import FingerprintCore
import Foundation

/// Multinomial logistic regression with an L2 penalty on the weights and an
/// unpenalised intercept, exactly scikit-learn's objective
///
///     min over W, b of  ½‖W‖²_F + C · Σ_i −log softmax(W x_i + b)_{y_i}
///
/// minimised by L-BFGS (10 corrections, backtracking Armijo line search)
/// on the objective divided by C·n, as scikit-learn scales it. Each
/// evaluation is one pass over the data in C (`fp_logistic_loss_grad`):
/// the scores X·Wᵀ and the gradient (P − Y)ᵀ·X four rows at a time.
package struct MultinomialLogistic: Sendable {
    /// Weights, classes × features, row-major.
    package var weights: [Double]
    /// Intercepts, one a class; they sum to 0 (only their differences matter).
    package var intercept: [Double]
    package var classes: Int
    package var features: Int
    package var iterations: Int

    /// Default stop: the largest entry of the gradient of the scaled
    /// objective (÷ C·n) is below this. scikit-learn's default `tol` is 1e-4
    /// on the same quantity; the fixture is fitted with 1e-10.
    package static let gradientTolerance = 1e-6
    package static let maxIterations = 1000
    static let memory = 10
    /// The multinomial log-loss Σ_i −log softmax(W x_i + b)_{y_i} over the
    /// `n` rows of `x` (n × p, row-major), and its gradient: Σ_i (π_i −
    /// e_{y_i}) x_iᵀ into `gradWeights` (k × p) and Σ_i (π_i − e_{y_i}) into
    /// `gradIntercept` (k), π_i the softmax. `scratch` holds 4 × k.
    ///
    /// Both products are fused in one pass (`fp_logistic_loss_grad`): for
    /// each group of four rows, their k scores, their softmax, and their
    /// share of the gradient while the rows are in cache. These products
    /// were two BLAS GEMMs (k = classes wide) on blocks of 64 rows, and perf
    /// of the bench task (20,000 × 1,200, 5 classes) showed OpenBLAS spending
    /// 42% of the time packing the thin operands and 38% in its kernel.
    /// - Complexity: O(n × p × k), one read of `x`.
    package static func lossAndGradient(
        x: UnsafePointer<Double>, rows n: Int, cols p: Int, y: [Int], classes k: Int, weights w: UnsafePointer<Double>,
        intercept b: UnsafePointer<Double>, gradWeights gw: UnsafeMutablePointer<Double>, gradIntercept gb: UnsafeMutablePointer<Double>,
        scratch s: UnsafeMutablePointer<Double>
    ) -> Double {
        precondition(y.count >= n && y[0..<n].allSatisfy { (0..<k).contains($0) })
        return y.withUnsafeBufferPointer { yp in
            yp.withMemoryRebound(to: Int64.self) { y64 in
                fp_logistic_loss_grad(x, n, p, y64.baseAddress, k, w, b, gw, gb, s)
            }
        }
    }

    /// Fits on `x` (n × p, row-major) with labels `y` in `0..<classes`.
    /// - Complexity: O(iterations × n × p × classes), the work of
    ///   `lossAndGradient`.
    package static func fit(
        x: [Double], rows n: Int, cols p: Int, y: [Int], classes k: Int, c strength: Double,
        start: MultinomialLogistic? = nil, tolerance: Double = gradientTolerance
    ) throws -> MultinomialLogistic {
        precondition(x.count == n * p && y.count == n)
        var theta = [Double](repeating: 0, count: k * p + k)
        if let s = start, s.classes == k, s.features == p { theta = s.weights + s.intercept }
        var scratch = [Double](repeating: 0, count: 4 * k)
        let (t, iterations) = minimise(start: theta, weights: k * p, classes: k, rows: n, c: strength, tolerance: tolerance) { t, g in
            x.withUnsafeBufferPointer { xp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    lossAndGradient(
                        x: xp.baseAddress!, rows: n, cols: p, y: y, classes: k, weights: t, intercept: t + k * p, gradWeights: g,
                        gradIntercept: g + k * p, scratch: sp.baseAddress!)
                }
            }
        }
        return MultinomialLogistic(model: t, classes: k, features: p, iterations: iterations)
    }

    /// Fits on the sparse rows of `x` with labels `y` in `0..<classes`, the
    /// same objective as `fit`. The weights are kept feature-major during
    /// the fit (each entry of a row touches k adjacent weights) and stored
    /// class-major in the model, as `fit` stores them.
    /// - Complexity: O(iterations × nnz × classes), one pass over the
    ///   entries an evaluation (`fp_sparse_logistic_loss_grad`).
    package static func fit(
        sparse x: SparseFoldFeatures, rows n: Int, y: [Int], classes k: Int, c strength: Double,
        start: MultinomialLogistic? = nil, tolerance: Double = gradientTolerance
    ) throws -> MultinomialLogistic {
        precondition(n <= x.rows && y.count == n && y.allSatisfy { (0..<k).contains($0) })
        let p = x.cols
        var theta = [Double](repeating: 0, count: k * p + k)
        if let s = start, s.classes == k, s.features == p {
            for c in 0..<k { for j in 0..<p { theta[j * k + c] = s.weights[c * p + j] } }
            for c in 0..<k { theta[k * p + c] = s.intercept[c] }
        }
        var scratch = [Double](repeating: 0, count: k)
        let labels = y.map { Int64($0) }
        let (t, iterations) = minimise(start: theta, weights: k * p, classes: k, rows: n, c: strength, tolerance: tolerance) { t, g in
            x.rowStart.withUnsafeBufferPointer { rs in
                x.columns.withUnsafeBufferPointer { cs in
                    x.values.withUnsafeBufferPointer { vs in
                        labels.withUnsafeBufferPointer { ys in
                            scratch.withUnsafeMutableBufferPointer { sp in
                                fp_sparse_logistic_loss_grad(
                                    rs.baseAddress!, cs.baseAddress, vs.baseAddress, n, p, ys.baseAddress, k, t, t + k * p, g, g + k * p,
                                    sp.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        var classMajor = [Double](repeating: 0, count: k * p + k)
        for j in 0..<p { for c in 0..<k { classMajor[c * p + j] = t[j * k + c] } }
        for c in 0..<k { classMajor[k * p + c] = t[k * p + c] }
        return MultinomialLogistic(model: classMajor, classes: k, features: p, iterations: iterations)
    }

    /// Minimises ½‖W‖² + C·loss, divided by C·n, over `start` (the `weights`
    /// penalised entries, then `classes` unpenalised intercepts) by L-BFGS
    /// (10 corrections, backtracking Armijo line search). `lossAndGradient`
    /// returns the loss at its first argument and writes the loss's
    /// gradient into the second. Returns the optimum and the iterations.
    static func minimise(
        start: [Double], weights wCount: Int, classes k: Int, rows n: Int, c strength: Double, tolerance: Double,
        lossAndGradient: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Double
    ) -> ([Double], Int) {
        let dim = start.count
        precondition(dim == wCount + k)
        let scale = 1.0 / (strength * Double(max(1, n)))
        var theta = start

        /// Objective and gradient at `t`.
        func evaluate(_ t: [Double], gradient g: inout [Double]) -> Double {
            let loss = t.withUnsafeBufferPointer { tp in
                g.withUnsafeMutableBufferPointer { gp in lossAndGradient(tp.baseAddress!, gp.baseAddress!) }
            }
            var penalty = 0.0
            for j in 0..<wCount {
                penalty += t[j] * t[j]
                g[j] = (strength * g[j] + t[j]) * scale
            }
            for c in wCount..<dim { g[c] = strength * g[c] * scale }
            return (0.5 * penalty + strength * loss) * scale
        }

        var g = [Double](repeating: 0, count: dim)
        var f = evaluate(theta, gradient: &g)
        var sList: [[Double]] = []
        var yList: [[Double]] = []
        var rhoList: [Double] = []
        var iterations = 0
        var gNew = g
        while iterations < maxIterations {
            if g.reduce(0, { max($0, abs($1)) }) < tolerance { break }
            // Two-loop recursion: d = −H·g.
            var q = g
            var alphas = [Double](repeating: 0, count: sList.count)
            for i in stride(from: sList.count - 1, through: 0, by: -1) {
                let a = rhoList[i] * dot(sList[i], q)
                alphas[i] = a
                for j in 0..<dim { q[j] -= a * yList[i][j] }
            }
            if let sl = sList.last, let yl = yList.last {
                let gamma = dot(sl, yl) / dot(yl, yl)
                for j in 0..<dim { q[j] *= gamma }
            } else {
                let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for j in 0..<dim { q[j] /= max(1, norm) }
            }
            for i in 0..<sList.count {
                let b = rhoList[i] * dot(yList[i], q)
                for j in 0..<dim { q[j] += sList[i][j] * (alphas[i] - b) }
            }
            var d = q.map { -$0 }
            var slope = dot(g, d)
            if slope >= 0 {  // not a descent direction: restart from the gradient
                sList.removeAll()
                yList.removeAll()
                rhoList.removeAll()
                d = g.map { -$0 }
                slope = dot(g, d)
            }
            var step = 1.0
            var next = theta
            var fNew = f
            var accepted = false
            for _ in 0..<60 {
                for j in 0..<dim { next[j] = theta[j] + step * d[j] }
                fNew = evaluate(next, gradient: &gNew)
                if fNew <= f + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            iterations += 1
            guard accepted else { break }
            var s = [Double](repeating: 0, count: dim)
            var yv = [Double](repeating: 0, count: dim)
            for j in 0..<dim {
                s[j] = next[j] - theta[j]
                yv[j] = gNew[j] - g[j]
            }
            let sy = dot(s, yv)
            if sy > 1e-16 * dot(yv, yv).squareRoot() * dot(s, s).squareRoot() && sy > 0 {
                sList.append(s)
                yList.append(yv)
                rhoList.append(1 / sy)
                if sList.count > memory {
                    sList.removeFirst()
                    yList.removeFirst()
                    rhoList.removeFirst()
                }
            }
            let fOld = f
            theta = next
            f = fNew
            g = gNew
            if abs(fOld - f) <= 1e-16 * max(1, abs(f)) && g.reduce(0, { max($0, abs($1)) }) < 1e3 * tolerance { break }
        }
        return (theta, iterations)
    }

    /// Class probabilities of `x` (m × p, row-major), m × classes.
    /// - Complexity: one GEMM, O(m × p × classes).
    package func probabilities(_ x: [Double], rows m: Int) throws -> [Double] {
        guard m > 0 else { return [] }
        let k = classes
        var a = Matrix<Double>(rows: m, cols: k)
        try BLAS.gemm(
            Matrix(rows: m, cols: features, storage: x), Matrix(rows: k, cols: features, storage: weights), transB: .transpose, into: &a)
        var out = [Double](repeating: 0, count: m * k)
        for i in 0..<m {
            var mx = -Double.infinity
            for c in 0..<k { mx = max(mx, a.storage[i * k + c] + intercept[c]) }
            var s = 0.0
            for c in 0..<k {
                let e = Foundation.exp(a.storage[i * k + c] + intercept[c] - mx)
                out[i * k + c] = e
                s += e
            }
            for c in 0..<k { out[i * k + c] /= s }
        }
        return out
    }
}

extension MultinomialLogistic {
    /// The model from the optimiser's parameters (weights, then
    /// intercepts), the intercepts centred (the objective does not change).
    init(model theta: [Double], classes k: Int, features p: Int, iterations: Int) {
        let b = Array(theta[(k * p)...])
        let mean = b.reduce(0, +) / Double(k)
        self.init(weights: Array(theta[0..<(k * p)]), intercept: b.map { $0 - mean }, classes: k, features: p, iterations: iterations)
    }

    /// Class probabilities of rows `rows` of `x`, count × classes.
    /// - Complexity: O(nnz of those rows × classes).
    package func probabilities(sparse x: SparseFoldFeatures, rows: Range<Int>) -> [Double] {
        let k = classes
        let p = features
        precondition(x.cols == p)
        var out = [Double](repeating: 0, count: rows.count * k)
        var s = [Double](repeating: 0, count: k)
        for (r, i) in rows.enumerated() {
            for c in 0..<k { s[c] = 0 }
            x.forEach(inRow: i) { j, v in for c in 0..<k { s[c] += v * weights[c * p + j] } }
            var mx = -Double.infinity
            for c in 0..<k {
                s[c] += intercept[c]
                mx = max(mx, s[c])
            }
            var sum = 0.0
            for c in 0..<k {
                s[c] = Foundation.exp(s[c] - mx)
                sum += s[c]
            }
            for c in 0..<k { out[r * k + c] = s[c] / sum }
        }
        return out
    }
}

@inline(__always)
private func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}
