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
    /// Candidates kept per unit and round of the greedy assignment.
    static let candidates = 8

    /// Ascending order of the key = descending cosine, then ascending i, j
    /// (indices below `maxUnits` = 2¹²).
    @inline(__always)
    static func sortKey(_ v: Float, _ i: Int, _ j: Int) -> UInt64 {
        let bits = v.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(~ascending) << 24 | UInt64(i) << 12 | UInt64(j)
    }

    /// Aligns the units of `a` and `b` along `axis`.
    ///
    /// The cosine matrix is one GEMM of the unit-normalised Float matrices;
    /// the assignment is greedy, in rounds: each free unit's `candidates`
    /// best free partners are sorted by cosine (ties by index) and taken
    /// when both are free. Zero units have cosine 0 with everything.
    /// - Returns: nil when the axis has more than `maxUnits` units or none,
    ///   or when either tensor is all zeros: it has no cosine with anything,
    ///   as a constant tensor has no Pearson's r. (A 0 here made two
    ///   identical zero tensors look like an informative dissimilar pair,
    ///   their null's sd being 0, and identical checkpoints "independent".)
    /// - Complexity: O(u²·d) for the GEMM (u units of length d), O(u² · rounds) for the assignment.
    public static func align(_ a: Matrix<Float>, _ b: Matrix<Float>, axis: Axis) throws -> UnitAlignment? {
        precondition(a.rows == b.rows && a.cols == b.cols)
        let x = axis == .rows ? a : transpose(a)
        let y = axis == .rows ? b : transpose(b)
        let u = x.rows
        let d = x.cols
        guard u > 0, d > 0, u <= maxUnits else { return nil }
        let (xn, xNorm) = normalised(x)
        let (yn, yNorm) = normalised(y)
        guard xNorm.contains(where: { $0 > 0 }), yNorm.contains(where: { $0 > 0 }) else { return nil }
        let c = try BLAS.product(xn, yn, transB: .transpose)
        // Greedy assignment in rounds: each free unit's `candidates` best
        // free partners, sorted by cosine (ties: smaller unit, then smaller
        // partner), are taken when both are still free; then again on the
        // units left. Each round assigns at least one pair.
        var perm = [Int](repeating: -1, count: u)
        var taken = [Bool](repeating: false, count: u)
        var rowMax = [Double](repeating: 0, count: u)
        var free = Array(0..<u)
        let bestV = UnsafeMutablePointer<Float>.allocate(capacity: candidates)
        let bestJ = UnsafeMutablePointer<Int>.allocate(capacity: candidates)
        defer {
            bestV.deallocate()
            bestJ.deallocate()
        }
        var round = 0
        c.storage.withUnsafeBufferPointer { cp in
            while !free.isEmpty {
                let freeCols = (0..<u).filter { !taken[$0] }
                let k = min(candidates, freeCols.count)
                var keys = [UInt64]()
                keys.reserveCapacity(free.count * k)
                for i in free {
                    let row = cp.baseAddress! + i * u
                    var count = 0
                    var q = 0
                    while q < freeCols.count {
                        let j = freeCols[q]
                        let v = row[j]
                        if count < k || v > bestV[k - 1] {
                            var p = min(count, k - 1)
                            while p > 0 && v > bestV[p - 1] {
                                bestV[p] = bestV[p - 1]
                                bestJ[p] = bestJ[p - 1]
                                p -= 1
                            }
                            bestV[p] = v
                            bestJ[p] = j
                            if count < k { count += 1 }
                        }
                        q += 1
                    }
                    if round == 0 { rowMax[i] = Double(bestV[0]) }
                    for p in 0..<count { keys.append(sortKey(bestV[p], i, bestJ[p])) }
                }
                keys.sort()
                for key in keys {
                    let i = Int((key >> 12) & 0xFFF)
                    let j = Int(key & 0xFFF)
                    if perm[i] < 0 && !taken[j] {
                        perm[i] = j
                        taken[j] = true
                    }
                }
                free = free.filter { perm[$0] < 0 }
                round += 1
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
            axis: axis, cosine: min(1, max(-1, dot / (nx * ny))), meanUnitCosine: achieved / Double(u),
            gap: max(0, sumMax - achieved) / Double(u), moved: moved, permutation: moved > 0 ? perm : nil)
    }

    /// The transpose (loops written for debug builds too).
    static func transpose(_ m: Matrix<Float>) -> Matrix<Float> {
        var t = Matrix<Float>(rows: m.cols, cols: m.rows)
        let (r, c) = (m.rows, m.cols)
        m.storage.withUnsafeBufferPointer { src in
            t.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r {
                    var j = 0
                    while j < c {
                        dst[j * r + i] = src[i * c + j]
                        j += 1
                    }
                }
            }
        }
        return t
    }

    /// Rows scaled to unit length (zero rows stay zero), and the norms (double).
    static func normalised(_ m: Matrix<Float>) -> (Matrix<Float>, [Double]) {
        var out = m
        var norms = [Double](repeating: 0, count: m.rows)
        let c = m.cols
        out.storage.withUnsafeMutableBufferPointer { op in
            for i in 0..<m.rows {
                let row = op.baseAddress! + i * c
                var s = 0.0
                var j = 0
                while j < c {
                    s += Double(row[j]) * Double(row[j])
                    j += 1
                }
                let nrm = s.squareRoot()
                norms[i] = nrm
                j = 0
                while nrm > 0 && j < c {
                    row[j] = Float(Double(row[j]) / nrm)
                    j += 1
                }
            }
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
