import FingerprintCore
import FingerprintStatistics

/// Writers for `fingerprint compare`.
public enum CompareReportWriter {
    public static func table(_ r: CompareReport) -> String {
        var s =
            "A: \(r.a.path.terminalSafe)  (\(Num.count(r.a.documents)) documents, \(Num.count(r.a.tokens)) tokens, \(Num.count(r.a.types)) types)\n"
        s +=
            "B: \(r.b.path.terminalSafe)  (\(Num.count(r.b.documents)) documents, \(Num.count(r.b.tokens)) tokens, \(Num.count(r.b.types)) types)\n"
        s += "tokenizer \(r.options.tokenizer), seed \(r.options.seed)\n"
        for (name, side) in [("A", r.a), ("B", r.b)] where side.skipped > 0 || side.invalidUTF8 > 0 {
            s += "\(name): \(side.skipped) skipped, \(side.invalidUTF8) invalid UTF-8 sequences replaced\n"
        }

        s += "\nDistributions (union vocabulary of \(Num.count(r.divergence.vocabulary)) types; bits)\n"
        var d = TextTable(["measure", "value"], align: [.left, .right])
        let v = r.divergence
        d.add(["entropy A", Num.f(v.entropyA, 5)])
        d.add(["entropy B", Num.f(v.entropyB, 5)])
        d.add(["Jensen-Shannon divergence", Num.f(v.jsd, 5)])
        d.add(["Jensen-Shannon distance", Num.f(v.jsDistance, 5)])
        // Two decimals for the usual α (0.50); all its digits past them (0.001 printed 0.00).
        let alpha = v.smoothingAlpha
        let alphaText = alpha >= 0.01 && alpha < 1000 && (alpha * 100).rounded() == alpha * 100 ? Num.f(alpha, 2) : "\(alpha)"
        d.add(["KL(A||B), alpha = \(alphaText)", Num.f(v.klAB, 5)])
        d.add(["KL(B||A), alpha = \(alphaText)", Num.f(v.klBA, 5)])
        d.add(["cross-entropy H(A, B)", Num.f(v.crossEntropyAB, 5)])
        d.add(["Hellinger", Num.f(v.hellinger, 5)])
        d.add(["total variation", Num.f(v.totalVariation, 5)])
        s += d.render()

        let t = r.test
        s += "\nTwo-sample test (\(t.design), documents are the units; JSD over top \(t.features - 1) types + other)\n"
        var tt = TextTable(["measure", "value"], align: [.left, .right])
        tt.add(["statistic T (JSD, bits)", Num.f(t.statistic, 5)])
        if t.ran {
            tt.add(["permutations", Num.count(t.permutations)])
            tt.add(["p-value", Num.f(t.pValue ?? 1, 4) + (t.pValue == t.minimumPValue ? " (minimum)" : "")])
            tt.add(["null mean", Num.f(t.nullMean ?? 0, 5)])
            tt.add(["null 95th percentile", Num.f(t.nullP95 ?? 0, 5)])
            tt.add(["effect T / null mean", Num.f(t.effect ?? 0, 3)])
            if let lo = t.ciLow, let hi = t.ciHigh {
                tt.add(["bootstrap 95% CI of T (\(t.bootstrap), percentile)", "\(Num.f(lo, 4)) - \(Num.f(hi, 4))"])
                if let b = t.bootstrapBias { tt.add(["bootstrap bias of T (mean - T)", Num.f(b, 4)]) }
            }
            if let p = t.pairs { tt.add(["matched pairs", Num.count(p)]) }
        } else {
            tt.add(["not run", t.reason ?? ""])
        }
        let m = r.mmd
        if m.ran {
            tt.add(["MMD^2 (TF-IDF cosine, \(m.features) features)", Num.f(m.mmd2, 4)])
            tt.add(["MMD p-value", Num.f(m.pValue ?? 1, 4) + (m.subsampled ? " (subsample \(m.documentsA)+\(m.documentsB))" : "")])
        } else if let why = m.reason {
            tt.add(["MMD not run", why])
        }
        if let a = r.selfBaseline.a { tt.add(["self-baseline JSD, halves of A", Num.f(a, 5)]) }
        if let b = r.selfBaseline.b { tt.add(["self-baseline JSD, halves of B", Num.f(b, 5)]) }
        tt.add(["chi2 (token-level, df \(r.tableTests.chiSquare.dof))", Num.f(r.tableTests.chiSquare.statistic, 5)])
        tt.add(["G   (token-level, df \(r.tableTests.g.dof))", Num.f(r.tableTests.g.statistic, 5)])
        s += tt.render()

        s += "\nTokens that make the difference (log-odds with informative Dirichlet prior, a0 = \(Num.f(r.keyness.prior, 4)))\n"
        var k = TextTable(
            ["more in A", "count A", "count B", "z", "more in B", "count A", "count B", "z"],
            align: [.left, .right, .right, .right, .left, .right, .right, .right])
        for i in 0..<max(r.keyness.a.count, r.keyness.b.count) {
            var row: [String] = []
            for list in [r.keyness.a, r.keyness.b] {
                if i < list.count {
                    let x = list[i]
                    row += [x.token, Num.count(x.countA), Num.count(x.countB), Num.f(x.z, 3)]
                } else {
                    row += ["", "", "", ""]
                }
            }
            k.add(row)
        }
        s += k.render()

        s += "\nShared text (distinct word n-grams, 64-bit hashes)\n"
        var o = TextTable(
            ["n", "B in A", "A in B", "shared", "grams A", "grams B"], align: [.right, .right, .right, .right, .right, .right])
        for c in r.overlap.containment {
            o.add(["\(c.n)", Num.pct(c.bInA, 2), Num.pct(c.aInB, 2), Num.count(c.shared), Num.count(c.gramsA), Num.count(c.gramsB)])
        }
        s += o.render()
        s +=
            "  B documents with a \(r.overlap.gramSize)-gram of A: \(Num.count(r.overlap.bDocumentsWithSharedGram)) (\(Num.pct(r.overlap.bDocumentsWithSharedGramShare)))\n"

        if !r.passages.isEmpty {
            s += "\nShared passages (longest first; A file:line → B file:line)\n"
            var p = TextTable(["tokens", "A", "B", "passage"], align: [.right, .left, .left, .left])
            for x in r.passages {
                p.add(["\(x.passage.tokens)", "\(x.a):\(x.passage.aLine)", "\(x.b):\(x.passage.bLine)", x.passage.snippet])
            }
            s += p.render()
        }
        for n in r.notes { s += "\nnote: \(n.terminalSafe)\n" }
        s += "\n" + r.summary + "\n"
        return s
    }

    /// One row per statistic: section,name,value.
    public static func csv(_ r: CompareReport) -> String {
        var s = CSV.row(["section", "name", "value"])
        func add(_ sec: String, _ name: String, _ v: Double?) { if let v { s += CSV.row([sec, name, "\(v)"]) } }
        let d = r.divergence
        add("corpus", "a_documents", Double(r.a.documents))
        add("corpus", "b_documents", Double(r.b.documents))
        add("corpus", "a_tokens", Double(r.a.tokens))
        add("corpus", "b_tokens", Double(r.b.tokens))
        add("divergence", "entropy_a", d.entropyA)
        add("divergence", "entropy_b", d.entropyB)
        add("divergence", "jsd", d.jsd)
        add("divergence", "js_distance", d.jsDistance)
        add("divergence", "kl_ab", d.klAB)
        add("divergence", "kl_ba", d.klBA)
        add("divergence", "cross_entropy_ab", d.crossEntropyAB)
        add("divergence", "cross_entropy_ba", d.crossEntropyBA)
        add("divergence", "hellinger", d.hellinger)
        add("divergence", "total_variation", d.totalVariation)
        add("test", "statistic", r.test.statistic)
        add("test", "p_value", r.test.pValue)
        add("test", "null_mean", r.test.nullMean)
        add("test", "null_p95", r.test.nullP95)
        add("test", "effect", r.test.effect)
        add("test", "ci_low", r.test.ciLow)
        add("test", "ci_high", r.test.ciHigh)
        add("mmd", "mmd2", r.mmd.ran ? r.mmd.mmd2 : nil)
        add("mmd", "p_value", r.mmd.pValue)
        add("self_baseline", "a", r.selfBaseline.a)
        add("self_baseline", "b", r.selfBaseline.b)
        add("table_tests", "chi2", r.tableTests.chiSquare.statistic)
        add("table_tests", "g", r.tableTests.g.statistic)
        for c in r.overlap.containment {
            add("overlap", "n\(c.n)_b_in_a", c.bInA)
            add("overlap", "n\(c.n)_a_in_b", c.aInB)
        }
        add("overlap", "b_documents_with_shared_gram_share", r.overlap.bDocumentsWithSharedGramShare)
        for x in r.passages {
            s += CSV.row(["passage", "\(x.a):\(x.passage.aLine) \(x.b):\(x.passage.bLine)", "\(x.passage.tokens)"])
        }
        for x in r.keyness.a { s += CSV.row(["keyness_a", x.token, "\(x.z)"]) }
        for x in r.keyness.b { s += CSV.row(["keyness_b", x.token, "\(x.z)"]) }
        return s
    }
}
