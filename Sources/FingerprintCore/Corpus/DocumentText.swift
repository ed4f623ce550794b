import Foundation

/// Re-reads one document's text when a report needs to show it (passages,
/// side-by-side views). The engine never holds a corpus's text; this reads
/// the one file (or JSONL line) asked for.
public enum DocumentText {
    /// The raw bytes of `doc` (for JSONL, the decoded text field), at most
    /// `limit` bytes; nil when it cannot be read any more.
    public static func bytes(_ doc: DocumentInfo, field: String = "text", limit: Int = 64 << 20) -> [UInt8]? {
        guard doc.path != "-" else { return nil }
        guard let line = doc.line else {
            guard let h = FileHandle(forReadingAtPath: doc.path) else { return nil }
            defer { try? h.close() }
            return (try? h.read(upToCount: limit)).map { Array($0) } ?? []
        }
        guard let data = FileManager.default.contents(atPath: doc.path) else { return nil }
        var n = 0
        for l in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            n += 1
            guard n == line else { continue }
            let bytes = Array(l)
            return bytes.withUnsafeBufferPointer { b -> [UInt8]? in
                if case .success(let t) = JSONLine.extract(b, field: Array(field.utf8)) { return Array(t.prefix(limit)) }
                return nil
            }
        }
        return nil
    }

    /// The text of `doc` as a String (invalid UTF-8 replaced), or nil.
    public static func string(_ doc: DocumentInfo, field: String = "text", limit: Int = 64 << 20) -> String? {
        bytes(doc, field: field, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }
}
