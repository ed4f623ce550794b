import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes output atomically: bytes go to a temporary file beside the target,
/// which is renamed over it only when everything was written. A failed run
/// never leaves a half-written or clobbered file.
package enum AtomicFile {
    /// Writes `data` to `path` atomically, or to standard output when `path`
    /// is nil or "-".
    /// - Throws: `FingerprintError` with code `.ioError` naming the path.
    public static func write(_ data: [UInt8], to path: String?) throws {
        let out = try StreamingOutput(path: path)
        do {
            try out.write(bytes: data)
            try out.commit()
        } catch {
            out.abort()
            throw error
        }
    }

    /// Writes a string (UTF-8) atomically; see `write(_:to:)`.
    public static func write(_ text: String, to path: String?) throws {
        try write(Array(text.utf8), to: path)
    }

    package static func writeAll(fd: Int32, _ data: [UInt8], name: String) throws {
        var off = 0
        try data.withUnsafeBytes { raw in
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FingerprintError.outputFailed(path: name, reason: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }
}
