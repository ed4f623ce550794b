import FingerprintCore
import FingerprintStatistics

/// Table and CSV output of `batch --by-subdir`.
extension CorpusMatrixReport {
    public func table() -> String {
        var s = "Corpora in \(directory.terminalSafe) (one per subdirectory), in clustering order\n\nJensen-Shannon divergence (bits)\n"
        let labels = order.map { corpora[$0].name }
        func matrix(_ x: [[Double]]) -> String {
            var t = TextTable([""] + labels, align: [.left] + labels.map { _ in .right })
            for i in order { t.add([corpora[i].name] + order.map { Num.f(x[i][$0], 4) }) }
            return t.render()
        }
        s += matrix(jsd)
        s += "\nTF-IDF centroid cosine\n" + matrix(centroidCosine)
        s += "\nAverage-linkage clustering by JSD\n"
        var label = corpora.map(\.name.terminalSafe)
        for (i, mg) in merges.enumerated() {
            let name = "(\(label[mg.left]) + \(label[mg.right]))"
            s += "  \(i + 1). \(label[mg.left])  +  \(label[mg.right])   at JSD \(Num.f(mg.distance, 4)), \(mg.size) corpora\n"
            label.append(name)
        }
        for n in notes { s += "\nnote: \(n.terminalSafe)\n" }
        return s
    }

    public func csv() -> String {
        var s = CSV.row(["a", "b", "jsd", "centroid_cosine"])
        for i in 0..<corpora.count {
            for j in 0..<corpora.count where i < j {
                s += CSV.row([corpora[i].name, corpora[j].name, "\(jsd[i][j])", "\(centroidCosine[i][j])"])
            }
        }
        return s
    }
}
