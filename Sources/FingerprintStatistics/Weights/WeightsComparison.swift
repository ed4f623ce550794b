import FingerprintCore
import Foundation

/// Options of `fingerprint weights`.
public struct WeightsOptions: Sendable, Codable, Equatable {
    public enum Align: String, Codable, Sendable, CaseIterable {
        /// Only tensors the flat statistics did not already recognise.
        case auto
        case all, none
    }

    /// Mismatched tensors of the same shape in the other model used as the
    /// null of each matched tensor.
    public var nullPartners = 4
    /// Independent initialisations (N(0, initStd²)) of each shape in the null.
    public var inits = 2
    public var initStd = 0.02
    public var align = Align.auto
    public var spectra = true
    public var seed: UInt64 = 0
    public var threads = 1
    /// See `Spectrum.exactWork`.
    public var exactSpectrumWork = Spectrum.exactWork

    public init() {}

    enum CodingKeys: String, CodingKey {
        case nullPartners = "null_partners"
        case inits
        case initStd = "init_std"
        case align, spectra, seed
    }
}

/// The verdict rule's thresholds (docs/DESIGN.md §6.21).
public enum WeightsVerdictRule {
    /// A tensor is strong evidence of derivation when its evidence z (the
    /// larger of the Pearson and aligned-cosine z-scores) is at least this…
    public static let strongZ = 8.0
    /// …and the statistic that gave it is at least this.
    public static let strongStatistic = 0.5
    /// Evidence at least this counts as moderate.
    public static let moderateZ = 5.0
    /// Derived: at least this many strong tensors (or all compared tensors, when fewer).
    public static let minStrong = 3
    /// Independent: no strong tensor, at most this share of moderate ones…
    public static let independentShare = 0.05
    /// …and at least this many informative tensors (or all compared
    /// tensors, when fewer): tensors whose null leaves room for a strong
    /// z-score, (1 − null mean)/max(null sd, `sdFloor`) ≥ `strongZ` for a
    /// statistic that has a z-score (similarities are at most 1). A tensor of
    /// a few values has a null too wide for any similarity to stand out:
    /// finding it unremarkable says nothing about derivation.
    public static let minInformative = 3
    /// The null's standard deviation is floored at this, so a z-score needs
    /// a difference of statistic, not only a tight null.
    public static let sdFloor = 0.01
}

public enum WeightsVerdict: String, Codable, Sendable {
    case derived, independent, inconclusive
}

/// The null of one matched tensor: its statistics against mismatched
/// tensors and independent initialisations.
public struct TensorNull: Codable, Sendable, Equatable {
    public var count: Int
    public var pearsonMean: Double?
    public var pearsonSD: Double?
    public var alignedMean: Double?
    public var alignedSD: Double?
    public var spectralMean: Double?
    public var spectralSD: Double?

    enum CodingKeys: String, CodingKey {
        case count
        case pearsonMean = "pearson_mean"
        case pearsonSD = "pearson_sd"
        case alignedMean = "aligned_mean"
        case alignedSD = "aligned_sd"
        case spectralMean = "spectral_mean"
        case spectralSD = "spectral_sd"
    }
}

/// One matched pair of tensors and its statistics.
public struct TensorMatch: Codable, Sendable {
    public var name: String
    /// B's name when it differs (matched by shape and order).
    public var nameB: String?
    public var shape: [Int]
    public var dtypeA: String
    public var dtypeB: String
    /// "name" or "order".
    public var matchedBy: String
    /// Why the tensor was not compared (integer dtype, 8-bit float, fewer
    /// than 2 values, NaN or infinite values).
    public var notCompared: String?
    /// NaN and ±Inf values in A's and B's tensor, counted when either has
    /// any (the pair is then not compared, and neither tensor enters a null).
    public var nonFiniteA: Int?
    public var nonFiniteB: Int?
    public var cosine: Double?
    public var relativeL2: Double?
    public var pearson: Double?
    public var spectralCorrelation: Double?
    public var spectrumApproximate: Bool?
    /// The singular values of A's and B's tensor, largest first (2-D
    /// tensors; all of them, or the leading `Spectrum.randomizedRank` when
    /// `spectrumApproximate`): what `spectralCorrelation` compares and the
    /// HTML spectra chart draws.
    public var spectrumA: [Double]?
    public var spectrumB: [Double]?
    public var alignment: UnitAlignment?
    public var null: TensorNull?
    public var zPearson: Double?
    public var zAligned: Double?
    public var zSpectral: Double?
    /// max(zPearson, zAligned).
    public var evidence: Double?
    /// The largest evidence the tensor could have had: the z-score of a
    /// similarity of 1, max over the statistics with a z-score of
    /// (1 − null mean)/max(null sd, `WeightsVerdictRule.sdFloor`). Below
    /// `WeightsVerdictRule.strongZ` the tensor cannot be strong, so it is not
    /// informative (it does not count toward "independent").
    public var attainable: Double?
    public var strong: Bool
    /// max(pearson, aligned cosine): what the similarity matrix takes the median of.
    public var similarity: Double?

    enum CodingKeys: String, CodingKey {
        case name, shape, cosine, pearson, alignment, null, evidence, attainable, strong, similarity
        case nameB = "name_b"
        case dtypeA = "dtype_a"
        case dtypeB = "dtype_b"
        case matchedBy = "matched_by"
        case notCompared = "not_compared"
        case nonFiniteA = "non_finite_a"
        case nonFiniteB = "non_finite_b"
        case relativeL2 = "relative_l2"
        case spectralCorrelation = "spectral_correlation"
        case spectrumApproximate = "spectrum_approximate"
        case spectrumA = "spectrum_a"
        case spectrumB = "spectrum_b"
        case zPearson = "z_pearson"
        case zAligned = "z_aligned"
        case zSpectral = "z_spectral"
    }
}

/// The comparison of two checkpoints.
public struct PairComparison: Codable, Sendable {
    public var a: Int
    public var b: Int
    /// nil (absent from the JSON) without a null (`nullPartners` and
    /// `inits` both 0): flat statistics only.
    public var verdict: WeightsVerdict?
    public var evidence: String
    /// Median over compared tensors of `TensorMatch.similarity`.
    public var similarity: Double?
    /// Tensors with an evidence value (compared against a null).
    public var compared: Int
    public var strong: Int
    public var moderate: Int
    /// Compared tensors whose null leaves room for a strong z-score (`TensorMatch.attainable`).
    public var informative: Int
    public var tensors: [TensorMatch]
    public var unmatchedA: [String]
    public var unmatchedB: [String]

    enum CodingKeys: String, CodingKey {
        case a, b, verdict, evidence, similarity, compared, strong, moderate, informative, tensors
        case unmatchedA = "unmatched_a"
        case unmatchedB = "unmatched_b"
    }
}

public struct WeightsModelInfo: Codable, Sendable {
    public var path: String
    public var files: Int
    public var sharded: Bool
    /// Tensors the shards hold where the weight map does not put them: not
    /// read (`Checkpoint.unmapped`); absent when there are none.
    public var unmapped: [String]?
    public var tensors: Int
    public var parameters: Int
    public var bytes: Int
    public var dtypes: [String: Int]
}

/// `fingerprint weights`: every pair of models, the similarity matrix and
/// the lineages (groups of models joined by "derived" verdicts).
public struct WeightsReport: Codable, Sendable {
    public var schema = "fingerprint.weights/1"
    public var version = Fingerprint.version
    public var models: [WeightsModelInfo]
    public var options: WeightsOptions
    public var rule: [String: Double]
    public var pairs: [PairComparison]
    /// N × N: median tensor similarity; 1 on the diagonal; nil when nothing was compared.
    public var matrix: [[Double?]]
    /// Models joined by a chain of "derived" verdicts.
    public var lineages: [[Int]]
    /// Leaf order of the average-linkage dendrogram on 1 − similarity.
    public var order: [Int]
    public var merges: [AverageLinkage.Merge]
}

/// Compares checkpoints (docs/DESIGN.md §6.21).
public enum WeightsComparison {
    /// Stream base of the independent initialisations ("INIT").
    static let initStream: UInt64 = 0x494E_4954 << 32

    /// Compares every pair (i < j) of `models`.
    /// - Throws: `.limit` when LAPACK fails.
    public static func run(_ models: [Checkpoint], options: WeightsOptions) throws -> WeightsReport {
        let saved = BLAS.threads
        // Each tensor's work runs on one BLAS thread, tensors in parallel:
        // OpenBLAS splits thin products by thread count, which changes bits.
        BLAS.setThreads(1)
        defer { BLAS.setThreads(saved) }
        let cache = SpectrumCache()
        var pairs: [PairComparison] = []
        for i in 0..<models.count {
            for j in (i + 1)..<max(i + 1, models.count) {
                pairs.append(try compare(models[i], models[j], a: i, b: j, options: options, cache: cache))
            }
        }
        let n = models.count
        var matrix = [[Double?]](repeating: [Double?](repeating: nil, count: n), count: n)
        var uf = UnionFind(n)
        for i in 0..<n { matrix[i][i] = 1 }
        for p in pairs {
            matrix[p.a][p.b] = p.similarity
            matrix[p.b][p.a] = p.similarity
            if p.verdict == .derived { uf.union(p.a, p.b) }
        }
        let d = matrix.map { row in row.map { 1 - ($0 ?? 0) } }
        let (merges, order) = AverageLinkage.cluster(d)
        let lineages = uf.groups().map { $0.sorted() }.sorted { $0[0] < $1[0] }
        return WeightsReport(
            models: models.map(info), options: options,
            rule: [
                "strong_z": WeightsVerdictRule.strongZ, "strong_statistic": WeightsVerdictRule.strongStatistic,
                "moderate_z": WeightsVerdictRule.moderateZ, "min_strong": Double(WeightsVerdictRule.minStrong),
                "independent_share": WeightsVerdictRule.independentShare, "sd_floor": WeightsVerdictRule.sdFloor,
                "min_informative": Double(WeightsVerdictRule.minInformative),
            ],
            pairs: pairs, matrix: matrix, lineages: lineages, order: order, merges: merges)
    }

    static func info(_ c: Checkpoint) -> WeightsModelInfo {
        var dtypes: [String: Int] = [:]
        for t in c.tensors { dtypes[t.dtype.rawValue, default: 0] += 1 }
        return WeightsModelInfo(
            path: c.path, files: c.files.count, sharded: c.sharded, unmapped: c.unmapped.isEmpty ? nil : c.unmapped,
            tensors: c.tensors.count,
            parameters: c.tensors.reduce(0) { $0 + $1.count }, bytes: c.tensors.reduce(0) { $0 + $1.byteCount }, dtypes: dtypes)
    }

    /// Matches tensors by name and shape, then the rest by shape and order.
    public static func match(_ a: [TensorInfo], _ b: [TensorInfo]) -> (
        pairs: [(TensorInfo, TensorInfo, byName: Bool)], unmatchedA: [TensorInfo], unmatchedB: [TensorInfo]
    ) {
        let byName = Dictionary(b.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        var pairs: [(TensorInfo, TensorInfo, byName: Bool)] = []
        var usedB = Set<String>()
        var restA: [TensorInfo] = []
        for t in a {
            if let u = byName[t.name], u.shape == t.shape {
                pairs.append((t, u, true))
                usedB.insert(u.name)
            } else {
                restA.append(t)
            }
        }
        var restB = b.filter { !usedB.contains($0.name) }
        var unmatchedA: [TensorInfo] = []
        for t in restA {
            if let k = restB.firstIndex(where: { $0.shape == t.shape }) {
                pairs.append((t, restB[k], false))
                restB.remove(at: k)
            } else {
                unmatchedA.append(t)
            }
        }
        pairs.sort { Checkpoint.naturalLess($0.0.name, $1.0.name) }
        return (pairs, unmatchedA, restB)
    }

    /// Caches singular values per (model, tensor) and per initialisation.
    final class SpectrumCache: @unchecked Sendable {
        private var values: [String: (values: [Double], approximate: Bool)] = [:]
        private let lock = NSLock()

        func get(_ key: String, _ make: () throws -> (values: [Double], approximate: Bool)) rethrows -> (
            values: [Double], approximate: Bool
        ) {
            lock.lock()
            if let v = values[key] {
                lock.unlock()
                return v
            }
            lock.unlock()
            let v = try make()
            lock.lock()
            values[key] = v
            lock.unlock()
            return v
        }
    }

    struct PartnerStats {
        var pearson: Double?
        var aligned: Double?
        var spectral: Double?
    }

    static func compare(_ ca: Checkpoint, _ cb: Checkpoint, a: Int, b: Int, options: WeightsOptions, cache: SpectrumCache) throws
        -> PairComparison
    {
        let (pairs, unmatchedA, unmatchedB) = match(ca.tensors, cb.tensors)
        // The flat statistics of every matched pair first: they tell which
        // pairs hold a NaN or ±Inf. Such a pair is not compared, and neither
        // of its tensors enters a null, so every other tensor's results are
        // those of the checkpoints without it.
        var results = try Parallel.map(pairs.count, threads: options.threads) { k -> TensorMatch in
            flatMatch(ca, pairs[k].0, cb, pairs[k].1, byName: pairs[k].byName)
        }
        let compared = results.indices.filter { results[$0].notCompared == nil }
        var excluded = Set<String>()
        var known = Set<String>()
        for (k, (_, tb, _)) in pairs.enumerated() {
            if results[k].nonFiniteA != nil { excluded.insert(tb.name) } else if results[k].notCompared == nil { known.insert(tb.name) }
        }
        // B's other float tensors of a compared shape (unmatched, or matched
        // with a tensor that was not read) are null partners once found finite.
        let shapes = Set(compared.map { pairs[$0].1.shape })
        let unknown = cb.tensors.filter {
            $0.dtype.isFloat && $0.count > 1 && shapes.contains($0.shape) && !known.contains($0.name) && !excluded.contains($0.name)
        }
        let counts = try Parallel.map(unknown.count, threads: options.threads) {
            FlatStatistics.nonFiniteCount(TensorSource(cb, unknown[$0]))
        }
        for (t, n) in zip(unknown, counts) where n > 0 { excluded.insert(t.name) }
        // Same-shape groups of B's finite float tensors, for the mismatched null.
        var groups: [[Int]: [TensorInfo]] = [:]
        for t in cb.tensors where t.dtype.isFloat && t.count > 1 && shapes.contains(t.shape) && !excluded.contains(t.name) {
            groups[t.shape, default: []].append(t)
        }
        // Independent initialisations, one set per shape, made before the parallel part.
        var inits: [[Int]: [TensorSource]] = [:]
        if options.inits > 0 {
            for k in compared where pairs[k].0.count <= Spectrum.maxElements && inits[pairs[k].0.shape] == nil {
                let shape = pairs[k].0.shape
                inits[shape] = (0..<options.inits).map { i in
                    TensorSource.gaussian(
                        shape: shape, std: options.initStd, seed: options.seed, stream: initStream &+ shapeKey(shape) &* 64 &+ UInt64(i))
                }
            }
        }
        let done = try Parallel.map(compared.count, threads: options.threads) { i -> TensorMatch in
            let k = compared[i]
            let (ta, tb, _) = pairs[k]
            return try compareTensor(
                results[k], ca, ta, cb, tb, a: a, b: b, partners: groups[tb.shape] ?? [], inits: inits[ta.shape] ?? [], options: options,
                cache: cache)
        }
        for (i, k) in compared.enumerated() { results[k] = done[i] }
        return verdict(
            a: a, b: b, tensors: results, unmatchedA: unmatchedA.map(\.name), unmatchedB: unmatchedB.map(\.name),
            null: options.nullPartners + options.inits > 0)
    }

    static func shapeKey(_ shape: [Int]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for d in shape {
            h ^= UInt64(truncatingIfNeeded: d)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h >> 8
    }

    /// The flat statistics of a matched pair, or why it is not compared: a
    /// type that is not read as float, fewer than 2 values, or sums that are
    /// not finite (NaN or ±Inf values, counted on each side; `nonFiniteA`
    /// and `nonFiniteB` are set, also when the sums overflowed).
    static func flatMatch(_ ca: Checkpoint, _ ta: TensorInfo, _ cb: Checkpoint, _ tb: TensorInfo, byName: Bool) -> TensorMatch {
        var m = TensorMatch(
            name: ta.name, nameB: ta.name == tb.name ? nil : tb.name, shape: ta.shape, dtypeA: ta.dtype.rawValue,
            dtypeB: tb.dtype.rawValue, matchedBy: byName ? "name" : "order", strong: false)
        if !ta.dtype.isFloat || !tb.dtype.isFloat {
            m.notCompared = "\(ta.dtype.isFloat ? tb.dtype.rawValue : ta.dtype.rawValue) values are not compared (only F64, F32, F16, BF16)"
            return m
        }
        if ta.count < 2 {
            m.notCompared = "fewer than 2 values"
            return m
        }
        let sa = TensorSource(ca, ta)
        let sb = TensorSource(cb, tb)
        let flat = FlatStatistics.moments(sa, sb)
        guard flat.isFinite else {
            let na = FlatStatistics.nonFiniteCount(sa)
            let nb = FlatStatistics.nonFiniteCount(sb)
            m.nonFiniteA = na
            m.nonFiniteB = nb
            m.notCompared =
                na + nb > 0
                ? "non-finite values (NaN or ±Inf): \(na) in A, \(nb) in B" : "values too large: a sum of their squares overflows double"
            return m
        }
        m.cosine = flat.cosine
        m.relativeL2 = flat.relativeL2
        m.pearson = flat.pearson
        return m
    }

    /// The null, z-scores, spectra and alignment of a pair `flatMatch` compared.
    static func compareTensor(
        _ flat: TensorMatch, _ ca: Checkpoint, _ ta: TensorInfo, _ cb: Checkpoint, _ tb: TensorInfo, a: Int, b: Int,
        partners group: [TensorInfo], inits: [TensorSource], options: WeightsOptions, cache: SpectrumCache
    ) throws -> TensorMatch {
        var m = flat
        let sa = TensorSource(ca, ta)
        let sb = TensorSource(cb, tb)
        // The null partners: the next tensors of the same shape in B (cyclically), never B's match itself.
        var nulls: [TensorSource] = []
        if let p = group.firstIndex(where: { $0.name == tb.name }) {
            var k = 1
            while nulls.count < options.nullPartners && k < group.count {
                nulls.append(TensorSource(cb, group[(p + k) % group.count]))
                k += 1
            }
        } else {
            for t in group.prefix(options.nullPartners) { nulls.append(TensorSource(cb, t)) }
        }
        let nullKeys = nulls.map { "\(b)/" + $0.label } + inits.indices.map { "init/\(ta.shape)/\($0)" }
        nulls += inits
        var ns = nulls.map { PartnerStats(pearson: FlatStatistics.moments(sa, $0).pearson) }
        // Spectra and alignment hold the matrix in memory (double for the
        // SVD): matrices over `Spectrum.maxElements` get neither.
        let is2D = ta.shape.count == 2 && min(ta.shape[0], ta.shape[1]) >= 2 && ta.count <= Spectrum.maxElements
        if is2D && options.spectra {
            let spA = try cache.get("\(a)/\(ta.name)") {
                try Spectrum.singularValues(sa, exactWork: options.exactSpectrumWork, seed: options.seed)
            }
            let spB = try cache.get("\(b)/\(tb.name)") {
                try Spectrum.singularValues(sb, exactWork: options.exactSpectrumWork, seed: options.seed)
            }
            m.spectralCorrelation = Spectrum.correlation(spA.values, spB.values)
            m.spectrumApproximate = spA.approximate || spB.approximate
            m.spectrumA = spA.values
            m.spectrumB = spB.values
            for (k, s) in nulls.enumerated() {
                let sp = try cache.get(nullKeys[k]) {
                    try Spectrum.singularValues(s, exactWork: options.exactSpectrumWork, seed: options.seed)
                }
                ns[k].spectral = Spectrum.correlation(spA.values, sp.values)
            }
        }
        let (pm, psd) = meanSD(ns.compactMap(\.pearson))
        m.zPearson = z(m.pearson, pm, psd)
        let flatStrong = (m.zPearson ?? -.infinity) >= WeightsVerdictRule.strongZ && (m.pearson ?? 0) >= WeightsVerdictRule.strongStatistic
        let wantAlign = options.align == .all || (options.align == .auto && !flatStrong)
        if is2D && wantAlign {
            let ma = sa.floatMatrix()
            m.alignment = try UnitAlignment.best(ma, sb.floatMatrix())
            if let al = m.alignment {
                for (k, s) in nulls.enumerated() {
                    ns[k].aligned = try UnitAlignment.align(ma, s.floatMatrix(), axis: al.axis)?.cosine
                }
            }
        }
        let (am, asd) = meanSD(ns.compactMap(\.aligned))
        let (sm, ssd) = meanSD(ns.compactMap(\.spectral))
        m.null = TensorNull(
            count: nulls.count, pearsonMean: pm, pearsonSD: psd, alignedMean: am, alignedSD: asd, spectralMean: sm, spectralSD: ssd)
        m.zAligned = z(m.alignment?.cosine, am, asd)
        m.zSpectral = z(m.spectralCorrelation, sm, ssd)
        let candidates = [(m.zPearson, m.pearson), (m.zAligned, m.alignment?.cosine)].compactMap { zz, s in zz.map { ($0, s ?? 0) } }
        if let best = candidates.max(by: { $0.0 < $1.0 }) {
            m.evidence = best.0
            m.strong = best.0 >= WeightsVerdictRule.strongZ && best.1 >= WeightsVerdictRule.strongStatistic
        }
        // The evidence a similarity of 1 (the most there is) would have given.
        m.attainable = [(m.zPearson, pm, psd), (m.zAligned, am, asd)].compactMap { zz, mean, sd in zz == nil ? nil : z(1, mean, sd) }.max()
        let sims = [m.pearson, m.alignment?.cosine].compactMap { $0 }
        m.similarity = sims.max()
        return m
    }

    /// Mean and sample standard deviation; nil below 2 values.
    static func meanSD(_ v: [Double]) -> (Double?, Double?) {
        guard v.count >= 2 else { return (nil, nil) }
        let mean = v.reduce(0, +) / Double(v.count)
        let ss = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (ss / Double(v.count - 1)).squareRoot())
    }

    static func z(_ x: Double?, _ mean: Double?, _ sd: Double?) -> Double? {
        guard let x, let mean, let sd else { return nil }
        return (x - mean) / max(sd, WeightsVerdictRule.sdFloor)
    }

    /// The pair's verdict from its tensors (the rule in `WeightsVerdictRule`);
    /// none without a null (`null` false: flat statistics only).
    static func verdict(
        a: Int, b: Int, tensors: [TensorMatch], unmatchedA: [String], unmatchedB: [String], null: Bool = true
    ) -> PairComparison {
        let evaluated = tensors.filter { $0.evidence != nil }
        let strong = evaluated.filter(\.strong)
        let moderate = evaluated.filter { $0.evidence! >= WeightsVerdictRule.moderateZ }
        let informative = evaluated.filter { ($0.attainable ?? -.infinity) >= WeightsVerdictRule.strongZ }
        let sims = tensors.compactMap(\.similarity).sorted()
        let median: Double? =
            sims.isEmpty ? nil : sims.count % 2 == 1 ? sims[sims.count / 2] : (sims[sims.count / 2 - 1] + sims[sims.count / 2]) / 2
        let verdict: WeightsVerdict?
        var text: String
        let medianText = median.map { String(format: "median similarity %.4f", $0) } ?? "no similarity"
        let small = evaluated.count - informative.count
        let smallText = "too small for \(small == 1 ? "its" : "their") null to show derivation"
        if !null {
            verdict = nil
            text = "no null (0 mismatched tensors, 0 initialisations): flat statistics only, no verdict; " + medianText
        } else if evaluated.isEmpty {
            verdict = .inconclusive
            text = "no tensor could be compared against a null (\(tensors.count) matched)"
        } else if strong.count >= min(WeightsVerdictRule.minStrong, evaluated.count) {
            verdict = .derived
            let top = strong.max { $0.evidence! < $1.evidence! }!
            let byAlignment = (top.zAligned ?? -.infinity) > (top.zPearson ?? -.infinity)
            text = String(
                format: "%d of %d compared tensors match far beyond the null (z ≥ %.0f); %@; strongest %@ (%@ %.4f, z %.1f)",
                strong.count, evaluated.count, WeightsVerdictRule.strongZ, medianText, top.name, byAlignment ? "aligned cosine" : "r",
                (byAlignment ? top.alignment?.cosine : top.pearson) ?? .nan, top.evidence!)
            let permuted = strong.filter { ($0.alignment?.moved ?? 0) > 0 && ($0.zAligned ?? 0) > ($0.zPearson ?? 0) }
            if !permuted.isEmpty { text += "; \(permuted.count) recognised only after re-ordering units" }
        } else if strong.isEmpty && Double(moderate.count) <= WeightsVerdictRule.independentShare * Double(evaluated.count) {
            let top = evaluated.max { $0.evidence! < $1.evidence! }!
            text = String(
                format: "no compared tensor (of %d) beyond the null (largest z %.1f at %@); %@", evaluated.count, top.evidence!, top.name,
                medianText)
            if informative.count >= min(WeightsVerdictRule.minInformative, evaluated.count) {
                verdict = .independent
                if small > 0 { text += "; \(small) \(small == 1 ? "tensor" : "tensors") \(smallText)" }
            } else {
                // None could have been strong: finding none strong says nothing.
                verdict = .inconclusive
                text = String(
                    format:
                        "%d of %d compared tensors %@ (z < %.0f even at similarity 1; independent needs %d that could reach it), and none beyond the null (largest z %.1f at %@); %@",
                    small, evaluated.count, smallText, WeightsVerdictRule.strongZ, min(WeightsVerdictRule.minInformative, evaluated.count),
                    top.evidence!, top.name, medianText)
            }
        } else {
            verdict = .inconclusive
            text = String(
                format: "%d strong and %d moderate (z ≥ %.0f) of %d compared tensors; %@", strong.count, moderate.count,
                WeightsVerdictRule.moderateZ, evaluated.count, medianText)
        }
        let nonFinite = tensors.filter { ($0.nonFiniteA ?? 0) + ($0.nonFiniteB ?? 0) > 0 }.count
        if nonFinite > 0 { text += "; \(nonFinite) not compared for NaN or infinite values" }
        if !unmatchedA.isEmpty || !unmatchedB.isEmpty { text += "; unmatched: \(unmatchedA.count) in A, \(unmatchedB.count) in B" }
        return PairComparison(
            a: a, b: b, verdict: verdict, evidence: text, similarity: median, compared: evaluated.count, strong: strong.count,
            moderate: moderate.count, informative: informative.count, tensors: tensors, unmatchedA: unmatchedA, unmatchedB: unmatchedB)
    }
}

extension TensorSource {
    /// The tensor's name for caches ("" for in-memory values).
    var label: String {
        if case .stored(_, let t) = storage { return t.name }
        return ""
    }
}
