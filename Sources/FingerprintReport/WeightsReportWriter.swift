import FingerprintCore
import FingerprintStatistics
import Foundation

/// Writers for `fingerprint weights`.
public enum WeightsReportWriter {
    static func opt(_ x: Double?, _ digits: Int = 4) -> String { x.map { Num.f($0, digits) } ?? "-" }
    static func raw(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }

    /// Models, then each pair: verdict and evidence, and (for two models)
    /// every matched tensor; with three or more, the similarity matrix and
    /// lineages.
    public static func table(_ r: WeightsReport) -> String {
        var s = "Models\n"
        var models = TextTable(
            ["#", "checkpoint", "files", "tensors", "parameters", "dtypes"], align: [.right, .left, .right, .right, .right, .left])
        for (i, m) in r.models.enumerated() {
            let dt = m.dtypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            models.add(["\(i + 1)", m.path, "\(m.files)", Num.count(m.tensors), Num.count(m.parameters), dt])
        }
        s += models.render()
        for p in r.pairs {
            s += "\n\(p.a + 1) vs \(p.b + 1): \(p.verdict?.rawValue.uppercased() ?? "NO VERDICT")\n  \(p.evidence.terminalSafe)\n"
            if r.models.count == 2 {
                var t = TextTable(
                    ["tensor", "shape", "cosine", "rel L2", "pearson", "z", "aligned", "axis", "moved", "z al.", "spectra r", "z sp."],
                    align: [.left, .left, .right, .right, .right, .right, .right, .left, .right, .right, .right, .right])
                for m in p.tensors {
                    let name = Num.abbreviated(m.name + (m.nameB.map { " → \($0)" } ?? ""), limit: 64)
                    let shape = m.shape.map(String.init).joined(separator: "×")
                    if m.notCompared != nil {
                        t.add([name, shape, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"])
                        continue
                    }
                    t.add([
                        name, shape, opt(m.cosine), opt(m.relativeL2), opt(m.pearson), opt(m.zPearson, 3), opt(m.alignment?.cosine),
                        m.alignment?.axis.rawValue ?? "-", m.alignment.map { "\($0.moved)" } ?? "-", opt(m.zAligned, 3),
                        opt(m.spectralCorrelation), opt(m.zSpectral, 3),
                    ])
                }
                s += "\n" + t.render()
            }
            for m in p.tensors { if let why = m.notCompared { s += "  not compared: \(m.name.terminalSafe): \(why)\n" } }
            for name in p.unmatchedA { s += "  unmatched in \(p.a + 1): \(name.terminalSafe)\n" }
            for name in p.unmatchedB { s += "  unmatched in \(p.b + 1): \(name.terminalSafe)\n" }
        }
        if r.models.count > 2 {
            s += "\nSimilarity (median over tensors of max(Pearson, aligned cosine))\n"
            var t = TextTable([""] + r.order.map { "\($0 + 1)" }, align: [.right] + r.order.map { _ in .right })
            for i in r.order { t.add(["\(i + 1)"] + r.order.map { j in opt(r.matrix[i][j], 3) }) }
            s += t.render()
            s += "\nLineages (joined by \"derived\" verdicts)\n"
            for g in r.lineages { s += "  " + g.map { "\($0 + 1)" }.joined(separator: " ") + "\n" }
        }
        if r.options.nullPartners + r.options.inits == 0 {
            s += "\nno null: flat statistics only, no verdict\n"
            return s
        }
        s += "\nnull: \(r.options.nullPartners) mismatched tensors of the same shape + \(r.options.inits) independent initialisations "
        s +=
            "(N(0, \(r.options.initStd)²)) per tensor; derived needs \(WeightsVerdictRule.minStrong) tensors with z ≥ \(Int(WeightsVerdictRule.strongZ)), "
        s += "independent none and \(WeightsVerdictRule.minInformative) whose null lets z reach it\n"
        return s
    }

    /// One row per pair and matched tensor; `verdict` is empty without a null.
    public static func csv(_ r: WeightsReport) -> String {
        var s = CSV.row([
            "model_a", "model_b", "verdict", "tensor", "tensor_b", "matched_by", "shape", "dtype_a", "dtype_b", "not_compared", "cosine",
            "relative_l2", "pearson", "z_pearson", "aligned_axis", "aligned_cosine", "aligned_moved", "aligned_gap", "z_aligned",
            "spectral_correlation", "z_spectral", "null_count", "evidence", "strong",
        ])
        for p in r.pairs {
            for m in p.tensors {
                s += CSV.row([
                    r.models[p.a].path, r.models[p.b].path, p.verdict?.rawValue ?? "", m.name, m.nameB ?? "", m.matchedBy,
                    m.shape.map(String.init).joined(separator: "x"), m.dtypeA, m.dtypeB, m.notCompared ?? "", raw(m.cosine),
                    raw(m.relativeL2), raw(m.pearson), raw(m.zPearson), m.alignment?.axis.rawValue ?? "", raw(m.alignment?.cosine),
                    m.alignment.map { "\($0.moved)" } ?? "", raw(m.alignment?.gap), raw(m.zAligned), raw(m.spectralCorrelation),
                    raw(m.zSpectral), m.null.map { "\($0.count)" } ?? "", raw(m.evidence), m.strong ? "1" : "0",
                ])
            }
        }
        return s
    }
}

/// Writers for `fingerprint stats` on a checkpoint.
public enum CheckpointStatsWriter {
    static func opt(_ x: Double?, _ digits: Int = 4) -> String { x.map { Num.f($0, digits) } ?? "-" }
    static func raw(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }

    public static func table(_ p: CheckpointProfile) -> String {
        var s = "Checkpoint \(p.path.terminalSafe)  (\(p.files) file\(p.files == 1 ? "" : "s"), "
        s += "\(Num.count(p.tensors.count)) tensors, \(Num.count(p.parameters)) values, \(Num.bytes(p.bytes)))\n\n"
        var t = TextTable(
            ["tensor", "dtype", "shape", "mean", "std", "kurtosis", "spectral norm", "eff. rank"],
            align: [.left, .left, .left, .right, .right, .right, .right, .right])
        for x in p.tensors {
            t.add([
                Num.abbreviated(x.name, limit: 64), x.dtype, x.shape.map(String.init).joined(separator: "×"), opt(x.mean), opt(x.std),
                opt(x.kurtosis), opt(x.spectralNorm) + (x.spectrumApproximate == true ? "~" : ""), opt(x.effectiveRank),
            ])
        }
        s += t.render()
        let notes = p.tensors.filter { $0.note != nil }
        if !notes.isEmpty {
            s += "\n"
            for x in notes { s += "  \(x.name.terminalSafe): \(x.note!)\n" }
        }
        if !p.layers.isEmpty {
            s += "\nPer-layer profile (pooled values of each layer)\n"
            var l = TextTable(["layer", "tensors", "values", "mean", "std"], align: [.right, .right, .right, .right, .right])
            for x in p.layers { l.add(["\(x.layer)", "\(x.tensors)", Num.count(x.parameters), opt(x.mean), opt(x.std)]) }
            s += l.render()
        }
        if p.tensors.contains(where: { $0.spectrumApproximate == true }) {
            s += "\n~ randomized SVD: the leading 256 singular values (docs/DESIGN.md §6.21)\n"
        }
        return s
    }

    public static func csv(_ p: CheckpointProfile) -> String {
        var s = CSV.row([
            "kind", "name", "layer", "dtype", "shape", "count", "mean", "std", "kurtosis", "spectral_norm", "effective_rank", "non_finite",
        ])
        for x in p.tensors {
            s += CSV.row([
                "tensor", x.name, x.layer.map(String.init) ?? "", x.dtype, x.shape.map(String.init).joined(separator: "x"), "\(x.count)",
                raw(x.mean), raw(x.std), raw(x.kurtosis), raw(x.spectralNorm), raw(x.effectiveRank), x.nonFinite.map(String.init) ?? "",
            ])
        }
        for x in p.layers {
            s += CSV.row(["layer", "layer \(x.layer)", "\(x.layer)", "", "", "\(x.parameters)", raw(x.mean), raw(x.std), "", "", "", ""])
        }
        return s
    }
}
