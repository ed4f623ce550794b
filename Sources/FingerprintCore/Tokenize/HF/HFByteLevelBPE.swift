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
    /// (left id, right id) → (merge rank, merged id).
    let merges: MergeTable
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

    /// `byteOfScalar` as a table by scalar value (−1: not in the alphabet).
    static let byteTable: [Int16] = {
        var t = [Int16](repeating: -1, count: 0x144)
        for (scalar, b) in byteOfScalar { t[Int(scalar)] = Int16(b) }
        return t
    }()

    static func bytes(ofToken t: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(t.utf8.count)
        for s in t.unicodeScalars {
            guard s.value < 0x144, byteTable[Int(s.value)] >= 0 else { return nil }
            out.append(UInt8(byteTable[Int(s.value)]))
        }
        return out
    }

    /// `bytes(ofToken:)` of a token given as UTF-8 (valid: from `BPEJSONScan`).
    static func bytes(ofUTF8 u: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            let v: Int
            if u[i] < 0x80 {
                v = Int(u[i])
                i += 1
            } else if u[i] & 0xE0 == 0xC0 && i + 1 < u.count {
                v = Int(u[i] & 0x1F) << 6 | Int(u[i + 1] & 0x3F)
                i += 2
            } else {
                return nil
            }
            guard v < 0x144, byteTable[v] >= 0 else { return nil }
            out.append(UInt8(byteTable[v]))
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
    /// `large`: the vocab and merges read by `BPEJSONScan` (else they are
    /// read from `model`).
    init(root: [String: Any], model: [String: Any], large: BPEJSONScan.Result?, bad: (String) -> FingerprintError) throws {
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
        var tokens: [[UInt8]] = []
        var ids: [UInt32] = []
        if let large {
            guard !large.vocab.isEmpty else { throw bad("BPE model without a vocab") }
            tokens.reserveCapacity(large.vocab.count)
            ids.reserveCapacity(large.vocab.count)
            for (t, id) in large.vocab {
                guard let b = Self.bytes(ofUTF8: t) else {
                    throw bad(
                        "vocab token \(String(decoding: t, as: UTF8.self).debugDescription) is not byte-level (only byte-level BPE is supported)"
                    )
                }
                tokens.append(b)
                ids.append(id)
            }
        } else {
            guard let v = model["vocab"] as? [String: Any], !v.isEmpty else { throw bad("BPE model without a vocab") }
            tokens.reserveCapacity(v.count)
            ids.reserveCapacity(v.count)
            for (t, idv) in v {
                guard let n = idv as? NSNumber, let id = UInt32(exactly: n.doubleValue) else { throw bad("vocab entry \(t) has no id") }
                guard let b = Self.bytes(ofToken: t) else {
                    throw bad("vocab token \(t.debugDescription) is not byte-level (only byte-level BPE is supported)")
                }
                tokens.append(b)
                ids.append(id)
            }
        }
        let vocabulary: BPEVocabulary
        do {
            vocabulary = try BPEVocabulary(tokens: tokens, ranks: ids)
        } catch {
            throw bad("vocab: \(error)")
        }
        self.vocabulary = vocabulary
        // Merges: the two tokens and their concatenation must be in the
        // vocabulary; looked up by their bytes (distinct strings of the
        // byte-level alphabet are distinct byte strings).
        var pairs: [([UInt8], [UInt8])?] = []
        if let large {
            pairs = large.merges.map { (Self.bytes(ofUTF8: $0.0) ?? [], Self.bytes(ofUTF8: $0.1) ?? []) }
        } else {
            guard let list = model["merges"] as? [Any] else { throw bad("BPE model without merges") }
            pairs.reserveCapacity(list.count)
            for (rank, m) in list.enumerated() {
                let pair: [String]
                if let s = m as? String {
                    pair = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                } else if let a = m as? [String] {
                    pair = a
                } else {
                    throw bad("merge \(rank) is malformed")
                }
                if pair.count == 2, let lb = Self.bytes(ofToken: pair[0]), let rb = Self.bytes(ofToken: pair[1]) {
                    pairs.append((lb, rb))
                } else {
                    pairs.append(nil)
                }
            }
        }
        var entries: [(UInt32, UInt32, UInt32, UInt32)] = []
        entries.reserveCapacity(pairs.count)
        var mergeList: [[UInt8]] = []
        mergeList.reserveCapacity(pairs.count)
        func id(_ b: [UInt8]) -> UInt32? {
            if b.isEmpty { return nil }
            let r = b.withUnsafeBufferPointer { vocabulary.rank($0.baseAddress!, $0.count) }
            return r == BPEVocabulary.none ? nil : r
        }
        for (rank, pair) in pairs.enumerated() {
            guard let (lb, rb) = pair, let l = id(lb), let r = id(rb), let merged = id(lb + rb) else {
                throw bad("merge \(rank) names a token that is not in the vocab")
            }
            entries.append((l, r, UInt32(rank), merged))
            mergeList.append(lb + rb)
        }
        merges = MergeTable(entries)
        self.mergeList = mergeList
    }

    /// Appends the ids of `text` (valid UTF-8 between added tokens):
    /// normalized, cut into pieces, each piece merged (through `cache` when given).
    func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32], cache: PieceCache? = nil) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        if nfc && Self.mayChangeUnderNFC(text) {
            let normalized = Array(String(decoding: text, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            normalized.withUnsafeBufferPointer { encodePieces($0.baseAddress!, $0.count, into: &out, cache: cache) }
        } else {
            encodePieces(base, text.count, into: &out, cache: cache)
        }
    }

    /// Whether NFC may change `text`: only if some scalar is U+0300 or
    /// above (lead byte 0xCC or more). Every scalar below U+0300 is NFC_QC=Yes
    /// and a starter that composes with no preceding scalar, so a text of
    /// them alone is already in NFC.
    @inline(__always)
    static func mayChangeUnderNFC(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in text where b >= 0xCC { return true }
        return false
    }

    @inline(__always)
    func encodePieces(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], cache: PieceCache?) {
        if let cache {
            pattern.pieces(p, n) { s, e in cache.encode(p + s, e - s, self, into: &out) }
        } else {
            pattern.pieces(p, n) { s, e in encodePiece(p + s, e - s, into: &out) }
        }
    }

    /// The ids of one piece (n ≥ 1): its single byte; the whole piece when
    /// `ignore_merges` and it is a token; else the merges — lowest merge
    /// rank first, the leftmost on a tie, until no adjacent pair merges —
    /// by a scan of at most 64 symbols, or with a heap beyond.
    func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        var work = BPEVocabulary.MergeWork()
        encodePiece(p, n, into: &out, work: &work)
    }

    /// `encodePiece`, adding its merge-table lookups (and the scan's visits)
    /// to `work`: tests bound the complexity with it instead of a clock.
    package func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], work: inout BPEVocabulary.MergeWork) {
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
        if n <= 64 { mergeByScan(p, n, into: &out, work: &work) } else { mergeByHeap(p, n, into: &out, work: &work) }
    }

    /// The merges on a short piece: the symbols' ids and, for each adjacent
    /// pair, its `MergeTable` value (rank << 32 | merged id), so the next
    /// merge is the smallest value — the lowest rank, the leftmost on a tie
    /// (one rank is one pair, so equal ranks are equal values).
    package func mergeByScan(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], work: inout BPEVocabulary.MergeWork) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { ids in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { pairs in
                for i in 0..<n { ids[i] = vocabulary.rank(p + i, 1) }
                pairs[n - 1] = MergeTable.none
                var m = n
                for i in 0..<m - 1 { pairs[i] = merges.lookup(ids[i], ids[i + 1]) }
                work.lookups += m - 1
                while m > 1 {
                    var best = MergeTable.none
                    var at = 0
                    work.visits += m - 1
                    for k in 0..<m - 1 where pairs[k] < best {
                        best = pairs[k]
                        at = k
                    }
                    if best == MergeTable.none { break }
                    ids[at] = UInt32(truncatingIfNeeded: best)
                    m -= 1
                    var k = at + 1
                    while k < m {
                        ids[k] = ids[k + 1]
                        pairs[k] = pairs[k + 1]
                        k += 1
                    }
                    if at > 0 {
                        pairs[at - 1] = merges.lookup(ids[at - 1], ids[at])
                        work.lookups += 1
                    }
                    if at < m - 1 {
                        pairs[at] = merges.lookup(ids[at], ids[at + 1])
                        work.lookups += 1
                    }
                }
                out.append(contentsOf: UnsafeBufferPointer(start: ids.baseAddress, count: m))
            }
        }
    }

    /// The same merges on a long piece: a linked list of symbols and a
    /// min-heap of (rank, left position) with lazy deletion (an entry is
    /// current when its left symbol is alive and the pair it now forms has
    /// the entry's rank) — `tokenizers`' `Word::merge_all`, O(n log n).
    package func mergeByHeap(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], work: inout BPEVocabulary.MergeWork) {
        let dead = UInt32.max
        var ids = [UInt32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = vocabulary.rank(p + i, 1) }
            c = n
        }
        var next = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i + 1) }
            c = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i - 1) }
            c = n
        }
        var heap = MinHeap()
        heap.reserve(n)
        @inline(__always) func push(_ v: UInt64, _ at: Int) {
            if v != MergeTable.none { heap.push((v >> 32) << 32 | UInt64(at)) }
        }
        @inline(__always) func lookup(_ l: UInt32, _ r: UInt32) -> UInt64 {
            work.lookups += 1
            return merges.lookup(l, r)
        }
        for i in 0..<n - 1 { push(lookup(ids[i], ids[i + 1]), i) }
        while let top = heap.pop() {
            let left = Int(top & 0xFFFF_FFFF)
            guard ids[left] != dead, Int(next[left]) < n else { continue }
            let right = Int(next[left])
            let v = lookup(ids[left], ids[right])
            guard v >> 32 == top >> 32 else { continue }
            ids[left] = UInt32(truncatingIfNeeded: v)
            ids[right] = dead
            let stop = Int(next[right])
            next[left] = Int32(stop)
            if stop < n {
                prev[stop] = Int32(left)
                push(lookup(ids[left], ids[stop]), left)
            }
            let before = Int(prev[left])
            if before >= 0 { push(lookup(ids[before], ids[left]), before) }
        }
        var i = 0
        while i < n {
            out.append(ids[i])
            i = Int(next[i])
        }
    }
}

extension HFByteLevelBPE: PieceEncoder {}

/// The merges of a BPE model keyed by the ids of the pair: an
/// open-addressing table (linear probing, load at most 1/2) of
/// `left id << 32 | right id` → `rank << 32 | id of the merged token`, so
/// a pair costs a multiply and mostly one cache line — no hash of bytes,
/// no `Dictionary`.
final class MergeTable: @unchecked Sendable {
    /// No merge for the pair (larger than every value).
    static let none = UInt64.max
    /// Key and value per slot, back to back; an empty slot's key is `none`
    /// (ids are below 2^26, so no pair has that key).
    private let slots: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let shift: UInt64
    let count: Int

    /// `entries`: (left, right, rank, merged id); a pair given twice keeps
    /// its last rank, as `tokenizers` does (it collects the merges into a map).
    init(_ entries: [(UInt32, UInt32, UInt32, UInt32)]) {
        var bits = 4
        while (1 << bits) < entries.count * 2 { bits += 1 }
        let cap = 1 << bits
        mask = cap - 1
        shift = UInt64(64 - bits)
        slots = .allocate(capacity: 2 * cap)
        slots.initialize(repeating: MergeTable.none, count: 2 * cap)
        var n = 0
        for (l, r, rank, id) in entries {
            let key = UInt64(l) << 32 | UInt64(r)
            var s = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while slots[2 * s] != key && slots[2 * s] != MergeTable.none { s = (s + 1) & mask }
            if slots[2 * s] == MergeTable.none { n += 1 }
            slots[2 * s] = key
            slots[2 * s + 1] = UInt64(rank) << 32 | UInt64(id)
        }
        count = n
    }

    deinit { slots.deallocate() }

    /// `rank << 32 | merged id` for the pair, or `none`.
    @inline(__always)
    func lookup(_ l: UInt32, _ r: UInt32) -> UInt64 {
        let key = UInt64(l) << 32 | UInt64(r)
        var s = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = slots[2 * s]
            if k == key { return slots[2 * s + 1] }
            if k == MergeTable.none { return MergeTable.none }
            s = (s + 1) & mask
        }
    }
}
