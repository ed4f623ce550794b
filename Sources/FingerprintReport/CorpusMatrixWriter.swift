import FingerprintCore
import FingerprintStatistics

/// Table and CSV output of `batch --by-subdir`.
extension CorpusMatrixReport {
    public func table() -> String {
        let unit =
            mode == "by-subdir"
            ? "one per subdirectory"
            : mode.hasPrefix("labels ")
                ? "one per corpus named in \(mode.dropFirst("labels ".count))"
                : "one per value of field \(mode.dropFirst("by-field ".count))"
        var s = "Corpora in \(directory.terminalSafe) (\(unit.terminalSafe)), in clustering order\n\nJensen-Shannon divergence (bits)\n"
        let labels = order.map { corpora[$0].name }
        func matrix(_ x: [[Double]]) -> String {
            var t = TextTable([""] + labels, align: [.left] + labels.map { _ in .right })
            for i in order { t.add([corpora[i].name] + order.map { Num.f(x[i][$0], 4) }) }
            return t.render()
        }
        s += matrix(jsd)
        s += "\nTF-IDF centroid cosine\n" + matrix(centroidCosine)
        if !selfBaseline.isEmpty {
            s += "\nSelf-baseline: JSD between random halves of each corpus (the scale of a corpus against itself)\n"
            var t = TextTable(["corpus", "mean", "sd", "splits"], align: [.left, .right, .right, .right])
            for i in order {
                let b = selfBaseline[i]
                t.add([b.corpus, b.mean.map { Num.f($0, 4) } ?? "-", b.sd.map { Num.f($0, 4) } ?? "-", "\(b.splits)"])
            }
            s += t.render()
        }
        if !tests.isEmpty {
            var p = [[Double?]](repeating: [Double?](repeating: nil, count: corpora.count), count: corpora.count)
            let index = Dictionary(uniqueKeysWithValues: corpora.enumerated().map { ($1.name, $0) })
            for x in tests {
                if let i = index[x.a], let j = index[x.b] {
                    p[i][j] = x.pValue
                    p[j][i] = x.pValue
                }
            }
            // A pair with too few documents runs no test (0 relabellings):
            // the header counts the tests that ran.
            let ran = tests.map(\.permutations).filter { $0 > 0 }
            let count = ran.isEmpty ? "no" : Set(ran).count == 1 ? "\(ran[0])" : "up to \(ran.max()!)"
            s += "\nPermutation test p-values (\(tests[0].design), \(count) relabellings; documents are the units)\n"
            var t = TextTable([""] + labels, align: [.left] + labels.map { _ in .right })
            for i in order { t.add([corpora[i].name] + order.map { j in i == j ? "-" : (p[i][j].map { Num.f($0, 3) } ?? "n/a") }) }
            s += t.render()
        }
        s += "\nAverage-linkage clustering by JSD\n"
        var label = corpora.map(\.name.terminalSafe)
        for (i, mg) in merges.enumerated() {
            let name = "(\(label[mg.left]) + \(label[mg.right]))"
            s += "  \(i + 1). \(label[mg.left])  +  \(label[mg.right])   at JSD \(Num.f(mg.distance, 4)), \(mg.size) corpora\n"
            label.append(name)
        }
        for n in notes { s += "\nnote: \(n.terminalSafe)\n" }
        if !skips.isEmpty {
            s += "\nskipped \(skips.count): \(skips.prefix(3).map(\.description.terminalSafe).joined(separator: "; "))"
            s += skips.count > 3 ? "; …\n" : "\n"
        }
        return s
    }

    public func csv() -> String {
        var s = CSV.row(["a", "b", "jsd", "centroid_cosine", "p_value", "null_mean"])
        var test: [String: PairTest] = [:]
        for x in tests { test[x.a + "\u{0}" + x.b] = x }
        for i in 0..<corpora.count {
            for j in 0..<corpora.count where i < j {
                let x = test[corpora[i].name + "\u{0}" + corpora[j].name]
                s += CSV.row([
                    corpora[i].name, corpora[j].name, "\(jsd[i][j])", "\(centroidCosine[i][j])",
                    x?.pValue.map { "\($0)" } ?? "", x?.nullMean.map { "\($0)" } ?? "",
                ])
            }
        }
        return s
    }
}
