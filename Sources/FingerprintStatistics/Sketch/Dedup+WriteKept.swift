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
    /// written as their original lines to files of the same names.
    /// - Returns: the number of documents written.
    @discardableResult
    public static func writeKept(_ r: DedupResult, input: CorpusInput, to directory: String) throws -> Int {
        let fm = FileManager.default
        try checkDestination(directory)
        var removed = Set<Int>()
        for c in r.clusters { for m in c.members where m.document != c.kept { removed.insert(m.document) } }
        let root = URL(fileURLWithPath: directory)
        var written = 0
        var jsonlKeep: [String: Set<Int>] = [:]
        var jsonlRaw: [String: [UInt8]] = [:]
        for (i, d) in r.documents.enumerated() where !removed.contains(i) {
            if let line = d.line {
                jsonlKeep[d.path, default: []].insert(line)
                if let raw = d.rawPath { jsonlRaw[d.path] = raw }
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
                throw FingerprintError.outputFailed(path: target.path, reason: error.localizedDescription)
            }
        }
        for (path, lines) in jsonlKeep.sorted(by: { $0.key < $1.key }) {
            let raw = jsonlRaw[path]
            guard let data = raw.map({ readRaw($0) }) ?? fm.contents(atPath: path) else {
                throw FingerprintError.inputNotFound(path: path, reason: "cannot re-read it to copy the kept lines")
            }
            var out = Data()
            var lineNo = 0
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNo += 1
                if lines.contains(lineNo) {
                    out.append(contentsOf: line)
                    out.append(0x0A)
                }
            }
            try fm.createDirectory(at: root, withIntermediateDirectories: true)
            if let raw {
                try writeRaw(Array(out), to: Array(directory.utf8) + [0x2F] + (raw.split(separator: 0x2F).last.map(Array.init) ?? []))
                continue
            }
            let target = root.appendingPathComponent((path as NSString).lastPathComponent)
            try AtomicFile.write(Array(out), to: target.path)
        }
        return written
    }

    /// A file's path relative to the corpus `root`, as bytes: what follows
    /// the root and a `/`, or (a single-file corpus) the last component.
    static func relativeBytes(_ raw: [UInt8], root: String) -> [UInt8] {
        var prefix = Array(root.utf8)
        if prefix.last != 0x2F { prefix.append(0x2F) }
        if raw.count > prefix.count && raw.starts(with: prefix) { return Array(raw.dropFirst(prefix.count)) }
        return raw.split(separator: 0x2F).last.map(Array.init) ?? raw
    }

    /// The whole content of the file named by the bytes `raw`; nil when it cannot be read.
    static func readRaw(_ raw: [UInt8]) -> Data? {
        let fd = FileName.open("", raw: raw)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    /// Copies the file named by the bytes `source` to a new file named by
    /// the bytes `target`, making the directories on its way.
    static func copyRaw(from source: [UInt8], to target: [UInt8]) throws {
        guard let data = readRaw(source) else {
            throw FingerprintError.inputNotFound(path: FileName.display(source), reason: "cannot re-read it to copy it")
        }
        try writeRaw(Array(data), to: target)
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
