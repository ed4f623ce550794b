import Foundation

/// The gram index (schema 3): for every 13-gram hash, how many of the
/// stored documents hold it in their 13-gram set, kept for lookups so that
/// `index query`'s containment reads what the questioned grams need instead
/// of every document row.
///
/// It is a small log-structured multiset: *runs* of sorted, distinct hashes,
/// each with a signed count (the change a write made to the number of
/// documents holding it), cut into blocks of at most `gramBlockValues`
/// values (16 KB blobs) keyed by (run, first value). A hash is in the union
/// of the documents' sets when its counts over all runs sum to more than
/// zero. A write appends one run a batch: +1 a hash for each document added
/// that holds it, −1 for each removed (a replaced document is both); when
/// there are more than `maxGramRuns`, the smallest are merged into one (a
/// k-way merge summing the counts, a block per run in memory, hashes whose
/// sum is zero dropped). So removing a document costs its own 13-grams, not
/// the index.
///
/// A block's counts: NULL when every count is 1 (a run of additions whose
/// hashes no two documents share), else (int32 position, int32 count)
/// pairs, positions ascending, for the values whose count is not 1.
///
/// A lookup of N sorted questioned values reads the block directory (a few
/// bytes per block) and only the blocks some value falls in: O(N + blocks
/// touched × block size), never more than the index itself.
///
/// Schema 2 stored runs of hashes without counts (a set union, which a
/// removal could not subtract from): such a file is read as if every count
/// were 1, and its first write rebuilds the index with counts.
extension FingerprintFile {
    /// Values per stored block.
    static let gramBlockValues = 2048
    /// More runs than this after a write: the smallest are merged, leaving
    /// `gramRunsAfterCompaction`.
    static let maxGramRuns = 16
    static let gramRunsAfterCompaction = 8
    /// Hashes gathered in memory before they are sorted into a run (by the
    /// writer, and by a rebuild): 128 MB, twice that while sorted.
    package static let gramRunHashes = 1 << 24

    static let gramSchema = """
        CREATE TABLE IF NOT EXISTS gram_blocks(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, first INTEGER NOT NULL, grams BLOB NOT NULL, counts BLOB);
        CREATE INDEX IF NOT EXISTS gram_blocks_order ON gram_blocks(run, first);
        """

    /// The stored key of a hash: its bits with the top bit flipped, so that
    /// SQLite's signed order is the hashes' unsigned order.
    @inline(__always) static func gramKey(_ h: UInt64) -> Int64 { Int64(bitPattern: h ^ (1 << 63)) }
    @inline(__always) static func gramValue(_ key: Int64) -> UInt64 { UInt64(bitPattern: key) ^ (1 << 63) }

    /// Whether the file has the gram index (schema 2 and later).
    public var hasGramIndex: Bool { parameters.schema >= 2 }

    func damagedGrams(_ what: String) -> FingerprintError {
        .badData(
            path: path,
            reason: "the gram index is damaged (\(what)); fingerprint merge \(path) -o NEW.fp rebuilds it from the documents")
    }

    /// Called when the gram index has no blocks: damage when documents hold
    /// 13-grams (an index emptied by hand, which would say "nothing is
    /// contained").
    func refuseEmptiedGramIndex() throws {
        if try database.integer("SELECT 1 FROM documents WHERE length(grams13) > 0 LIMIT 1") != nil {
            throw damagedGrams("it has no blocks, but documents hold 13-grams")
        }
    }

    /// A block's counts from its stored `counts` (empty or NULL: every count
    /// is 1; else (int32 position, int32 count) pairs, positions ascending)
    /// into `out`, one a value; false when the blob is damaged (a position
    /// outside the block or out of order, a count of 0).
    static func decodeGramCounts(_ raw: UnsafeRawBufferPointer, values n: Int, into out: inout [Int32]) -> Bool {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(1, count: n))
        guard raw.count % 8 == 0 else { return false }
        var last = -1
        for k in stride(from: 0, to: raw.count, by: 8) {
            let position = Int(raw.loadUnaligned(fromByteOffset: k, as: Int32.self))
            let count = raw.loadUnaligned(fromByteOffset: k + 4, as: Int32.self)
            guard position > last && position < n && count != 0 else { return false }
            out[position] = count
            last = position
        }
        return true
    }

    /// Which of `sorted` (ascending, distinct hashes) occur in some stored
    /// document's 13-gram set; nil when the file has no gram index (schema
    /// 1: the caller reads every document's set instead).
    public func storedGramsPresent(_ sorted: [UInt64]) throws -> [Bool]? {
        guard hasGramIndex else { return nil }
        // Each value's count summed over the runs (schema 2: 1 in the first
        // run that holds it, and no further look-ups for it).
        var total = [Int64](repeating: 0, count: sorted.count)
        guard !sorted.isEmpty else { return [] }
        // The schema as of the caller's read transaction (another process
        // may have upgraded the file since it was opened here).
        let sets = try storedSchema() < 3
        // The directory: each run's blocks by first value.
        var runs: [(firsts: [UInt64], ids: [Int64])] = []
        let directory = try database.prepare("SELECT run, first, id FROM gram_blocks ORDER BY run, first")
        var current: Int64? = nil
        while try directory.step() {
            let run = directory.int64(0)
            if run != current {
                runs.append(([], []))
                current = run
            }
            let first = FingerprintFile.gramValue(directory.int64(1))
            // Blocks of a run hold distinct sorted values: their firsts rise.
            if let last = runs[runs.count - 1].firsts.last, first <= last { throw damagedGrams("two blocks of a run start alike") }
            runs[runs.count - 1].firsts.append(first)
            runs[runs.count - 1].ids.append(directory.int64(2))
        }
        if runs.isEmpty { try refuseEmptiedGramIndex() }
        // Each run's first and last blocks start where the directory says,
        // whether or not a look-up reads them: a block filed under a value
        // past its own (the last in the run's order then) would otherwise
        // hide its values from every look-up, and values below a misfiled
        // first block would never be looked for. (A block misfiled between
        // its neighbours is found when a look-up reads it.)
        let head = try database.prepare("SELECT substr(grams, 1, 8) FROM gram_blocks WHERE id = ?")
        for run in runs {
            for k in Set([0, run.firsts.count - 1]) {
                head.bind(1, run.ids[k])
                guard try head.step(), head.withBytes(0, { $0.count == 8 && $0.loadUnaligned(as: UInt64.self) == run.firsts[k] }) else {
                    head.reset()
                    throw damagedGrams("a block is not where the directory puts it")
                }
                head.reset()
            }
        }
        let load = try database.prepare("SELECT grams, \(sets ? "NULL" : "counts") FROM gram_blocks WHERE id = ?")
        var missing = sorted.count
        var counts: [Int32] = []
        for run in runs where missing > 0 {
            let firsts = run.firsts
            // Values below the run's first block are not in it.
            var i = sortedLowerBound(sorted, firsts[0])
            var k = 0
            while i < sorted.count {
                let g = sorted[i]
                while k + 1 < firsts.count && firsts[k + 1] <= g { k += 1 }
                // The values in block k: i..<j.
                var j = i + 1
                if k + 1 < firsts.count {
                    let next = firsts[k + 1]
                    while j < sorted.count && sorted[j] < next { j += 1 }
                } else {
                    j = sorted.count
                }
                if !sets || total[i..<j].contains(0) {
                    load.bind(1, run.ids[k])
                    guard try load.step() else { throw damagedGrams("a block is missing") }
                    let n = load.withBytes(0) { $0.count / 8 }
                    let countsFit = sets || load.withBytes(1) { FingerprintFile.decodeGramCounts($0, values: n, into: &counts) }
                    let ok =
                        countsFit
                        && load.withBytes(0) { raw -> Bool in
                            guard raw.count % 8 == 0, raw.count > 0 else { return false }
                            let n = raw.count / 8
                            // The block starts where the directory says and
                            // ends before the next block's start (a block
                            // filed under another value is looked up there).
                            guard raw.loadUnaligned(as: UInt64.self) == firsts[k],
                                k + 1 == firsts.count || raw.loadUnaligned(fromByteOffset: 8 * (n - 1), as: UInt64.self) < firsts[k + 1]
                            else { return false }
                            var p = 0
                            for q in i..<j where !sets || total[q] == 0 {
                                let g = sorted[q]
                                // A block holds ~2,000 values and a query
                                // usually a few dozen of them: gallop, do not walk.
                                p = gallopLowerBound(raw, count: n, from: p, g)
                                if p == n { break }
                                if raw.loadUnaligned(fromByteOffset: 8 * p, as: UInt64.self) == g {
                                    if sets {
                                        total[q] = 1
                                        missing -= 1
                                    } else {
                                        total[q] += Int64(counts[p])
                                    }
                                }
                            }
                            return true
                        }
                    load.reset()
                    guard ok else {
                        throw damagedGrams(
                            "a block's length is not a whole number of hashes, its counts do not fit it, or it is not where the directory puts it"
                        )
                    }
                }
                i = j
            }
        }
        if total.contains(where: { $0 < 0 }) { throw damagedGrams("a 13-gram is held by fewer than no documents") }
        return total.map { $0 > 0 }
    }

    // MARK: Writing (inside the writer's transaction)

    /// Brings the file to the current schema inside the writer's
    /// transaction: from schema 1 the gram_blocks table, from schema 2 its
    /// `counts` column, from schema 3 the band index (BandIndex.swift, made
    /// from the `bands` table), and `schema_version` 4. Returns whether the
    /// gram index has to be filled (again) from the documents' 13-gram sets
    /// (the writer rebuilds it when it finishes, after its own removals, so
    /// that a damaged document can still be removed).
    package func upgradeSchema() throws -> Bool {
        guard parameters.schema < FingerprintParameters.schemaVersion else { return false }
        // Another writer may have upgraded the file since it was opened here.
        let stored = try storedSchema()
        if stored >= FingerprintParameters.schemaVersion {
            parameters.schema = stored
            return false
        }
        if stored < 2 {
            try database.execute(FingerprintFile.gramSchema)
        } else if stored < 3 {
            try database.execute("ALTER TABLE gram_blocks ADD COLUMN counts BLOB")
        }
        try convertBandTable()
        try database.execute("UPDATE meta SET value = '\(FingerprintParameters.schemaVersion)' WHERE key = 'schema_version'")
        parameters.schema = FingerprintParameters.schemaVersion
        return stored < 3
    }

    /// Runs `body` in one write transaction, which advances the file's
    /// generation; if it fails, what this object believes about the file
    /// (its schema) is put back as it was.
    package func writing<T>(_ body: () throws -> T) throws -> T {
        let before = parameters
        do {
            return try database.transaction {
                try advanceGeneration()
                return try body()
            }
        } catch {
            parameters = before
            throw error
        }
    }

    /// Appends `run` as a new run, then merges runs if there are too many.
    package func addGramRun(_ run: GramRun) throws {
        guard !run.values.isEmpty else { return }
        let id = try nextRun("gram_blocks", damagedGrams)
        let insert = try database.prepare("INSERT INTO gram_blocks(run, first, grams, counts) VALUES(?, ?, ?, ?)")
        var start = 0
        while start < run.values.count {
            let end = min(start + FingerprintFile.gramBlockValues, run.values.count)
            try writeBlock(insert, run: id, run.values[start..<end], run.counts.isEmpty ? [][...] : run.counts[start..<end])
            start = end
        }
        try compactGramRuns()
    }

    /// Writes a block; `counts` empty when every count is 1.
    private func writeBlock(_ insert: SQLiteStatement, run: Int64, _ values: ArraySlice<UInt64>, _ counts: ArraySlice<Int32>)
        throws
    {
        insert.bind(1, run)
        insert.bind(2, FingerprintFile.gramKey(values.first!))
        var exceptions: [Int32] = []
        for (k, c) in counts.enumerated() where c != 1 {
            exceptions.append(Int32(k))
            exceptions.append(c)
        }
        if exceptions.isEmpty { insert.bindNull(4) } else { insert.bind(4, array: exceptions) }
        try values.withUnsafeBytes { try insert.run(binding: 3, bytes: $0) }
    }

    /// Empties the gram index and fills it again from every document's
    /// stored 13-gram set (runs of at most 2^24 values before merging).
    package func rebuildGramIndex() throws {
        try database.execute("DELETE FROM gram_blocks")
        let s = try database.prepare("SELECT name, grams13 FROM documents")
        var parts: [[UInt64]] = []
        var none: [[UInt64]] = []
        var n = 0
        while try s.step() {
            guard let g = s.array(1, of: UInt64.self) else {
                throw FingerprintError.badData(
                    path: path, reason: "document '\(s.string(0) ?? "")': damaged n-grams (fingerprint index remove can take it out)")
            }
            n += g.count
            parts.append(g)
            if n >= FingerprintFile.gramRunHashes {
                try addGramRun(GramRun.counting(added: &parts, removed: &none))
                parts = []
                n = 0
            }
        }
        if n > 0 { try addGramRun(GramRun.counting(added: &parts, removed: &none)) }
    }

    /// Runs and their sizes in blocks, smallest first.
    func gramRuns() throws -> [(run: Int64, blocks: Int)] {
        let s = try database.prepare("SELECT run, count(*) FROM gram_blocks GROUP BY run ORDER BY count(*), run")
        var out: [(Int64, Int)] = []
        while try s.step() { out.append((s.int64(0), s.int(1))) }
        return out
    }

    /// With more than `maxGramRuns` runs, merges the smallest into one so
    /// that `gramRunsAfterCompaction` remain: a value's counts are summed,
    /// and a value whose sum is zero (added and removed since) is dropped.
    func compactGramRuns() throws {
        let runs = try gramRuns()
        guard runs.count > FingerprintFile.maxGramRuns else { return }
        let merging = runs.prefix(runs.count - FingerprintFile.gramRunsAfterCompaction + 1).map(\.run)
        let target = try nextRun("gram_blocks", damagedGrams)
        // One cursor a run, each holding one block.
        final class Cursor {
            let statement: SQLiteStatement
            var values: [UInt64] = []
            var counts: [Int32] = []
            var at = 0
            init(_ s: SQLiteStatement) { statement = s }
        }
        var cursors: [Cursor] = []
        func advance(_ c: Cursor) throws -> Bool {
            c.at += 1
            if c.at < c.values.count { return true }
            guard try c.statement.step() else { return false }
            guard let b = c.statement.array(0, of: UInt64.self), !b.isEmpty,
                c.statement.withBytes(1, { FingerprintFile.decodeGramCounts($0, values: b.count, into: &c.counts) })
            else {
                throw damagedGrams("a block's length is not a whole number of hashes, or its counts do not fit it")
            }
            c.values = b
            c.at = 0
            return true
        }
        for run in merging {
            let s = try database.prepare("SELECT grams, counts FROM gram_blocks WHERE run = ? ORDER BY first")
            s.bind(1, run)
            let c = Cursor(s)
            c.at = -1
            if try advance(c) { cursors.append(c) }
        }
        let insert = try database.prepare("INSERT INTO gram_blocks(run, first, grams, counts) VALUES(?, ?, ?, ?)")
        var values: [UInt64] = []
        var counts: [Int32] = []
        values.reserveCapacity(FingerprintFile.gramBlockValues)
        counts.reserveCapacity(FingerprintFile.gramBlockValues)
        // The value being summed, and its sum so far.
        var last: (value: UInt64, count: Int64)? = nil
        func emit() throws {
            guard let (v, c) = last, c != 0 else { return }
            guard let c32 = Int32(exactly: c) else { throw damagedGrams("a 13-gram's count is out of range") }
            values.append(v)
            counts.append(c32)
            if values.count == FingerprintFile.gramBlockValues {
                try writeBlock(insert, run: target, values[...], counts[...])
                values.removeAll(keepingCapacity: true)
                counts.removeAll(keepingCapacity: true)
            }
        }
        while !cursors.isEmpty {
            var m = 0
            for k in 1..<cursors.count where cursors[k].values[cursors[k].at] < cursors[m].values[cursors[m].at] { m = k }
            let v = cursors[m].values[cursors[m].at]
            let c = Int64(cursors[m].counts[cursors[m].at])
            if let l = last, l.value == v {
                last = (v, l.count + c)
            } else {
                try emit()
                last = (v, c)
            }
            if try !advance(cursors[m]) { cursors.remove(at: m) }
        }
        try emit()
        if !values.isEmpty { try writeBlock(insert, run: target, values[...], counts[...]) }
        try database.execute("DELETE FROM gram_blocks WHERE run IN (\(merging.map(String.init).joined(separator: ",")))")
    }
}

/// A run of the gram index as written: sorted, distinct hashes and each
/// one's count (never zero).
package struct GramRun: Sendable {
    public var values: [UInt64] = []
    /// Each value's count; empty when every count is 1 (a batch of
    /// additions no two of whose documents share a 13-gram: the usual run).
    public var counts: [Int32] = []

    public init() {}

    @inline(__always) func count(_ i: Int) -> Int32 { counts.isEmpty ? 1 : counts[i] }

    /// The run of a batch's changes: each hash counted +1 for every set in
    /// `added` that holds it and −1 for every set in `removed` (each set
    /// distinct); hashes whose changes cancel are left out. Empties both.
    /// With a `pool`, the sets' storage goes back to it, and the run's
    /// storage comes from it (`RadixSort.sortedUnique`).
    public static func counting(
        added: inout [[UInt64]], removed: inout [[UInt64]], threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        pool: HashBufferPool? = nil
    ) -> GramRun {
        let plus = counted(RadixSort.sortedUnique(parts: &added, unique: false, threads: threads, pool: pool))
        if removed.isEmpty { return plus }
        let minus = counted(RadixSort.sortedUnique(parts: &removed, unique: false, threads: threads, pool: pool))
        // Merge, subtracting.
        var out = GramRun()
        let n = plus.values.count + minus.values.count
        out.values.reserveCapacity(n)
        out.counts.reserveCapacity(n)
        var i = 0
        var j = 0
        while i < plus.values.count || j < minus.values.count {
            if j == minus.values.count || (i < plus.values.count && plus.values[i] < minus.values[j]) {
                out.values.append(plus.values[i])
                out.counts.append(plus.count(i))
                i += 1
            } else if i == plus.values.count || minus.values[j] < plus.values[i] {
                out.values.append(minus.values[j])
                out.counts.append(-minus.count(j))
                j += 1
            } else {
                let c = plus.count(i) - minus.count(j)
                if c != 0 {
                    out.values.append(plus.values[i])
                    out.counts.append(c)
                }
                i += 1
                j += 1
            }
        }
        return out
    }

    /// Sorted values with repeats → the distinct values and how often each
    /// occurs, compacted in place (no counts when nothing repeats).
    static func counted(_ sorted: consuming [UInt64]) -> GramRun {
        var out = GramRun()
        out.values = sorted
        let n = out.values.count
        guard n > 1 else { return out }
        let repeats = out.values.withUnsafeBufferPointer { v in (1..<n).contains { v[$0] == v[$0 - 1] } }
        guard repeats else { return out }
        var counts: [Int32] = []
        counts.reserveCapacity(n)
        let kept = out.values.withUnsafeMutableBufferPointer { v -> Int in
            var w = 0
            var r = 0
            while r < n {
                let x = v[r]
                var e = r + 1
                while e < n && v[e] == x { e += 1 }
                v[w] = x
                counts.append(Int32(e - r))
                w += 1
                r = e
            }
            return w
        }
        out.values.removeLast(n - kept)
        out.counts = counts
        return out
    }
}

/// The first position at or after `from` among the `count` ascending
/// `UInt64`s in `raw` whose value is at least `x` (`count` if none): steps
/// of 1, 2, 4, … from `from`, then a binary search in the last step.
/// - Complexity: O(log d) for an answer d positions past `from`.
@inline(__always)
func gallopLowerBound(_ raw: UnsafeRawBufferPointer, count: Int, from: Int, _ x: UInt64) -> Int {
    @inline(__always) func at(_ k: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: 8 &* k, as: UInt64.self) }
    var lo = from
    var step = 1
    var hi = from
    while hi < count && at(hi) < x {
        lo = hi &+ 1
        hi = from &+ step
        step &<<= 1
    }
    hi = min(hi, count)
    while lo < hi {
        let m = (lo &+ hi) &>> 1
        if at(m) < x { lo = m &+ 1 } else { hi = m }
    }
    return lo
}
