import Foundation

/// The byte-level BPE model of a Hugging Face `tokenizer.json` (GPT-2,
/// RoBERTa, Llama-3, Qwen2 style): the text is split into pieces by the
/// `ByteLevel` pre-tokenizer's regex (GPT-2's, the r50k scanner) or by a
/// `Split` with the Llama-3 or Qwen2 regex followed by `ByteLevel` without
/// one; each piece's UTF-8 bytes are merged by **merge rank** (the position
/// of the pair in `merges`, lowest first, leftmost on a tie — `tokenizers`'
/// `Word::merge_all`), after a whole-piece look-up when `ignore_merges`.
/// Vocabulary strings are read back to bytes through GPT-2's byte↔unicode
/// table, so the work is on raw bytes.
package final class HFByteLevelBPE: @unchecked Sendable {
    package var vocabularyEntries: [([UInt8], UInt32)] { vocabulary.entriesByRank() }
    let vocabulary: BPEVocabulary
    /// (left id << 32 | right id) → merge rank.
    let merges: [UInt64: UInt32]
    /// The token each merge makes, in merge order (for `fingerprint tokenizers`).
    package let mergeList: [[UInt8]]
    let pattern: PrePattern
    let ignoreMerges: Bool
    let nfc: Bool

    /// GPT-2's `bytes_to_unicode`: printable Latin-1 bytes map to themselves,
    /// the others to U+0100 onwards in byte order.
    static let byteOfScalar: [UInt32: UInt8] = {
        var printable: [UInt8] = []
        for b in 0x21...0x7E { printable.append(UInt8(b)) }
        for b in 0xA1...0xAC { printable.append(UInt8(b)) }
        for b in 0xAE...0xFF { printable.append(UInt8(b)) }
        var map: [UInt32: UInt8] = [:]
        for b in printable { map[UInt32(b)] = b }
        var n: UInt32 = 0
        for b in 0...255 where !printable.contains(UInt8(b)) {
            map[256 + n] = UInt8(b)
            n += 1
        }
        return map
    }()

    static func bytes(ofToken t: String) -> [UInt8]? {
        var out: [UInt8] = []
        for s in t.unicodeScalars {
            guard let b = byteOfScalar[s.value] else { return nil }
            out.append(b)
        }
        return out
    }

    /// Known `Split` regexes, exactly as the files spell them.
    static let splitPatterns: [String: PrePattern] = [
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .llama3,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .qwen2,
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .r50k,
    ]

    /// Reads the model, pre-tokenizer and normalizer; `bad` makes the
    /// one-line error naming the component.
    init(root: [String: Any], model: [String: Any], bad: (String) -> FingerprintError) throws {
        for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key], !(v is NSNull), !((v as? String)?.isEmpty ?? false) {
                throw bad("BPE \(key) \(v) is not supported; nothing was tokenised")
            }
        }
        if (model["byte_fallback"] as? Bool) == true { throw bad("BPE byte_fallback is not supported; nothing was tokenised") }
        ignoreMerges = (model["ignore_merges"] as? Bool) ?? false
        // Normalizer: none or NFC.
        if let n = root["normalizer"], !(n is NSNull) {
            guard let nd = n as? [String: Any], let nt = nd["type"] as? String, nt == "NFC" else {
                let t = ((n as? [String: Any])?["type"] as? String) ?? "?"
                throw bad("normalizer \(t) is not supported with a BPE model (only NFC or none); nothing was tokenised")
            }
            nfc = true
        } else {
            nfc = false
        }
        // Pre-tokenizer: ByteLevel with its regex, or Split(regex) + ByteLevel without one.
        func byteLevel(_ d: [String: Any], regex: Bool) throws {
            guard (d["type"] as? String) == "ByteLevel" else {
                throw bad("pre_tokenizer \(d["type"] as? String ?? "?") is not supported with a BPE model; nothing was tokenised")
            }
            if (d["add_prefix_space"] as? Bool) == true {
                throw bad("ByteLevel add_prefix_space is not supported; nothing was tokenised")
            }
            if ((d["use_regex"] as? Bool) ?? true) != regex {
                throw bad("ByteLevel use_regex \(!regex) is not supported here; nothing was tokenised")
            }
        }
        guard let p = root["pre_tokenizer"] as? [String: Any], let pt = p["type"] as? String else {
            throw bad("no pre_tokenizer (a BPE model needs ByteLevel); nothing was tokenised")
        }
        if pt == "ByteLevel" {
            try byteLevel(p, regex: true)
            pattern = .r50k
        } else if pt == "Sequence", let list = p["pretokenizers"] as? [[String: Any]], list.count == 2,
            (list[0]["type"] as? String) == "Split"
        {
            let split = list[0]
            guard let regex = (split["pattern"] as? [String: Any])?["Regex"] as? String, let known = Self.splitPatterns[regex] else {
                throw bad("Split pattern is not one of the supported regexes (GPT-2, Llama-3, Qwen2); nothing was tokenised")
            }
            guard (split["behavior"] as? String) == "Isolated", (split["invert"] as? Bool) != true else {
                throw bad("Split behavior other than Isolated is not supported; nothing was tokenised")
            }
            try byteLevel(list[1], regex: false)
            pattern = known
        } else {
            throw bad("pre_tokenizer \(pt) is not supported with a BPE model; nothing was tokenised")
        }
        // Vocabulary (byte strings with their ids) and merges.
        guard let v = model["vocab"] as? [String: Any], !v.isEmpty else { throw bad("BPE model without a vocab") }
        var tokens: [[UInt8]] = []
        var ids: [UInt32] = []
        var idOfString: [String: UInt32] = [:]
        for (t, idv) in v {
            guard let n = idv as? NSNumber, let id = UInt32(exactly: n.doubleValue) else { throw bad("vocab entry \(t) has no id") }
            guard let b = Self.bytes(ofToken: t) else {
                throw bad("vocab token \(t.debugDescription) is not byte-level (only byte-level BPE is supported)")
            }
            tokens.append(b)
            ids.append(id)
            idOfString[t] = id
        }
        do {
            vocabulary = try BPEVocabulary(tokens: tokens, ranks: ids)
        } catch {
            throw bad("vocab: \(error)")
        }
        guard let list = model["merges"] as? [Any] else { throw bad("BPE model without merges") }
        var merges: [UInt64: UInt32] = [:]
        var mergeList: [[UInt8]] = []
        for (rank, m) in list.enumerated() {
            let pair: [String]
            if let s = m as? String {
                pair = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let a = m as? [String] {
                pair = a
            } else {
                throw bad("merge \(rank) is malformed")
            }
            guard pair.count == 2, let l = idOfString[pair[0]], let r = idOfString[pair[1]], idOfString[pair[0] + pair[1]] != nil
            else {
                throw bad("merge \(rank) names a token that is not in the vocab")
            }
            let key = UInt64(l) << 32 | UInt64(r)
            if merges[key] == nil { merges[key] = UInt32(rank) }
            mergeList.append(Self.bytes(ofToken: pair[0] + pair[1])!)
        }
        self.merges = merges
        self.mergeList = mergeList
    }

    /// Appends the ids of `text` (a segment between added tokens, valid UTF-8).
    func encode(_ text: [UInt8], into out: inout [UInt32]) {
        var bytes = text
        if nfc {
            bytes = Array(String(decoding: text, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
        }
        bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress, b.count > 0 else { return }
            pattern.pieces(p, b.count) { s, e in encodePiece(p + s, e - s, into: &out) }
        }
    }

    @inline(__always)
    func mergeRank(_ p: UnsafePointer<UInt8>, _ a: Int, _ m: Int, _ b: Int) -> UInt32 {
        let l = vocabulary.rank(p + a, m - a)
        let r = vocabulary.rank(p + m, b - m)
        guard l != BPEVocabulary.none, r != BPEVocabulary.none else { return BPEVocabulary.none }
        return merges[UInt64(l) << 32 | UInt64(r)] ?? BPEVocabulary.none
    }

    func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        if n == 1 {
            out.append(vocabulary.rank(p, 1))
            return
        }
        if ignoreMerges {
            let whole = vocabulary.rank(p, n)
            if whole != BPEVocabulary.none {
                out.append(whole)
                return
            }
        }
        // Parts start as single bytes; `next[i]` is the start of the part after i.
        var next = [Int](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = i + 1 }
            c = n
        }
        var prev = [Int](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = i - 1 }
            c = n
        }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        for i in 0..<n - 1 {
            let r = mergeRank(p, i, i + 1, i + 2)
            if r != BPEVocabulary.none { heap.push(UInt64(r) << 32 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let r = UInt32(top >> 32)
            let left = Int(top & 0xFFFF_FFFF)
            guard alive[left], next[left] < n else { continue }
            let right = next[left]
            let stop = next[right]
            guard mergeRank(p, left, right, stop) == r else { continue }
            alive[right] = false
            next[left] = stop
            if stop < n {
                prev[stop] = left
                let r2 = mergeRank(p, left, stop, next[stop])
                if r2 != BPEVocabulary.none { heap.push(UInt64(r2) << 32 | UInt64(left)) }
            }
            let before = prev[left]
            if before >= 0 {
                let r0 = mergeRank(p, before, left, stop)
                if r0 != BPEVocabulary.none { heap.push(UInt64(r0) << 32 | UInt64(before)) }
            }
        }
        var i = 0
        while i < n {
            out.append(vocabulary.rank(p + i, next[i] - i))
            i = next[i]
        }
    }
}
