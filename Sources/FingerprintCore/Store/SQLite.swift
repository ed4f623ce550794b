import CSQLite
import Foundation

/// A thin, owned connection to an SQLite database (the system's
/// `libsqlite3`): prepared statements, transactions, and every error turned
/// into a `FingerprintError` that names the file.
///
/// Not thread-safe: one connection per thread (SQLite's own locking then
/// lets readers and one writer share a WAL-mode file across processes).
package final class SQLiteDatabase {
    let handle: OpaquePointer
    /// The file, for messages.
    public let path: String

    /// How the file is opened.
    public enum Mode: Sendable {
        /// Read only; the file must exist.
        case readOnly
        /// Read and write; the file must exist.
        case readWrite
        /// Read and write; created when missing.
        case create
    }

    /// Opens `path`.
    /// - Throws: `.inputNotFound` when a file to read is missing,
    ///   `.badData` when it is not an SQLite database, `.outputFailed`
    ///   when it cannot be created.
    public init(path: String, mode: Mode) throws {
        self.path = path
        _ = SQLiteDatabase.configured
        var flags = SQLITE_OPEN_NOMUTEX
        switch mode {
        // A reader opens the file for writing where the system allows it
        // (and forbids itself every write below): only a connection that can
        // write removes the `-wal` and `-shm` files of a WAL-mode database
        // when it closes last; a read-only one leaves them beside the file.
        // On a file the user may not write, SQLite opens it read-only.
        case .readOnly, .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            if mode == .create { throw FingerprintError.outputFailed(path: path, reason: reason) }
            throw FingerprintError.inputNotFound(path: path, reason: reason)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // Another process writing (index add) holds the lock briefly per transaction.
        sqlite3_busy_timeout(db, 60_000)
        if mode == .readOnly { sqlite3_exec(db, "PRAGMA query_only=1", nil, nil, nil) }
    }

    /// SQLite's process-wide settings, made once before the first connection.
    private static let configured: Void = { _ = fingerprint_sqlite_disable_memstatus() }()

    deinit { sqlite3_close_v2(handle) }

    /// The last error as a library error naming the file.
    func failure(_ rc: Int32, _ what: String) -> FingerprintError {
        let message = String(cString: sqlite3_errmsg(handle))
        let primary = rc & 0xFF
        if primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT {
            return .badData(path: path, reason: "not a fingerprint file (SQLite: \(message))")
        }
        if primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN {
            return .outputFailed(path: path, reason: "\(what): \(message)")
        }
        return .badData(path: path, reason: "\(what): \(message)")
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if let error { sqlite3_free(error) }
        guard rc == SQLITE_OK else { throw failure(rc, "SQL failed") }
    }

    /// Writes the dirty pages of the open write transaction to the file
    /// (or the WAL) now, without committing: they stay in the cache, clean,
    /// and the commit has only the pages changed since to write.
    public func flushCache() throws {
        let rc = sqlite3_db_cacheflush(handle)
        guard rc == SQLITE_OK else { throw failure(rc, "writing the page cache failed") }
    }

    /// A prepared statement (reused by `reset()` between executions).
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let s else { throw failure(rc, "cannot prepare a statement") }
        return SQLiteStatement(s, database: self)
    }

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE`: the write lock is
    /// taken first, so two writers never deadlock): committed when it
    /// returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in one read transaction: every statement sees the same
    /// snapshot of the file (in WAL mode a writer may commit meanwhile), and
    /// the file lock is taken once, not once a statement.
    public func reading<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// The header's `user_version` as of this connection's transaction (a
    /// fingerprint file keeps its generation there).
    public func userVersion() throws -> Int32 {
        Int32(truncatingIfNeeded: try integer("PRAGMA user_version") ?? 0)
    }

    /// Sets the header's `user_version` (inside the caller's transaction).
    public func setUserVersion(_ v: Int32) throws { try execute("PRAGMA user_version = \(v)") }

    /// The single integer a query returns (nil when it returns no row or NULL).
    public func integer(_ sql: String, _ bindings: [Int64] = []) throws -> Int64? {
        let s = try prepare(sql)
        for (k, v) in bindings.enumerated() { s.bind(k + 1, v) }
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int64(0)
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the last row inserted on this connection (0 before any).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A prepared statement. Bindings are 1-based, columns 0-based, as in SQLite.
package final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase

    init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// SQLITE_TRANSIENT: SQLite copies bound blobs and text.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    public func bind(_ i: Int, _ v: Int64) { sqlite3_bind_int64(handle, Int32(i), v) }
    public func bind(_ i: Int, _ v: Int) { sqlite3_bind_int64(handle, Int32(i), Int64(v)) }
    public func bind(_ i: Int, _ v: Double) { sqlite3_bind_double(handle, Int32(i), v) }
    public func bindNull(_ i: Int) { sqlite3_bind_null(handle, Int32(i)) }

    public func bind(_ i: Int, _ v: String?) {
        guard let v else { return bindNull(i) }
        sqlite3_bind_text(handle, Int32(i), v, -1, SQLiteStatement.transient)
    }

    /// Binds raw bytes as a blob (an empty buffer binds an empty blob, not NULL).
    public func bind(_ i: Int, bytes: UnsafeRawBufferPointer) { bindBlob(i, bytes, SQLiteStatement.transient) }

    /// A blob binding with SQLite's destructor argument: SQLITE_TRANSIENT
    /// (copied now) or nil, SQLITE_STATIC (read where it is while the
    /// statement runs; `run(binding:)`).
    private func bindBlob(_ i: Int, _ bytes: UnsafeRawBufferPointer, _ destructor: sqlite3_destructor_type?) {
        if bytes.isEmpty {
            sqlite3_bind_zeroblob(handle, Int32(i), 0)
        } else {
            sqlite3_bind_blob64(handle, Int32(i), bytes.baseAddress, sqlite3_uint64(bytes.count), destructor)
        }
    }

    /// Binds an array of fixed-width integers as a little-endian blob.
    public func bind<T: FixedWidthInteger>(_ i: Int, array: [T]) {
        array.withUnsafeBytes { bind(i, bytes: $0) }
    }

    /// Executes one step: true when a row is available.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.failure(rc, "SQL failed")
    }

    /// Resets the statement and clears its bindings, for the next execution.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Steps to the end (a statement without rows), then resets.
    public func run() throws {
        defer { reset() }
        while try step() {}
    }

    /// Runs the statement with each of `blobs` bound, where it is, as a
    /// little-endian blob at its parameter index (SQLITE_STATIC: SQLite
    /// reads the arrays while it runs instead of copying each first; a
    /// document's n-gram sets are most of a fingerprint file's bytes). The
    /// bindings are cleared before the arrays' buffers go out of scope.
    /// (Of `UInt64`s, not any `FixedWidthInteger`: the generic version,
    /// called from another module, built the metadata of its tuple type at
    /// run time on every call, under a lock — ~4% of the writer's thread
    /// in `sketch` of 200,000 short documents.)
    public func run(binding blobs: [(index: Int, values: [UInt64])]) throws {
        try run(binding: blobs[...])
    }

    private func run(binding blobs: ArraySlice<(index: Int, values: [UInt64])>) throws {
        guard let (i, values) = blobs.first else { return try run() }
        try values.withUnsafeBytes { raw in
            bindBlob(i, raw, nil)
            try run(binding: blobs.dropFirst())
        }
    }

    /// Runs the statement with `bytes` bound, where they are, as a blob at
    /// parameter `index` (see `run(binding:)`).
    public func run(binding index: Int, bytes: UnsafeRawBufferPointer) throws {
        bindBlob(index, bytes, nil)
        try run()
    }

    public func isNull(_ c: Int) -> Bool { sqlite3_column_type(handle, Int32(c)) == SQLITE_NULL }
    public func int64(_ c: Int) -> Int64 { sqlite3_column_int64(handle, Int32(c)) }
    public func int(_ c: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(c))) }
    public func double(_ c: Int) -> Double { sqlite3_column_double(handle, Int32(c)) }

    public func string(_ c: Int) -> String? {
        guard let p = sqlite3_column_text(handle, Int32(c)) else { return nil }
        return String(cString: p)
    }

    /// The column's blob bytes, valid until the next step or reset.
    public func withBytes<T>(_ c: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(handle, Int32(c))
        let n = Int(sqlite3_column_bytes(handle, Int32(c)))
        return try body(UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : n))
    }

    public func bytes(_ c: Int) -> [UInt8] { withBytes(c) { Array($0) } }

    /// A little-endian blob of fixed-width integers; nil when its length is
    /// not a multiple of the width (a damaged file).
    public func array<T: FixedWidthInteger>(_ c: Int, of: T.Type) -> [T]? {
        withBytes(c) { raw in
            guard raw.count % MemoryLayout<T>.size == 0 else { return nil }
            var out = [T](repeating: 0, count: raw.count / MemoryLayout<T>.size)
            out.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
            return out
        }
    }
}
