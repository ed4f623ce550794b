import FingerprintCore
import FingerprintStatistics

/// Writers for `fingerprint tokenizers`.
public enum TokenizersReport {
    public static func table(_ c: TokenizerComparison) -> String {
        var s = "A: \(c.a.name.terminalSafe)  (sha256 \(c.a.sha256))\n"
        s += "B: \(c.b.name.terminalSafe)  (sha256 \(c.b.sha256))\n\n"
        var t = TextTable(["measure", "A", "B"], align: [.left, .right, .right])
        t.add(["tokens", Num.count(c.a.tokens), Num.count(c.b.tokens)])
        t.add(["merges (multi-byte tokens)", Num.count(c.a.merges), Num.count(c.b.merges)])
        t.add(["share of the vocabulary in the other", Num.pct(c.shareOfA, 2), Num.pct(c.shareOfB, 2)])
        s += t.render()
        var u = TextTable(["measure", "value"], align: [.left, .right])
        u.add(["shared tokens", Num.count(c.sharedTokens)])
        u.add(["shared tokens with the same id", Num.count(c.sameIds)])
        u.add(["shared merges", Num.count(c.sharedMerges)])
        u.add(["merge-order rank correlation (Spearman)", c.mergeOrderSpearman.map { Num.f($0, 5) } ?? "n/a"])
        u.add(["longest common prefix of the merge lists", Num.count(c.commonMergePrefix)])
        u.add(["shared merges first learnt in the same order", Num.count(c.sharedHistory)])
        s += "\n" + u.render()
        s += "\nVerdict: \(c.verdictText)\n"
        return s
    }
}
