import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes output atomically: bytes go to a temporary file beside the target,
/// which is renamed over it only when everything was written. A failed run
/// never leaves a half-written or clobbered file.
public enum AtomicFile {
    /// Writes `data` to `path` atomically, or to standard output when `path`
    /// is nil or "-".
    /// - Throws: `FingerprintError` with code `.ioError` naming the path.
    public static func write(_ data: [UInt8], to path: String?) throws {
        guard let path, path != "-" else {
            try writeAll(fd: 1, data, name: "standard output")
            return
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FingerprintError.io("cannot write \(path): directory \(dir) does not exist; create it or choose another --output")
        }
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FingerprintError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        do {
            try writeAll(fd: fd, data, name: path)
            guard fsync(fd) == 0 || errno == EINVAL else {
                throw FingerprintError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw FingerprintError.io("cannot write \(path): \(e)")
        }
    }

    /// Writes a string (UTF-8) atomically; see `write(_:to:)`.
    public static func write(_ text: String, to path: String?) throws {
        try write(Array(text.utf8), to: path)
    }

    static func writeAll(fd: Int32, _ data: [UInt8], name: String) throws {
        var off = 0
        try data.withUnsafeBytes { raw in
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FingerprintError.io("cannot write \(name): \(String(cString: strerror(errno)))")
                }
                off += n
            }
        }
    }
}
