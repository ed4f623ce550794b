import Foundation

#if _endian(big)
    #error("fingerprint files store little-endian blobs; big-endian hosts are not supported")
#endif

/// What decides whether two fingerprint files (or a file and a run) can be
/// compared: stored in the file's `meta` table (docs/FINGERPRINT-FILES.md).
public struct FingerprintParameters: Sendable, Equatable, Codable {
    /// The schema this code writes. It reads 1 to 3 too: a schema-1 file
    /// has no gram index, a schema-2 file's gram index has no counts, a
    /// schema-3 file keeps its band keys in a table; each is upgraded the
    /// first time it is written to (GramIndex.swift, BandIndex.swift).
    public static let schemaVersion = 4
    public static let readableSchemas = 1...4

    public var schema = FingerprintParameters.schemaVersion
    /// The tool version that made the file.
    public var tool = Fingerprint.version
    /// `TokenizerSpec.description`: the name, and a model tokenizer's file SHA-256.
    public var tokenizer: String
    /// Tokens per MinHash shingle (words, or a model tokenizer's tokens).
    public var shingle: Int
    /// MinHash permutations and their seed.
    public var permutations: Int
    public var seed: UInt64
    /// LSH banding of the index (bands × rows ≤ permutations), chosen for `threshold`.
    public var bands: Int
    public var rows: Int
    public var threshold: Double
    /// Word n-gram sizes whose sets are stored (containment).
    public var ngramSizes: [Int] = [8, 13]
    /// The key's identifier when tokens, n-grams and names are keyed hashes.
    public var keyID: String?
    /// Whether document paths are kept (always, without a key).
    public var keepNames: Bool = true
    /// Revision of the shingle hashes (meta `shingle_hash`). Before 7c63b9b
    /// the rolling hash of 64 tokens hashed the newest token where the one
    /// leaving the window belonged, so a file sketched with `--shingle 64`
    /// then (no `shingle_hash` in its meta) holds other shingles, MinHash
    /// signatures and SimHashes than its text gives now: revision 1. Every
    /// other file is revision 2 (no other size changed).
    public var shingleRevision = FingerprintParameters.currentShingleRevision
    public static let currentShingleRevision = 2

    /// What the JSON reports (`index list`) carry: the revision is not
    /// among them (it differs from 2 only in files `mismatch` refuses).
    enum CodingKeys: String, CodingKey {
        case schema, tool, tokenizer, shingle, permutations, seed, bands, rows, threshold, ngramSizes, keyID, keepNames
    }

    public var keyed: Bool { keyID != nil }

    /// Which of a document's stored sets is not as written ("shingles",
    /// "n-grams"), or nil: each sorted and distinct, and not empty in a
    /// document long enough to have one (shingles when `shingleTokens`
    /// reaches the shingle size; 8- and 13-grams when the shingles are words
    /// and as many). Nil sets were not loaded: only their order is asked
    /// of the empty blobs read in their place.
    public func setsAsWritten(shingles: [UInt64]?, grams: [[UInt64]]?, shingleTokens: Int) -> String? {
        if let shingles, !FingerprintFile.strictlyAscending(shingles) || (shingles.isEmpty && shingleTokens >= shingle) {
            return "shingles"
        }
        if let grams {
            for (g, n) in zip(grams, ngramSizes) {
                if !FingerprintFile.strictlyAscending(g) || (g.isEmpty && shinglesAreWords && shingleTokens >= n) { return "n-grams" }
            }
        }
        return nil
    }

    /// Whether the shingles (and so `shingle_tokens`) are of words: with
    /// every tokenizer but a model's (whose shingles are of its tokens).
    public var shinglesAreWords: Bool {
        tokenizer == "word" || tokenizer.hasPrefix("char:") || tokenizer.hasPrefix("ngram:")
    }

    /// Whether a document has LSH band keys (in the index, and in a query):
    /// at least one shingle, of `shingle` tokens or more. `shingles`: how
    /// many it has (or their stored bytes: only whether there are any counts).
    public func hasBandKeys(shingleTokens: Int, shingles: Int) -> Bool { shingles > 0 && shingleTokens >= shingle }

    public init(
        tokenizer: String, shingle: Int, permutations: Int, seed: UInt64, bands: Int, rows: Int, threshold: Double,
        keyID: String?, keepNames: Bool
    ) {
        self.tokenizer = tokenizer
        self.shingle = shingle
        self.permutations = permutations
        self.seed = seed
        self.bands = bands
        self.rows = rows
        self.threshold = threshold
        self.keyID = keyID
        self.keepNames = keepNames
    }

    /// Why a file of shingle revision 1 cannot be used with current sketches.
    static let oldShingles = "one " + oldShinglesReason

    static let oldShinglesReason =
        "was sketched with --shingle 64 by a build whose 64-token shingles were wrong (before commit 7c63b9b); sketch its text again"

    /// The first difference that makes `other` incomparable with this, or nil.
    public func mismatch(_ other: FingerprintParameters) -> String? {
        if keyID != other.keyID {
            switch (keyID, other.keyID) {
            case (nil, _?), (_?, nil): return "one is keyed (sketch --key) and the other is not"
            default: return "they were made with different keys (key ids \(keyID!) and \(other.keyID!))"
            }
        }
        if tokenizer != other.tokenizer { return "tokenizers differ (\(tokenizer) and \(other.tokenizer))" }
        if shingle != other.shingle { return "shingle sizes differ (\(shingle) and \(other.shingle))" }
        if shingleRevision != other.shingleRevision { return Self.oldShingles }
        if permutations != other.permutations || seed != other.seed {
            // Seed 1 is what --seed 0, the default, stores.
            func seedText(_ s: UInt64) -> String { s == 1 ? "the default seed 1" : "seed \(s)" }
            return
                "MinHash parameters differ: \(permutations) permutations with \(seedText(seed)), and \(other.permutations) with \(seedText(other.seed))"
        }
        if ngramSizes != other.ngramSizes { return "n-gram sizes differ" }
        // A merged keyed file would hold names in clear under a meta table
        // that says they are hashed, or the other way round.
        if keyID != nil && keepNames != other.keepNames {
            return "one keeps its documents' names in clear (sketch --keep-names) and the other hashes them"
        }
        return nil
    }
}

/// One document as stored in a fingerprint file.
package struct StoredDocument: Sendable {
    public var info: DocumentInfo
    /// Invalid UTF-8 sequences replaced, and tokens cut at the cap, in the document.
    public var invalid = 0
    public var truncated = 0
    /// SHA-256 of the text (HMAC-SHA-256 under the key in a keyed file).
    public var digest: [UInt8]
    public var tokens: Int
    /// Its token counts by the file's vocabulary ids (in first-seen order when
    /// written; sorted by id when read).
    public var ids: [Int32]
    public var counts: [Int32]
    /// What `dedup` needs: the shingle stream's token count, the hash of the
    /// token sequence, SimHash, MinHash signature, sorted distinct shingles.
    public var shingleTokens: Int
    public var exact: UInt64
    public var simhash: UInt64
    public var minhash: [UInt32]
    public var shingles: [UInt64]
    /// Sorted distinct word n-grams of each of `ngramSizes`.
    public var grams: [[UInt64]]

    public init(
        info: DocumentInfo, digest: [UInt8], tokens: Int, ids: [Int32], counts: [Int32], shingleTokens: Int, exact: UInt64,
        simhash: UInt64, minhash: [UInt32], shingles: [UInt64], grams: [[UInt64]]
    ) {
        self.info = info
        self.digest = digest
        self.tokens = tokens
        self.ids = ids
        self.counts = counts
        self.shingleTokens = shingleTokens
        self.exact = exact
        self.simhash = simhash
        self.minhash = minhash
        self.shingles = shingles
        self.grams = grams
    }
}

/// Which columns a reader loads (the rest are not read from disk).
package struct StoredColumns: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let counts = StoredColumns(rawValue: 1)
    public static let sketch = StoredColumns(rawValue: 2)
    public static let grams = StoredColumns(rawValue: 4)
    public static let all: StoredColumns = [.counts, .sketch, .grams]
}

/// A fingerprint file: an SQLite database holding, per document, its counts,
/// sketches and n-gram sets, and the vocabulary; never the text
/// (docs/FINGERPRINT-FILES.md has the schema).
package final class FingerprintFile {
    public let database: SQLiteDatabase
    public internal(set) var parameters: FingerprintParameters
    /// The file this connection opened (device and inode), when known:
    /// nil for a file made here, or when the path was replaced while it was
    /// being opened. Two connections read the same file only when their
    /// identities are equal: a generation alone cannot tell two files apart
    /// (every new file starts at 1, and `sketch -o` replaces a file by
    /// renaming a new one over it).
    public private(set) var identity: FileIdentity? = nil
    public var path: String { database.path }

    /// The first 16 bytes of every SQLite database.
    static let magic = Array("SQLite format 3\0".utf8)

    /// The first bytes of a regular file, up to the header's 16; nil when it
    /// is not one or cannot be read (only a regular file can be a fingerprint
    /// file: opening a FIFO would wait for a writer).
    static func header(_ path: String) -> [UInt8]? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        // `read` gives nil at the end of the file: an empty file's header is empty.
        do { return [UInt8](try h.read(upToCount: magic.count) ?? Data()) } catch { return nil }
    }

    /// Whether `path` starts like an SQLite database (a fingerprint file).
    public static func looksLikeFingerprint(_ path: String) -> Bool { header(path) == magic }

    /// Whether the file at `path` holds fewer bytes than the header and
    /// those begin one (an interrupted copy of a fingerprint file, which
    /// read as a text of one document).
    public static func looksLikeCutFingerprint(_ path: String) -> Bool {
        header(path).map { $0.count < magic.count && magic.starts(with: $0) } ?? false
    }

    static let schema = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE vocabulary(
          id INTEGER PRIMARY KEY, token BLOB NOT NULL UNIQUE,
          count INTEGER NOT NULL DEFAULT 0, documents INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE documents(
          id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, ord BLOB NOT NULL, path TEXT, line INTEGER, key TEXT,
          bytes INTEGER NOT NULL, invalid INTEGER NOT NULL, truncated INTEGER NOT NULL, digest BLOB NOT NULL, tokens INTEGER NOT NULL, counts BLOB NOT NULL,
          shingle_tokens INTEGER NOT NULL, exact INTEGER NOT NULL, simhash INTEGER NOT NULL,
          minhash BLOB NOT NULL, shingles BLOB NOT NULL, grams8 BLOB NOT NULL, grams13 BLOB NOT NULL);
        CREATE INDEX documents_order ON documents(ord, line);
        CREATE TABLE skips(path TEXT NOT NULL, reason TEXT NOT NULL);
        """

    /// Creates a new, empty file at `path` (which must not exist).
    /// `bulk`: no journal and no syncing, for a file written under a
    /// temporary name and renamed when complete (switch to WAL before use).
    /// `pageSize`: `largePages` unless the caller knows the file will be
    /// small (`pageSize(forInputBytes:)`); a file keeps the page size it was made with.
    public static func create(
        path: String, parameters given: FingerprintParameters, bulk: Bool = false, pageSize: Int = largePages
    ) throws -> FingerprintFile {
        var parameters = given
        parameters.schema = FingerprintParameters.schemaVersion
        let db = try SQLiteDatabase(path: path, mode: .create)
        try db.execute(
            "PRAGMA page_size=\(pageSize); PRAGMA cache_size=-\((bulk ? bulkCacheBytes : cacheBytes) >> 10); "
                + (bulk ? "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"))
        try db.transaction {
            try db.execute(schema)
            try db.execute(gramSchema)
            try db.execute(bandSchema)
            let s = try db.prepare("INSERT INTO meta(key, value) VALUES(?, ?)")
            for (k, v) in try encodeMeta(parameters) {
                s.bind(1, k)
                s.bind(2, v)
                try s.run()
            }
        }
        return FingerprintFile(database: db, parameters: parameters)
    }

    /// SQLite's page cache for a file opened or made in WAL mode: an
    /// index's band B-tree is written and probed at random.
    public static let cacheBytes = 128 << 20
    /// The page cache while a new file is made (`sketch`, `merge`, the
    /// first `index add`): most of what is written there is the documents'
    /// sets, in overflow pages written once and not read back, and every
    /// page of cache is memory faulted in. With 128 MB, 21,000 of
    /// `sketch`'s 110,000 page faults on 104 MB were SQLite's; with 32 MB,
    /// `sketch` took 0.682 s against 0.710 s (medians of 12 runs in turns,
    /// session 26), and `index add` of 1,000,000 short documents to a new
    /// file 19.6–20.2 s against 19.8–21.4 s, 715 MB peak against 795 MB.
    public static let bulkCacheBytes = 32 << 20

    /// SQLite's largest page, 64 KB, for files of corpora: a document's sets
    /// are blobs of up to megabytes, kept in chains of overflow pages, and
    /// each page is a write and a read of its own. Against 4 KB pages
    /// (session 25, one machine, in turns): `sketch` of 104 MB 0.92–0.95 →
    /// 0.75–0.78 s (the kernel's share 0.54 → 0.33 s), its file 8% larger
    /// (a blob's last page is half empty on average); `index add` of
    /// 1,000,000 short documents 19.1 → 13.7 s and its file 2.58 → 2.24 GB;
    /// adding 10,000 more 2.84 → 2.03 s; `index query` of 10,000 0.26 →
    /// 0.21 s. 16 KB pages gave 0.77–0.81 s, 15.1 s and 2.27 s.
    public static let largePages = 65536
    /// For small inputs: every table and index takes at least a page, so a
    /// sketch of one 20 KB essay is 53 KB with 4 KB pages and 720 KB with 64 KB.
    public static let smallPages = 4096
    /// Inputs of fewer stored bytes than this make a file of `smallPages`.
    public static let smallInput = 4 << 20

    /// The page size of a new file made from `bytes` of input (nil: not known).
    public static func pageSize(forInputBytes bytes: Int?) -> Int {
        guard let bytes, bytes < smallInput else { return largePages }
        return smallPages
    }

    /// Opens an existing file and validates its schema version.
    /// - Throws: `.badData` naming the file for anything that is not a
    ///   fingerprint file of a schema this version reads.
    public init(path: String, writable: Bool = false) throws {
        let before = FileIdentity(path)
        database = try SQLiteDatabase(path: path, mode: writable ? .readWrite : .readOnly)
        try? database.execute("PRAGMA cache_size=-\(FingerprintFile.cacheBytes >> 10)")
        var meta: [String: String] = [:]
        do {
            let s = try database.prepare("SELECT key, value FROM meta")
            while try s.step() { meta[s.string(0) ?? ""] = s.string(1) ?? "" }
        } catch {
            throw FingerprintError.badData(path: path, reason: "not a fingerprint file (no meta table; make one with fingerprint sketch)")
        }
        parameters = try FingerprintFile.decodeMeta(meta, path: path)
        // The path named the same file before the connection opened it and
        // after: the connection holds that file.
        let after = FileIdentity(path)
        identity = before != nil && before == after ? before : nil
    }

    /// The file's generation (the header's `user_version`) as of the
    /// connection's transaction: the number of write transactions it has
    /// seen (`sketch` and `merge` write one, `index add` and `index remove`
    /// one each); 0 in a file made before generations were kept and not
    /// written since. Two connections
    /// in read transactions that see the same nonzero generation see the
    /// same commit.
    public func generation() throws -> Int32 { try database.userVersion() }

    /// Advances the generation (inside the writer's transaction; after
    /// Int32.max it starts again at 1, never 0).
    func advanceGeneration() throws {
        let g = try database.userVersion()
        try database.setUserVersion(g == Int32.max || g < 0 ? 1 : g + 1)
    }

    init(database: SQLiteDatabase, parameters: FingerprintParameters) {
        self.database = database
        self.parameters = parameters
    }

    static func encodeMeta(_ p: FingerprintParameters) throws -> [(String, String)] {
        var out: [(String, String)] = [
            ("schema_version", String(p.schema)), ("tool_version", p.tool), ("tokenizer", p.tokenizer),
            ("shingle", String(p.shingle)), ("permutations", String(p.permutations)), ("hash_seed", String(p.seed)),
            ("bands", String(p.bands)), ("rows", String(p.rows)), ("threshold", String(p.threshold)),
            ("ngram_sizes", p.ngramSizes.map(String.init).joined(separator: ",")),
            ("keyed", p.keyed ? "1" : "0"), ("keep_names", p.keepNames ? "1" : "0"),
            ("shingle_hash", String(p.shingleRevision)),
        ]
        if let id = p.keyID { out.append(("key_id", id)) }
        return out
    }

    static func decodeMeta(_ m: [String: String], path: String) throws -> FingerprintParameters {
        func bad(_ why: String) -> FingerprintError { .badData(path: path, reason: why) }
        guard let v = m["schema_version"].flatMap(Int.init) else { throw bad("not a fingerprint file (no schema_version)") }
        guard FingerprintParameters.readableSchemas.contains(v) else {
            let r = FingerprintParameters.readableSchemas
            throw bad("schema version \(v); this fingerprint \(Fingerprint.version) reads versions \(r.lowerBound)–\(r.upperBound)")
        }
        func int(_ k: String) throws -> Int {
            guard let x = m[k].flatMap(Int.init) else { throw bad("meta '\(k)' is missing or not a number") }
            return x
        }
        guard let tokenizer = m["tokenizer"], let seed = m["hash_seed"].flatMap(UInt64.init),
            let threshold = m["threshold"].flatMap(Double.init)
        else { throw bad("meta is incomplete (tokenizer, hash_seed, threshold)") }
        // As `sketch --threshold` takes it (NaN, or 2, made a query find nothing).
        guard threshold > 0 && threshold <= 1 else { throw bad("meta 'threshold' is \(m["threshold"]!), not in (0, 1]") }
        let sizes = (m["ngram_sizes"] ?? "").split(separator: ",").compactMap { Int($0) }
        guard sizes == [8, 13] else { throw bad("meta 'ngram_sizes' is \(m["ngram_sizes"] ?? "missing"); this version stores 8,13") }
        var p = FingerprintParameters(
            tokenizer: tokenizer, shingle: try int("shingle"), permutations: try int("permutations"), seed: seed,
            bands: try int("bands"), rows: try int("rows"), threshold: threshold,
            keyID: m["keyed"] == "1" ? m["key_id"] : nil, keepNames: m["keep_names"] != "0")
        p.tool = m["tool_version"] ?? "?"
        p.schema = v
        p.shingleRevision =
            try m["shingle_hash"].map {
                guard let r = Int($0), (1...FingerprintParameters.currentShingleRevision).contains(r) else {
                    throw bad("meta 'shingle_hash' is \($0); this version knows revisions 1 and 2")
                }
                return r
            } ?? (p.shingle == 64 ? 1 : 2)
        // Permutations as `sketch --perms` allows (a damaged value sized a
        // signature of gigabytes before any row was read).
        guard (1...64).contains(p.shingle), (1...4096).contains(p.permutations), p.bands >= 1, p.rows >= 1,
            case (let cells, let overflow) = p.bands.multipliedReportingOverflow(by: p.rows), !overflow, cells <= p.permutations
        else { throw bad("meta holds impossible sketch parameters") }
        if m["keyed"] == "1" && p.keyID == nil { throw bad("meta says keyed but has no key_id") }
        return p
    }

    // MARK: Reading

    /// Number of documents.
    public func documentCount() throws -> Int { Int(try database.integer("SELECT count(*) FROM documents") ?? 0) }

    /// The stored skips of the corpus the file was made from.
    public func skips() throws -> [Skip] {
        let s = try database.prepare("SELECT path, reason FROM skips ORDER BY rowid")
        var out: [Skip] = []
        while try s.step() { out.append(Skip(path: s.string(0) ?? "", reason: s.string(1) ?? "")) }
        return out
    }

    /// With `strict` (`--strict`), refuses a file that stores skips, as
    /// reading its corpus would have (its first skip, exit 65); a file's
    /// skips were otherwise reported again while `--strict` exited 0.
    public func requireNoSkips(strict: Bool) throws {
        guard strict, let first = try skips().first else { return }
        throw FingerprintError.strictSkip(path: path, reason: "holds a skip of the corpus it was made from: \(first.path): \(first.reason)")
    }

    /// The vocabulary by file id: token bytes (8 bytes of keyed hash in a keyed file).
    /// A keyed token of another length is a damaged file (`badData`), never
    /// read past its end.
    public func vocabularyTokens() throws -> [Int: [UInt8]] {
        let s = try database.prepare("SELECT id, token FROM vocabulary")
        var out: [Int: [UInt8]] = [:]
        while try s.step() {
            let token = s.bytes(1)
            if parameters.keyed && token.count != 8 {
                throw FingerprintError.badData(
                    path: path, reason: "vocabulary token \(s.int(0)) holds \(token.count) bytes, not a keyed hash's 8 (damaged file)")
            }
            out[s.int(0)] = token
        }
        return out
    }

    /// Calls `body` with each document in document order (by relative path
    /// as UTF-8 bytes, then line: the order a corpus is read in; by keyed
    /// name in a keyed file), loading only `columns`.
    public func forEachDocument(columns: StoredColumns = .all, where clause: String = "", _ body: (Int64, StoredDocument) throws -> Void)
        throws
    {
        let s = try database.prepare(
            "SELECT id, name, path, line, key, bytes, digest, tokens, "
                + (columns.contains(.counts) ? "counts" : "x''")
                + ", shingle_tokens, exact, simhash, "
                + (columns.contains(.sketch) ? "minhash, shingles" : "x'', x''") + ", "
                + (columns.contains(.grams) ? "grams8, grams13" : "x'', x''")
                + ", invalid, truncated FROM documents \(clause) ORDER BY ord, line")
        while try s.step() {
            try body(s.int64(0), try document(s, columns: columns))
        }
    }

    /// Reads a stored `counts` blob (little-endian int32 (vocabulary id,
    /// count) pairs), handing each pair to `each`; false when it is not as
    /// written: whole pairs, ids ascending and distinct from 0, counts from
    /// 1, summing to the document's `tokens` (a pair given twice, or a blob
    /// emptied, changed every count-based number with exit 0) — or to less
    /// when a count is capped at 2^31 − 1 (`CountLimit`: `tokens` keeps the
    /// document's true total).
    package static func readCounts(_ raw: UnsafeRawBufferPointer, tokens: Int, _ each: (Int32, Int32) -> Void) -> Bool {
        guard raw.count % 8 == 0 else { return false }
        var last: Int32 = -1
        var sum = 0
        var capped = false
        for k in stride(from: 0, to: raw.count, by: 8) {
            let id = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: Int32.self))
            let n = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: k + 4, as: Int32.self))
            guard id > last && n >= 1 else { return false }
            last = id
            sum += Int(n)  // below 2^31 a pair, 2^27 pairs in SQLite's largest blob: no overflow
            capped = capped || n == Int32.max
            each(id, n)
        }
        return sum == tokens || (capped && sum < tokens)
    }

    /// Whether `values` is sorted and distinct, as a stored set is written.
    public static func strictlyAscending(_ values: [UInt64]) -> Bool {
        values.withUnsafeBufferPointer { v in v.count < 2 || !(1..<v.count).contains { v[$0] <= v[$0 - 1] } }
    }

    /// `columns`: those loaded (the others are empty blobs); a loaded
    /// signature must have one value a permutation.
    func document(_ s: SQLiteStatement, columns: StoredColumns) throws -> StoredDocument {
        let name = s.string(1) ?? ""
        func damaged(_ what: String) -> FingerprintError { .badData(path: path, reason: "document '\(name)': damaged \(what)") }
        var info = DocumentInfo(
            name: name, path: s.string(2) ?? name, line: s.isNull(3) ? nil : s.int(3), bytes: s.int(5), key: s.string(4))
        info.group = nil
        guard FingerprintFile.sizesFit(s, columns: [5, 7, 9, 16, 17]) else { throw damaged("sizes") }
        var ids: [Int32] = []
        var counts: [Int32] = []
        if columns.contains(.counts) {
            let fits = s.withBytes(8) { raw in
                ids.reserveCapacity(raw.count / 8)
                counts.reserveCapacity(raw.count / 8)
                return Self.readCounts(raw, tokens: s.int(7)) { id, n in
                    ids.append(id)
                    counts.append(n)
                }
            }
            guard fits else { throw damaged("counts") }
        }
        let sketch = columns.contains(.sketch)
        guard let minhash = s.array(12, of: UInt32.self), !sketch || minhash.count == parameters.permutations else {
            throw damaged("minhash")
        }
        // Sets are written sorted and distinct; one that is not was damaged
        // (dedup matched its documents wrongly and said nothing). A
        // document of enough words has at least one shingle and n-gram (an
        // emptied set made it "too short" for dedup, and lowered compare's
        // containment).
        let shingleTokens = s.int(9)
        guard let shingles = s.array(13, of: UInt64.self), let g8 = s.array(14, of: UInt64.self),
            let g13 = s.array(15, of: UInt64.self)
        else { throw damaged(s.array(13, of: UInt64.self) == nil ? "shingles" : "n-grams") }
        if let what = parameters.setsAsWritten(
            shingles: sketch ? shingles : nil, grams: columns.contains(.grams) ? [g8, g13] : nil, shingleTokens: shingleTokens)
        {
            throw damaged(what)
        }
        var d = StoredDocument(
            info: info, digest: s.bytes(6), tokens: s.int(7), ids: ids, counts: counts, shingleTokens: shingleTokens,
            exact: UInt64(bitPattern: s.int64(10)), simhash: UInt64(bitPattern: s.int64(11)), minhash: minhash, shingles: shingles,
            grams: [g8, g13])
        d.invalid = s.int(16)
        d.truncated = s.int(17)
        return d
    }

    /// Refuses a file whose shingles a current sketch of its text would not
    /// reproduce (`FingerprintParameters.shingleRevision`).
    /// - Throws: `.badData` naming the file and saying to sketch it again.
    public func requireCurrentShingles() throws {
        guard parameters.shingleRevision == FingerprintParameters.currentShingleRevision else {
            throw FingerprintError.badData(path: path, reason: FingerprintParameters.oldShinglesReason)
        }
    }

    /// Checks that a run with `tokenizer` can use this file. (Whether its
    /// keyed hashes may meet another side's is `FingerprintStore.requireSameKey`'s
    /// question, and `index query`'s.)
    /// - Throws: `.badData` naming the file and the mismatch.
    public func requireCompatible(tokenizer: TokenizerSpec) throws {
        if parameters.tokenizer != tokenizer.description {
            throw FingerprintError.badData(
                path: path,
                reason:
                    "was sketched with tokenizer \(parameters.tokenizer); this run uses \(tokenizer.description) (set --tokenizer to match)"
            )
        }
    }

    /// Checks that a run shingling with `tokenizer` (`dedup`, `batch
    /// --method minhash`: words, or a model's tokens) can use this file's
    /// shingles: a model tokenizer's must be the file's; words are stored by
    /// every file but a model tokenizer's (a `char:3` file's shingles are
    /// words, as `dedup` makes them).
    /// - Throws: `.badData` naming the file and the mismatch.
    public func requireShingles(tokenizer: TokenizerSpec) throws {
        if tokenizer.isModel {
            guard !parameters.shinglesAreWords else {
                throw FingerprintError.badData(
                    path: path, reason: "holds shingles of words; this run shingles \(tokenizer.shortName) tokens (leave --tokenizer out)")
            }
            return try requireCompatible(tokenizer: tokenizer)
        }
        guard parameters.shinglesAreWords else {
            throw FingerprintError.badData(
                path: path,
                reason:
                    "holds shingles of a model tokenizer's tokens (\(parameters.tokenizer)), not of words (set --tokenizer to that tokenizer and its file)"
            )
        }
    }

    /// The counted corpus stored in the file: the same documents, vocabulary
    /// and document-term matrix as `Counter.count` gives on the text the
    /// file was made from.
    /// `hashed`: tokens identified by their 64-bit hash only, as
    /// `Counter.count(hashed: true)` gives (a keyed file always is).
    public func countedCorpus(tokenizer: TokenizerSpec, hashed wantHashes: Bool = false, buildMatrix: Bool = true) throws -> CountedCorpus {
        let tokens = try vocabularyTokens()
        var docs: [DocumentInfo] = []
        var bytes = 0
        var invalid = 0
        var truncated = 0
        // The documents' (file id, count) pairs end to end, not two arrays
        // a document, and only the columns a count needs (through
        // `forEachDocument`, 1,000,000 documents took 1.9 s and 760 MB).
        var pairIDs: [Int32] = []
        var pairCounts: [Int32] = []
        var rowEnd: [Int] = []
        var lastPath: String? = nil
        let s = try database.prepare(
            "SELECT name, path, line, key, bytes, counts, invalid, truncated, tokens FROM documents ORDER BY ord, line")
        while try s.step() {
            let name = s.string(0) ?? ""
            // A JSONL file's records share its path: one string for them all.
            let docPath: String
            if s.isNull(1) {
                docPath = name
            } else if let lastPath, s.withBytes(1, { lastPath.utf8.elementsEqual($0) }) {
                docPath = lastPath
            } else {
                docPath = s.string(1) ?? name
                lastPath = docPath
            }
            var info = DocumentInfo(name: name, path: docPath, line: s.isNull(2) ? nil : s.int(2), bytes: s.int(4), key: s.string(3))
            info.group = nil
            let fits = s.withBytes(5) { raw in
                FingerprintFile.readCounts(raw, tokens: s.int(8)) { id, n in
                    pairIDs.append(id)
                    pairCounts.append(n)
                }
            }
            guard fits else { throw FingerprintError.badData(path: path, reason: "document '\(name)': damaged counts") }
            rowEnd.append(pairIDs.count)
            docs.append(info)
            // Sizes and counts a damaged file may hold at any value: never
            // negative, never summed past Int.max (a trap).
            let (b, n, t) = (info.bytes, s.int(6), s.int(7))
            guard FingerprintFile.sizesFit(s, columns: [4, 6, 7, 8]), case (let b2, false) = bytes.addingReportingOverflow(b),
                case (let n2, false) = invalid.addingReportingOverflow(n), case (let t2, false) = truncated.addingReportingOverflow(t)
            else { throw FingerprintError.badData(path: path, reason: "document '\(name)': damaged sizes") }
            (bytes, invalid, truncated) = (b2, n2, t2)
        }
        // An empty file (an empty shard, or every document removed) is no
        // corpus, as an empty folder is not (it read as one: JSD 0,
        // "identical").
        guard !docs.isEmpty else {
            throw FingerprintError.noDocuments(path: path, reason: "the fingerprint file holds no document", patterns: [])
        }
        // Only tokens some document counts (a removed document leaves its
        // tokens in the vocabulary at count 0). File ids are vocabulary row
        // ids, 1, 2, … (its rows are never deleted): arrays by id, not a set
        // and a dictionary (on an index of 1,000,000 short documents, 35
        // million look-ups).
        let maxID = tokens.keys.max() ?? 0
        guard (tokens.keys.min() ?? 1) >= 1, maxID <= 2 * tokens.count + 1024 else {
            throw FingerprintError.badData(path: path, reason: "its vocabulary ids run outside 1…\(tokens.count) (damaged file)")
        }
        var used = [Bool](repeating: false, count: maxID + 1)
        for id in pairIDs where Int(id) <= maxID { used[Int(id)] = true }
        // File ids → canonical ids: sorted by bytes (or by hash).
        let fileIDs = tokens.keys.filter { used[$0] }.sorted()
        let hashed = parameters.keyed || wantHashes
        func hashOf(_ b: [UInt8]) -> UInt64 {
            parameters.keyed
                ? b.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
                : b.withUnsafeBufferPointer { TokenTable.hash($0) }
        }
        let order = fileIDs.sorted { x, y in
            guard hashed else { return tokens[x]!.lexicographicallyPrecedes(tokens[y]!) }
            let (hx, hy) = (hashOf(tokens[x]!), hashOf(tokens[y]!))
            return hx != hy ? hx < hy : tokens[x]!.lexicographicallyPrecedes(tokens[y]!)
        }
        var canonical = [Int32](repeating: -1, count: maxID + 1)
        for (rank, id) in order.enumerated() { canonical[id] = Int32(rank) }
        var arena: [UInt8] = []
        var offsets = [0]
        var hashes: [UInt64] = []
        var previous: (id: Int, token: [UInt8])? = nil
        for id in order {
            let b = tokens[id]!
            // Two rows of one token (the column is UNIQUE) would be two types
            // of the same text: sorted, they are neighbours.
            if let previous, previous.token == b {
                throw FingerprintError.badData(
                    path: path,
                    reason: "vocabulary rows \(min(previous.id, id)) and \(max(previous.id, id)) hold the same token (damaged file)")
            }
            previous = (id, b)
            if !hashed {
                arena += b
                offsets.append(arena.count)
            }
            hashes.append(hashOf(b))
        }
        var totals = [Int](repeating: 0, count: order.count)
        var df = [Int32](repeating: 0, count: order.count)
        var rowStart = [0]
        var columns: [Int32] = []
        var counts: [Int32] = []
        var lengths: [Int] = []
        var pairs: [(Int32, Int32)] = []
        for (d, end) in rowEnd.enumerated() {
            pairs.removeAll(keepingCapacity: true)
            var length = 0
            for k in (d == 0 ? 0 : rowEnd[d - 1])..<end {
                let id = Int(pairIDs[k])
                guard id <= maxID, case let c = canonical[id], c >= 0 else {
                    throw FingerprintError.badData(
                        path: path, reason: "a document counts a token missing from the vocabulary (damaged file)")
                }
                pairs.append((c, pairCounts[k]))
                totals[Int(c)] += Int(pairCounts[k])
                df[Int(c)] += 1
                length += Int(pairCounts[k])
            }
            lengths.append(length)
            if buildMatrix {
                pairs.sort { $0.0 < $1.0 }
                for (c, n) in pairs {
                    columns.append(c)
                    counts.append(n)
                }
                rowStart.append(columns.count)
            }
        }
        if !buildMatrix { rowStart = [Int](repeating: 0, count: rowEnd.count + 1) }
        let vocabulary = Vocabulary(
            hashed: hashed, arena: arena, offsets: offsets, hashes: hashes, totalCounts: totals, documentFrequency: df)
        let matrix = DocumentTermMatrix(rowStart: rowStart, columns: columns, counts: counts, lengths: lengths, vocabulary: vocabulary)
        var corpus = CountedCorpus(
            input: path, tokenizer: tokenizer, documents: docs, matrix: matrix, skips: try skips(), bytes: bytes, invalidSequences: invalid,
            truncatedTokens: truncated)
        corpus.keyID = parameters.keyID
        return corpus
    }

    /// A document's bytes, tokens, shingle tokens, invalid sequences or
    /// truncated tokens above this (1 TiB) is a damaged file: a document is
    /// read in memory. So sums over documents stay far from `Int.max` (a
    /// trap) short of millions of crafted rows.
    public static let largestDocumentValue = 1 << 40

    /// Whether the statement's integer `columns` (sizes and counts of a
    /// document) are each in 0…`largestDocumentValue`.
    package static func sizesFit(_ s: SQLiteStatement, columns: [Int]) -> Bool {
        columns.allSatisfy { (0...largestDocumentValue).contains(s.int($0)) }
    }

    /// What `--dry-run` needs, exact: a fingerprint file knows its sizes.
    public func survey() throws -> CorpusSurvey {
        let s = try database.prepare(
            "SELECT count(*), total(bytes), total(tokens), total(length(counts)) / 8, min(min(bytes), min(tokens)), max(max(bytes), max(tokens)) FROM documents"
        )
        _ = try s.step()
        // Sizes as `document` checks them (a total past Int.max trapped in `Int(_:)`).
        if !s.isNull(4) && (s.int(4) < 0 || s.int(5) > FingerprintFile.largestDocumentValue || s.double(1) > 0x1p62 || s.double(2) > 0x1p62)
        {
            throw FingerprintError.badData(path: path, reason: "damaged document sizes")
        }
        let documents = s.double(0)
        let v = try database.prepare("SELECT count(*), total(length(token)) FROM vocabulary WHERE count > 0")
        _ = try v.step()
        let types = v.double(0)
        return CorpusSurvey(
            corpus: path, units: 1, storedBytes: 0, textBytes: s.double(1), documents: documents, documentsExact: true,
            tokens: s.double(2), types: types, typesPerDocument: documents > 0 ? s.double(3) / documents : 0,
            typeBytes: types > 0 ? v.double(1) / types : 0, sampleDocuments: Int(documents), sampleBytes: Int(s.double(1)),
            sampleTokens: Int(s.double(2)), sampleTypes: Int(types), heapsBeta: 0, complete: true)
    }
}

/// A file's device and inode: which file a path names now.
package struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
