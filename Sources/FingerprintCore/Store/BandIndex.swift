import Foundation

/// The band index (schema 4): which stored documents hold each LSH band
/// key, for `index query`'s near-duplicates.
///
/// It is kept as the gram index keeps 13-grams (GramIndex.swift): *runs*
/// of entries (band, key, document) with a signed count, sorted by band,
/// then key (unsigned), then document, each triple once a run, cut into
/// blocks of one band and about `bandBlockEntries` entries, keyed by (run,
/// band, first key). A block is cut only where the key changes, so a key
/// lies in one block of a run's band and the firsts of a run's band rise.
/// A write appends one run for every `bandRunEntries` entries it adds or
/// removes (+1 a band of each document added, −1 each removed; a replaced
/// document is both), and a document holds a key when its counts over all
/// runs sum to 1. With more than `maxBandRuns` runs the smallest are
/// merged (summing, dropping what sums to 0).
///
/// Schema 3 kept the keys in a B-tree table, `bands(band, hash,
/// document)`, a row a key. 1,000,000 documents' 9,000,000 keys went in
/// at 0.5 µs a row (4.7 s of a 11.7 s `index add`, session 27), in random
/// places of a table that outgrows the cache; a run is sorted in memory
/// and appended as blobs. A schema-3 file is read through its table and
/// converted by its first write.
///
/// A block: `hashes`, the keys (8 bytes each, little-endian); `documents`,
/// the document row ids in step (4 bytes each when all fit in 32 bits,
/// else 8: the blob's length says which); `counts` as the gram index's
/// (NULL when every count is 1, else (int32 position, int32 count) pairs).
extension FingerprintFile {
    /// Entries per stored block (a block is cut only where the key changes).
    static let bandBlockEntries = 2048
    /// More runs than this after a write: the smallest are merged, leaving
    /// `bandRunsAfterCompaction`.
    static let maxBandRuns = 16
    static let bandRunsAfterCompaction = 8
    /// Entries a writer gathers before it sorts them into a run: 4,194,304
    /// (~64 MB, ~200 MB while sorted and written), so a write of 1,000,000
    /// documents of 9 bands makes 3 runs.
    package static let bandRunEntries = 1 << 22

    static let bandSchema = """
        CREATE TABLE IF NOT EXISTS band_blocks(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, band INTEGER NOT NULL,
          first INTEGER NOT NULL, hashes BLOB NOT NULL, documents BLOB NOT NULL, counts BLOB);
        CREATE INDEX IF NOT EXISTS band_blocks_order ON band_blocks(run, band, first);
        """

    func damagedBands(_ what: String) -> FingerprintError {
        .badData(
            path: path,
            reason: "the band index is damaged (\(what)); fingerprint merge \(path) -o NEW.fp rebuilds it from the documents")
    }

    /// The run after the largest in `table` (the next run's id); a largest
    /// run of Int64.max is damage (`damage`).
    func nextRun(_ table: String, _ damage: (String) -> FingerprintError) throws -> Int64 {
        let (next, overflow) = (try database.integer("SELECT max(run) FROM \(table)") ?? 0).addingReportingOverflow(1)
        guard !overflow else { throw damage("a run numbered \(Int64.max)") }
        return next
    }

    /// Whether the file has the table `name`.
    func hasTable(_ name: String) throws -> Bool {
        try database.integer("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '\(name)'") != nil
    }

    /// The table exists (a file of its schema without it is damaged).
    func requireTable(_ name: String, _ damage: (String) -> FingerprintError) throws {
        guard try hasTable(name) else { throw damage("it has no \(name) table") }
    }

    /// Called when the band index has no blocks: damage when documents
    /// have band keys (an index emptied by hand, which would say "no
    /// near-duplicates").
    func refuseEmptiedBandIndex() throws {
        let banded = try database.prepare("SELECT 1 FROM documents WHERE shingle_tokens >= ? AND length(shingles) > 0 LIMIT 1")
        banded.bind(1, parameters.shingle)
        if try banded.step() { throw damagedBands("it has no blocks, but documents have band keys") }
    }

    /// The schema as of the connection's read transaction (another process
    /// may have upgraded the file since it was opened here).
    func storedSchema() throws -> Int {
        try database.integer("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'").map(Int.init) ?? parameters.schema
    }

    // MARK: Reading

    /// For each of `keys` (sorted by band, then key; distinct), the stored
    /// documents (row ids, ascending) that hold it. Reads the block
    /// directory (a few bytes a block) and the blocks some key falls in.
    public func storedBandDocuments(_ keys: [(band: Int, hash: UInt64)]) throws -> [[Int64]] {
        guard !keys.isEmpty else { return [] }
        if try storedSchema() < 4 { return try tableBandDocuments(keys) }
        try requireTable("band_blocks", damagedBands)
        var t0 = Trace.now
        // The directory: each run's band's blocks by first key.
        var groups: [(band: Int, firsts: [UInt64], ids: [Int64])] = []
        let directory = try database.prepare("SELECT run, band, first, id FROM band_blocks ORDER BY run, band, first")
        var current: (Int64, Int64)? = nil
        while try directory.step() {
            let at = (directory.int64(0), directory.int64(1))
            if current.map({ $0 != at }) ?? true {
                guard let band = Int(exactly: at.1), band >= 0, band < parameters.bands else {
                    throw damagedBands("a block of band \(at.1), of \(parameters.bands)")
                }
                groups.append((band, [], []))
                current = at
            }
            let first = FingerprintFile.gramValue(directory.int64(2))
            if let last = groups[groups.count - 1].firsts.last, first <= last { throw damagedBands("two blocks of a run start alike") }
            groups[groups.count - 1].firsts.append(first)
            groups[groups.count - 1].ids.append(directory.int64(3))
        }
        if groups.isEmpty { try refuseEmptiedBandIndex() }
        // Each run's band's first and last blocks start where the directory
        // says, whether or not a look-up reads them (as the gram index's).
        let head = try database.prepare("SELECT substr(hashes, 1, 8) FROM band_blocks WHERE id = ?")
        for g in groups {
            for k in Set([0, g.firsts.count - 1]) {
                head.bind(1, g.ids[k])
                defer { head.reset() }
                guard try head.step(), head.withBytes(0, { $0.count == 8 && $0.loadUnaligned(as: UInt64.self) == g.firsts[k] })
                else { throw damagedBands("a block is not where the directory puts it") }
            }
        }
        Trace.part("band probes: the directory", seconds: Trace.since(t0))
        t0 = Trace.now
        // Where each band's keys start in `keys`.
        var bandStart = [Int](repeating: keys.count, count: parameters.bands + 1)
        for (i, k) in keys.enumerated().reversed() where k.band >= 0 && k.band < parameters.bands { bandStart[k.band] = i }
        for b in stride(from: parameters.bands - 1, through: 0, by: -1) { bandStart[b] = min(bandStart[b], bandStart[b + 1]) }
        // (key index, document, count) of every entry found.
        var hits: [(key: Int, document: Int64, count: Int32)] = []
        let load = try database.prepare("SELECT hashes, documents, counts FROM band_blocks WHERE id = ?")
        var counts: [Int32] = []
        for g in groups {
            let firsts = g.firsts
            var i = bandStart[g.band]
            let end = bandStart[g.band + 1]
            // Keys below the first block are not in this run's band.
            while i < end && keys[i].hash < firsts[0] { i += 1 }
            var k = 0
            while i < end {
                let h = keys[i].hash
                while k + 1 < firsts.count && firsts[k + 1] <= h { k += 1 }
                // The keys in block k: i..<j.
                var j = i + 1
                if k + 1 < firsts.count {
                    while j < end && keys[j].hash < firsts[k + 1] { j += 1 }
                } else {
                    j = end
                }
                load.bind(1, g.ids[k])
                guard try load.step() else { throw damagedBands("a block is missing") }
                let fault = BandBlock.read(load, first: firsts[k], next: k + 1 < firsts.count ? firsts[k + 1] : nil, counts: &counts) {
                    block, counts -> String? in
                    var p = 0
                    for q in i..<j {
                        p = gallopLowerBound(block.hashes, count: block.count, from: p, keys[q].hash)
                        while p < block.count && block.hash(p) == keys[q].hash {
                            let document = block.document(p)
                            guard document >= 1 else { return "a row id \(document), below 1" }
                            hits.append((q, document, counts.isEmpty ? 1 : counts[p]))
                            p += 1
                        }
                    }
                    return nil
                }
                load.reset()
                if let fault { throw damagedBands(fault) }
                i = j
            }
        }
        Trace.part("band probes: the blocks (\(hits.count) entries found)", seconds: Trace.since(t0))
        t0 = Trace.now
        // Each (key, document)'s counts summed over the runs: 1 (held) or 0;
        // a document held has a row id up to the largest document's (a
        // removed one's entries, summing to 0, may be above it).
        let largest = try database.integer("SELECT max(id) FROM documents") ?? 0
        hits.sort { ($0.key, $0.document) < ($1.key, $1.document) }
        var out = [[Int64]](repeating: [], count: keys.count)
        var s = 0
        while s < hits.count {
            var e = s
            var sum: Int64 = 0
            while e < hits.count && hits[e].key == hits[s].key && hits[e].document == hits[s].document {
                sum += Int64(hits[e].count)
                e += 1
            }
            guard sum == 0 || sum == 1 else { throw damagedBands("a document holds a band key \(sum) times") }
            if sum == 1 && hits[s].document > largest { throw damagedBands("a row id \(hits[s].document), past every document's") }
            if sum == 1 { out[hits[s].key].append(hits[s].document) }
            s = e
        }
        Trace.part("band probes: sums over the runs", seconds: Trace.since(t0))
        return out
    }

    /// The same from a schema-3 file's `bands` table, a look-up a key.
    private func tableBandDocuments(_ keys: [(band: Int, hash: UInt64)]) throws -> [[Int64]] {
        try requireTable("bands", damagedBands)
        let lookup = try database.prepare("SELECT document FROM bands WHERE band = ? AND hash = ? ORDER BY document")
        return try keys.map { k in
            lookup.bind(1, k.band)
            lookup.bind(2, Int64(bitPattern: k.hash))
            defer { lookup.reset() }
            var rows: [Int64] = []
            while try lookup.step() { rows.append(lookup.int64(0)) }
            return rows
        }
    }

    // MARK: Writing (inside the writer's transaction)

    /// Refuses to write to a file whose band index (and, unless it is to be
    /// rebuilt, gram index) has no blocks while its documents have band keys
    /// (13-grams): an index emptied by hand, which a query refuses, would
    /// otherwise take the write's run and then look merely incomplete.
    package func requireIndexesNotEmptied(gramsRebuilt: Bool) throws {
        if try database.integer("SELECT 1 FROM band_blocks LIMIT 1") == nil { try refuseEmptiedBandIndex() }
        if !gramsRebuilt, try database.integer("SELECT 1 FROM gram_blocks LIMIT 1") == nil { try refuseEmptiedGramIndex() }
    }

    /// Appends a write's changes as a new run, then merges runs if there
    /// are too many: for each band, +1 an entry of `added` and −1 an entry
    /// of `removed` (by band: keys and documents in step), summed where they
    /// meet; entries whose changes cancel are left out. Sorts and writes a
    /// band at a time, and empties both.
    package func addBandRun(added: inout [BandEntries], removed: inout [BandEntries]) throws {
        let id = try nextRun("band_blocks", damagedBands)
        let out = try BandBlockWriter(self, run: id)
        var scratch: [UInt64] = []
        for band in 0..<max(added.count, removed.count) {
            var plus = BandEntries()
            var minus = BandEntries()
            if band < added.count { swap(&plus, &added[band]) }
            if band < removed.count { swap(&minus, &removed[band]) }
            plus.sort(scratch: &scratch)
            minus.sort(scratch: &scratch)
            // Merge, subtracting (and summing repeats within either side).
            var i = 0
            var j = 0
            var last: (hash: UInt64, document: Int64, count: Int32)? = nil
            while i < plus.hashes.count || j < minus.hashes.count {
                let e: (hash: UInt64, document: Int64, count: Int32)
                if j == minus.hashes.count
                    || (i < plus.hashes.count && (plus.hashes[i], plus.documents[i]) <= (minus.hashes[j], minus.documents[j]))
                {
                    e = (plus.hashes[i], plus.documents[i], 1)
                    i += 1
                } else {
                    e = (minus.hashes[j], minus.documents[j], -1)
                    j += 1
                }
                if let l = last, l.hash == e.hash, l.document == e.document {
                    last!.count += e.count
                    continue
                }
                if let l = last, l.count != 0 { try out.append(band: band, hash: l.hash, document: l.document, count: l.count) }
                last = e
            }
            if let l = last, l.count != 0 { try out.append(band: band, hash: l.hash, document: l.document, count: l.count) }
        }
        try out.finish()
        try compactBandRuns()
    }

    /// Creates the band index of a schema-3 file from its `bands` table
    /// (one run, read in key order) and drops the table.
    func convertBandTable() throws {
        try database.execute(FingerprintFile.bandSchema)
        guard try hasTable("bands") else { return }
        let out = try BandBlockWriter(self, run: 1)
        // The table's order is the hashes' signed order: the non-negative
        // half first is their unsigned order.
        let s = try database.prepare(
            "SELECT hash, document FROM bands WHERE band = ?1 AND hash >= ?2 AND hash <= ?3 ORDER BY hash, document")
        for band in 0..<parameters.bands {
            for (lo, hi) in [(Int64(0), Int64.max), (Int64.min, Int64(-1))] {
                s.bind(1, band)
                s.bind(2, lo)
                s.bind(3, hi)
                while try s.step() { try out.append(band: band, hash: UInt64(bitPattern: s.int64(0)), document: s.int64(1), count: 1) }
                s.reset()
            }
        }
        try out.finish()
        try database.execute("DROP TABLE bands")
    }

    /// With more than `maxBandRuns` runs, merges the smallest into one so
    /// that `bandRunsAfterCompaction` remain: an entry's counts are summed,
    /// and an entry whose sum is zero (added and removed since) is dropped.
    func compactBandRuns() throws {
        let s = try database.prepare("SELECT run, count(*) FROM band_blocks GROUP BY run ORDER BY count(*), run")
        var runs: [Int64] = []
        while try s.step() { runs.append(s.int64(0)) }
        guard runs.count > FingerprintFile.maxBandRuns else { return }
        let merging = Array(runs.prefix(runs.count - FingerprintFile.bandRunsAfterCompaction + 1))
        let target = try nextRun("band_blocks", damagedBands)
        // One cursor a run, each holding one block.
        final class Cursor {
            let statement: SQLiteStatement
            var hashes: [UInt64] = []
            var documents: [Int64] = []
            var counts: [Int32] = []
            var band = 0
            var at = 0
            init(_ s: SQLiteStatement) { statement = s }
            var entry: (band: Int, hash: UInt64, document: Int64) { (band, hashes[at], documents[at]) }
            var count: Int32 { counts.isEmpty ? 1 : counts[at] }
        }
        func advance(_ c: Cursor) throws -> Bool {
            let last = c.hashes.isEmpty ? nil : c.entry
            c.at += 1
            if c.at < c.hashes.count { return true }
            guard try c.statement.step() else { return false }
            let band = c.statement.int(0)
            guard band >= 0, band < parameters.bands else { throw damagedBands("a block of band \(band), of \(parameters.bands)") }
            let fault = BandBlock.read(c.statement, column: 1, first: nil, next: nil, counts: &c.counts) { block, _ -> String? in
                guard last.map({ ($0.band, $0.hash) < (band, block.hash(0)) }) ?? true else { return "a run's blocks overlap" }
                c.hashes = (0..<block.count).map(block.hash)
                c.documents = (0..<block.count).map(block.document)
                return nil
            }
            if let fault { throw damagedBands(fault) }
            c.band = band
            c.at = 0
            return true
        }
        var cursors: [Cursor] = []
        for run in merging {
            let s = try database.prepare("SELECT band, hashes, documents, counts FROM band_blocks WHERE run = ? ORDER BY band, first")
            s.bind(1, run)
            let c = Cursor(s)
            c.at = -1
            if try advance(c) { cursors.append(c) }
        }
        let out = try BandBlockWriter(self, run: target)
        var last: (band: Int, hash: UInt64, document: Int64, count: Int64)? = nil
        func emit() throws {
            guard let l = last, l.count != 0 else { return }
            guard let c = Int32(exactly: l.count) else { throw damagedBands("a count is out of range") }
            try out.append(band: l.band, hash: l.hash, document: l.document, count: c)
        }
        while !cursors.isEmpty {
            var m = 0
            for k in 1..<cursors.count where cursors[k].entry < cursors[m].entry { m = k }
            let e = cursors[m].entry
            let c = Int64(cursors[m].count)
            if let l = last, (l.band, l.hash, l.document) == e {
                last!.count += c
            } else {
                try emit()
                last = (e.band, e.hash, e.document, c)
            }
            if try !advance(cursors[m]) { cursors.remove(at: m) }
        }
        try emit()
        try out.finish()
        try database.execute("DELETE FROM band_blocks WHERE run IN (\(merging.map(String.init).joined(separator: ",")))")
    }
}

/// A block of the band index as stored, read in place (valid while the
/// statement's row is).
struct BandBlock {
    let hashes: UnsafeRawBufferPointer
    let documents: UnsafeRawBufferPointer
    /// Bytes a document id: 4 or 8.
    let width: Int
    let count: Int

    @inline(__always) func hash(_ k: Int) -> UInt64 { hashes.loadUnaligned(fromByteOffset: 8 &* k, as: UInt64.self) }
    @inline(__always) func document(_ k: Int) -> Int64 {
        width == 4
            ? Int64(documents.loadUnaligned(fromByteOffset: 4 &* k, as: UInt32.self))
            : documents.loadUnaligned(fromByteOffset: 8 &* k, as: Int64.self)
    }

    /// Columns `column` (keys), `column + 1` (documents) and `column + 2`
    /// (counts, decoded into `counts`: empty when every count is 1) of the
    /// statement's row, checked, given to `body`; or what is wrong with the
    /// block (`body` not called): lengths that do not agree, counts outside
    /// it or of 0, entries not ascending by (key, document), a first key
    /// other than `first`, or a key at or past `next` (the next block's first).
    static func read(
        _ s: SQLiteStatement, column c: Int = 0, first: UInt64?, next: UInt64?, counts: inout [Int32],
        _ body: (BandBlock, _ counts: [Int32]) throws -> String?
    ) rethrows -> String? {
        try s.withBytes(c) { h in
            try s.withBytes(c + 1) { d in
                let n = h.count / 8
                guard n > 0, h.count == 8 * n else { return "a block's keys are not a whole number of 8-byte keys" }
                guard d.count == 4 * n || d.count == 8 * n else { return "a block's row ids and keys differ in number" }
                let block = BandBlock(hashes: h, documents: d, width: d.count / n, count: n)
                let countsFit = s.withBytes(c + 2) { raw -> Bool in
                    if raw.isEmpty {
                        counts.removeAll(keepingCapacity: true)
                        return true
                    }
                    return FingerprintFile.decodeGramCounts(raw, values: n, into: &counts)
                }
                guard countsFit else { return "a block's counts do not fit it" }
                guard first.map({ block.hash(0) == $0 }) ?? true, next.map({ block.hash(n - 1) < $0 }) ?? true else {
                    return "a block is not where the directory puts it"
                }
                // Ascending by (key, document): a look-up gallops through the keys.
                var previous = block.hash(0)
                for k in 1..<n {
                    let x = block.hash(k)
                    guard x > previous || (x == previous && block.document(k) > block.document(k - 1)) else {
                        return "a block's entries are out of order"
                    }
                    previous = x
                }
                return try body(block, counts)
            }
        }
    }
}

/// Writes a run's entries, in order, as blocks.
final class BandBlockWriter {
    let insert: SQLiteStatement
    let run: Int64
    var band = -1
    var hashes: [UInt64] = []
    var documents: [Int64] = []
    /// (position, count) pairs of the counts that are not 1.
    var exceptions: [Int32] = []

    init(_ file: FingerprintFile, run: Int64) throws {
        insert = try file.database.prepare("INSERT INTO band_blocks(run, band, first, hashes, documents, counts) VALUES(?, ?, ?, ?, ?, ?)")
        self.run = run
        hashes.reserveCapacity(FingerprintFile.bandBlockEntries + 1)
        documents.reserveCapacity(FingerprintFile.bandBlockEntries + 1)
    }

    /// Appends an entry (after every entry appended before it).
    func append(band b: Int, hash: UInt64, document: Int64, count: Int32) throws {
        if b != band || (hashes.count >= FingerprintFile.bandBlockEntries && hash != hashes[hashes.count - 1]) {
            try flush()
            band = b
        }
        if count != 1 {
            exceptions.append(Int32(hashes.count))
            exceptions.append(count)
        }
        hashes.append(hash)
        documents.append(document)
    }

    func finish() throws { try flush() }

    private func flush() throws {
        guard !hashes.isEmpty else { return }
        insert.bind(1, run)
        insert.bind(2, band)
        insert.bind(3, FingerprintFile.gramKey(hashes[0]))
        if documents.allSatisfy({ $0 >= 0 && $0 <= Int64(UInt32.max) }) {
            insert.bind(5, array: documents.map { UInt32(truncatingIfNeeded: $0) })
        } else {
            insert.bind(5, array: documents)
        }
        if exceptions.isEmpty { insert.bindNull(6) } else { insert.bind(6, array: exceptions) }
        try hashes.withUnsafeBytes { try insert.run(binding: 4, bytes: $0) }
        hashes.removeAll(keepingCapacity: true)
        documents.removeAll(keepingCapacity: true)
        exceptions.removeAll(keepingCapacity: true)
    }
}

/// A band's entries gathered by a writer: keys and document row ids, in step.
package struct BandEntries: Sendable {
    public var hashes: [UInt64] = []
    public var documents: [Int64] = []

    public init() {}

    @inline(__always) public mutating func append(_ hash: UInt64, _ document: Int64) {
        hashes.append(hash)
        documents.append(document)
    }

    /// Sorts by (key, document): a radix sort of keys made of the key's top
    /// bits and the entry's index below them, then the entries sharing
    /// those top bits (copies' keys, mostly) by (key, document).
    package mutating func sort(scratch: inout [UInt64]) {
        let n = hashes.count
        guard n > 1 else { return }
        let indexBits = Int.bitWidth - (n - 1).leadingZeroBitCount
        let low: UInt64 = (1 << UInt64(indexBits)) &- 1
        var keys = [UInt64](repeating: 0, count: n)
        for k in 0..<n { keys[k] = (hashes[k] & ~low) | UInt64(k) }
        RadixSort.sortHashes(&keys, scratch: &scratch)
        var h = [UInt64](repeating: 0, count: n)
        var d = [Int64](repeating: 0, count: n)
        for (k, key) in keys.enumerated() {
            let from = Int(key & low)
            h[k] = hashes[from]
            d[k] = documents[from]
        }
        var s = 0
        while s < n {
            var t = s + 1
            while t < n && h[t] & ~low == h[s] & ~low { t += 1 }
            if t - s > 1 {
                let sorted = (s..<t).map { (h[$0], d[$0]) }.sorted { $0 < $1 }
                for (k, e) in sorted.enumerated() {
                    h[s + k] = e.0
                    d[s + k] = e.1
                }
            }
            s = t
        }
        hashes = h
        documents = d
    }
}
