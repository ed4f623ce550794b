import Foundation

/// A sparse document × type count matrix in CSR form (rows = documents in
/// corpus order, columns = vocabulary ids in canonical order, sorted within
/// each row).
public struct DocumentTermMatrix: Sendable {
    /// `rowStart[d]..<rowStart[d+1]` are document d's entries.
    public var rowStart: [Int]
    public var columns: [Int32]
    public var counts: [Int32]
    /// Tokens in each document.
    public var lengths: [Int]
    public var vocabulary: Vocabulary

    public var documentCount: Int { lengths.count }
    public var typeCount: Int { vocabulary.count }
    public var tokenCount: Int { lengths.reduce(0, +) }

    public init(rowStart: [Int], columns: [Int32], counts: [Int32], lengths: [Int], vocabulary: Vocabulary) {
        self.rowStart = rowStart
        self.columns = columns
        self.counts = counts
        self.lengths = lengths
        self.vocabulary = vocabulary
    }

    /// Calls `body(column, count)` for each entry of document `d`.
    @inline(__always)
    public func forEach(inRow d: Int, _ body: (Int, Int) -> Void) {
        for k in rowStart[d]..<rowStart[d + 1] { body(Int(columns[k]), Int(counts[k])) }
    }

    /// The number of stored entries.
    public var nonZeros: Int { columns.count }
}

/// A counted corpus: documents, the document-term matrix, and what the
/// reader reported.
public struct CountedCorpus: Sendable {
    public init(
        input: String, tokenizer: TokenizerSpec, documents: [DocumentInfo], matrix: DocumentTermMatrix, skips: [Skip], bytes: Int,
        invalidSequences: Int, truncatedTokens: Int = 0
    ) {
        self.input = input
        self.tokenizer = tokenizer
        self.documents = documents
        self.matrix = matrix
        self.skips = skips
        self.bytes = bytes
        self.invalidSequences = invalidSequences
        self.truncatedTokens = truncatedTokens
    }

    public var input: String
    public var tokenizer: TokenizerSpec
    public var documents: [DocumentInfo]
    public var matrix: DocumentTermMatrix
    public var skips: [Skip]
    public var bytes: Int
    public var invalidSequences: Int
    /// Word tokens longer than the 1 MiB cap (kept as a prefix and a hash of the rest).
    public var truncatedTokens: Int
    /// The key id of a keyed fingerprint file it was loaded from (its tokens
    /// are keyed hashes, comparable only with the same key's).
    public var keyID: String? = nil
}

/// Counts a corpus: parallel read + tokenise + count, then a deterministic
/// merge of the per-thread vocabularies into canonical ids.
public enum Counter {
    /// Reads and counts `input`, or loads the counts of a fingerprint file
    /// (whose tokenizer must be `tokenizer`). The result is identical
    /// whatever the thread count is.
    ///
    /// With `buildMatrix: false` only the vocabulary, totals, document
    /// frequencies and lengths are kept (the matrix has no entries): what
    /// `stats` needs, at a fraction of the memory.
    /// - Complexity: linear in the bytes read (one pass; a hash-table probe
    ///   per token), then O(V log V) to give the V types canonical ids and
    ///   O(nnz) to build the matrix.
    public static func count(
        _ input: CorpusInput, tokenizer: TokenizerSpec = .word, hashed: Bool = false,
        buildMatrix: Bool = true,
        options: ReadOptions = ReadOptions(), progress: ProgressSink? = nil
    ) throws -> CountedCorpus {
        if input.kind == .fingerprint {
            let file = try FingerprintFile(path: input.path)
            try file.requireCompatible(tokenizer: tokenizer)
            try file.requireNoSkips(strict: options.strict)
            return try file.countedCorpus(tokenizer: tokenizer, hashed: hashed, buildMatrix: buildMatrix)
        }
        let scan = try CorpusReader.read(input, options: options, progress: progress) {
            CountingWorker(tokenizer: tokenizer, hashed: hashed, keepDocuments: buildMatrix)
        }
        defer { for w in scan.workers { w.release() } }
        Trace.mark("count: documents read")
        let matrix = merge(scan.outputs, parts: scan.parts, workers: scan.workers, hashed: hashed, buildMatrix: buildMatrix)
        Trace.mark("count: vocabulary merged")
        return CountedCorpus(
            input: input.description, tokenizer: tokenizer, documents: scan.documents, matrix: matrix,
            skips: scan.skips, bytes: scan.bytes, invalidSequences: scan.invalidSequences, truncatedTokens: scan.truncatedTokens)
    }

    /// Merges per-worker local ids into one canonical vocabulary and builds
    /// the CSR matrix. `parts`: the later parts of documents read in parts
    /// (`CorpusScan.parts`), added to the document's first part.
    package static func merge(
        _ docs: [(worker: Int, output: LocalCounts)], parts: [Int: [(worker: Int, output: LocalCounts)]] = [:],
        workers: [CountingWorker], hashed: Bool, buildMatrix: Bool = true
    ) -> DocumentTermMatrix {
        let tables = workers.map(\.localTable)
        // 1. One table over all workers' tokens: with the tokens' bytes, the
        // first worker's own, its ids kept, with the others' tokens added (a
        // new table filled from all of them took twice the inserts, in the
        // serial tail of every run; the workers' tables are not used after
        // the merge). In hashed mode a new one: a worker's slots hold its
        // tokens' lengths, which the hashes alone do not give.
        let reuse = !hashed && tables.first?.storesBytes == true
        let global = reuse ? tables[0] : TokenTable(storesBytes: !hashed, capacity: tables.map(\.count).max() ?? 16)
        var localToTmp: [[Int32]] = []
        for (w, t) in tables.enumerated() {
            guard w > 0 || !reuse else {
                localToTmp.append((0..<Int32(t.count)).map { $0 })
                continue
            }
            var map = [Int32](repeating: 0, count: t.count)
            for id in 0..<t.count {
                map[id] = t.withToken(id) { global.insert($0, hash: t.hashes[id]) }
            }
            localToTmp.append(map)
        }
        // 2. Canonical order: by bytes (8-byte big-endian prefix, then memcmp), or by hash.
        // Radix-sorted by the key, then each run of equal prefixes (tokens
        // longer than 8 bytes that share their first 8) by the full bytes.
        var n = global.count
        var order: [Int]
        if hashed {
            order = RadixSort.orderByKeys(Array(global.hashes))
        } else {
            let arena = global.arenaBytes
            let prefixes: [UInt64] = (0..<n).map { id in
                let start = global.offset(id)
                let length = global.offset(id + 1) - start
                if start + 8 <= arena.count {
                    // One load: the first 8 bytes (the token's, then
                    // whatever follows it), masked to the token's, big-endian.
                    let w = UnsafeRawPointer(arena.baseAddress! + start).loadUnaligned(as: UInt64.self)
                    return (length >= 8 ? w : w & ((1 &<< UInt64(8 &* length)) &- 1)).byteSwapped
                }
                var v: UInt64 = 0
                for k in 0..<8 { v = v << 8 | UInt64(k < length ? arena[start + k] : 0) }
                return v
            }
            order = RadixSort.orderByKeys(prefixes)
            let a = arena.baseAddress
            var start = 0
            while start < n {
                var end = start + 1
                while end < n && prefixes[order[end]] == prefixes[order[start]] { end += 1 }
                if end - start > 1 {
                    order[start..<end].sort { x, y in
                        let ox = global.offset(x)
                        let oy = global.offset(y)
                        let la = global.offset(x + 1) - ox
                        let lb = global.offset(y + 1) - oy
                        let c = memcmp(a! + ox, a! + oy, min(la, lb))
                        return c != 0 ? c < 0 : la < lb
                    }
                }
                start = end
            }
        }
        var tmpToFinal = [Int32](repeating: 0, count: n)
        for (rank, id) in order.enumerated() { tmpToFinal[id] = Int32(rank) }
        var arena: [UInt8] = []
        var offsets = [0]
        var hashes = [UInt64](repeating: 0, count: n)
        if !hashed { offsets.reserveCapacity(n + 1) }
        let globalHashes = global.hashes
        for (rank, id) in order.enumerated() { hashes[rank] = globalHashes[id] }
        if !hashed {
            // The tokens' bytes in the new order, copied into one array
            // (an append a token was 100 instructions each).
            let from = global.arenaBytes
            arena = [UInt8](unsafeUninitializedCapacity: from.count) { to, initialized in
                var at = 0
                for id in order {
                    let start = global.offset(id)
                    let length = global.offset(id + 1) - start
                    if length > 0 { (to.baseAddress! + at).initialize(from: from.baseAddress! + start, count: length) }
                    at += length
                    offsets.append(at)
                }
                initialized = at
            }
        }
        var maps = localToTmp.map { $0.map { tmpToFinal[Int($0)] } }
        let (docs, excess) = joinParts(docs, parts, maps: &maps, types: n, capping: buildMatrix)

        // 3. Totals and document frequencies (one pass over the entries).
        var rowStart = [Int](repeating: 0, count: docs.count + 1)
        for (d, doc) in docs.enumerated() { rowStart[d + 1] = rowStart[d] + doc.output.ids.count }
        let nnz = rowStart[docs.count]
        var df = [Int32](repeating: 0, count: n)
        var totals = [Int](repeating: 0, count: n)
        if !buildMatrix {
            for (w, worker) in workers.enumerated() {
                for (id, c) in worker.localTotals.enumerated() {
                    let g = Int(maps[w][id])
                    totals[g] += c
                    df[g] += worker.localDocumentFrequency[id]
                }
            }
        }
        // Without a matrix only documents read in parts still hold their entries.
        df.withUnsafeMutableBufferPointer { dfp in
            totals.withUnsafeMutableBufferPointer { tp in
                for doc in docs where buildMatrix || !doc.output.ids.isEmpty {
                    maps[doc.worker].withUnsafeBufferPointer { map in
                        doc.output.ids.withUnsafeBufferPointer { ids in
                            doc.output.counts.withUnsafeBufferPointer { cnt in
                                for k in 0..<ids.count {
                                    let c = Int(map[Int(ids[k])])
                                    dfp[c] &+= 1
                                    tp[c] &+= Int(cnt[k])
                                }
                            }
                        }
                    }
                }
            }
        }
        // A count capped in its document's row still counts whole in the totals.
        for (g, more) in excess { totals[g] += more }
        // 3b. Types no document counts: seen only in documents a worker
        //     tokenised and then discarded (a compressed file found corrupt
        //     or truncated at its end, a document over a limit) are dropped,
        //     and the ids after them renumbered in the same order.
        if totals.contains(0) {
            var newID = [Int32](repeating: -1, count: n)
            var keptArena: [UInt8] = []
            var keptOffsets = [0]
            var keptHashes: [UInt64] = []
            var keptTotals: [Int] = []
            var keptDF: [Int32] = []
            for c in 0..<n where totals[c] > 0 {
                newID[c] = Int32(keptHashes.count)
                keptHashes.append(hashes[c])
                keptTotals.append(totals[c])
                keptDF.append(df[c])
                if !hashed {
                    keptArena.append(contentsOf: arena[offsets[c]..<offsets[c + 1]])
                    keptOffsets.append(keptArena.count)
                }
            }
            for w in maps.indices {
                maps[w].withUnsafeMutableBufferPointer { m in
                    for i in 0..<m.count where m[i] >= 0 { m[i] = newID[Int(m[i])] }
                }
            }
            (arena, offsets, hashes, totals, df) = (keptArena, keptOffsets, keptHashes, keptTotals, keptDF)
            n = hashes.count
        }
        // 4. CSR rows sorted by canonical id, without comparisons: scatter
        //    the entries into columns (a counting sort by column, rows in
        //    order), then read the columns back into rows. O(nnz + V).
        var columns = [Int32]()
        var counts = [Int32]()
        if buildMatrix {
            columns = [Int32](repeating: 0, count: nnz)
            counts = [Int32](repeating: 0, count: nnz)
            var colNext = [Int](repeating: 0, count: n + 1)
            for c in 0..<n { colNext[c + 1] = colNext[c] + Int(df[c]) }
            let cscRow = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, nnz))
            let cscVal = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, nnz))
            defer {
                cscRow.deallocate()
                cscVal.deallocate()
            }
            colNext.withUnsafeMutableBufferPointer { next in
                for (d, doc) in docs.enumerated() {
                    maps[doc.worker].withUnsafeBufferPointer { map in
                        doc.output.ids.withUnsafeBufferPointer { ids in
                            doc.output.counts.withUnsafeBufferPointer { cnt in
                                for k in 0..<ids.count {
                                    let c = Int(map[Int(ids[k])])
                                    let pos = next[c]
                                    next[c] = pos &+ 1
                                    cscRow[pos] = Int32(truncatingIfNeeded: d)
                                    cscVal[pos] = cnt[k]
                                }
                            }
                        }
                    }
                }
            }
            var rowNext = rowStart
            rowNext.withUnsafeMutableBufferPointer { rn in
                columns.withUnsafeMutableBufferPointer { colp in
                    counts.withUnsafeMutableBufferPointer { cntp in
                        var pos = 0
                        for c in 0..<n {
                            let c32 = Int32(truncatingIfNeeded: c)
                            for _ in 0..<Int(df[c]) {
                                let d = Int(cscRow[pos])
                                let o = rn[d]
                                rn[d] = o &+ 1
                                colp[o] = c32
                                cntp[o] = cscVal[pos]
                                pos &+= 1
                            }
                        }
                    }
                }
            }
        } else {
            rowStart = [Int](repeating: 0, count: docs.count + 1)
        }
        let vocab = Vocabulary(
            hashed: hashed, arena: arena, offsets: offsets, hashes: hashes,
            totalCounts: totals, documentFrequency: df)
        return DocumentTermMatrix(
            rowStart: rowStart, columns: columns, counts: counts,
            lengths: docs.map(\.output.tokens), vocabulary: vocab)
    }
}

extension Counter {
    /// `docs` with each document read in parts made one: its parts' counts
    /// summed by canonical id, under an extra worker index whose map (added
    /// to `maps`) is the identity. Documents read whole are unchanged.
    /// - Complexity: O(entries of the parts + the types of those documents).
    /// Each document read in parts as one row, its counts summed (in
    /// `Int`: a file of 4.4 GB of one word has 2.2 billion of it, past
    /// `Int32`, though each 4 MB part holds at most 2 million). A sum past
    /// 2³¹ − 1 is capped in the row; `excess` gives what the cap left out,
    /// by global id, for exact totals. `capping`: the rows are kept (a
    /// matrix), so a cap is recorded (`CountLimit`); without a matrix the
    /// rows only feed the totals, which stay exact.
    static func joinParts(
        _ docs: [(worker: Int, output: LocalCounts)], _ parts: [Int: [(worker: Int, output: LocalCounts)]], maps: inout [[Int32]],
        types: Int, capping: Bool
    ) -> (docs: [(worker: Int, output: LocalCounts)], excess: [(Int, Int)]) {
        guard !parts.isEmpty else { return (docs, []) }
        let identity = maps.count
        maps.append((0..<types).map { Int32($0) })
        var out = docs
        var excess: [(Int, Int)] = []
        var sum = [Int](repeating: 0, count: types)
        for (d, rest) in parts.sorted(by: { $0.key < $1.key }) {
            var ids: [Int32] = []
            var tokens = 0
            for piece in [docs[d]] + rest {
                let map = maps[piece.worker]
                for (id, c) in zip(piece.output.ids, piece.output.counts) {
                    let g = Int(map[Int(id)])
                    if sum[g] == 0 { ids.append(Int32(g)) }
                    sum[g] += Int(c)
                }
                tokens += piece.output.tokens
            }
            ids.sort()
            let counts = ids.map { id -> Int32 in
                let c = sum[Int(id)]
                guard c > Int(Int32.max) else { return Int32(c) }
                excess.append((Int(id), c - Int(Int32.max)))
                return capping ? CountLimit.clamp(c) : .max
            }
            for id in ids { sum[Int(id)] = 0 }
            out[d] = (worker: identity, output: LocalCounts(ids: ids, counts: counts, tokens: tokens))
        }
        return (out, excess)
    }

    /// Counts documents held in memory (tests, benchmarks, generated data),
    /// exactly as if each were a file of a directory read in this order.
    public static func count(
        documents: [[UInt8]], names: [String]? = nil, tokenizer: TokenizerSpec = .word,
        label: String = "(memory)"
    ) -> CountedCorpus {
        var worker = CountingWorker(tokenizer: tokenizer)
        defer { worker.release() }
        var outputs: [(worker: Int, output: LocalCounts)] = []
        var infos: [DocumentInfo] = []
        var skips: [Skip] = []
        var bytes = 0
        for (i, d) in documents.enumerated() {
            let name = names?[i] ?? "doc\(i)"
            guard !d.isEmpty else {
                skips.append(Skip(path: name, reason: "empty document"))
                continue
            }
            d.withUnsafeBufferPointer { worker.feed($0) }
            outputs.append((0, worker.finish()))
            infos.append(DocumentInfo(name: name, path: name, line: nil, bytes: d.count))
            bytes += d.count
        }
        let m = merge(outputs, workers: [worker], hashed: false)
        return CountedCorpus(
            input: label, tokenizer: tokenizer, documents: infos, matrix: m, skips: skips,
            bytes: bytes, invalidSequences: worker.invalidSequences)
    }
}
