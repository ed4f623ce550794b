import FingerprintCore
import Foundation

extension Comparison {
    /// JSD of bootstrap resamples: documents drawn with replacement within
    /// each side; in a paired design whole pairs are drawn (both answers to
    /// a prompt together), so the resamples keep the pairing.
    static func bootstrapStatistics<T: BLASScalar>(_ x: FeatureMatrix<T>, design: Design, options o: CompareOptions) throws -> [Double] {
        guard o.bootstrap > 0 else { return [] }
        let n = design.count
        let aDocs = (0..<n).filter { design.labels[$0] == 0 }
        let bDocs = (0..<n).filter { design.labels[$0] == 1 }
        let pairs = design.strata == nil ? [] : design.strataMembers
        // Rows 2b and 2b+1: multiplicities of A's and B's documents in resample b
        // (saturating at 255: more draws of one document than that is
        // astronomically unlikely).
        var out = [Double](repeating: 0, count: o.bootstrap)
        var groupA = [Double](repeating: 0, count: x.cols)
        // Resamples in blocks, so memory stays O(block × (documents + features))
        // whatever --bootstrap is; each resample has its own random stream,
        // so the blocking does not change the draws.
        let block = PermutationTest.blockRows(documents: n, features: x.cols, total: o.bootstrap, rowsPerItem: 2)
        var first = 0
        while first < o.bootstrap {
            let count = min(block, o.bootstrap - first)
            var w = [UInt8](repeating: 0, count: 2 * count * n)
            w.withUnsafeMutableBufferPointer { wp in
                let base = wp.baseAddress!
                Parallel.chunks(count, chunk: 8, threads: o.read.threads) { range in
                    for i in range {
                        let b = first + i
                        var rng = Xoshiro256(seed: o.seed, stream: 0xB007_0000 &+ UInt64(b))
                        let rowA = base + 2 * i * n
                        let rowB = base + (2 * i + 1) * n
                        func bump(_ row: UnsafeMutablePointer<UInt8>, _ d: Int) { if row[d] < 255 { row[d] += 1 } }
                        if !pairs.isEmpty {
                            for _ in pairs.indices {
                                for d in pairs[rng.next(below: pairs.count)] { bump(design.labels[d] == 0 ? rowA : rowB, d) }
                            }
                        } else {
                            for _ in aDocs.indices { bump(rowA, aDocs[rng.next(below: aDocs.count)]) }
                            for _ in bDocs.indices { bump(rowB, bDocs[rng.next(below: bDocs.count)]) }
                        }
                    }
                }
            }
            try x.multiply(weights: w, weightRows: 2 * count) { r, sums in
                if r % 2 == 0 {
                    for j in 0..<x.cols { groupA[j] = Double(sums[j]) }
                } else {
                    out[first + r / 2] = Divergence.jensenShannon(groupA, (0..<x.cols).map { Double(sums[$0]) })
                }
            }
            first += count
        }
        return out
    }
}
