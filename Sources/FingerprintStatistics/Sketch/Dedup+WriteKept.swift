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
        for (i, d) in r.documents.enumerated() where !removed.contains(i) {
            if let line = d.line {
                jsonlKeep[d.path, default: []].insert(line)
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
            guard let data = fm.contents(atPath: path) else {
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
            let target = root.appendingPathComponent((path as NSString).lastPathComponent)
            try fm.createDirectory(at: root, withIntermediateDirectories: true)
            try AtomicFile.write(Array(out), to: target.path)
        }
        return written
    }
}
