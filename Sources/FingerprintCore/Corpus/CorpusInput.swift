import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a corpus comes from (docs/DESIGN.md, Inputs).
public struct CorpusInput: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A directory, searched recursively for files matching the globs.
        case directory
        /// One text file: one document.
        case file
        /// A JSON Lines file: one document a line, text in `field`.
        case jsonl
        /// Standard input: one document.
        case stdin
        /// Documents held in memory (`init(documents:names:label:)`).
        case memory
        /// A fingerprint file (`fingerprint sketch`): counts and sketches,
        /// no text. Told by its first bytes (an SQLite database).
        case fingerprint
    }

    public var path: String
    public var kind: Kind
    /// File-name patterns for directories (fnmatch syntax).
    public var globs: [String]
    /// The JSONL field holding the text.
    public var field: String
    /// A JSONL field whose value (string or number) is kept as each document's key.
    public var keyField: String?
    /// A JSONL field whose value names each document's group (`--by-field`).
    public var groupField: String?
    /// When set, only the records whose `groupField` has this value are
    /// documents of this corpus (`--where F=V`); the others are not read as
    /// documents (and are not skips).
    public var groupValue: String?

    /// Only this shard of the corpus (`sketch --shard K/N`), nil for all of it.
    public var shard: Shard? = nil

    /// The documents of a `.memory` corpus, and their names.
    public private(set) var documents: [String] = []
    public private(set) var documentNames: [String] = []

    /// The error for a fingerprint file where the text itself is read
    /// (counts and sketches are all it holds).
    package var textNeeded: FingerprintError {
        .badData(path: path, reason: "is a fingerprint file (counts and sketches, no text); this needs the text itself")
    }

    public static let defaultGlobs = ["*.txt", "*.md", "*.text"]

    /// A corpus of documents held in memory, one string a document, read
    /// exactly as files of a directory in this order would be (an empty
    /// document is a counted skip). `names` (default `doc1`, `doc2`, …) are
    /// what reports call the documents; they must be distinct.
    public init(documents: [String], names: [String]? = nil, label: String = "(memory)") {
        precondition(names == nil || names!.count == documents.count, "one name per document")
        path = label
        kind = .memory
        globs = []
        field = "text"
        keyField = nil
        self.documents = documents
        documentNames = names ?? documents.indices.map { "doc\($0 + 1)" }
        precondition(Set(documentNames).count == documentNames.count, "document names must be distinct")
    }

    public var description: String { kind == .stdin && path == "-" ? "standard input" : path }

    /// Standard input or a pipe (bash's `<(…)`, a FIFO): read once, as it
    /// arrives (StreamInput).
    public private(set) var isStream = false

    /// Names of standard input that follow `--stdin` as `-` does, whatever it is.
    static let standardInputNames: Set<String> = ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]

    /// Resolves `path` (`-` is standard input).
    /// - Throws: `.noInput` (exit 66) when the path does not exist or cannot be read.
    /// `standardInputIsJSONL`: `-` is read as JSON Lines (text in `field`)
    /// instead of one document.
    public init(
        path: String, globs: [String] = CorpusInput.defaultGlobs, field: String = "text", keyField: String? = nil,
        standardInputIsJSONL: Bool = false
    ) throws {
        self.path = path
        self.globs = globs
        self.field = field
        self.keyField = keyField
        if path == "-" {
            kind = standardInputIsJSONL ? .jsonl : .stdin
            isStream = true
            var st = stat()
            guard fstat(0, &st) == 0 else {
                throw FingerprintError.inputNotFound(path: "standard input", reason: "is closed (\(String(cString: strerror(errno))))")
            }
            return
        }
        if StreamInput.isKept(path) {
            // A pipe already copied to be read twice (its FIFO may be gone).
            kind = standardInputIsJSONL ? .jsonl : .stdin
            isStream = true
            return
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            let why = errno == ENOENT ? "no such file or directory" : String(cString: strerror(errno))
            throw FingerprintError.inputNotFound(path: path, reason: "\(why); check the path")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard access(path, R_OK | X_OK) == 0 else {
                throw FingerprintError.inputNotFound(path: path, reason: "directory is not readable; check its permissions")
            }
            kind = .directory
        } else if (st.st_mode & S_IFMT) == S_IFIFO {
            // A pipe: read as standard input is (one document, or JSON Lines
            // with --stdin jsonl), never sniffed for a fingerprint file's
            // header (that would eat the start of the stream).
            guard access(path, R_OK) == 0 else {
                throw FingerprintError.inputNotFound(path: path, reason: "pipe is not readable; check its permissions")
            }
            kind = standardInputIsJSONL ? .jsonl : .stdin
            isStream = true
        } else {
            // A device (a terminal, /dev/zero) is not a corpus.
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw FingerprintError.inputNotFound(
                    path: path, reason: "is a device, not a regular file; to read a stream, give - or a pipe such as <(…)")
            }
            guard access(path, R_OK) == 0 else {
                throw FingerprintError.inputNotFound(path: path, reason: "file is not readable; check its permissions")
            }
            if standardInputIsJSONL && Self.standardInputNames.contains(path) {
                // Standard input redirected from a file, named: a file (it
                // can be read again), but JSON Lines as --stdin says, as `-`
                // would be (it was read as one text document, the JSON's
                // keys counted as words — review, session 29).
                kind = .jsonl
            } else if FingerprintFile.looksLikeFingerprint(path) {
                kind = .fingerprint
            } else if path.lowercased().hasSuffix(".fp") && FingerprintFile.looksLikeCutFingerprint(path) {
                throw FingerprintError.badData(
                    path: path, reason: "holds \(st.st_size) bytes, fewer than a fingerprint file's 16-byte header (a copy cut short?)")
            } else {
                kind = Compression.stripSuffix(path).lowercased().hasSuffix(".jsonl") ? .jsonl : .file
            }
        }
    }
}

/// Shard `index` of `count` (0-based) of a corpus: the corpus's files in the
/// order they are read, cut into `count` consecutive runs of about equal
/// bytes. A file is never cut (a JSONL file's lines stay in one shard), so a
/// shard can be empty; the shards together hold every file once, and merging
/// their fingerprint files in shard order gives the file of the whole corpus.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard index out of range")
        self.index = index
        self.count = count
    }

    /// Parses `K/N` with 0 ≤ K < N ≤ 1,000,000; nil otherwise.
    public init?(parsing s: String) {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1_000_000, k >= 0, k < n else {
            return nil
        }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }
}

/// An item of input that was not used, and why (counted and listed in reports).
public struct Skip: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The file, or `file:line` for JSONL.
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// A document as the reader found it.
public struct DocumentInfo: Codable, Sendable, Equatable {
    /// Name shown to people: the path relative to the corpus root, the file
    /// name for a single file, `file.jsonl:LINE` for JSONL, `-` for stdin.
    public var name: String
    /// The file the text came from.
    public var path: String
    /// 1-based line for JSONL documents.
    public var line: Int?
    /// Bytes of text (for JSONL, of the decoded field).
    public var bytes: Int
    /// For JSONL with a key field (`--pair-field`): its value as text.
    public var key: String?
    /// The file's path as bytes when it is not valid UTF-8 (`path` then
    /// shows the invalid bytes as \xNN); not encoded.
    public var rawPath: [UInt8]? = nil
    /// For JSONL with a group field (`--by-field`): its value; not encoded.
    public var group: String? = nil

    enum CodingKeys: String, CodingKey { case name, path, line, bytes, key }

    public init(name: String, path: String, line: Int?, bytes: Int, key: String? = nil) {
        self.name = name
        self.path = path
        self.line = line
        self.bytes = bytes
        self.key = key
    }
}

/// One unit of reading work: a whole file, a byte range of a JSONL file, or stdin.
struct ReadUnit: Sendable {
    enum Source: Sendable {
        case file
        /// Bytes `start..<end` of a plain text file read in parts (see
        /// `UnitPlanner.splitLargeFiles`); `part` 0 is the file's start.
        case filePart(start: Int, end: Int, part: Int)
        case jsonlRange(start: Int, end: Int)
        case stdin
        case memory(Int)
    }
    var path: String
    var name: String
    var source: Source
    var size: Int
    /// The path's bytes when they are not valid UTF-8 (`path` then shows
    /// the invalid bytes as \xNN); system calls use these.
    var raw: [UInt8]? = nil
}

/// File names as bytes: Linux allows any bytes but NUL and '/', and a name
/// that is not valid UTF-8 must still be opened by its bytes.
package enum FileName {
    package static func isUTF8(_ b: [UInt8]) -> Bool {
        var it = b.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// The name for people: itself when it is UTF-8, else each byte of an
    /// invalid sequence as \xNN.
    package static func display(_ b: [UInt8]) -> String {
        if isUTF8(b) { return String(decoding: b, as: UTF8.self) }
        var out = ""
        var i = 0
        while i < b.count {
            // The longest valid scalar at i, if any.
            var decoded = false
            for len in 1...4 where i + len <= b.count {
                var it = b[i..<(i + len)].makeIterator()
                var d = UTF8()
                if case .scalarValue(let u) = d.decode(&it), case .emptyInput = d.decode(&it) {
                    out.unicodeScalars.append(u)
                    i += len
                    decoded = true
                    break
                }
            }
            if !decoded {
                out += "\\x" + String(b[i], radix: 16, uppercase: true).leftPadded(2)
                i += 1
            }
        }
        return out
    }

    /// Opens a file for reading by its bytes when given (`raw`), else by `path`.
    package static func open(_ path: String, raw: [UInt8]?) -> Int32 {
        raw.map { r in withCString(r) { Glibc.open($0, O_RDONLY | O_CLOEXEC) } } ?? Glibc.open(path, O_RDONLY | O_CLOEXEC)
    }

    /// The whole contents of the file at `path` (nil when it cannot be
    /// read, a directory included).
    /// - Throws: `inputNotFound` for a pipe or a device: opening a FIFO
    ///   without a writer would wait forever.
    package static func contents(ofRegularFile path: String) throws -> Data? {
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG && (st.st_mode & S_IFMT) != S_IFDIR {
            throw FingerprintError.inputNotFound(path: path, reason: "is a pipe or a device, not a regular file")
        }
        return FileManager.default.contents(atPath: path)
    }

    /// Calls `body` with the bytes as a NUL-terminated C string.
    package static func withCString<T>(_ b: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (b + [0]).withUnsafeBufferPointer { p in p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { body($0) } }
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

extension CorpusInput {
    /// The JSON Lines files of a directory corpus, by their names inside
    /// it, each once and in reading order (a listing; nothing read); none
    /// for other kinds of input.
    package func jsonlFileNames() throws -> [String] {
        guard kind == .directory else { return [] }
        var skips: [Skip] = []
        var seen = Set<String>()
        var names: [String] = []
        for u in try UnitPlanner.plan(self, skips: &skips) {
            if case .jsonlRange = u.source, seen.insert(u.name).inserted { names.append(u.name) }
        }
        return names
    }
}

/// Lists the read units of an input: sorted paths for a directory (recursive,
/// symlinks followed, loops detected), newline-aligned ranges for JSONL.
enum UnitPlanner {
    static let jsonlRangeBytes = 16 << 20

    static func plan(_ input: CorpusInput, skips: inout [Skip]) throws -> [ReadUnit] {
        guard let shard = input.shard else { return try planAll(input, skips: &skips) }
        // The walk's own skips (unreadable directories, broken links) belong
        // to the first shard, so that merged shards report each once.
        var walkSkips: [Skip] = []
        let units = try planAll(input, skips: &walkSkips)
        if shard.index == 0 { skips += walkSkips }
        return select(shard, of: units)
    }

    /// The units of `shard`: files (all units of one path) taken whole, in
    /// order, file `f` going to shard ⌊Pf·N / T⌋ where Pf is the bytes of
    /// the files before it and T of all files (⌊f·N / F⌋ when all are empty).
    static func select(_ shard: Shard, of units: [ReadUnit]) -> [ReadUnit] {
        var files: [Range<Int>] = []
        var sizes: [Int] = []
        var s = 0
        while s < units.count {
            var e = s + 1
            while e < units.count && units[e].path == units[s].path { e += 1 }
            files.append(s..<e)
            sizes.append(
                units[s..<e].reduce(0) { sum, u in
                    if case .file = u.source, u.size <= 0 { return sum + fileSize(u.path, raw: u.raw) }
                    return sum + max(0, u.size)
                })
            s = e
        }
        let total = sizes.reduce(0, +)
        var out: [ReadUnit] = []
        var before = 0
        for (f, range) in files.enumerated() {
            let k =
                total > 0
                ? Int((Double(before) * Double(shard.count) / Double(total)).rounded(.down))
                : f * shard.count / max(1, files.count)
            if min(k, shard.count - 1) == shard.index { out += units[range] }
            before += sizes[f]
        }
        return out
    }

    private static func planAll(_ input: CorpusInput, skips: inout [Skip]) throws -> [ReadUnit] {
        switch input.kind {
        case .fingerprint:
            throw input.textNeeded
        case .stdin:
            return [ReadUnit(path: input.path, name: input.path, source: .stdin, size: 0)]
        case .memory:
            return input.documents.indices.map {
                ReadUnit(path: input.path, name: input.documentNames[$0], source: .memory($0), size: input.documents[$0].utf8.count)
            }
        case .file:
            let size = fileSize(input.path)
            let name = (input.path as NSString).lastPathComponent
            return [ReadUnit(path: input.path, name: name, source: .file, size: size)]
        case .jsonl:
            if input.isStream { return [ReadUnit(path: input.path, name: input.path, source: .jsonlRange(start: 0, end: .max), size: 0)] }
            return try jsonlRanges(input.path)
        case .directory:
            // The walk works on the file names' bytes: a name that is not
            // valid UTF-8 is still opened by its bytes, and shown with its
            // invalid bytes as \xNN escapes.
            var files: [(rel: [UInt8], path: [UInt8], size: Int)] = []
            var visited = Set<[UInt64]>()
            walk(root: Array(input.path.utf8), rel: [], globs: input.globs, visited: &visited, files: &files, skips: &skips)
            files.sort { $0.rel.lexicographicallyPrecedes($1.rel) }
            var units: [ReadUnit] = []
            // A name that is not UTF-8 is shown with \xNN escapes, which a
            // valid name can spell out itself ("bad\xFF.txt"): two files
            // would then be one document name (and one of them lost in a
            // fingerprint file, whose names are unique). The later in the
            // walk's order is skipped and said so. Only names holding a
            // backslash can meet this way.
            var escapedNames = Set<String>()
            // A JSONL file's records are named FILE:LINE, which a file of
            // its own can be named too ("a.jsonl:3" beside a.jsonl): such a
            // file is skipped and said so, whatever the order.
            func isJSONL(_ rel: String) -> Bool { Compression.stripSuffix(rel).lowercased().hasSuffix(".jsonl") }
            let jsonlNames = Set(files.lazy.map { FileName.display($0.rel) }.filter(isJSONL))
            for f in files {
                let rel = FileName.display(f.rel)
                if rel.contains("\\") && !escapedNames.insert(rel).inserted {
                    skips.append(
                        Skip(
                            path: FileName.display(f.path),
                            reason:
                                "its name reads as another file's, \(rel) (a name that is not UTF-8 is shown with \\xNN escapes); skipped"))
                    continue
                }
                if !jsonlNames.isEmpty, let colon = rel.lastIndex(of: ":"), !isJSONL(rel),
                    case let line = rel[rel.index(after: colon)...], !line.isEmpty, line.allSatisfy({ $0.isASCII && $0.isNumber }),
                    jsonlNames.contains(String(rel[..<colon]))
                {
                    skips.append(
                        Skip(
                            path: FileName.display(f.path),
                            reason: "its name is that of line \(line) of \(rel[..<colon]), a JSONL file of this corpus; skipped"))
                    continue
                }
                let path = FileName.display(f.path)
                let raw = FileName.isUTF8(f.path) ? nil : f.path
                if isJSONL(rel) {
                    // A JSONL file inside a directory contributes its lines.
                    for var u in try jsonlRanges(path, raw: raw) {
                        u.name = rel
                        units.append(u)
                    }
                } else {
                    // Sizes are known only where the walk had to stat (-1 otherwise);
                    // progress then counts files.
                    units.append(ReadUnit(path: path, name: rel, source: .file, size: max(0, f.size), raw: raw))
                }
            }
            return units
        }
    }

    /// Splits each plain (uncompressed) text file of at least
    /// `2 * partBytes` into parts of about `partBytes`, each ending just
    /// before an ASCII whitespace byte, so that several workers can read one
    /// large file. A token never spans two parts, and the `word` tokenizer's
    /// state at a whitespace byte does not depend on what came before it
    /// (no token open, no σ pending), so the parts' tokens are the file's.
    /// Files of unknown size are stat'ed only when there are at most 4,096
    /// units (a walk of many small files stays free of extra system calls).
    /// A file with a NUL byte in its first 8 KiB is left whole (the reader
    /// skips it as binary). Part boundaries depend only on the file.
    static func splitLargeFiles(_ units: [ReadUnit], partBytes: Int) -> [ReadUnit] {
        guard partBytes > 0, units.count <= 4096 else { return units }
        var out: [ReadUnit] = []
        out.reserveCapacity(units.count)
        for unit in units {
            guard case .file = unit.source else {
                out.append(unit)
                continue
            }
            let size = unit.size > 0 ? unit.size : fileSize(unit.path, raw: unit.raw)
            let starts = size >= 2 * partBytes ? partStarts(unit, size: size, partBytes: partBytes) : [0]
            guard starts.count > 1 else {
                out.append(unit)
                continue
            }
            for (k, s) in starts.enumerated() {
                var u = unit
                let e = k + 1 < starts.count ? starts[k + 1] : size
                // The last part reads to the end of the file, wherever that
                // is by then (the size may be the check's, listed before
                // the run): text appended meanwhile is read, not cut.
                u.source = .filePart(start: s, end: k + 1 < starts.count ? e : .max, part: k)
                u.size = e - s
                out.append(u)
            }
        }
        return out
    }

    /// Start offsets of the parts of a plain text file: 0, then the first
    /// ASCII whitespace byte at or after each multiple of `partBytes`
    /// (looking at most 1 MiB further). `[0]` for a compressed or binary file.
    private static func partStarts(_ unit: ReadUnit, size: Int, partBytes: Int) -> [Int] {
        let fd = FileName.open(unit.path, raw: unit.raw)
        guard fd >= 0 else { return [0] }
        defer { close(fd) }
        guard Compression.detect(fd: fd) == .none else { return [0] }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        let head = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8192, 0) }
        if head > 0 && buf[0..<head].contains(0) { return [0] }
        var starts = [0]
        var pos = partBytes
        while pos + partBytes / 2 < size {
            var found = -1
            var p = pos
            while found < 0 && p < min(size, pos + (1 << 20)) {
                let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(p)) }
                if n <= 0 { break }
                if let k = buf[0..<n].firstIndex(where: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) { found = p + k }
                p += n
            }
            if found > starts.last! && found < size { starts.append(found) }
            pos = max(pos, found) + partBytes
        }
        return starts
    }

    /// The file's size in bytes (0 when it cannot be stat'ed), opened by its
    /// raw bytes when its name is not UTF-8.
    static func fileSize(_ path: String, raw: [UInt8]? = nil) -> Int {
        var st = stat()
        let status = raw.map { r in FileName.withCString(r) { stat($0, &st) } } ?? stat(path, &st)
        return status == 0 ? Int(st.st_size) : 0
    }

    private static func walk(
        root: [UInt8], rel: [UInt8], globs: [String], visited: inout Set<[UInt64]>,
        files: inout [(rel: [UInt8], path: [UInt8], size: Int)], skips: inout [Skip]
    ) {
        let dirPath = rel.isEmpty ? root : root + [0x2F] + rel
        var st = stat()
        guard FileName.withCString(dirPath, { stat($0, &st) }) == 0 else {
            skips.append(Skip(path: FileName.display(dirPath), reason: "cannot read directory: \(String(cString: strerror(errno)))"))
            return
        }
        let key = [UInt64(st.st_dev), UInt64(st.st_ino)]
        guard visited.insert(key).inserted else {
            skips.append(Skip(path: FileName.display(dirPath), reason: "directory already visited (symlink loop); skipped"))
            return
        }
        defer { visited.remove(key) }
        guard let dir = FileName.withCString(dirPath, { opendir($0) }) else {
            skips.append(Skip(path: FileName.display(dirPath), reason: "cannot read directory: \(String(cString: strerror(errno)))"))
            return
        }
        // d_type saves a stat per regular file (most of the walk's cost on
        // many small files); links and unknown types are stat'ed.
        var entries: [(name: [UInt8], type: UInt8)] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { p in
                    Array(UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))))
                }
            }
            if name.first == 0x2E { continue }  // ".", ".." and hidden files
            entries.append((name, ent.pointee.d_type))
        }
        closedir(dir)
        for (name, type) in entries {
            let childRel = rel.isEmpty ? name : rel + [0x2F] + name
            let childPath = root + [0x2F] + childRel
            if type == UInt8(DT_REG) {
                if matches(name, globs) { files.append((childRel, childPath, -1)) }
                continue
            }
            if type == UInt8(DT_DIR) {
                walk(root: root, rel: childRel, globs: globs, visited: &visited, files: &files, skips: &skips)
                continue
            }
            var cst = stat()
            if FileName.withCString(childPath, { stat($0, &cst) }) != 0 {
                var lst = stat()
                let dangling = FileName.withCString(childPath, { lstat($0, &lst) }) == 0 && (lst.st_mode & S_IFMT) == S_IFLNK
                if matches(name, globs) {
                    let why = errno == ELOOP ? "symlink loop" : (dangling ? "broken symlink" : String(cString: strerror(errno)))
                    skips.append(Skip(path: FileName.display(childPath), reason: "cannot read: \(why)"))
                }
                continue
            }
            switch cst.st_mode & S_IFMT {
            case S_IFDIR:
                walk(root: root, rel: childRel, globs: globs, visited: &visited, files: &files, skips: &skips)
            case S_IFREG:
                if matches(name, globs) {
                    files.append((childRel, childPath, Int(cst.st_size)))
                }
            default:
                if matches(name, globs) {
                    skips.append(Skip(path: FileName.display(childPath), reason: "not a regular file"))
                }
            }
        }
    }

    /// Whether a file name matches a pattern, itself or without a `.gz` or
    /// `.zst` suffix (`notes.txt.gz` is a `*.txt`).
    static func matches(_ name: [UInt8], _ globs: [String]) -> Bool {
        if FileName.withCString(name, { n in globs.contains { fnmatch($0, n, 0) == 0 } }) { return true }
        for suffix in [Array(".gz".utf8), Array(".zst".utf8)] where name.count > suffix.count {
            let tail = name.suffix(suffix.count).map { $0 | 0x20 }
            if tail == suffix {
                return FileName.withCString(Array(name.dropLast(suffix.count))) { n in globs.contains { fnmatch($0, n, 0) == 0 } }
            }
        }
        return false
    }

    static func matches(_ name: String, _ globs: [String]) -> Bool {
        globs.contains { fnmatch($0, name, 0) == 0 }
    }

    /// Splits a JSONL file into ranges of about `jsonlRangeBytes`, each
    /// starting at the beginning of a line.
    static func jsonlRanges(_ path: String, raw: [UInt8]? = nil) throws -> [ReadUnit] {
        let size = fileSize(path, raw: raw)
        var starts = [0]
        // A compressed file is read as one stream (it cannot be split).
        let compressed: Bool = {
            let fd = FileName.open(path, raw: raw)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return Compression.detect(fd: fd) != .none
        }()
        if size > jsonlRangeBytes && !compressed {
            let fd = FileName.open(path, raw: raw)
            guard fd >= 0 else { throw FingerprintError.inputNotFound(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            var buf = [UInt8](repeating: 0, count: 65536)
            var pos = jsonlRangeBytes
            while pos < size {
                // Find the first newline at or after pos.
                var found = -1
                var p = pos
                while found < 0 && p < size {
                    let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 65536, off_t(p)) }
                    if n <= 0 { break }
                    if let k = buf[0..<n].firstIndex(of: 0x0A) { found = p + k }
                    p += n
                }
                guard found >= 0, found + 1 < size else { break }
                starts.append(found + 1)
                pos = found + 1 + jsonlRangeBytes
            }
        }
        var units: [ReadUnit] = []
        for (i, s) in starts.enumerated() {
            let e = i + 1 < starts.count ? starts[i + 1] : size
            // The last range reads to the end of the file, wherever that is
            // by then: lines appended after this listing are read, not cut.
            units.append(
                ReadUnit(
                    path: path, name: (path as NSString).lastPathComponent,
                    source: .jsonlRange(start: s, end: i + 1 < starts.count ? e : .max), size: e - s, raw: raw))
        }
        return units
    }
}
