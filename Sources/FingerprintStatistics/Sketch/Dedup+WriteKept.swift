import FingerprintCore
import Foundation

extension Dedup {
    /// Throws `.destinationNotEmpty` unless `directory` is new or an empty
    /// directory: call it before the work, so that a run never ends with
    /// nowhere to write.
    public static func checkDestination(_ directory: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty ?? false else {
                throw FingerprintError.destinationNotEmpty(path: directory)
            }
        }
    }

    /// Writes a deduplicated copy of the corpus into `directory` (which must
    /// not exist or be empty): every document except the non-kept members of
    /// clusters. Files keep their relative paths; JSONL documents are
    /// written as their original lines to files of the same relative paths
    /// (a compressed JSONL file's lines uncompressed, under its name without
    /// `.gz` or `.zst`).
    /// - Returns: the number of documents written.
    @discardableResult
    public static func writeKept(_ r: DedupResult, input: CorpusInput, to directory: String) throws -> Int {
        let fm = FileManager.default
        try checkDestination(directory)
        var removed = Set<Int>()
        for c in r.clusters { for m in c.members where m.document != c.kept { removed.insert(m.document) } }
        let root = URL(fileURLWithPath: directory)
        var written = 0
        try checkKeptNames(r.documents.filter { $0.line != nil }.map(jsonlFile), in: directory)
        // JSONL files by their path relative to the corpus (the documents'
        // names without `:LINE`): the file read and the kept lines.
        var jsonlKeep: [String: (path: String, raw: [UInt8]?, lines: Set<Int>)] = [:]
        for (i, d) in r.documents.enumerated() where !removed.contains(i) {
            if let line = d.line {
                jsonlKeep[jsonlFile(d), default: (d.path, d.rawPath, [])].lines.insert(line)
                written += 1
                continue
            }
            if let raw = d.rawPath {
                // A file name that is not UTF-8: copied by its bytes, under
                // the same bytes (its display name has \xNN escapes).
                try copyRaw(from: raw, to: Array(directory.utf8) + [0x2F] + relativeBytes(raw, root: input.path))
                written += 1
                continue
            }
            let name = d.path == "-" ? "stdin.txt" : d.name
            let target = root.appendingPathComponent(name)
            do {
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                if d.path == "-" { continue }
                try fm.copyItem(atPath: d.path, toPath: target.path)
                written += 1
            } catch {
                // A kept input that vanished since it was read is the input's fault, not the copy's.
                if !fm.fileExists(atPath: d.path) {
                    throw FingerprintError.inputNotFound(path: d.path, reason: "removed since it was read; cannot copy it")
                }
                throw FingerprintError.outputFailed(path: target.path, reason: error.localizedDescription)
            }
        }
        for (rel, file) in jsonlKeep.sorted(by: { $0.key < $1.key }) {
            guard let data = readWhole(file.path, raw: file.raw, decompressed: true) else {
                throw FingerprintError.inputNotFound(path: file.path, reason: "cannot re-read it to copy the kept lines")
            }
            var out: [UInt8] = []
            var lineNo = 0
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNo += 1
                if file.lines.contains(lineNo) {
                    out.append(contentsOf: line)
                    out.append(0x0A)
                }
            }
            if let raw = file.raw {
                try writeRaw(out, to: Array(directory.utf8) + [0x2F] + strippingCompression(relativeBytes(raw, root: input.path)))
                continue
            }
            let target = root.appendingPathComponent(Compression.stripSuffix(rel))
            do {
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw FingerprintError.outputFailed(path: target.path, reason: error.localizedDescription)
            }
            try AtomicFile.write(out, to: target.path)
        }
        return written
    }

    /// Two JSONL files whose names differ only by a compression suffix
    /// (d.jsonl and d.jsonl.gz) would be written to one file of
    /// `directory`: refused (exit 74) before anything is written — by the
    /// command before the run too, from the corpus's listing, so that a
    /// run does not print its report and then fail.
    public static func checkKeptNames(_ names: [String], in directory: String) throws {
        var targets: [String: String] = [:]
        for rel in names {
            let target = Compression.stripSuffix(rel)
            if let other = targets[target], other != rel {
                throw FingerprintError.outputFailed(
                    path: URL(fileURLWithPath: directory).appendingPathComponent(target).path,
                    reason: "would hold the kept lines of both \(other) and \(rel); give them names that differ beyond .gz/.zst")
            }
            targets[target] = rel
        }
    }

    /// The JSONL file of a line's document, relative to the corpus: its name without `:LINE`.
    static func jsonlFile(_ d: DocumentInfo) -> String {
        d.name.lastIndex(of: ":").map { String(d.name[..<$0]) } ?? d.name
    }

    /// A file's path relative to the corpus `root`, as bytes: what follows
    /// the root and a `/`, or (a single-file corpus) the last component.
    static func relativeBytes(_ raw: [UInt8], root: String) -> [UInt8] {
        var prefix = Array(root.utf8)
        if prefix.last != 0x2F { prefix.append(0x2F) }
        if raw.count > prefix.count && raw.starts(with: prefix) { return Array(raw.dropFirst(prefix.count)) }
        return raw.split(separator: 0x2F).last.map(Array.init) ?? raw
    }

    /// `name` without a `.gz` or `.zst` ending (any case).
    static func strippingCompression(_ name: [UInt8]) -> [UInt8] {
        let lower = name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        if lower.count > 3 && lower.suffix(3) == Array(".gz".utf8) { return Array(name.dropLast(3)) }
        if lower.count > 4 && lower.suffix(4) == Array(".zst".utf8) { return Array(name.dropLast(4)) }
        return name
    }

    /// The whole content of a file (by its bytes `raw` when given):
    /// `decompressed`, as the reader sees it (a gzip or Zstandard file
    /// decompressed), else as stored. Nil when it cannot be read whole.
    static func readWhole(_ path: String, raw: [UInt8]?, decompressed: Bool) -> [UInt8]? {
        let fd = FileName.open(path, raw: raw)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let source = ByteSource(fd: fd, compression: decompressed ? Compression.detect(fd: fd) : .none)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            guard let n = try? buffer.withUnsafeMutableBytes({ try source.read(into: $0) }) else { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    /// Copies the file named by the bytes `source` to a new file named by
    /// the bytes `target`, making the directories on its way.
    static func copyRaw(from source: [UInt8], to target: [UInt8]) throws {
        guard let data = readWhole("", raw: source, decompressed: false) else {
            throw FingerprintError.inputNotFound(path: FileName.display(source), reason: "cannot re-read it to copy it")
        }
        try writeRaw(data, to: target)
    }

    /// Writes `data` to a new file named by the bytes `target` (never over
    /// an existing one), making the directories on its way.
    static func writeRaw(_ data: [UInt8], to target: [UInt8]) throws {
        let name = FileName.display(target)
        for (k, b) in target.enumerated() where b == 0x2F && k > 0 {
            let made = FileName.withCString(Array(target[..<k])) { Glibc.mkdir($0, 0o755) }
            if made != 0 && errno != EEXIST {
                throw FingerprintError.outputFailed(path: name, reason: String(cString: strerror(errno)))
            }
        }
        let fd = FileName.withCString(target) { Glibc.open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw FingerprintError.outputFailed(path: name, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        try AtomicFile.writeAll(fd: fd, data, name: name)
    }
}

/// `--write-kept`, staged so that the command can write what else may fail
/// before it commits: a new directory is written as `.NAME.tmp-PID` beside it
/// and renamed into place by `commit()`; an existing (empty) one — a
/// directory, a link to one, "." — is written into directly, since renaming
/// over it would replace the link or the working directory (review 31c).
/// `discard()` undoes a copy not committed: the temporary directory is
/// removed, or the existing one, empty before the run, emptied again.
public final class KeptCopy {
    public let directory: String
    /// Documents written.
    public let documents: Int
    private let staging: String
    private let temporary: Bool
    private var committed = false

    /// Writes the copy (`Dedup.writeKept`); on failure nothing is left.
    public init(_ r: DedupResult, input: CorpusInput, to directory: String) throws {
        self.directory = directory
        temporary = !FileManager.default.fileExists(atPath: directory)
        if temporary {
            let url = URL(fileURLWithPath: directory).standardizedFileURL
            staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        } else {
            staging = directory
        }
        do {
            documents = try Dedup.writeKept(r, input: input, to: staging)
        } catch {
            Self.undo(staging, temporary: temporary)
            throw error
        }
    }

    /// Puts the copy under its name (a rename when it was staged).
    public func commit() throws {
        if temporary && rename(staging, directory) != 0 {
            throw FingerprintError.outputFailed(path: directory, reason: String(cString: strerror(errno)))
        }
        committed = true
    }

    /// Undoes the copy unless it was committed.
    public func discard() {
        if !committed { Self.undo(staging, temporary: temporary) }
    }

    private static func undo(_ staging: String, temporary: Bool) {
        let fm = FileManager.default
        guard !temporary else {
            try? fm.removeItem(atPath: staging)
            return
        }
        for name in (try? fm.contentsOfDirectory(atPath: staging)) ?? [] {
            try? fm.removeItem(atPath: (staging as NSString).appendingPathComponent(name))
        }
    }
}
