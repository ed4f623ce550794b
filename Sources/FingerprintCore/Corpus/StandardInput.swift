import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Standard input read more than once. A pipe can be read once, but some
/// commands read `-` twice (`index query --top` counts the questioned text
/// again; `compare`, `batch --evidence` and the HTML reports read documents
/// again for passages and snippets). Such a command calls
/// `keepForRereading()` before the first read: a regular file redirected
/// from its start is read again as it is; anything else (a pipe, a file
/// already part-read) is first copied to an unlinked temporary file in
/// `$TMPDIR` (or `/tmp`), which becomes fd 0. From then on every read of
/// standard input opens it afresh (`/proc/self/fd/0`) at its start, with
/// an offset of its own, so that reads on several threads do not race.
package enum StandardInput {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var kept = false

    /// Whether standard input has been kept for reading again.
    package static var isKept: Bool {
        lock.lock()
        defer { lock.unlock() }
        return kept
    }

    /// Makes standard input readable more than once (see above); does
    /// nothing the second time.
    /// - Throws: `.inputNotFound` when standard input is closed or cannot
    ///   be read, `.outputFailed` when the temporary copy cannot be written
    ///   (a full disk).
    package static func keepForRereading() throws {
        lock.lock()
        defer { lock.unlock() }
        guard !kept else { return }
        var st = stat()
        guard fstat(0, &st) == 0 else {
            throw FingerprintError.inputNotFound(path: "standard input", reason: "is closed (\(String(cString: strerror(errno))))")
        }
        if (st.st_mode & S_IFMT) == S_IFREG && lseek(0, 0, SEEK_CUR) == 0 {
            kept = true
            return
        }
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(dir)/.fingerprint-stdin-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw FingerprintError.outputFailed(
                path: dir, reason: "cannot make a copy of standard input to read it twice: \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                throw FingerprintError.inputNotFound(path: "standard input", reason: "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let m = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, n - written) }
                if m < 0 && errno == EINTR { continue }
                if m <= 0 {
                    throw FingerprintError.outputFailed(
                        path: dir, reason: "cannot copy standard input to read it twice: \(String(cString: strerror(errno)))")
                }
                written += m
            }
        }
        guard dup2(fd, 0) == 0 else {
            throw FingerprintError.inputNotFound(path: "standard input", reason: "cannot keep it: \(String(cString: strerror(errno)))")
        }
        kept = true
    }

    /// A new descriptor reading standard input from its start, which the
    /// caller closes; nil unless it was kept (or when it cannot be opened).
    package static func reopen() -> Int32? {
        guard isKept else { return nil }
        let fd = open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }
}
