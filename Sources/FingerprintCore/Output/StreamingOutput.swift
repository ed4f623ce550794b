import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Output written as it is produced, without ever clobbering a file or
/// leaving a half-written one.
///
/// - A regular file, or a path that does not exist yet, is written to a
///   temporary file beside it (`.NAME.tmp-PID`) that `commit()` renames over
///   the target; `abort()`, a thrown error, or SIGINT/SIGTERM/SIGHUP remove
///   the temporary file and leave the target as it was. A symbolic link to a
///   regular file is followed: the file it names is replaced, the link stays.
/// - Anything else that exists — a character or block device, a FIFO, a
///   socket, a link to one — is written directly, as a shell redirection
///   would: it is never replaced by a regular file, and a failed write
///   (`/dev/full`: no space left) is an error.
/// - nil or "-" is standard output.
package final class StreamingOutput {
    private enum Mode {
        case standardOutput
        case atomic(target: String, temporary: String, slot: Int?)
        case direct(path: String)
    }

    private let fd: Int32
    private let mode: Mode
    private var buffer: [UInt8] = []
    private var done = false

    /// What writing to `path` would do, checked without writing anything:
    /// throws `.outputFailed` for a directory, a missing or unwritable parent
    /// directory, or an unwritable file. Commands call it before any work.
    package static func preflight(_ path: String?) throws {
        guard let path, path != "-" else { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw FingerprintError.outputFailed(path: path, reason: "is a directory") }
            if (st.st_mode & S_IFMT) == S_IFREG {
                let dir = parent(of: resolved(path))
                guard access(dir, W_OK | X_OK) == 0 else {
                    throw FingerprintError.outputFailed(path: path, reason: "directory \(dir) is not writable")
                }
            } else if access(path, W_OK) != 0 {
                throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno)))
            }
            return
        }
        try refuseDanglingLink(path)
        let dir = parent(of: path)
        var ds = stat()
        guard stat(dir, &ds) == 0 else {
            throw FingerprintError.outputFailed(path: path, reason: "directory \(dir) does not exist; create it or choose another output")
        }
        guard (ds.st_mode & S_IFMT) == S_IFDIR else {
            throw FingerprintError.outputFailed(path: path, reason: "\(dir) is not a directory; choose another output")
        }
        guard access(dir, W_OK | X_OK) == 0 else {
            throw FingerprintError.outputFailed(path: path, reason: "directory \(dir) is not writable")
        }
    }

    /// Opens `path` (nil or "-" for standard output).
    /// - Throws: `.outputFailed` when it cannot be written (see `preflight`).
    package init(path: String?) throws {
        guard let path, path != "-" else {
            fd = 1
            mode = .standardOutput
            return
        }
        try StreamingOutput.preflight(path)
        var st = stat()
        let exists = stat(path, &st) == 0
        if exists && (st.st_mode & S_IFMT) != S_IFREG {
            let f = open(path, O_WRONLY | O_CLOEXEC)
            guard f >= 0 else { throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno))) }
            fd = f
            mode = .direct(path: path)
            return
        }
        let target = exists ? StreamingOutput.resolved(path) : path
        let name = (target as NSString).lastPathComponent
        let temporary = StreamingOutput.parent(of: target) + "/." + name + ".tmp-\(getpid())"
        let slot = TemporaryFiles.register(temporary)
        let f = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard f >= 0 else {
            let why = String(cString: strerror(errno))
            TemporaryFiles.unregister(slot)
            throw FingerprintError.outputFailed(path: path, reason: why)
        }
        fd = f
        mode = .atomic(target: target, temporary: temporary, slot: slot)
    }

    deinit { if !done { abort() } }

    /// Appends text; flushed in 1 MiB blocks.
    package func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends bytes.
    package func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    package func flush() throws {
        guard !buffer.isEmpty else { return }
        try AtomicFile.writeAll(fd: fd, buffer, name: displayName)
        buffer.removeAll(keepingCapacity: true)
    }

    private var displayName: String {
        switch mode {
        case .standardOutput: return "standard output"
        case .atomic(let target, _, _): return target
        case .direct(let path): return path
        }
    }

    /// Finishes: flushes and, for a file, renames the temporary file over the target.
    package func commit() throws {
        do { try flush() } catch {
            abort()
            throw error
        }
        done = true
        switch mode {
        case .standardOutput:
            return
        case .direct(let path):
            guard close(fd) == 0 else { throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno))) }
        case .atomic(let target, let temporary, let slot):
            defer { TemporaryFiles.unregister(slot) }
            guard fsync(fd) == 0 || errno == EINVAL else {
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw FingerprintError.outputFailed(path: target, reason: why)
            }
            close(fd)
            guard rename(temporary, target) == 0 else {
                let why = String(cString: strerror(errno))
                unlink(temporary)
                throw FingerprintError.outputFailed(path: target, reason: why)
            }
        }
    }

    /// Abandons the output: a file target is untouched and nothing is left
    /// behind (what was already written to a device or FIFO stays written).
    package func abort() {
        guard !done else { return }
        done = true
        switch mode {
        case .standardOutput: return
        case .direct: close(fd)
        case .atomic(_, let temporary, let slot):
            close(fd)
            unlink(temporary)
            TemporaryFiles.unregister(slot)
        }
    }

    /// Refuses a symbolic link to a path that does not exist: writing
    /// would replace the link with a regular file (a link that resolves is
    /// written through, its target replaced).
    package static func refuseDanglingLink(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) != 0, lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return }
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
        throw FingerprintError.outputFailed(
            path: path, reason: "is a symbolic link to \(target), which does not exist; give that path, or remove the link")
    }

    /// The path with symbolic links resolved (itself when that fails).
    package static func resolved(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }

    static func parent(of path: String) -> String {
        let d = (path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }
}

/// Temporary output files to remove if the process is interrupted: SIGINT,
/// SIGTERM and SIGHUP remove them, then the signal takes its default course
/// (the exit status still says which signal ended the run).
///
/// The paths live in a fixed table of C strings, so the handler does
/// nothing but `unlink` and `raise`, which are async-signal-safe.
package enum TemporaryFiles {
    static let slots = 16
    static let width = Int(PATH_MAX) + 1
    nonisolated(unsafe) static let table: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slots * width)
        p.initialize(repeating: 0, count: slots * width)
        return p
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Records `path`; nil when it is too long or the table is full (the
    /// file is then not removed on a signal, and nothing else changes).
    package static func register(_ path: String) -> Int? {
        let bytes = Array(path.utf8)
        guard bytes.count < width else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if !installed {
            installed = true
            _ = table
            for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, removeTemporaryFilesAndReraise) }
        }
        for s in 0..<slots where table[s * width] == 0 {
            let p = table + s * width
            for (i, b) in bytes.enumerated().dropFirst() { p[i] = CChar(bitPattern: b) }
            p[bytes.count] = 0
            p[0] = CChar(bitPattern: bytes[0])  // last: the handler sees a whole path or none
            return s
        }
        return nil
    }

    package static func unregister(_ slot: Int?) {
        guard let slot else { return }
        lock.lock()
        table[slot * width] = 0
        lock.unlock()
    }
}

private func removeTemporaryFilesAndReraise(_ sig: Int32) {
    let t = TemporaryFiles.table
    for s in 0..<TemporaryFiles.slots where t[s * TemporaryFiles.width] != 0 {
        unlink(t + s * TemporaryFiles.width)
    }
    signal(sig, SIG_DFL)
    raise(sig)
}
