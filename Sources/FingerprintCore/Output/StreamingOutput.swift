import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Output written as it is produced, without ever leaving a half-written
/// file: a named output goes to a temporary file beside the target and is
/// renamed over it by `commit()`; `abort()` (or deinit without commit)
/// removes the temporary file. Standard output is written directly.
package final class StreamingOutput {
    private let fd: Int32
    private let path: String?
    private let tmp: String?
    private var buffer: [UInt8] = []
    private var done = false

    /// Opens `path` (nil or "-" for standard output).
    /// - Throws: `.ioError` when the directory does not exist or is not writable.
    public init(path: String?) throws {
        guard let path, path != "-" else {
            fd = 1
            self.path = nil
            tmp = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FingerprintError.outputFailed(path: path, reason: "directory \(dir) does not exist; create it or choose another output")
        }
        let t = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let f = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard f >= 0 else { throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno))) }
        fd = f
        self.path = path
        tmp = t
    }

    deinit { if !done { abort() } }

    /// Appends text; flushed in 1 MiB blocks.
    public func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends bytes.
    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try AtomicFile.writeAll(fd: fd, buffer, name: path ?? "standard output")
        buffer.removeAll(keepingCapacity: true)
    }

    /// Finishes: flushes and, for a file, renames the temporary file over the target.
    public func commit() throws {
        try flush()
        done = true
        guard let path, let tmp else { return }
        guard fsync(fd) == 0 || errno == EINVAL else {
            abort()
            throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw FingerprintError.outputFailed(path: path, reason: e)
        }
    }

    /// Abandons a file output: nothing is left behind and the target is untouched.
    public func abort() {
        done = true
        guard let tmp else { return }
        close(fd)
        unlink(tmp)
    }
}
