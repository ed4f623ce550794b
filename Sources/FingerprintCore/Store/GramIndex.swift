import Foundation

/// The gram index (schema 2): the union of the documents' stored 13-gram
/// sets, kept for lookups so that `index query`'s containment reads what the
/// questioned grams need instead of every document row.
///
/// It is a small log-structured set: *runs* of sorted, distinct hashes, each
/// cut into blocks of at most `gramBlockValues` values (16 KB blobs) keyed
/// by (run, first value). A write appends a run (one per batch of documents);
/// when there are more than `maxGramRuns`, the smallest are merged into one
/// (a k-way merge, a block per run in memory). A value may occur in several
/// runs. Removing a document cannot take its grams out of a union (another
/// document may hold them), so a removal or replacement rebuilds the index
/// from the documents' `grams13` column.
///
/// A lookup of N sorted questioned values reads the block directory (a few
/// bytes per block) and only the blocks some value falls in: O(N + blocks
/// touched × block size), never more than the index itself.
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
        CREATE TABLE IF NOT EXISTS gram_blocks(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, first INTEGER NOT NULL, grams BLOB NOT NULL);
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

    /// Which of `sorted` (ascending, distinct hashes) occur in some stored
    /// document's 13-gram set; nil when the file has no gram index (schema
    /// 1: the caller reads every document's set instead).
    public func storedGramsPresent(_ sorted: [UInt64]) throws -> [Bool]? {
        guard hasGramIndex else { return nil }
        var found = [Bool](repeating: false, count: sorted.count)
        guard !sorted.isEmpty else { return found }
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
            runs[runs.count - 1].firsts.append(FingerprintFile.gramValue(directory.int64(1)))
            runs[runs.count - 1].ids.append(directory.int64(2))
        }
        let load = try database.prepare("SELECT grams FROM gram_blocks WHERE id = ?")
        var missing = sorted.count
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
                var wanted = false
                for q in i..<j where !found[q] {
                    wanted = true
                    break
                }
                if wanted {
                    load.bind(1, run.ids[k])
                    guard try load.step() else { throw damagedGrams("a block is missing") }
                    let ok = load.withBytes(0) { raw -> Bool in
                        guard raw.count % 8 == 0, raw.count > 0 else { return false }
                        let n = raw.count / 8
                        var p = 0
                        for q in i..<j where !found[q] {
                            let g = sorted[q]
                            while p < n && raw.loadUnaligned(fromByteOffset: 8 * p, as: UInt64.self) < g { p += 1 }
                            if p == n { break }
                            if raw.loadUnaligned(fromByteOffset: 8 * p, as: UInt64.self) == g {
                                found[q] = true
                                missing -= 1
                            }
                        }
                        return true
                    }
                    load.reset()
                    guard ok else { throw damagedGrams("a block's length is not a whole number of hashes") }
                }
                i = j
            }
        }
        return found
    }

    // MARK: Writing (inside the writer's transaction)

    /// Makes a schema-1 file a schema-2 one, inside the writer's
    /// transaction: the gram_blocks table and `schema_version` 2. Returns
    /// whether the gram index still has to be filled from the documents'
    /// 13-gram sets (the writer rebuilds it when it finishes, after its own
    /// removals, so that a damaged document can still be removed).
    package func upgradeSchema() throws -> Bool {
        guard !hasGramIndex else { return false }
        // Another writer may have upgraded the file since it was opened here.
        let stored = try database.integer("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") ?? 1
        if stored >= 2 {
            parameters.schema = Int(stored)
            return false
        }
        try database.execute(FingerprintFile.gramSchema)
        try database.execute("UPDATE meta SET value = '\(FingerprintParameters.schemaVersion)' WHERE key = 'schema_version'")
        parameters.schema = FingerprintParameters.schemaVersion
        return true
    }

    /// Runs `body` in one write transaction; if it fails, what this object
    /// believes about the file (its schema) is put back as it was.
    package func writing<T>(_ body: () throws -> T) throws -> T {
        let before = parameters
        do {
            return try database.transaction(body)
        } catch {
            parameters = before
            throw error
        }
    }

    /// Appends sorted, distinct `values` as a new run, then merges runs if
    /// there are too many.
    package func addGramRun(_ values: [UInt64]) throws {
        guard !values.isEmpty else { return }
        let run = (try database.integer("SELECT max(run) FROM gram_blocks") ?? 0) + 1
        let insert = try database.prepare("INSERT INTO gram_blocks(run, first, grams) VALUES(?, ?, ?)")
        var start = 0
        while start < values.count {
            let end = min(start + FingerprintFile.gramBlockValues, values.count)
            try writeBlock(insert, run: run, values[start..<end])
            start = end
        }
        try compactGramRuns()
    }

    private func writeBlock(_ insert: SQLiteStatement, run: Int64, _ values: ArraySlice<UInt64>) throws {
        insert.bind(1, run)
        insert.bind(2, FingerprintFile.gramKey(values.first!))
        try values.withUnsafeBytes { try insert.run(binding: 3, bytes: $0) }
    }

    /// Empties the gram index and fills it again from every document's
    /// stored 13-gram set (runs of at most 2^24 values before merging).
    package func rebuildGramIndex() throws {
        try database.execute("DELETE FROM gram_blocks")
        let s = try database.prepare("SELECT name, grams13 FROM documents")
        var parts: [[UInt64]] = []
        var n = 0
        while try s.step() {
            guard let g = s.array(1, of: UInt64.self) else {
                throw FingerprintError.badData(
                    path: path, reason: "document '\(s.string(0) ?? "")': damaged n-grams (fingerprint index remove can take it out)")
            }
            n += g.count
            parts.append(g)
            if n >= FingerprintFile.gramRunHashes {
                try addGramRun(RadixSort.sortedUnique(parts: &parts))
                parts = []
                n = 0
            }
        }
        if n > 0 { try addGramRun(RadixSort.sortedUnique(parts: &parts)) }
    }

    /// Runs and their sizes in blocks, smallest first.
    func gramRuns() throws -> [(run: Int64, blocks: Int)] {
        let s = try database.prepare("SELECT run, count(*) FROM gram_blocks GROUP BY run ORDER BY count(*), run")
        var out: [(Int64, Int)] = []
        while try s.step() { out.append((s.int64(0), s.int(1))) }
        return out
    }

    /// With more than `maxGramRuns` runs, merges the smallest into one so
    /// that `gramRunsAfterCompaction` remain.
    func compactGramRuns() throws {
        let runs = try gramRuns()
        guard runs.count > FingerprintFile.maxGramRuns else { return }
        let merging = runs.prefix(runs.count - FingerprintFile.gramRunsAfterCompaction + 1).map(\.run)
        let target = (runs.map(\.run).max() ?? 0) + 1
        // One cursor a run, each holding one block.
        final class Cursor {
            let statement: SQLiteStatement
            var block: [UInt64] = []
            var at = 0
            init(_ s: SQLiteStatement) { statement = s }
        }
        var cursors: [Cursor] = []
        func advance(_ c: Cursor) throws -> Bool {
            c.at += 1
            if c.at < c.block.count { return true }
            guard try c.statement.step() else { return false }
            guard let b = c.statement.array(0, of: UInt64.self), !b.isEmpty else {
                throw damagedGrams("a block's length is not a whole number of hashes")
            }
            c.block = b
            c.at = 0
            return true
        }
        for run in merging {
            let s = try database.prepare("SELECT grams FROM gram_blocks WHERE run = ? ORDER BY first")
            s.bind(1, run)
            let c = Cursor(s)
            c.at = -1
            if try advance(c) { cursors.append(c) }
        }
        let insert = try database.prepare("INSERT INTO gram_blocks(run, first, grams) VALUES(?, ?, ?)")
        var out: [UInt64] = []
        out.reserveCapacity(FingerprintFile.gramBlockValues)
        var last: UInt64? = nil
        while !cursors.isEmpty {
            var m = 0
            for k in 1..<cursors.count where cursors[k].block[cursors[k].at] < cursors[m].block[cursors[m].at] { m = k }
            let v = cursors[m].block[cursors[m].at]
            if v != last {
                out.append(v)
                last = v
                if out.count == FingerprintFile.gramBlockValues {
                    try writeBlock(insert, run: target, out[...])
                    out.removeAll(keepingCapacity: true)
                }
            }
            if try !advance(cursors[m]) { cursors.remove(at: m) }
        }
        if !out.isEmpty { try writeBlock(insert, run: target, out[...]) }
        try database.execute("DELETE FROM gram_blocks WHERE run IN (\(merging.map(String.init).joined(separator: ",")))")
    }
}
