import FingerprintCore

/// Matching the units (rows, or columns) of two matrices of equal shape by
/// cosine, so that a copy whose hidden units were re-ordered is recognised.
public struct UnitAlignment: Codable, Sendable, Equatable {
    public enum Axis: String, Codable, Sendable { case rows, columns }

    public var axis: Axis
    /// Σᵢ aᵢ·b_π(i) / (‖A‖‖B‖): the tensor cosine after re-ordering B's units.
    public var cosine: Double
    /// Mean over units of cos(aᵢ, b_π(i)).
    public var meanUnitCosine: Double
    /// (Σᵢ maxⱼ cos(aᵢ, bⱼ) − Σᵢ cos(aᵢ, b_π(i))) / units: how far the
    /// greedy assignment can be from the best one (0 when every unit got its
    /// first choice, so the assignment is optimal).
    public var gap: Double
    /// Units not matched to the unit with the same index.
    public var moved: Int
    /// π: unit i of A matched unit π[i] of B (omitted when the identity).
    public var permutation: [Int]?

    enum CodingKeys: String, CodingKey {
        case axis, cosine, gap, moved, permutation
        case meanUnitCosine = "mean_unit_cosine"
    }

    /// Largest number of units aligned (the cosine matrix is units², Float).
    public static let maxUnits = 4096
    /// Candidates kept per unit for the greedy assignment.
    static let candidates = 8
    /// Units left over after the candidates are assigned greedily on their
    /// full cosine submatrix up to this many; beyond it, in index order.
    static let leftoverLimit = 1024

    /// Aligns the units of `a` and `b` along `axis`.
    ///
    /// The cosine matrix is one GEMM of the unit-normalised Float matrices;
    /// the assignment is greedy: each unit's `candidates` best partners are
    /// sorted by cosine (ties by index) and taken when both are free; units
    /// left over are assigned greedily on their own cosine submatrix. Zero
    /// units have cosine 0 with everything.
    /// - Returns: nil when the axis has more than `maxUnits` units or none.
    /// - Complexity: O(u²·d) for the GEMM (u units of length d), O(u² + u·k log(u·k)) for the assignment.
    public static func align(_ a: Matrix<Float>, _ b: Matrix<Float>, axis: Axis) throws -> UnitAlignment? {
        precondition(a.rows == b.rows && a.cols == b.cols)
        let x = axis == .rows ? a : a.transposed
        let y = axis == .rows ? b : b.transposed
        let u = x.rows
        let d = x.cols
        guard u > 0, d > 0, u <= maxUnits else { return nil }
        let (xn, xNorm) = normalised(x)
        let (yn, yNorm) = normalised(y)
        let c = try BLAS.product(xn, yn, transB: .transpose)
        // Candidates: the best `k` partners of each unit.
        let k = min(candidates, u)
        var cand: [(v: Float, i: Int32, j: Int32)] = []
        cand.reserveCapacity(u * k)
        var rowMax = [Double](repeating: 0, count: u)
        c.storage.withUnsafeBufferPointer { cp in
            var best: [(Float, Int32)] = []
            for i in 0..<u {
                best.removeAll(keepingCapacity: true)
                let row = cp.baseAddress! + i * u
                for j in 0..<u {
                    let v = row[j]
                    if best.count < k {
                        best.append((v, Int32(j)))
                        if best.count == k { best.sort { ($0.0, $1.1) > ($1.0, $0.1) } }
                    } else if v > best[k - 1].0 {
                        var p = k - 1
                        while p > 0 && v > best[p - 1].0 { p -= 1 }
                        best.insert((v, Int32(j)), at: p)
                        best.removeLast()
                    }
                }
                if best.count < k { best.sort { ($0.0, $1.1) > ($1.0, $0.1) } }
                rowMax[i] = Double(best[0].0)
                for (v, j) in best { cand.append((v, Int32(i), j)) }
            }
        }
        cand.sort { ($0.v, $1.i, $1.j) > ($1.v, $0.i, $0.j) }
        var perm = [Int](repeating: -1, count: u)
        var taken = [Bool](repeating: false, count: u)
        for e in cand where perm[Int(e.i)] < 0 && !taken[Int(e.j)] {
            perm[Int(e.i)] = Int(e.j)
            taken[Int(e.j)] = true
        }
        let leftRows = (0..<u).filter { perm[$0] < 0 }
        let leftCols = (0..<u).filter { !taken[$0] }
        if !leftRows.isEmpty {
            if leftRows.count <= leftoverLimit {
                var rest: [(v: Float, i: Int32, j: Int32)] = []
                for i in leftRows { for j in leftCols { rest.append((c[i, j], Int32(i), Int32(j))) } }
                rest.sort { ($0.v, $1.i, $1.j) > ($1.v, $0.i, $0.j) }
                for e in rest where perm[Int(e.i)] < 0 && !taken[Int(e.j)] {
                    perm[Int(e.i)] = Int(e.j)
                    taken[Int(e.j)] = true
                }
            } else {
                for (i, j) in zip(leftRows, leftCols) { perm[i] = j }
            }
        }
        var achieved = 0.0
        var dot = 0.0
        var sumMax = 0.0
        for i in 0..<u {
            let v = Double(c[i, perm[i]])
            achieved += v
            sumMax += rowMax[i]
            dot += v * xNorm[i] * yNorm[perm[i]]
        }
        let nx = xNorm.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let ny = yNorm.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let moved = (0..<u).filter { perm[$0] != $0 }.count
        return UnitAlignment(
            axis: axis, cosine: nx > 0 && ny > 0 ? min(1, max(-1, dot / (nx * ny))) : 0, meanUnitCosine: achieved / Double(u),
            gap: max(0, sumMax - achieved) / Double(u), moved: moved, permutation: moved > 0 ? perm : nil)
    }

    /// Rows scaled to unit length (zero rows stay zero), and the norms (double).
    static func normalised(_ m: Matrix<Float>) -> (Matrix<Float>, [Double]) {
        var out = m
        var norms = [Double](repeating: 0, count: m.rows)
        for i in 0..<m.rows {
            var s = 0.0
            for j in 0..<m.cols {
                let v = Double(m[i, j])
                s += v * v
            }
            let nrm = s.squareRoot()
            norms[i] = nrm
            if nrm > 0 { for j in 0..<m.cols { out[i, j] = Float(Double(m[i, j]) / nrm) } }
        }
        return (out, norms)
    }

    /// The better of the row and the column alignment (higher cosine; rows on ties).
    public static func best(_ a: Matrix<Float>, _ b: Matrix<Float>) throws -> UnitAlignment? {
        let r = try align(a, b, axis: .rows)
        let c = try align(a, b, axis: .columns)
        switch (r, c) {
        case (let r?, let c?): return c.cosine > r.cosine ? c : r
        case (let r?, nil): return r
        case (nil, let c?): return c
        default: return nil
        }
    }
}
