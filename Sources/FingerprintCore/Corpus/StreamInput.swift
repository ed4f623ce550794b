import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Streams given as inputs: standard input (`-`) and pipes named by a
/// path (bash's `<(…)`, which is `/dev/fd/N`, or a FIFO made with mkfifo).
/// Each is read once, in order, as it arrives, as one document or as JSON
/// Lines (`--stdin jsonl`), gzip and Zstandard told by their first bytes.
///
/// Some commands read an input twice (`index query --top` counts the
/// questioned text again; `compare`'s passages, `batch --evidence` and the
/// HTML reports read documents again). Such a command calls `keep(_:)` on
/// its stream inputs before the first read: standard input redirected from
/// a file's start is read again as it is; anything else is first copied to
/// an unlinked temporary file in `$TMPDIR` (or `/tmp`) — for standard
/// input, that file becomes fd 0. From then on every read of the stream
/// opens the copy afresh (`/proc/self/fd/N`) at its start, with an offset
/// of its own, so that reads on several threads do not race.
package enum StreamInput {
    private static let lock = NSLock()
    /// Kept streams: path → the descriptor of the copy (0 for standard input).
    nonisolated(unsafe) private static var kept: [String: Int32] = [:]
    /// Streams read or kept, by the pipe's device and inode → the name it
    /// was first given. One stream can have several names (`-` and
    /// `/dev/stdin` while standard input is a pipe; a FIFO and a link to
    /// it, or the same name twice): it gives its bytes once, so a second
    /// read of one not kept is refused (it would find the stream empty, or
    /// wait for ever for a FIFO's writer), and keeping it under a second
    /// name reads the first name's copy.
    nonisolated(unsafe) private static var taken: [FileIdentity: String] = [:]

    /// The pipe `path` names (standard input's for `-`), or nil when it
    /// cannot be told (standard input closed).
    private static func identity(_ path: String) -> FileIdentity? {
        FileIdentity(path == "-" ? "/dev/stdin" : path)
    }

    private static func sameStream(_ path: String, as first: String) -> FingerprintError {
        let fix = "give it once, or save it to a file and name the file"
        guard path != first else {
            return .invalidParameter(
                name: "input", value: path, reason: "is a stream given twice, and a stream can be read only once; \(fix)")
        }
        let other = first == "-" ? "'-' (standard input)" : "'\(first)'"
        return .invalidParameter(
            name: "input", value: path, reason: "is the same stream as \(other), and a stream can be read only once; \(fix) twice")
    }

    /// Records that the stream at `path` is being read (call with `lock`
    /// held); throws when it was read already.
    private static func take(_ path: String) throws {
        guard let id = identity(path) else { return }
        if let first = taken[id] { throw sameStream(path, as: first) }
        taken[id] = path
    }

    /// Whether `path` is a stream: `-`, or a pipe (S_IFIFO).
    package static func isStream(_ path: String) -> Bool {
        if path == "-" || isKept(path) { return true }
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
    }

    /// Whether the stream at `path` has been kept for reading again.
    package static func isKept(_ path: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return kept[path] != nil
    }

    /// Opens the pipe at `path` for reading. Opening a FIFO waits for a
    /// writer to open it, as `cat` does (bash's `<(…)` has its writer
    /// already); when that takes more than two seconds, a note on standard
    /// error says what the run is waiting for.
    static func openPipe(_ path: String) throws -> Int32 {
        let opened = DispatchSemaphore(value: 0)
        let shown = path.terminalSafe
        DispatchQueue.global().async {
            if opened.wait(timeout: .now() + 2) == .timedOut {
                FileHandle.standardError.write(Data("fingerprint: \(shown): waiting for a writer to open this pipe\n".utf8))
            }
        }
        var fd: Int32
        repeat { fd = Glibc.open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        opened.signal()
        guard fd >= 0 else {
            throw FingerprintError.inputNotFound(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Makes the stream at `path` readable more than once (see above); does
    /// nothing for a path that is not a stream, or the second time.
    /// - Throws: `.inputNotFound` when the stream is closed or cannot be
    ///   read, `.outputFailed` when the copy cannot be written (a full disk).
    package static func keep(_ path: String) throws {
        guard isStream(path) else { return }
        lock.lock()
        defer { lock.unlock() }
        guard kept[path] == nil else { return }
        // Another name of a stream kept already reads its copy.
        if let id = identity(path), let first = taken[id] {
            guard let fd = kept[first] else { throw sameStream(path, as: first) }
            kept[path] = fd
            return
        }
        try take(path)
        let shown = path == "-" ? "standard input" : path
        let source: Int32
        if path == "-" {
            var st = stat()
            guard fstat(0, &st) == 0 else {
                throw FingerprintError.inputNotFound(path: shown, reason: "is closed (\(String(cString: strerror(errno))))")
            }
            if (st.st_mode & S_IFMT) == S_IFREG && lseek(0, 0, SEEK_CUR) == 0 {
                kept[path] = 0
                return
            }
            source = 0
        } else {
            source = try openPipe(path)
        }
        defer { if source != 0 { close(source) } }
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(dir)/.fingerprint-stream-XXXXXX".utf8CString)
        let copy = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if copy >= 0 { _ = fcntl(copy, F_SETFD, FD_CLOEXEC) }
        guard copy >= 0 else {
            throw FingerprintError.outputFailed(
                path: dir, reason: "cannot make a copy of \(shown) to read it twice: \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw FingerprintError.inputNotFound(path: shown, reason: "cannot read: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                var written = 0
                while written < n {
                    let m = buffer.withUnsafeBytes { Glibc.write(copy, $0.baseAddress! + written, n - written) }
                    if m < 0 && errno == EINTR { continue }
                    if m <= 0 {
                        throw FingerprintError.outputFailed(
                            path: dir, reason: "cannot copy \(shown) to read it twice: \(String(cString: strerror(errno)))")
                    }
                    written += m
                }
            }
        } catch {
            close(copy)
            throw error
        }
        if path == "-" {
            defer { close(copy) }
            guard dup2(copy, 0) == 0 else {
                throw FingerprintError.inputNotFound(path: shown, reason: "cannot keep it: \(String(cString: strerror(errno)))")
            }
            kept[path] = 0
        } else {
            kept[path] = copy
        }
    }

    /// A new descriptor reading the kept stream at `path` from its start,
    /// which the caller closes; nil unless it was kept (or when it cannot
    /// be opened).
    package static func reopen(_ path: String) -> Int32? {
        lock.lock()
        let fd = kept[path]
        lock.unlock()
        guard let fd else { return nil }
        let reopened = Glibc.open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC)
        return reopened >= 0 ? reopened : nil
    }

    /// The bytes of the stream at `path`, decompressed when they are gzip or
    /// Zstandard (told by the first bytes, which are given back first): the
    /// kept copy from its start, or the stream itself, read once.
    package static func source(_ path: String) throws -> ByteSource {
        if let fd = reopen(path) { return ByteSource(fd: fd, compression: Compression.detect(fd: fd), owning: true) }
        try lock.withLock { try take(path) }
        if path == "-" { return try ByteSource.sniffing(fd: 0, owning: false) }
        return try ByteSource.sniffing(fd: openPipe(path), owning: true)
    }
}
