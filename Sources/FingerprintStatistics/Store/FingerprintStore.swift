import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a fingerprint file is made.
public struct SketchOptions: Sendable {
    public var tokenizer: TokenizerSpec = .word
    /// Tokens per MinHash shingle, permutations and their seed (as `dedup`).
    public var shingle = 5
    public var perms = 128
    public var seed: UInt64 = 1
    /// The Jaccard threshold the index's LSH bands are chosen for.
    public var threshold = 0.8
    /// Keyed hashes instead of tokens, n-grams and names.
    public var key: FingerprintKey? = nil
    /// With a key: keep document paths anyway.
    public var keepNames = false
    /// Prepended to every document name (shards of one collection).
    public var namePrefix = ""
    public var read = ReadOptions()
    /// Stored bytes read per batch (memory holds one batch's sketches).
    public var batchBytes = 16 << 20
    /// The most storage of written n-gram sets kept for the readers'
    /// next documents (`HashBufferPool`): a batch's three sets take about
    /// 4 bytes a byte of text, and its gram index run 1.3.
    var keptStorageBytes: Int { batchBytes >= 1 << 27 ? 1 << 30 : 8 * batchBytes }
    public init() {}

    var parameters: FingerprintParameters {
        let b = LSHBanding.optimal(threshold: threshold, perms: perms)
        return FingerprintParameters(
            tokenizer: tokenizer.description, shingle: shingle, permutations: perms, seed: seed, bands: b.bands, rows: b.rows,
            threshold: threshold, keyID: key?.id, keepNames: key == nil || keepNames)
    }
}

/// What `sketch` and `index add` did.
public struct IndexChange: Codable, Sendable, Equatable {
    public var schema = "fingerprint.change/1"
    public var version = Fingerprint.version
    public var file: String
    public var added = 0
    public var replaced = 0
    public var unchanged = 0
    public var removed = 0
    public var skipped: [Skip] = []
    /// Documents and vocabulary size afterwards, and the file's size on disk.
    public var documents = 0
    public var vocabulary = 0
    public var fileBytes = 0

    enum CodingKeys: String, CodingKey {
        case schema, version, file, added, replaced, unchanged, removed, skipped, documents, vocabulary
        case fileBytes = "file_bytes"
    }
}

/// Making, changing and reading fingerprint files (docs/FINGERPRINT-FILES.md).
public enum FingerprintStore {
    /// Sketches `input` into a new file at `path`, written beside it under a
    /// temporary name and renamed when complete: a failed or interrupted run
    /// leaves nothing (and never a half-written file) behind.
    /// - Complexity: one pass over the text; memory holds the vocabulary and
    ///   one batch of documents' sketches.
    @discardableResult
    public static func sketch(
        _ input: CorpusInput, to path: String, options o: SketchOptions, progress: ProgressSink? = nil
    ) throws -> IndexChange {
        // Small inputs make a file of small pages (`FingerprintFile.pageSize`).
        // Run in `CorpusSurvey.withListingsKept`, the walk this takes is the
        // one the run reads.
        let bytes = input.isStream ? nil : try CorpusSurvey.storedBytes(input)
        return try writeNew(path, parameters: o.parameters, pageSize: FingerprintFile.pageSize(forInputBytes: bytes)) {
            try add(input, to: $0, options: o, progress: progress)
        }
    }

    /// Makes a new fingerprint file at `path` with `body`, on a temporary
    /// file beside it (`.NAME.tmp-PID`, no journal) that is switched to WAL
    /// and renamed over `path` once `body` returns; an error or a signal
    /// (SIGINT, SIGTERM, SIGHUP) leaves nothing behind. A symbolic link
    /// keeps pointing at the new file (its target is replaced); an existing
    /// path that is not a regular file (a device, a FIFO, a directory) is
    /// refused before any work.
    static func writeNew(
        _ given: String, parameters: FingerprintParameters, pageSize: Int, _ body: (FingerprintFile) throws -> IndexChange
    ) throws -> IndexChange {
        try checkNewFile(given)
        let path = access(given, F_OK) == 0 ? StreamingOutput.resolved(given) : given
        let dir = (path as NSString).deletingLastPathComponent
        let temporary = (dir.isEmpty ? "" : dir + "/") + ".\((path as NSString).lastPathComponent).tmp-\(getpid())"
        unlink(temporary)
        let slot = TemporaryFiles.register(temporary)
        defer {
            TemporaryFiles.unregister(slot)
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
        }
        var change: IndexChange
        do {
            let file = try FingerprintFile.create(path: temporary, parameters: parameters, bulk: true, pageSize: pageSize)
            change = try body(file)
            Trace.mark("sketch: committed")
            try file.database.execute("PRAGMA journal_mode=WAL")
            Trace.mark("sketch: WAL mode")
        }
        // The replaced file's write-ahead log and its index (or a rollback
        // journal), left when a writer of it stopped before a checkpoint:
        // SQLite would replay that log into the new file when it is next
        // opened (a silent mix of the two files' pages).
        for suffix in ["-wal", "-shm", "-journal"] where unlink(path + suffix) != 0 && errno != ENOENT {
            throw FingerprintError.outputFailed(
                path: path + suffix, reason: "cannot remove the replaced file's \(suffix): " + String(cString: strerror(errno)))
        }
        guard rename(temporary, path) == 0 else {
            throw FingerprintError.outputFailed(path: given, reason: String(cString: strerror(errno)))
        }
        change.file = given
        change.fileBytes = fileSize(path)
        return change
    }

    /// Refuses a path for a new fingerprint file that exists and is not a
    /// regular file (a device, a FIFO, a directory), or is a symbolic link
    /// to nothing: it would be replaced by one. The commands check before
    /// they read; `writeNew` again.
    public static func checkNewFile(_ path: String) throws {
        try StreamingOutput.refuseDanglingLink(path)
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            throw FingerprintError.outputFailed(path: path, reason: "is not a regular file; a fingerprint file is a database file")
        }
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Adds the documents of `input` to an existing file in one transaction:
    /// new ones are added, those whose text changed (by SHA-256) replaced,
    /// the others left as they are. `options` must match the file's
    /// parameters (tokenizer, shingle, permutations, seed, key).
    @discardableResult
    package static func add(
        _ input: CorpusInput, to file: FingerprintFile, options o: SketchOptions, progress: ProgressSink? = nil
    ) throws -> IndexChange {
        var wanted = o.parameters
        wanted.bands = file.parameters.bands
        wanted.rows = file.parameters.rows
        wanted.threshold = file.parameters.threshold
        wanted.keepNames = file.parameters.keepNames
        if let m = file.parameters.mismatch(wanted) {
            throw FingerprintError.badData(path: file.path, reason: "cannot take these documents: \(m)")
        }
        let hasher = MinHasher(perms: o.perms, seed: o.seed)
        var change = IndexChange(file: file.path)
        let db = file.database
        // Files whose stored digest equals their text's are not tokenised
        // again (the names as RowStage looks them up).
        let stored = try StoredDigests(file)
        var read = o.read
        read.unchanged = UnchangedDocuments(key: o.key) {
            [stored, key = o.key, keepNames = file.parameters.keepNames, prefix = o.namePrefix] name in
            stored.digest(FingerprintWriter.stored(prefix + name, key: key, keepNames: keepNames))
        }
        // The n-gram sets' storage, handed back by the rows stage and the
        // gram index's runs to the readers.
        let pool = HashBufferPool(limitBytes: o.keptStorageBytes)
        try file.writing {
            let writer = try FingerprintWriter(file: file, key: o.key)
            writer.pool = pool
            let rows = try RowStage(writer: writer, namePrefix: o.namePrefix)
            // The rows of one batch are written on `queue` while the next batch is read.
            let queue = DispatchQueue(label: "fingerprint.sketch.writer")
            let group = DispatchGroup()
            let totals: CorpusReader.ReadTotals
            do {
                totals = try CorpusReader.readInBatches(
                    input, options: read, batchBytes: o.batchBytes, progress: progress,
                    makeWorker: { FileSketchWorker(tokenizer: o.tokenizer, shingle: o.shingle, hasher: hasher, key: o.key, pool: pool) }
                ) { batch in
                    let ready = RowStage.Batch(
                        zip(batch.documents, batch.outputs).map { d, out in
                            writer.row(d, out.output, worker: out.worker, table: batch.workers[out.worker].counting.localTable)
                        })
                    group.wait()
                    if let failure = rows.failure { throw failure }
                    queue.async(group: group) { rows.write(ready) }
                }
            } catch {
                group.wait()
                throw error
            }
            group.wait()
            if let failure = rows.failure { throw failure }
            Trace.mark("sketch: documents written")
            try writer.finish()
            Trace.mark("sketch: vocabulary written")
            let skips = totals.skips + rows.collisions
            try writer.insert(skips: skips, replacing: input.path)
            change.added = rows.added
            change.replaced = rows.replaced
            change.unchanged = rows.unchanged + totals.unchanged
            change.skipped = skips
        }
        change.documents = try file.documentCount()
        change.vocabulary = Int(try db.integer("SELECT count(*) FROM vocabulary WHERE count > 0") ?? 0)
        // The size the file has once its log is checkpointed (at the last
        // close): in WAL mode the new pages are still in the log here.
        let pages = try db.integer("PRAGMA page_count") ?? 0
        change.fileBytes = Int(pages * (try db.integer("PRAGMA page_size") ?? 0))
        return change
    }

    /// The digests stored for names, as the file was before a write, for the
    /// reading threads of `add` (any of them, one at a time).
    ///
    /// A file in WAL mode (as `sketch` and `index add` leave one) is asked
    /// one name at a time on a connection of its own, which does not see
    /// the writer's uncommitted rows. Loading every name and digest first,
    /// as before, took 1 s and 300 MB of a 1,000,000-document index however
    /// few documents were added. A file in another journal mode is loaded
    /// (a reader there could hold the writer up); an empty one needs nothing.
    final class StoredDigests: @unchecked Sendable {
        private let lock = NSLock()
        private let statement: SQLiteStatement?
        private let loaded: [String: [UInt8]]
        /// Its own connection, kept open while `statement` is used.
        private let connection: SQLiteDatabase?

        init(_ file: FingerprintFile) throws {
            var loaded: [String: [UInt8]] = [:]
            if try file.documentCount() == 0 {
                (connection, statement) = (nil, nil)
            } else if try Self.journalMode(file.database) == "wal" {
                let c = try SQLiteDatabase(path: file.path, mode: .readOnly)
                (connection, statement) = (c, try c.prepare("SELECT digest FROM documents WHERE name = ?"))
            } else {
                let all = try file.database.prepare("SELECT name, digest FROM documents")
                while try all.step() { if let name = all.string(0) { loaded[name] = all.bytes(1) } }
                all.reset()
                (connection, statement) = (nil, nil)
            }
            self.loaded = loaded
        }

        private static func journalMode(_ db: SQLiteDatabase) throws -> String? {
            let s = try db.prepare("PRAGMA journal_mode")
            defer { s.reset() }
            return try s.step() ? s.string(0)?.lowercased() : nil
        }

        /// The stored digest of `name`, nil when the file has no such
        /// document (or the look-up fails: the document is then read, and
        /// the writer decides by its own look-up).
        func digest(_ name: String) -> [UInt8]? {
            guard let statement else { return loaded[name] }
            return lock.withLock {
                defer { statement.reset() }
                statement.bind(1, name)
                return (try? statement.step()) == true ? statement.bytes(0) : nil
            }
        }
    }

    /// Removes the documents named `names` (as `index list` shows them; in a
    /// keyed file without names, the original names, hashed with `key`) in
    /// one transaction. A name that is a document's own and also how `index
    /// list` shows another's (one holding control characters: `\e` is an
    /// escape there, two characters here) removes the document it names
    /// itself. Returns the names not found, and those that also stand for
    /// another document, which was kept (`shadowing`).
    package static func remove(_ names: [String], from file: FingerprintFile, key: FingerprintKey?) throws -> (
        removed: Int, missing: [String], shadowing: [String]
    ) {
        if !file.parameters.keyed && key != nil {
            throw FingerprintError.badData(path: file.path, reason: "is not keyed; remove its documents without --key")
        }
        if file.parameters.keyed && key?.id != file.parameters.keyID {
            throw FingerprintError.badData(
                path: file.path,
                reason: key == nil
                    ? "is keyed: removing documents needs its key (--key)"
                    : "was made with another key (key id \(file.parameters.keyID!); --key gives \(key!.id))")
        }
        var removed = 0
        var missing: [String] = []
        var shadowing: [String] = []
        try file.writing {
            let writer = try FingerprintWriter(file: file, key: key)
            let s = try file.database.prepare("SELECT id FROM documents WHERE name = ?")
            // Names as `index list` shows them, control characters escaped:
            // the stored name each escaped form stands for, when it is one
            // (read on the first name not found as given, or with a backslash).
            var shown: [String: String?]? = nil
            func shownNames() throws -> [String: String?] {
                if let shown { return shown }
                var map: [String: String?] = [:]
                let all = try file.database.prepare("SELECT name FROM documents")
                while try all.step() {
                    guard let name = all.string(0), name.terminalSafe != name else { continue }
                    // Two names shown alike stand for neither.
                    map[name.terminalSafe] = map[name.terminalSafe] == nil ? .some(name) : .some(nil)
                }
                shown = map
                return map
            }
            // A document named twice (or as given and as shown) is removed
            // once, and is not "missing" the second time.
            var removedNames = Set<String>()
            let namesKept = key == nil || file.parameters.keepNames
            for n in names {
                let primary = writer.stored(n)
                var stored = primary
                s.bind(1, stored)
                var found = try s.step()
                if !found {
                    // The name as `index list` shows it: a hashed name (`#…`)
                    // is the stored name itself; an escaped one stands for
                    // the name it escapes.
                    s.reset()
                    if let other = namesKept ? try shownNames()[n].flatMap({ $0 }) : n {
                        stored = other
                        s.bind(1, stored)
                        found = try s.step()
                    }
                } else if namesKept && n.contains("\\") {
                    // Only a name with a backslash can be another's shown
                    // form (the names are read only then).
                    if let other = try shownNames()[n], other != n { shadowing.append(n) }
                }
                guard found else {
                    s.reset()
                    if !removedNames.contains(primary) && !removedNames.contains(stored) { missing.append(n) }
                    continue
                }
                let row = s.int64(0)
                s.reset()
                try writer.remove(row: row)
                removedNames.insert(stored)
                removed += 1
            }
            try writer.finish()
        }
        return (removed, missing, shadowing)
    }

    /// Merges files made with the same parameters into a new one: the same
    /// content as sketching their corpora as one (documents, vocabulary,
    /// counts, sketches). Names must be distinct across the inputs.
    /// `threshold`: the Jaccard threshold the merged file's LSH bands are
    /// made for (they are made again from the stored signatures); nil: the
    /// files' own, which must then be one.
    @discardableResult
    public static func merge(_ paths: [String], to path: String, threshold: Double? = nil) throws -> IndexChange {
        // Each input is open only while it is read (to check it, then to
        // copy it), not all at once: 600 shards held ~1,800 descriptors,
        // past the usual limit of 1,024, and the open that failed called a
        // good file "not a fingerprint file".
        guard let firstPath = paths.first else {
            throw FingerprintError.invalidParameter(name: "merge", value: "", reason: "no input file")
        }
        let first = try FingerprintFile(path: firstPath).parameters
        func open(_ path: String) throws -> FingerprintFile {
            let f = try FingerprintFile(path: path)
            if let m = first.mismatch(f.parameters) {
                throw FingerprintError.badData(path: f.path, reason: "cannot be merged with \(firstPath): \(m)")
            }
            // The merged file's bands are one threshold's: taking the first
            // file's made the default of index query depend on the order.
            let (a, b) = (first, f.parameters)
            if threshold == nil && (a.threshold != b.threshold || a.bands != b.bands || a.rows != b.rows) {
                throw FingerprintError.badData(
                    path: f.path,
                    reason:
                        "was made for LSH threshold \(b.threshold) and \(firstPath) for \(a.threshold): give merge --threshold for the merged file's bands"
                )
            }
            return f
        }
        for p in paths.dropFirst() { _ = try open(p) }
        var parameters = first
        parameters.tool = Fingerprint.version
        if let threshold {
            let b = LSHBanding.optimal(threshold: threshold, perms: first.permutations)
            (parameters.threshold, parameters.bands, parameters.rows) = (threshold, b.bands, b.rows)
        }
        let bytes = paths.reduce(0) { $0 + fileSize($1) }
        return try writeNew(path, parameters: parameters, pageSize: FingerprintFile.pageSize(forInputBytes: bytes)) { out in
            var change = IndexChange(file: path)
            try out.writing {
                let writer = try FingerprintWriter(file: out, key: nil)
                for p in paths {
                    let f = try open(p)
                    // Vocabulary in file-id order, so that ids come out as sketching the whole would give them.
                    var map: [Int: Int32] = [:]
                    var rowOfSlot: [Int32: Int] = [:]
                    let v = try f.database.prepare("SELECT id, token FROM vocabulary ORDER BY id")
                    while try v.step() {
                        let id = v.int(0)
                        let slot = v.withBytes(1) { raw in writer.slot(stored: raw.bindMemory(to: UInt8.self)) }
                        if let earlier = rowOfSlot.updateValue(id, forKey: slot) {
                            throw FingerprintError.badData(
                                path: f.path, reason: "vocabulary rows \(earlier) and \(id) hold the same token (damaged file)")
                        }
                        map[id] = slot
                    }
                    do {
                        try copyDocuments(of: f, into: writer, map: map)
                    } catch FingerprintError.badData(let at, let reason) where at == out.path {
                        // A name an earlier input holds: said of this input,
                        // not of the new file's temporary name.
                        throw FingerprintError.badData(
                            path: f.path,
                            reason: reason.replacingOccurrences(of: "' already (", with: "' that an earlier input holds too ("))
                    }
                    try writer.insert(skips: try f.skips())
                    change.added += try f.documentCount()
                }
                try writer.finish()
            }
            change.documents = try out.documentCount()
            change.vocabulary = Int(try out.database.integer("SELECT count(*) FROM vocabulary WHERE count > 0") ?? 0)
            return change
        }
    }

    /// Copies every document row of `f` (in id order) into `writer`'s file,
    /// its token ids mapped through `map`. Names are kept as stored.
    static func copyDocuments(of f: FingerprintFile, into writer: FingerprintWriter, map: [Int: Int32]) throws {
        let s = try f.database.prepare(
            """
            SELECT id, name, ord, path, line, key, bytes, invalid, truncated, digest, tokens, counts,
              shingle_tokens, exact, simhash, minhash, shingles, grams8, grams13 FROM documents ORDER BY id
            """)
        while try s.step() {
            let name = s.string(1) ?? ""
            var pairs: [(id: Int32, count: Int32)] = []
            // Checked as readers check them (merge is how a damaged index is
            // mended: it must not copy damage on).
            guard s.withBytes(11, { raw in FingerprintFile.readCounts(raw, tokens: s.int(10)) { pairs.append(($0, $1)) } }),
                let minhash = s.array(15, of: UInt32.self), minhash.count == f.parameters.permutations,
                let shingles = s.array(16, of: UInt64.self), let g8 = s.array(17, of: UInt64.self), let g13 = s.array(18, of: UInt64.self),
                f.parameters.setsAsWritten(shingles: shingles, grams: [g8, g13], shingleTokens: s.int(12)) == nil,
                FingerprintFile.sizesFit(s, columns: [6, 7, 8, 10, 12])
            else { throw FingerprintError.badData(path: f.path, reason: "document '\(name)' is damaged") }
            var counts: [(slot: Int32, id: Int64, count: Int32)] = []
            for (id, n) in pairs {
                guard let v = map[Int(id)] else {
                    throw FingerprintError.badData(path: f.path, reason: "document '\(name)' counts a token missing from the vocabulary")
                }
                counts.append((v, writer.fileID[Int(v)], n))
            }
            var info = DocumentInfo(
                name: name, path: s.string(3) ?? name, line: s.isNull(4) ? nil : s.int(4), bytes: s.int(6), key: s.string(5))
            info.group = nil
            let sketch = FileSketch(
                counts: LocalCounts(ids: [], counts: [], tokens: s.int(10)), shingleTokens: s.int(12),
                exact: UInt64(bitPattern: s.int64(13)), simhash: UInt64(bitPattern: s.int64(14)), minhash: minhash, shingles: shingles,
                grams: [g8, g13], digest: s.bytes(9), invalid: s.int(7), truncated: s.int(8))
            try writer.insertStored(
                name: name, order: s.bytes(2), path: s.isNull(3) ? nil : s.string(3),
                row: FingerprintWriter.Row(info: info, counts: counts, sketch: sketch))
        }
    }
}

/// The rows stage of `add`: documents new or changed (by digest) are
/// written, unchanged ones counted. Used by one thread at a time (the
/// writer queue, then the caller after waiting for it).
final class RowStage: @unchecked Sendable {
    let writer: FingerprintWriter
    let existing: SQLiteStatement
    let namePrefix: String
    var added = 0
    var replaced = 0
    var unchanged = 0
    /// Documents named as one this write stored already (counted skips).
    var collisions: [Skip] = []
    var failure: Error? = nil

    /// A batch's rows, handed to the writer's thread by reference: the
    /// only reference to the n-gram sets once the readers are done with
    /// the batch, so that the sets' storage goes back to the writer's
    /// `pool` unshared.
    final class Batch: @unchecked Sendable {
        var rows: [FingerprintWriter.Row]
        init(_ rows: [FingerprintWriter.Row]) { self.rows = rows }
    }

    init(writer: FingerprintWriter, namePrefix: String) throws {
        self.writer = writer
        existing = try writer.db.prepare("SELECT id, digest FROM documents WHERE name = ?")
        self.namePrefix = namePrefix
    }

    func write(_ batch: Batch) {
        guard failure == nil else { return }
        do {
            for i in batch.rows.indices {
                let inserted = try write(batch.rows[i])
                // The 13-gram set stays with the gram index's next run,
                // which gives it back once sorted (so the row lets go of a
                // large one). Small sets stay with the batch.
                guard let pool = writer.pool else { continue }
                pool.give(&batch.rows[i].sketch.shingles)
                pool.give(&batch.rows[i].sketch.grams[0])
                if !inserted {
                    pool.give(&batch.rows[i].sketch.grams[1])
                } else if HashBufferPool.keeps(batch.rows[i].sketch.grams[1]) {
                    batch.rows[i].sketch.grams[1] = []
                }
            }
            try writer.flushGrams()
            // The batch's pages written while the next batch is read, not
            // all at the commit, after the last (0.09 s of 128 MB of cache
            // on the bench's large set, on one core).
            try writer.db.flushCache()
        } catch {
            failure = error
        }
    }

    /// Writes a document new or changed (true), or counts it unchanged.
    /// Inserted first: a name the file holds already inserts nothing, and
    /// only then is the stored row looked up.
    private func write(_ r: FingerprintWriter.Row) throws -> Bool {
        if try writer.insert(r, namePrefix: namePrefix) != nil {
            added += 1
            return true
        }
        let name = namePrefix + r.info.name
        let stored = writer.stored(name)
        existing.bind(1, stored)
        guard try existing.step() else {
            existing.reset()
            throw FingerprintError.badData(path: writer.file.path, reason: "holds a document named '\(stored)' that cannot be read back")
        }
        let row = existing.int64(0)
        let digest = existing.bytes(1)
        existing.reset()
        // Two documents of this corpus under one name (say a text file
        // named "a.jsonl:3" beside a.jsonl): the first stays, the second is
        // a counted skip, never a silent replacement.
        if writer.insertedHere(row) {
            collisions.append(
                Skip(path: name, reason: "another document of this corpus has the same name (the first is kept); skipped"))
            return false
        }
        if digest == r.sketch.digest {
            unchanged += 1
            return false
        }
        try writer.remove(row: row)
        replaced += 1
        guard try writer.insert(r, namePrefix: namePrefix) != nil else {
            throw FingerprintError.badData(path: writer.file.path, reason: "holds a document named '\(stored)' that cannot be replaced")
        }
        return true
    }
}
