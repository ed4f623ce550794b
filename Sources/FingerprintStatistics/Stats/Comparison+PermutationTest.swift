import FingerprintCore
import Foundation

extension Comparison {
    /// The document-level permutation test of `compare` (see `PermutationTest`)
    /// on the rows `docs` of `m`, with the given feature mapping, and its
    /// bootstrap interval.
    package static func permutationTest(
        _ m: DocumentTermMatrix, docs: [Int], design: Design, typeToColumn: [Int32], cols f: Int,
        options o: CompareOptions, pairs: Int?
    ) throws -> CompareReport.Test {
        var n: [Double] = []
        var b: [Double] = []
        return try permutationTest(
            m, docs: docs, design: design, typeToColumn: typeToColumn, cols: f, options: o, pairs: pairs, null: &n, bootstrap: &b)
    }

    package static func permutationTest(
        _ m: DocumentTermMatrix, docs: [Int], design: Design, typeToColumn: [Int32], cols f: Int,
        options o: CompareOptions, pairs: Int?, null nullOut: inout [Double], bootstrap bootOut: inout [Double]
    ) throws -> CompareReport.Test {
        let name = design.strata == nil ? "unpaired" : "paired"
        let ta = FeatureMatrix<Double>.columnSums(m, rows: 0..<m.documentCount, typeToColumn: typeToColumn, cols: f) {
            design.labels[$0] == 0
        }
        let tb = FeatureMatrix<Double>.columnSums(m, rows: 0..<m.documentCount, typeToColumn: typeToColumn, cols: f) {
            design.labels[$0] == 1
        }
        let tObs = Divergence.jensenShannon(ta, tb)
        var test = CompareReport.Test(
            ran: false, reason: nil, design: name, pairs: pairs, features: f, statistic: tObs,
            permutations: 0, bootstrap: 0)
        guard design.countA >= 2 && design.countB >= 2 else {
            test.reason = "needs at least 2 documents on each side (A has \(design.countA), B has \(design.countB))"
            return test
        }
        guard design.relabellings > 1 else {
            test.reason = "the design allows no relabelling"
            return test
        }
        // Without a token on a side there is no distribution to test (review 31a:
        // two sides of punctuation ran, p = 1, "not distinguishable").
        if let reason = noTokenReason(aHolds: ta.contains { $0 != 0 }, bHolds: tb.contains { $0 != 0 }) {
            test.reason = reason
            return test
        }
        var totals = [Double](repeating: 0, count: f)
        for i in 0..<f { totals[i] = ta[i] + tb[i] }
        // Float sums are exact below 2^24; beyond, use Double GEMMs.
        let exactInFloat = (totals.max() ?? 0) < 16_777_216
        let null: [Double]
        let boot: [Double]
        if exactInFloat {
            let x = FeatureMatrix<Float>(m, documents: docs, typeToColumn: typeToColumn, cols: f)
            null = try PermutationTest.null(
                x, totals: totals, design: design, permutations: o.permutations, seed: o.seed, threads: o.read.threads)
            boot = try bootstrapStatistics(x, design: design, options: o)
        } else {
            let x = FeatureMatrix<Double>(m, documents: docs, typeToColumn: typeToColumn, cols: f)
            null = try PermutationTest.null(
                x, totals: totals, design: design, permutations: o.permutations, seed: o.seed, threads: o.read.threads)
            boot = try bootstrapStatistics(x, design: design, options: o)
        }
        let r = PermutationTest.summarize(observed: tObs, null: null)
        nullOut = null
        bootOut = boot
        test.ran = true
        test.pValue = r.pValue
        test.minimumPValue = 1 / Double(1 + null.count)
        test.permutations = null.count
        test.nullMean = r.nullMean
        test.nullP95 = r.null95
        test.effect = r.effect
        test.bootstrap = boot.count
        if !boot.isEmpty {
            test.ciLow = PermutationTest.quantile(boot, 0.025)
            test.ciHigh = PermutationTest.quantile(boot, 0.975)
            test.bootstrapBias = boot.reduce(0, +) / Double(boot.count) - tObs
        }
        return test
    }
}
