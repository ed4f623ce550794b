import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a document's text can be read again: a file (the whole file is
/// the document) or one line of a JSONL file (the text in `field`).
public struct DocumentFile: Sendable, Hashable, Codable {
    /// Name shown to people (as `DocumentInfo.name`).
    public var name: String
    public var path: String
    /// 1-based line of a JSONL document; nil for a whole file.
    public var line: Int?
    /// The JSONL field holding the text.
    public var field: String
    /// The text itself, for a document held in memory.
    public var text: [UInt8]?
    /// The path as bytes, when it is not valid UTF-8.
    public var rawPath: [UInt8]?
    /// The fingerprint file the document was read from, when it came from
    /// one: its text is not available.
    public var fingerprintFile: String?

    public init(name: String? = nil, path: String, line: Int? = nil, field: String = "text") {
        self.name = name ?? path
        self.path = path
        self.line = line
        self.field = field
    }

    /// The document a corpus reader listed (`field`: the JSONL text field).
    public init(_ info: DocumentInfo, field: String = "text") {
        self.init(name: info.name, path: info.path, line: info.line, field: field)
        rawPath = info.rawPath
    }

    /// Reads the document's bytes again: the whole file, or the decoded
    /// text field of its JSONL line; at most `limit` bytes.
    /// - Throws: `.inputNotFound` when the file cannot be read (or is
    ///   standard input not kept for reading again), `.badData` when the
    ///   JSONL line is gone or has no usable text.
    /// - Complexity: O(size of the file up to the line).
    public func read(limit: Int = .max) throws -> [UInt8] {
        if let text { return text.count > limit ? Array(text.prefix(limit)) : text }
        if let fingerprintFile {
            throw FingerprintError.inputNotFound(path: name, reason: "text unavailable: read from the fingerprint file \(fingerprintFile)")
        }
        let fd: Int32
        if StreamInput.isStream(path) {
            guard let kept = StreamInput.reopen(path) else {
                throw FingerprintError.inputNotFound(
                    path: name, reason: "a stream cannot be read twice; save it to a file for passage alignment")
            }
            fd = kept
        } else {
            fd = FileName.open(path, raw: rawPath)
        }
        guard fd >= 0 else {
            throw FingerprintError.inputNotFound(path: path, reason: "\(String(cString: strerror(errno))); check the path")
        }
        defer { close(fd) }
        guard let line else { return try Self.readAll(fd, path: path, limit: limit) }
        var bytes = try Self.readLine(fd, line: line, path: path)
        if line == 1 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let res = bytes.withUnsafeBufferPointer { JSONLine.extract($0, field: Array(field.utf8)) }
        switch res {
        case .success(let text): return text.count > limit ? Array(text.prefix(limit)) : text
        case .failure:
            throw FingerprintError.badData(
                path: "\(path):\(line)", reason: "no usable text in field '\(field)' (the file changed since it was read?)")
        }
    }

    /// The whole file (decompressed when it is gzip or Zstandard), at most `limit` bytes.
    private static func readAll(_ fd: Int32, path: String, limit: Int) throws -> [UInt8] {
        var st = stat()
        var out: [UInt8] = []
        let source = ByteSource(fd: fd, compression: Compression.detect(fd: fd))
        if fstat(fd, &st) == 0 && st.st_size > 0 { out.reserveCapacity(min(limit, Int(st.st_size))) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while out.count < limit {
            let n: Int
            do { n = try buf.withUnsafeMutableBytes { try source.read(into: $0) } } catch {
                throw FingerprintError.inputNotFound(path: path, reason: "\(error)")
            }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<min(n, limit - out.count)])
        }
        return out
    }

    /// The bytes of 1-based line `line` (without its newline).
    private static func readLine(_ fd: Int32, line: Int, path: String) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var current = 1
        var out: [UInt8] = []
        let source = ByteSource(fd: fd, compression: Compression.detect(fd: fd))
        while true {
            let n: Int
            do { n = try buf.withUnsafeMutableBytes { try source.read(into: $0) } } catch {
                throw FingerprintError.inputNotFound(path: path, reason: "\(error)")
            }
            if n == 0 { break }
            var s = 0
            while s < n {
                let e = buf[s..<n].firstIndex(of: 0x0A) ?? n
                if current == line { out.append(contentsOf: buf[s..<e]) }
                if e < n {
                    if current == line { return out }
                    current += 1
                }
                s = e + 1
            }
        }
        guard current == line else {
            throw FingerprintError.badData(path: path, reason: "has no line \(line) (the file changed since it was read?)")
        }
        return out
    }
}

extension DocumentFile {
    /// The text as a String (invalid UTF-8 replaced by U+FFFD).
    public func string(limit: Int = .max) throws -> String {
        String(decoding: try read(limit: limit), as: UTF8.self)
    }
}

extension CorpusInput {
    /// Where to read again a document this corpus's reader listed: its file
    /// or JSONL line (with this corpus's text field), or its text for a
    /// corpus held in memory.
    public func document(_ info: DocumentInfo) -> DocumentFile {
        if kind == .memory, let d = document(named: info.name) { return d }
        var d = DocumentFile(info, field: field)
        if kind == .fingerprint { d.fingerprintFile = path }
        return d
    }

    /// The document of this corpus that reports call `name`
    /// (`DocumentInfo.name`): a path relative to a directory, the file name
    /// of a single file, `file.jsonl:LINE` for JSONL, `-` for standard
    /// input. Nil when the name cannot belong to this corpus.
    public func document(named name: String) -> DocumentFile? {
        func jsonl(_ name: String) -> (file: String, line: Int)? {
            guard let colon = name.lastIndex(of: ":"), let line = Int(name[name.index(after: colon)...]), line > 0 else { return nil }
            return (String(name[..<colon]), line)
        }
        switch kind {
        case .fingerprint:
            return nil  // a fingerprint file keeps no text
        case .stdin:
            return name == path ? DocumentFile(name: name, path: path) : nil
        case .memory:
            guard let i = documentNames.firstIndex(of: name) else { return nil }
            var d = DocumentFile(name: name, path: path)
            d.text = Array(documents[i].utf8)
            return d
        case .file:
            return name == (path as NSString).lastPathComponent ? DocumentFile(name: name, path: path) : nil
        case .jsonl:
            // A stream's records are named by its path (`-:3`, `/dev/fd/63:3`), a file's by its name.
            guard let (file, line) = jsonl(name), file == (isStream ? path : (path as NSString).lastPathComponent) else { return nil }
            return DocumentFile(name: name, path: path, line: line, field: field)
        case .directory:
            guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else { return nil }
            if let (file, line) = jsonl(name), file.lowercased().hasSuffix(".jsonl") {
                return DocumentFile(name: name, path: (path as NSString).appendingPathComponent(file), line: line, field: field)
            }
            return DocumentFile(name: name, path: (path as NSString).appendingPathComponent(name))
        }
    }
}

extension CorpusInput {
    /// Document text for reports: side i of `inputs` and a document name
    /// give the document's bytes (at most `limit`), or nil when it cannot be
    /// read again (standard input, a file changed or removed since), in
    /// which case a report shows what it has (a snippet) instead.
    public static func textLookup(_ inputs: [CorpusInput], limit: Int = 16 << 20) -> (_ side: Int, _ name: String) -> [UInt8]? {
        { side, name in
            guard inputs.indices.contains(side) else { return nil }
            return try? inputs[side].document(named: name)?.read(limit: limit)
        }
    }
}
