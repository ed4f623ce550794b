import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@inline(__always) private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(fd, p, n)
    #else
        return Darwin.write(fd, p, n)
    #endif
}

/// Where generated files go: a directory, memory (tests), or nowhere (sizing).
public protocol SynthSink: AnyObject {
    /// Creates the corpus directories (relative paths) before any file.
    func makeDirectories(_ relativePaths: [String]) throws
    /// Stores one file; called concurrently from several threads, each with
    /// a different path.
    func write(_ bytes: [UInt8], to relativePath: String) throws
}

/// Keeps every generated file in memory, keyed by relative path
/// ("source-a/doc0001.txt").
public final class MemorySink: SynthSink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String: [UInt8]] = [:]

    public init() {}

    /// The files written so far.
    public var files: [String: [UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    public func makeDirectories(_ relativePaths: [String]) throws {}

    public func write(_ bytes: [UInt8], to relativePath: String) throws {
        lock.lock()
        defer { lock.unlock() }
        storage[relativePath] = bytes
    }
}

/// Discards files (used to measure how many bytes a set will take).
final class DiscardSink: SynthSink {
    func makeDirectories(_ relativePaths: [String]) throws {}
    func write(_ bytes: [UInt8], to relativePath: String) throws {}
}

/// Writes files under a root directory as they are generated (bounded memory).
package final class DirectorySink: SynthSink, @unchecked Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public func makeDirectories(_ relativePaths: [String]) throws {
        for p in relativePaths {
            let path = root + "/" + p
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw FingerprintError.outputFailed(path: path, reason: error.localizedDescription)
            }
        }
    }

    public func write(_ bytes: [UInt8], to relativePath: String) throws {
        let path = root + "/" + relativePath
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var off = 0
        try bytes.withUnsafeBytes { raw in
            while off < raw.count {
                let n = sysWrite(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FingerprintError.outputFailed(path: path, reason: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }
}
