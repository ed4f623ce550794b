import FingerprintCore
import FingerprintStatistics

/// Writers for `fingerprint stats`.
public enum StatsReport {
    public static func table(_ p: CorpusProfile) -> String {
        var s = "Corpus \(p.corpus.terminalSafe)  (tokenizer \(p.tokenizer))\n\n"
        var t = TextTable(["measure", "value"], align: [.left, .right])
        t.add(["documents", Num.count(p.documents)])
        t.add(["tokens", Num.count(p.tokens)])
        t.add(["types", Num.count(p.types)])
        t.add(["bytes", Num.count(p.bytes)])
        t.add(["skipped", Num.count(p.skipped)])
        t.add(["invalid UTF-8 replaced", Num.count(p.invalidUTF8)])
        t.add(["entropy (bits/token)", Num.f(p.entropyBits, 5)])
        t.add(["type-token ratio", Num.f(p.typeTokenRatio, 5)])
        t.add(["Yule's K", Num.f(p.yulesK, 5)])
        t.add(["Zipf exponent (ranks 1-\(p.zipfRanks))", Num.f(p.zipfExponent, 4)])
        if let b = p.bytesPerToken { t.add(["bytes per token", Num.f(b, 4)]) }
        s += t.render()
        s += "\nTop \(p.top.count) tokens\n"
        if p.bytesPerToken != nil {
            // Model tokens: the id, then its text quoted (invalid UTF-8 as
            // \xNN, control characters escaped for the terminal).
            var top = TextTable(["rank", "id", "text", "count", "share"], align: [.right, .right, .left, .right, .right])
            for (i, x) in p.top.enumerated() {
                top.add(["\(i + 1)", x.token, "\"\(Num.abbreviated(x.text ?? "").terminalSafe)\"", Num.count(x.count), Num.pct(x.share, 2)])
            }
            s += top.render()
        } else {
            var top = TextTable(["rank", "token", "count", "share"], align: [.right, .left, .right, .right])
            for (i, x) in p.top.enumerated() { top.add(["\(i + 1)", Num.abbreviated(x.token), Num.count(x.count), Num.pct(x.share, 2)]) }
            s += top.render()
        }
        if p.truncatedTokens > 0 {
            s +=
                "\nnote: \(Num.count(p.truncatedTokens)) tokens were longer than 1 MiB; each is kept as its first bytes, '~' and a hash of the rest\n"
        }
        if !p.skips.isEmpty {
            s += "\nSkipped \(p.skips.count):\n"
            for k in p.skips.prefix(20) { s += "  \(k.path.terminalSafe): \(k.reason.terminalSafe)\n" }
            if p.skips.count > 20 { s += "  … and \(p.skips.count - 20) more (see --format json)\n" }
        }
        return s
    }

    public static func csv(_ p: CorpusProfile) -> String {
        var s = CSV.row(["kind", "name", "value"])
        let rows: [(String, String)] = [
            ("corpus", p.corpus), ("tokenizer", p.tokenizer.description), ("documents", "\(p.documents)"),
            ("tokens", "\(p.tokens)"), ("types", "\(p.types)"), ("bytes", "\(p.bytes)"),
            ("skipped", "\(p.skipped)"), ("invalid_utf8", "\(p.invalidUTF8)"), ("truncated_tokens", "\(p.truncatedTokens)"),
            ("entropy_bits", "\(p.entropyBits)"), ("type_token_ratio", "\(p.typeTokenRatio)"),
            ("yules_k", "\(p.yulesK)"), ("zipf_exponent", "\(p.zipfExponent)"), ("zipf_ranks", "\(p.zipfRanks)"),
        ]
        for (k, v) in rows { s += CSV.row(["measure", k, v]) }
        if let b = p.bytesPerToken { s += CSV.row(["measure", "bytes_per_token", "\(b)"]) }
        for x in p.top { s += CSV.row(["top", x.token, "\(x.count)"]) }
        return s
    }
}
