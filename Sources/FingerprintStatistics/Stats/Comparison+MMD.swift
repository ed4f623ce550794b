import FingerprintCore
import Foundation

extension Comparison {
    /// Why a test of A against B cannot run when a side holds no token among
    /// its features (no distribution to test), or nil: the JSD and MMD tests' one wording.
    static func noTokenReason(aHolds: Bool, bHolds: Bool) -> String? {
        let empty = [("A", aHolds), ("B", bHolds)].filter { !$0.1 }.map(\.0)
        return empty.isEmpty
            ? nil : "\(empty.joined(separator: " and ")) \(empty.count == 1 ? "holds" : "hold") no token among the features"
    }

    /// Unbiased MMD² with the cosine kernel between L2-normalised TF-IDF
    /// vectors. With a linear kernel, Σ_{i,j∈A} k(xᵢ, xⱼ) = ‖Σ_A x‖², so every
    /// permutation needs only its group sums: one GEMM, like the JSD test.
    static func mmdTest(
        _ m: DocumentTermMatrix, na: Int, nb: Int, design: Design, pairing: Pairing?,
        options o: CompareOptions
    ) throws -> CompareReport.MMD {
        var result = CompareReport.MMD(
            ran: false, reason: nil, mmd2: 0, pValue: nil, permutations: 0, features: 0,
            documentsA: na, documentsB: nb, subsampled: false)
        guard na >= 2 && nb >= 2 else {
            result.reason = "needs at least 2 documents on each side"
            return result
        }
        // Seeded subsample (whole pairs in a paired design).
        var docs: [Int]
        var rng = Xoshiro256(seed: o.seed, stream: 0x4D4D_44)
        if let pairing, design.strata != nil {
            var pairsList = pairing.pairList
            if pairsList.count > o.mmdMaxDocuments {
                rng.shuffle(&pairsList)
                pairsList = Array(pairsList.prefix(o.mmdMaxDocuments))
                result.subsampled = true
            }
            docs = pairsList.flatMap { [$0.0, $0.1] }.sorted()
        } else {
            var a = Array(0..<na)
            var b = Array(na..<(na + nb))
            if a.count > o.mmdMaxDocuments {
                rng.shuffle(&a)
                a = Array(a.prefix(o.mmdMaxDocuments))
                result.subsampled = true
            }
            if b.count > o.mmdMaxDocuments {
                rng.shuffle(&b)
                b = Array(b.prefix(o.mmdMaxDocuments))
                result.subsampled = true
            }
            docs = (a + b).sorted()
        }
        let sub = Design(labels: docs.map { design.labels[$0] }, strata: design.strata.map { s in docs.map { s[$0] } })
        // TF-IDF over the top types of the subsample's pooled counts (label-free).
        var pooled = [Int](repeating: 0, count: m.typeCount)
        var df = [Int](repeating: 0, count: m.typeCount)
        for d in docs {
            m.forEach(inRow: d) { t, c in
                pooled[t] += c
                df[t] += 1
            }
        }
        let top = Vocabulary.topK(m.typeCount, o.mmdFeatures) { pooled[$0] }.filter { pooled[$0] > 0 }
        var typeToColumn = [Int32](repeating: -1, count: m.typeCount)
        var idf = [Double](repeating: 0, count: m.typeCount)
        let n = Double(docs.count)
        for (c, t) in top.enumerated() {
            typeToColumn[t] = Int32(c)
            idf[t] = log((1 + n) / (1 + Double(df[t]))) + 1
        }
        result.features = top.count
        result.documentsA = sub.countA
        result.documentsB = sub.countB
        // A paired design keeps only matched documents: it can leave fewer
        // than 2 a side, where the unbiased estimate is undefined.
        guard sub.countA >= 2 && sub.countB >= 2 else {
            result.reason = "needs at least 2 documents on each side (\(sub.countA) and \(sub.countB) after pairing)"
            return result
        }
        guard !top.isEmpty else {
            result.reason = "no features"
            return result
        }
        // A side whose documents hold no feature has no distribution to test (review 31c:
        // the JSD test stopped there and the MMD ran on, p 0.107).
        var holds = [false, false]
        for (i, d) in docs.enumerated() where !holds[Int(sub.labels[i])] {
            m.forEach(inRow: d) { t, _ in if typeToColumn[t] >= 0 { holds[Int(sub.labels[i])] = true } }
        }
        if let reason = noTokenReason(aHolds: holds[0], bHolds: holds[1]) {
            result.reason = reason
            return result
        }
        // In float64: the group sums of TF-IDF values are not integers, and the
        // complement of the observed labelling (a balanced or paired design
        // holds it) must tie with it within `PermutationTest.tieTolerance`.
        // Float32 sums missed it by ~1e-7 and halved small designs' p-values
        // (review 31a: 3 against 3 gave 0.05 for an exact 0.10).
        let x = FeatureMatrix<Double>(m, documents: docs, typeToColumn: typeToColumn, cols: top.count, typeWeight: idf, l2Normalize: true)
        let nonzero = x.rowNormsSquared.map { $0 > 0 ? 1.0 : 0.0 }
        let total = x.weightedColumnSums { _ in 1 }
        func mmd2(_ sumA: [Double], _ labels: [UInt8]) -> Double {
            var saa = 0.0
            var sab = 0.0
            var sbb = 0.0
            for j in 0..<sumA.count {
                let a = sumA[j]
                let b = total[j] - a
                saa += a * a
                sab += a * b
                sbb += b * b
            }
            var za = 0.0
            var zb = 0.0
            var ma = 0.0
            var mb = 0.0
            for (i, l) in labels.enumerated() {
                if l == 0 {
                    za += nonzero[i]
                    ma += 1
                } else {
                    zb += nonzero[i]
                    mb += 1
                }
            }
            return (saa - za) / (ma * (ma - 1)) + (sbb - zb) / (mb * (mb - 1)) - 2 * sab / (ma * mb)
        }
        let observed = mmd2(x.weightedColumnSums { sub.labels[$0] == 0 ? 1 : 0 }, sub.labels)
        var null = [Double](repeating: 0, count: o.permutations)
        var perms: [Int: [UInt8]] = [:]
        try x.multiply(
            weightRows: o.permutations,
            fill: { r, buf in
                let p = sub.permutation(r, seed: o.seed ^ 0x4D4D44)
                perms[r] = p
                for d in 0..<p.count where p[d] == 0 { buf[d] = 1 }
            },
            consume: { r, sums in
                null[r] = mmd2(Array(sums), perms.removeValue(forKey: r)!)
            })
        let s = PermutationTest.summarize(observed: observed, null: null)
        result.ran = true
        result.mmd2 = observed
        result.pValue = s.pValue
        result.permutations = null.count
        return result
    }
}
