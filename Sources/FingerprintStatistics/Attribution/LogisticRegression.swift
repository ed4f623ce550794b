import FingerprintCore
import Foundation

/// Multinomial logistic regression with an L2 penalty on the weights and an
/// unpenalised intercept, exactly scikit-learn's objective
///
///     min over W, b of  ½‖W‖²_F + C · Σ_i −log softmax(W x_i + b)_{y_i}
///
/// minimised by L-BFGS (10 corrections, backtracking Armijo line search)
/// on the objective divided by C·n, as scikit-learn scales it. Every product
/// with the data is a BLAS GEMM: the scores X·Wᵀ and the gradient (P − Y)ᵀ·X.
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
    /// Rows of X per block of `lossAndGradient`. The two products of an
    /// evaluation are long and thin (K = classes): as two whole-matrix GEMMs,
    /// OpenBLAS packed all of X twice per evaluation and spent two thirds of
    /// the fit copying (perf, 18,000 × 1,200, 5 classes). In blocks of 64
    /// rows (600 kB at 1,200 features) the block is still in cache for the
    /// second product.
    package static let blockRows = 64

    /// The multinomial log-loss Σ_i −log softmax(W x_i + b)_{y_i} over the
    /// `n` rows of `x` (n × p, row-major), and its gradient: Σ_i (π_i −
    /// e_{y_i}) x_iᵀ into `gradWeights` (k × p) and Σ_i (π_i − e_{y_i}) into
    /// `gradIntercept` (k), π_i the softmax. `scratch` holds `blockRows` × k.
    ///
    /// Rows are taken `blockRows` at a time; each block's scores X_B·Wᵀ and
    /// its share D_Bᵀ·X_B of the gradient are two BLAS GEMMs on the same
    /// block, so X is read from memory once per evaluation. With `blockRows`
    /// ≥ n this is the plain two-GEMM computation (the tests compare both).
    /// - Complexity: O(n × p × k), in 2⌈n / blockRows⌉ GEMMs.
    package static func lossAndGradient(
        x: UnsafePointer<Double>, rows n: Int, cols p: Int, y: [Int], classes k: Int, weights w: UnsafePointer<Double>,
        intercept b: UnsafePointer<Double>, gradWeights gw: UnsafeMutablePointer<Double>, gradIntercept gb: UnsafeMutablePointer<Double>,
        scratch s: UnsafeMutablePointer<Double>, blockRows: Int
    ) throws -> Double {
        gw.update(repeating: 0, count: k * p)
        gb.update(repeating: 0, count: k)
        var loss = 0.0
        var i0 = 0
        while i0 < n {
            let r = min(blockRows, n - i0)
            let xb = x + i0 * p
            try BLAS.gemmRaw(m: r, n: k, k: p, a: xb, lda: p, b: w, ldb: p, transB: true, c: s, ldc: k)
            for i in 0..<r {
                let row = s + i * k
                var m = -Double.infinity
                for c in 0..<k {
                    row[c] += b[c]
                    m = max(m, row[c])
                }
                var sum = 0.0
                for c in 0..<k { sum += Foundation.exp(row[c] - m) }
                let lse = m + Foundation.log(sum)
                let yi = y[i0 + i]
                loss += lse - row[yi]
                for c in 0..<k { row[c] = Foundation.exp(row[c] - lse) }
                row[yi] -= 1
                for c in 0..<k { gb[c] += row[c] }
            }
            try BLAS.gemmRaw(
                m: k, n: p, k: r, a: s, lda: k, transA: true, b: xb, ldb: p, transB: false, c: gw, ldc: p, beta: i0 == 0 ? 0 : 1)
            i0 += r
        }
        return loss
    }

    /// Fits on `x` (n × p, row-major) with labels `y` in `0..<classes`.
    /// - Complexity: O(iterations × n × p × classes), the work in the GEMMs
    ///   of `lossAndGradient`.
    package static func fit(
        x: [Double], rows n: Int, cols p: Int, y: [Int], classes k: Int, c strength: Double,
        start: MultinomialLogistic? = nil, tolerance: Double = gradientTolerance
    ) throws -> MultinomialLogistic {
        precondition(x.count == n * p && y.count == n)
        let dim = k * p + k
        let scale = 1.0 / (strength * Double(max(1, n)))
        var theta = [Double](repeating: 0, count: dim)
        if let s = start, s.classes == k, s.features == p { theta = s.weights + s.intercept }
        let block = max(1, min(n, blockRows))
        var scratch = [Double](repeating: 0, count: block * k)

        /// Objective and gradient at `t`.
        func evaluate(_ t: [Double], gradient g: inout [Double]) throws -> Double {
            let loss = try x.withUnsafeBufferPointer { xp in
                try t.withUnsafeBufferPointer { tp in
                    try g.withUnsafeMutableBufferPointer { gp in
                        try scratch.withUnsafeMutableBufferPointer { sp in
                            try lossAndGradient(
                                x: xp.baseAddress!, rows: n, cols: p, y: y, classes: k, weights: tp.baseAddress!,
                                intercept: tp.baseAddress! + k * p, gradWeights: gp.baseAddress!, gradIntercept: gp.baseAddress! + k * p,
                                scratch: sp.baseAddress!, blockRows: block)
                        }
                    }
                }
            }
            var penalty = 0.0
            for j in 0..<(k * p) {
                penalty += t[j] * t[j]
                g[j] = (strength * g[j] + t[j]) * scale
            }
            for c in 0..<k { g[k * p + c] = strength * g[k * p + c] * scale }
            return (0.5 * penalty + strength * loss) * scale
        }

        var g = [Double](repeating: 0, count: dim)
        var f = try evaluate(theta, gradient: &g)
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
                fNew = try evaluate(next, gradient: &gNew)
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
        // Centre the intercepts (the objective does not change).
        let b = Array(theta[(k * p)...])
        let mean = b.reduce(0, +) / Double(k)
        return MultinomialLogistic(
            weights: Array(theta[0..<(k * p)]), intercept: b.map { $0 - mean }, classes: k, features: p, iterations: iterations)
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

@inline(__always)
private func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}
