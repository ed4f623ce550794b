import FingerprintCore
import Foundation

/// Writes documents into a fingerprint file in two stages that may run on
/// two threads: *mapping* (the reading thread, between batches: token ids of
/// a worker's table → the file's vocabulary ids, new tokens kept in memory)
/// and *rows* (one writer thread: document rows, band keys, count changes).
/// Neither stage touches the other's state; `finish()` then writes the new
/// tokens and the vocabulary's counts. The caller wraps it all in one
/// transaction.
package final class FingerprintWriter {
    let file: FingerprintFile
    var db: SQLiteDatabase { file.database }
    let key: FingerprintKey?

    // Mapping stage.
    /// Stored token (bytes, or the 8-byte keyed hash) → vocabulary slot.
    let vocabulary = TokenTable(storesBytes: true, capacity: 1 << 16)
    /// File id of each slot (appended to by the mapping stage).
    var fileID: [Int64] = []
    /// The ids of the tokens the file held when opened, ascending (the first
    /// slots), and the first id given to a new token: the rows stage maps a
    /// removed document's ids to slots through these, never through
    /// `fileID`, which the mapping stage appends to meanwhile.
    private(set) var storedIDs: [Int64] = []
    private(set) var firstNewID: Int64 = 0
    /// Tokens new to the file, written by `finish()`.
    var newTokens: [(slot: Int32, id: Int64, token: [UInt8])] = []
    var nextFileID: Int64
    /// Per reading worker: its local id → slot (−1: not seen yet).
    var localMaps: [[Int32]] = []

    // Rows stage.
    /// Count and document-frequency changes by slot.
    var countDelta: [Int] = []
    var documentDelta: [Int] = []
    let insertDocument: SQLiteStatement
    /// What `remove` reads of a document.
    let removedDocument: SQLiteStatement
    let banding: LSHBanding
    /// Where n-gram sets' storage goes once written (`HashBufferPool`).
    var pool: HashBufferPool?

    /// A document ready for the rows stage: its counts by (slot, file id).
    struct Row: Sendable {
        var info: DocumentInfo
        var counts: [(slot: Int32, id: Int64, count: Int32)]
        var sketch: FileSketch
    }

    public init(file: FingerprintFile, key: FingerprintKey?) throws {
        self.file = file
        self.key = key
        let p = file.parameters
        banding = LSHBanding(bands: p.bands, rows: p.rows)
        insertDocument = try file.database.prepare(
            """
            INSERT INTO documents(name, ord, path, line, key, bytes, invalid, truncated, digest, tokens, counts,
              shingle_tokens, exact, simhash, minhash, shingles, grams8, grams13)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING
            """)
        removedDocument = try file.database.prepare(
            "SELECT minhash, grams13, shingle_tokens, length(shingles), counts, tokens FROM documents WHERE id = ?")
        if try file.upgradeSchema() { gramsStale = true }
        try file.requireIndexesNotEmptied(gramsRebuilt: gramsStale)
        nextFileID = (try file.database.integer("SELECT max(id) FROM vocabulary") ?? 0) + 1
        rowsBefore = try file.database.integer("SELECT max(id) FROM documents") ?? 0
        var ids: [Int64] = []
        let s = try file.database.prepare("SELECT id, token FROM vocabulary ORDER BY id")
        while try s.step() {
            let id = s.int64(0)
            let v = s.withBytes(1) { raw in
                raw.withMemoryRebound(to: UInt8.self) { b in Int(vocabulary.insert(b, hash: TokenTable.hash(b))) }
            }
            // A token's second row (the column is UNIQUE): its counts would
            // be kept apart from the first's.
            guard v == ids.count else {
                throw FingerprintError.badData(
                    path: file.path, reason: "vocabulary rows \(ids[v]) and \(id) hold the same token (damaged file)")
            }
            ids.append(id)
        }
        fileID = ids
        storedIDs = ids
        firstNewID = nextFileID
        clearPendingBands()
    }

    // MARK: Mapping stage

    /// The slot of a stored token, a new file id when it is new.
    func slot(stored b: UnsafeBufferPointer<UInt8>) -> Int32 {
        let v = vocabulary.insert(b, hash: TokenTable.hash(b))
        if Int(v) == fileID.count {
            fileID.append(nextFileID)
            newTokens.append((v, nextFileID, Array(b)))
            nextFileID += 1
        }
        return v
    }

    /// The slot of a reading worker's local token id (`map`: that worker's
    /// local id → slot, −1 where not seen yet).
    @inline(__always)
    private func slot(local: Int32, map: inout [Int32], table: TokenTable) -> Int32 {
        if Int(local) >= map.count { map.append(contentsOf: repeatElement(-1, count: max(table.count, Int(local) + 1) - map.count)) }
        let known = map[Int(local)]
        if known >= 0 { return known }
        let v = table.withToken(Int(local)) { token -> Int32 in
            if let key {
                var h = key.token(token).bigEndian
                return withUnsafeBytes(of: &h) { slot(stored: $0.bindMemory(to: UInt8.self)) }
            }
            return slot(stored: token)
        }
        map[Int(local)] = v
        return v
    }

    /// A document read from a corpus (its worker's local ids), ready for
    /// `insert(_:)`. Runs on the reading thread between batches, while the
    /// readers wait: the worker's map is taken out of `localMaps` for the
    /// document and the file ids read through a buffer (indexing the
    /// class's arrays checked exclusive access on every pair, ~2% of
    /// `sketch`'s samples on 9 KB files).
    func row(_ info: DocumentInfo, _ sketch: FileSketch, worker w: Int, table: TokenTable) -> Row {
        while localMaps.count <= w { localMaps.append([]) }
        var map: [Int32] = []
        swap(&map, &localMaps[w])
        let ids = sketch.counts.ids
        let n = ids.count
        var slots = [Int32](repeating: 0, count: n)
        for k in 0..<n { slots[k] = slot(local: ids[k], map: &map, table: table) }
        swap(&map, &localMaps[w])
        var counts: [(slot: Int32, id: Int64, count: Int32)] = []
        counts.reserveCapacity(n)
        fileID.withUnsafeBufferPointer { f in
            for k in 0..<n { counts.append((slots[k], f[Int(slots[k])], sketch.counts.counts[k])) }
        }
        return Row(info: info, counts: counts, sketch: sketch)
    }

    // MARK: Rows stage

    /// The sort key of a document: its relative path (the name without a
    /// JSONL record's `:LINE`), or its keyed name.
    static func order(_ info: DocumentInfo) -> String {
        guard info.line != nil, let colon = info.name.lastIndex(of: ":") else { return info.name }
        return String(info.name[..<colon])
    }

    /// Stores one document, named as the file keeps names (keyed when the
    /// file is keyed without names); returns its row id, or nil when the
    /// file holds a document of that name (and nothing changed).
    @discardableResult
    func insert(_ r: Row, namePrefix: String = "") throws -> Int64? {
        let info = r.info
        let keepNames = key == nil || file.parameters.keepNames
        return try insertRow(
            name: stored(namePrefix + info.name), order: Array(stored(namePrefix + FingerprintWriter.order(info)).utf8),
            path: keepNames ? info.path : nil, line: info.line, key: keepNames ? info.key : nil, bytes: info.bytes, counts: r.counts,
            sketch: r.sketch)
    }

    /// A name (or path) as the file keeps it: itself, or its keyed hash in
    /// a keyed file without names.
    func stored(_ name: String) -> String { FingerprintWriter.stored(name, key: key, keepNames: file.parameters.keepNames) }

    /// The same, for readers that look names up before a writer exists.
    static func stored(_ name: String, key: FingerprintKey?, keepNames: Bool) -> String {
        key == nil || keepNames ? name : key!.name(name)
    }

    /// Stores a document row copied from another file (names as stored there).
    @discardableResult
    func insertStored(name: String, order: [UInt8], path: String?, row r: Row) throws -> Int64 {
        let row = try insertRow(
            name: name, order: order, path: path, line: r.info.line, key: r.info.key, bytes: r.info.bytes, counts: r.counts,
            sketch: r.sketch)
        guard let row else {
            throw FingerprintError.badData(
                path: file.path, reason: "holds a document named '\(name)' already (give the shards distinct --name-prefix values)")
        }
        return row
    }

    private func insertRow(
        name: String, order: [UInt8], path: String?, line: Int?, key documentKey: String?, bytes: Int,
        counts: [(slot: Int32, id: Int64, count: Int32)], sketch: FileSketch
    ) throws -> Int64? {
        // The (id, count) pairs in id order: one word each, id above count
        // (a document's ids are distinct vocabulary row ids, positive and
        // below 2³¹), radix-sorted by the id (tuples sorted through a
        // closure, or the words by `sort()`, were 4% of `sketch`'s samples,
        // on the writer's thread).
        var packed = [UInt64](repeating: 0, count: counts.count)
        var maxSlot = -1
        var maxID: Int64 = 0
        for (k, c) in counts.enumerated() {
            packed[k] = UInt64(UInt32(truncatingIfNeeded: c.id)) << 32 | UInt64(UInt32(bitPattern: c.count))
            maxSlot = max(maxSlot, Int(c.slot))
            maxID = max(maxID, c.id)
        }
        // Ids past 2³¹ − 1 come only from a damaged vocabulary (a stored id
        // that large, and new tokens after it).
        guard maxID <= Int64(Int32.max) else {
            throw FingerprintError.badData(path: file.path, reason: "its vocabulary ids run past 2^31 (a damaged file)")
        }
        RadixSort.sortByHigh32(&packed, scratch: &sortScratch)
        var pairs = [Int32](repeating: 0, count: 2 * packed.count)
        for (k, w) in packed.enumerated() {
            pairs[2 * k] = Int32(bitPattern: UInt32(truncatingIfNeeded: w >> 32))
            pairs[2 * k + 1] = Int32(bitPattern: UInt32(truncatingIfNeeded: w))
        }
        let s = insertDocument
        s.bind(1, name)
        s.bind(2, array: order)
        s.bind(3, path)
        if let line { s.bind(4, line) } else { s.bindNull(4) }
        s.bind(5, documentKey)
        s.bind(6, bytes)
        s.bind(7, sketch.invalid)
        s.bind(8, sketch.truncated)
        s.bind(9, array: sketch.digest)
        s.bind(10, sketch.counts.tokens)
        s.bind(11, array: pairs)
        s.bind(12, sketch.shingleTokens)
        s.bind(13, Int64(bitPattern: sketch.exact))
        s.bind(14, Int64(bitPattern: sketch.simhash))
        s.bind(15, array: sketch.minhash)
        // A name the file holds already inserts nothing (ON CONFLICT DO
        // NOTHING), and the caller decides. Looking every name up before
        // its insert probed the names' index twice a new document: `index
        // add` of 1,000,000 new short documents 15.2 → 13.2 s without it
        // (session 27), and no slower when all 1,000,000 are unchanged.
        try s.run(binding: [(16, sketch.shingles), (17, sketch.grams[0]), (18, sketch.grams[1])])
        guard db.changes > 0 else { return nil }
        // Not `SELECT last_insert_rowid()`: that statement was prepared
        // (parsed) anew for every document.
        let row = db.lastInsertRowID
        if row <= rowsBefore { rowsGivenAgain.insert(row) }
        rowsMaxID = max(rowsMaxID, maxID)
        growDeltas(through: maxSlot)
        // Through buffers: indexing the class's arrays checked exclusive
        // access on every pair (6% of `sketch`'s samples on 9 KB files).
        countDelta.withUnsafeMutableBufferPointer { cd in
            documentDelta.withUnsafeMutableBufferPointer { dd in
                for c in counts {
                    cd[Int(c.slot)] += Int(c.count)
                    dd[Int(c.slot)] += 1
                }
            }
        }
        if file.parameters.hasBandKeys(shingleTokens: sketch.shingleTokens, shingles: sketch.shingles.count) {
            for (band, h) in FingerprintWriter.bandKeys(sketch.minhash, banding).enumerated() { pendingBands[band].append(h, row) }
            pendingBandCount += banding.bands
            try flushBands()
        }
        if !gramsStale && !sketch.grams[1].isEmpty {
            pendingGrams.append(sketch.grams[1])
            pendingGramCount += sketch.grams[1].count
            if pendingGramCount >= FingerprintFile.gramRunHashes { try flushGrams() }
        }
        return row
    }

    /// 13-gram sets of the documents inserted and removed since the last
    /// flush: the next run of the gram index (docs/FINGERPRINT-FILES.md).
    var pendingGrams: [[UInt64]] = []
    var pendingRemovedGrams: [[UInt64]] = []
    /// The largest vocabulary id of a document this write inserted (rows stage).
    var rowsMaxID: Int64 = 0
    /// The largest document row id before this write, and the ids at or
    /// below it that this write gave again (SQLite's next row id follows
    /// the largest, so a removed last row's id comes back).
    let rowsBefore: Int64
    private var rowsGivenAgain = Set<Int64>()
    /// Whether this write inserted the document row `row`.
    func insertedHere(_ row: Int64) -> Bool { row > rowsBefore || rowsGivenAgain.contains(row) }
    /// Reused by `insertRow`'s sort.
    private var sortScratch: [UInt64] = []
    var pendingGramCount = 0
    /// The file has just been upgraded (its gram index is new, or had no
    /// counts), or a removed document's 13-gram set was damaged: the gram
    /// index is rebuilt from the documents by `finishGrams()`.
    var gramsStale = false

    /// A run of the gram index being sorted on another thread while this
    /// one goes on with the next batch's rows; the next flush writes it.
    private var sortingRun: (done: DispatchGroup, run: SortedRun)?
    final class SortedRun: @unchecked Sendable {
        var added: [[UInt64]]
        var removed: [[UInt64]]
        var run = GramRun()
        init(added: [[UInt64]], removed: [[UInt64]]) {
            self.added = added
            self.removed = removed
        }
    }
    /// Runs up to this many hashes (a batch's, typically ~2 million) are
    /// sorted off the writer's thread: with the run being filled, memory
    /// stays within the plan's bound of twice the largest run
    /// (`WorkPlan.sketch`), which a larger run sorted here already reaches.
    static let backgroundRunHashes = 1 << 22

    /// Adds the pending 13-gram sets to the gram index as one run: the run
    /// sorted before is written first (runs keep their order), and this one
    /// is sorted on another thread, so that the writer's thread — the
    /// pipeline's bottleneck while its batch's rows and pages are written —
    /// does not sort it too (the gram sort was ~7% of `sketch`'s CPU, at
    /// times on one core while the readers waited for the writer).
    func flushGrams() throws {
        try writeSortedRun()
        guard !gramsStale, !pendingGrams.isEmpty || !pendingRemovedGrams.isEmpty else { return }
        var added = pendingGrams
        var removed = pendingRemovedGrams
        let count = pendingGramCount
        pendingGrams = []
        pendingRemovedGrams = []
        pendingGramCount = 0
        guard count <= FingerprintWriter.backgroundRunHashes else {
            var run = GramRun.counting(added: &added, removed: &removed, pool: pool)
            try file.addGramRun(run)
            pool?.give(&run.values)
            return
        }
        let run = SortedRun(added: added, removed: removed)
        added = []
        removed = []
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) { [pool] in
            run.run = GramRun.counting(added: &run.added, removed: &run.removed, threads: 1, pool: pool)
        }
        sortingRun = (done, run)
    }

    /// Writes the run being sorted, when there is one (waiting for it).
    private func writeSortedRun() throws {
        guard let (done, run) = sortingRun else { return }
        done.wait()
        sortingRun = nil
        if !gramsStale { try file.addGramRun(run.run) }
        pool?.give(&run.run.values)
    }

    /// Brings the gram index up to date: the pending sets written as a run,
    /// or, after an upgrade (or the removal of a document whose set was
    /// damaged), the whole index rebuilt from the stored sets.
    func finishGrams() throws {
        if gramsStale {
            try writeSortedRun()
            try file.rebuildGramIndex()
            gramsStale = false
        } else {
            try flushGrams()
            try writeSortedRun()
        }
    }

    /// Band keys of the documents inserted and removed since the last run
    /// of the band index was written, by band (BandIndex.swift).
    var pendingBands: [BandEntries] = []
    var pendingRemovedBands: [BandEntries] = []
    var pendingBandCount = 0
    /// A removed document's signature was damaged, so its band keys cannot
    /// be subtracted: the band index is rebuilt from the documents by
    /// `finishBands()`.
    var bandsStale = false

    /// Writes the pending band keys as a run of the band index once there
    /// are `FingerprintFile.bandRunEntries` of them (`force`: whatever
    /// there is). Schema 3 inserted each key into a B-tree table at 0.5 µs
    /// a key, in random places: 4.7 of the 11.7 s of `index add` of
    /// 1,000,000 short documents (session 27).
    func flushBands(force: Bool = false) throws {
        guard pendingBandCount > 0, force || pendingBandCount >= FingerprintFile.bandRunEntries else { return }
        let started = Trace.now
        defer { bandSeconds += Trace.since(started) }
        pendingBandCount = 0
        guard !bandsStale else { return clearPendingBands() }
        try file.addBandRun(added: &pendingBands, removed: &pendingRemovedBands)
    }

    /// No band keys pending: an empty list for each band.
    private func clearPendingBands() {
        pendingBands = Array(repeating: BandEntries(), count: banding.bands)
        pendingRemovedBands = pendingBands
    }

    /// Brings the band index up to date: the pending keys written as a run,
    /// or, after the removal of a document whose signature was damaged, the
    /// whole index rebuilt from the stored signatures.
    func finishBands() throws {
        try flushBands(force: true)
        guard bandsStale else { return }
        let started = Trace.now
        defer { bandSeconds += Trace.since(started) }
        try db.execute("DELETE FROM band_blocks")
        let s = try db.prepare("SELECT id, name, minhash, shingle_tokens, length(shingles) FROM documents")
        bandsStale = false
        while try s.step() {
            guard file.parameters.hasBandKeys(shingleTokens: s.int(3), shingles: s.int(4)) else { continue }
            guard let signature = s.array(2, of: UInt32.self), signature.count == file.parameters.permutations else {
                throw FingerprintError.badData(
                    path: file.path,
                    reason: "document '\(s.string(1) ?? "")': damaged MinHash signature (fingerprint index remove can take it out)")
            }
            for (band, h) in FingerprintWriter.bandKeys(signature, banding).enumerated() { pendingBands[band].append(h, s.int64(0)) }
            pendingBandCount += banding.bands
            try flushBands()
        }
        try flushBands(force: true)
    }

    /// Time in `flushBands`, for the trace (the LSH insert on its own).
    var bandSeconds = 0.0

    /// The LSH key of each band of a signature (as `dedup` buckets them).
    static func bandKeys(_ signature: [UInt32], _ b: LSHBanding) -> [UInt64] {
        (0..<b.bands).map { band in
            var h = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
            for r in 0..<b.rows { h = Hash64.combine(h, UInt64(signature[band * b.rows + r])) }
            return h
        }
    }

    /// Removes a document: its row, its band keys (recomputed from its
    /// stored signature), its 13-grams from the gram index (a −1 each in
    /// the next run) and its counts from the vocabulary (by `finish()`).
    func remove(row: Int64) throws {
        let m = removedDocument
        m.bind(1, row)
        let found = try m.step()
        // Its counts, as every reader checks them; damaged ones (or a pair
        // naming no vocabulary row) cannot be subtracted, so the
        // vocabulary's counts are summed again from the documents left.
        var pairs: [(slot: Int, count: Int32)] = []
        let fits =
            found
            && m.withBytes(4) { raw in
                FingerprintFile.readCounts(raw, tokens: m.int(5)) { id, n in pairs.append((slot(removedID: Int64(id)) ?? -1, n)) }
            }
        if fits && !pairs.contains(where: { $0.slot < 0 }) {
            for (slot, n) in pairs {
                growDeltas(through: slot)
                countDelta[slot] -= Int(n)
                documentDelta[slot] -= 1
            }
        } else {
            vocabularyStale = true
        }
        if found, let signature = m.array(0, of: UInt32.self), signature.count == file.parameters.permutations {
            if !bandsStale && file.parameters.hasBandKeys(shingleTokens: m.int(2), shingles: m.int(3)) {
                for (band, h) in FingerprintWriter.bandKeys(signature, banding).enumerated() { pendingRemovedBands[band].append(h, row) }
                pendingBandCount += banding.bands
                try flushBands()
            }
        } else {
            // A damaged signature: its band keys cannot be recomputed and
            // subtracted, so the band index is rebuilt without it.
            bandsStale = true
        }
        if found, let grams = m.array(1, of: UInt64.self), FingerprintFile.strictlyAscending(grams) {
            if !gramsStale && !grams.isEmpty {
                pendingRemovedGrams.append(grams)
                pendingGramCount += grams.count
            }
        } else if !gramsStale {
            // Its stored 13-gram set is damaged (not whole hashes, or not
            // sorted and distinct as written), so it cannot be subtracted:
            // the gram index is rebuilt from the other documents' sets.
            gramsStale = true
            pendingGrams = []
            pendingRemovedGrams = []
            pendingGramCount = 0
        }
        m.reset()
        try db.execute("DELETE FROM documents WHERE id = \(row)")
        if pendingGramCount >= FingerprintFile.gramRunHashes { try flushGrams() }
    }

    /// `countDelta` and `documentDelta` long enough to hold `slot`.
    private func growDeltas(through slot: Int) {
        guard slot >= countDelta.count else { return }
        countDelta.append(contentsOf: repeatElement(0, count: slot + 1 - countDelta.count))
        documentDelta.append(contentsOf: repeatElement(0, count: slot + 1 - documentDelta.count))
    }

    /// The slot of the token a removed document counts, by its vocabulary
    /// id: a token the file held when opened (binary search in `storedIDs`),
    /// or one this write added (a document added and removed in one write):
    /// new tokens get slots and ids in step. Nil for an id the file never
    /// had (a damaged file).
    func slot(removedID id: Int64) -> Int? {
        if id >= firstNewID { return id <= rowsMaxID ? storedIDs.count + Int(id - firstNewID) : nil }
        var lo = 0
        var hi = storedIDs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if storedIDs[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < storedIDs.count && storedIDs[lo] == id ? lo : nil
    }

    /// A removed document's counts were damaged: `finish()` sums the
    /// vocabulary's counts again from the documents.
    var vocabularyStale = false

    /// Every vocabulary row's count and documents summed from the documents
    /// held (those whose counts can be read: a damaged one is refused by
    /// every reader).
    func recountVocabulary() throws {
        var totals: [Int64: (count: Int, documents: Int)] = [:]
        let r = try db.prepare("SELECT counts, tokens FROM documents")
        var pairs: [(Int32, Int32)] = []
        while try r.step() {
            pairs.removeAll(keepingCapacity: true)
            guard r.withBytes(0, { raw in FingerprintFile.readCounts(raw, tokens: r.int(1)) { pairs.append(($0, $1)) } }) else {
                continue
            }
            for (id, n) in pairs {
                let t = totals[Int64(id)] ?? (0, 0)
                totals[Int64(id)] = (t.count + Int(n), t.documents + 1)
            }
        }
        try db.execute("UPDATE vocabulary SET count = 0, documents = 0")
        let u = try db.prepare("UPDATE vocabulary SET count = ?, documents = ? WHERE id = ?")
        for (id, t) in totals.sorted(by: { $0.key < $1.key }) {
            u.bind(1, t.count)
            u.bind(2, t.documents)
            u.bind(3, id)
            try u.run()
        }
    }

    /// Writes the new tokens and the vocabulary's count changes (after both
    /// stages are done).
    func finish() throws {
        try finishBands()
        Trace.part("band keys inserted, in all", seconds: bandSeconds)
        try finishGrams()
        Trace.mark("sketch: gram index written")
        // New tokens are inserted with their counts (all of a new file's:
        // one row a type instead of an insert and an update), 64 rows a
        // statement: a new file's 50,013 types took 45 ms one row a
        // statement, on one core after all documents were written; 29 ms
        // so, measured in C on the same rows.
        let insertTypes = try RowsInsert(db, "INSERT INTO vocabulary(id, token, count, documents)", columns: 4)
        try insertTypes.run(newTokens.count) { s, p, k in
            let (v, id, token) = newTokens[k]
            let slot = Int(v)
            s.bind(p, id)
            s.bind(p + 1, array: token)
            s.bind(p + 2, slot < countDelta.count ? countDelta[slot] : 0)
            s.bind(p + 3, slot < documentDelta.count ? documentDelta[slot] : 0)
        }
        for (v, _, _) in newTokens where Int(v) < countDelta.count {
            countDelta[Int(v)] = 0
            documentDelta[Int(v)] = 0
        }
        newTokens = []
        let u = try db.prepare("UPDATE vocabulary SET count = count + ?, documents = documents + ? WHERE id = ?")
        for v in 0..<countDelta.count where countDelta[v] != 0 || documentDelta[v] != 0 {
            u.bind(1, countDelta[v])
            u.bind(2, documentDelta[v])
            u.bind(3, fileID[v])
            try u.run()
            countDelta[v] = 0
            documentDelta[v] = 0
        }
        if vocabularyStale {
            try recountVocabulary()
            vocabularyStale = false
        }
    }

    /// Stores skipped inputs.
    /// Records skips, each (path, reason) once. `replacing`: the input
    /// these skips are from (its path as given): what earlier runs recorded
    /// under that path (the path, PATH/…, PATH:LINE) is dropped first, so
    /// the table holds the input's skips as of this run, not every run's
    /// (a file skipped once and stored since was still listed). Not in a
    /// keyed file without names, whose paths are hashed.
    func insert(skips: [Skip], replacing input: String? = nil) throws {
        if let input, key == nil || file.parameters.keepNames {
            let d = try db.prepare(
                "DELETE FROM skips WHERE path = ?1 OR substr(path, 1, length(?2)) = ?2 OR substr(path, 1, length(?3)) = ?3")
            d.bind(1, input)
            d.bind(2, input.hasSuffix("/") ? input : input + "/")
            d.bind(3, input + ":")
            try d.run()
        }
        // Each (path, reason) once: the table has no index to ask.
        var recorded = Set<[String]>()
        let r = try db.prepare("SELECT path, reason FROM skips")
        while try r.step() { recorded.insert([r.string(0) ?? "", r.string(1) ?? ""]) }
        let s = try db.prepare("INSERT INTO skips(path, reason) VALUES(?, ?)")
        for k in skips {
            let path = stored(k.path)
            guard recorded.insert([path, k.reason]).inserted else { continue }
            s.bind(1, path)
            s.bind(2, k.reason)
            try s.run()
        }
    }
}

/// An INSERT prepared for one row and for `RowsInsert.perStatement` rows
/// (`VALUES (…), (…), …`): rows go `perStatement` a statement, the rest one
/// a statement. Per-statement overhead was most of a row's cost for a new
/// file's vocabulary (and for schema 3's band keys).
struct RowsInsert {
    static let perStatement = 64
    let one: SQLiteStatement
    let many: SQLiteStatement
    let columns: Int

    /// `head`: the statement up to `VALUES` ("INSERT INTO t(a, b)").
    init(_ db: SQLiteDatabase, _ head: String, columns: Int) throws {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        one = try db.prepare(head + " VALUES" + row)
        many = try db.prepare(head + " VALUES" + Array(repeating: row, count: RowsInsert.perStatement).joined(separator: ", "))
        self.columns = columns
    }

    /// Inserts rows 0..<count; `bind(statement, first, k)` binds row k's
    /// values at parameters first, first + 1, ….
    func run(_ count: Int, _ bind: (SQLiteStatement, Int, Int) -> Void) throws {
        var k = 0
        while k < count {
            let rows = count - k >= RowsInsert.perStatement ? RowsInsert.perStatement : 1
            let s = rows > 1 ? many : one
            for r in 0..<rows { bind(s, columns * r + 1, k + r) }
            try s.run()
            k += rows
        }
    }
}
