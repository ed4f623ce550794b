import FingerprintCore

/// The tiktoken pre-tokenisers and byte-pair merging (`bpe`), and the
/// `.tiktoken` ranks reader (`tiktoken`).
enum BPEChecks {
    /// A small vocabulary (every byte, then common English pairs and runs)
    /// so that merges of several rounds happen on fuzz inputs.
    static let encoding: TiktokenEncoding = {
        var lines: [String] = []
        func b64(_ b: [UInt8]) -> String {
            let a = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
            var s: [UInt8] = []
            var i = 0
            while i < b.count {
                let n = min(3, b.count - i)
                var v = UInt32(b[i]) << 16
                if n > 1 { v |= UInt32(b[i + 1]) << 8 }
                if n > 2 { v |= UInt32(b[i + 2]) }
                s.append(a[Int(v >> 18 & 63)])
                s.append(a[Int(v >> 12 & 63)])
                s.append(n > 1 ? a[Int(v >> 6 & 63)] : 0x3D)
                s.append(n > 2 ? a[Int(v & 63)] : 0x3D)
                i += 3
            }
            return String(decoding: s, as: UTF8.self)
        }
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        for t in ["th", "he", "in", "er", "an", " t", " a", "the", " the", "ing", "aa", "aaaa", "  ", "    ", "\n\n", "é", "00", "000"] {
            tokens.append(Array(t.utf8))
        }
        for (rank, t) in tokens.enumerated() { lines.append("\(b64(t)) \(rank)") }
        return try! TiktokenEncoding(preset: .cl100k, contents: Array(lines.joined(separator: "\n").utf8), path: "fuzz")
    }()

    struct IDSink: TokenSink {
        var ids: [String] = []
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { ids.append(String(decoding: token, as: UTF8.self)) }
    }

    /// The byte at the front picks the pattern, the next two where the
    /// payload is cut into chunks; the rest is the text.
    static func check(_ data: [UInt8]) throws {
        var input = FuzzInput(data)
        let pattern = PrePattern.allCases[Int(input.byte()) % PrePattern.allCases.count]
        let (a, b) = (input.byte(), input.byte())
        let raw = Array(input.rest)
        let text = raw.withUnsafeBufferPointer { repairUTF8($0)?.bytes } ?? raw
        try require(
            String(decoding: raw, as: UTF8.self).utf8.elementsEqual(text), "repair differs from the standard library's: \(show(raw))")

        // Pieces tile the text, are non-empty and start on scalar boundaries.
        let pieces = pattern.pieces(of: text)
        var at = 0
        for r in pieces {
            try require(r.lowerBound == at && !r.isEmpty, "\(pattern): pieces do not tile \(show(text)) at \(at)")
            try require(text[r.lowerBound] & 0xC0 != 0x80, "\(pattern): a piece starts inside a scalar in \(show(text))")
            at = r.upperBound
        }
        try require(at == text.count, "\(pattern): pieces stop at \(at) of \(text.count)")

        // A safe cut changes no piece: the pieces of the prefix are the
        // pieces of the whole text that end there.
        try text.withUnsafeBufferPointer { t in
            guard let base = t.baseAddress, let cut = PrePattern.safeCut(base, t.count, minimum: 1) else { return }
            let head = pattern.pieces(of: Array(text[..<cut]))
            try require(
                head == pieces.filter { $0.upperBound <= cut } && pieces.contains { $0.upperBound == cut },
                "\(pattern): the cut at \(cut) changes the pieces of \(show(text))")
        }

        // Merging: the heap equals the scan on each piece, and the ids spell the text.
        let v = encoding.vocabulary
        var spelled: [UInt8] = []
        for r in pieces {
            var scan: [UInt32] = []
            var heap: [UInt32] = []
            var work = BPEVocabulary.MergeWork()
            text[r].withUnsafeBufferPointer { p in
                if p.count >= 2 {
                    v.mergeByScan(p.baseAddress!, p.count, into: &scan, work: &work)
                    v.mergeByHeap(p.baseAddress!, p.count, into: &heap, work: &work)
                }
            }
            try require(scan == heap, "heap merge \(heap) differs from scan \(scan) on \(show(text[r]))")
        }
        let ids = encoding.encode(raw)
        for id in ids { spelled += encoding.bytes(of: id) ?? [] }
        try require(spelled == text, "ids do not spell the text \(show(text))")

        // Streaming in three chunks with a tiny flush threshold gives the same ids.
        var stream = TiktokenStream(encoding, flushAt: 16)
        var sink = IDSink()
        for part in splitPoints(raw.count, a, b) {
            raw[part].withUnsafeBufferPointer { stream.feed($0, into: &sink) }
        }
        stream.finish(into: &sink)
        try require(sink.ids == ids.map { String($0) }, "chunked ids differ on \(show(raw))")
    }

    /// Arbitrary bytes as a ranks file: a clean error, or a vocabulary that
    /// encodes text so that its ids spell it.
    static func ranksFile(_ data: [UInt8]) throws {
        let e: TiktokenEncoding
        do {
            e = try TiktokenEncoding(preset: .r50k, contents: data, path: "fuzz")
        } catch FingerprintError.badData(let path, let reason) {
            try require(path == "fuzz" && !reason.isEmpty && !reason.contains("\n"), "bad error: \(reason)")
            return
        }
        let text = Array("the quick brown fox, 12345 don't\n\n  é😀".utf8) + data.prefix(64)
        var spelled: [UInt8] = []
        for id in e.encode(text) { spelled += e.bytes(of: id) ?? [] }
        let fixed = text.withUnsafeBufferPointer { repairUTF8($0)?.bytes } ?? text
        try require(spelled == fixed, "ids do not spell the text with ranks \(show(data))")
    }
}

/// The Hugging Face `tokenizer.json` reader (`hfjson`).
enum HFChecks {
    /// Arbitrary bytes as a tokenizer.json: a clean one-line `badData` error,
    /// or a tokenizer whose ids on a fixed text plus the input's first 64
    /// bytes are all known tokens. Inputs that start with `{` are also tried
    /// spliced into a valid WordPiece file (as its normalizer, then as an
    /// added token), to reach past the model check.
    static func check(_ data: [UInt8]) throws {
        let text = Array("Hello, World! Ünïcödé [CLS] 中文 don't\t\n x".utf8) + data.prefix(64)
        var inputs = [data]
        if data.first == 0x7B {
            let wp = ###""model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "##b": 2, ",": 3}}"###
            let pre = #""pre_tokenizer": {"type": "BertPreTokenizer"}"#
            let payload = String(decoding: data, as: UTF8.self)
            inputs.append(Array("{\(wp), \(pre), \"normalizer\": \(payload)}".utf8))
            inputs.append(Array("{\(wp), \(pre), \"added_tokens\": [\(payload)]}".utf8))
        }
        for input in inputs {
            let t: HFTokenizer
            do {
                t = try HFTokenizer(contents: input, path: "fuzz.json")
            } catch FingerprintError.badData(let path, let reason) {
                try require(path == "fuzz.json" && !reason.isEmpty && !reason.contains("\n"), "bad error: \(reason)")
                continue
            }
            for id in t.encode(text) {
                try require(t.token(of: id) != nil, "id \(id) is not a token of \(show(input))")
            }
        }
    }
}
