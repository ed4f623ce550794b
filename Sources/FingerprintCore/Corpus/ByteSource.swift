import CZlib
import CZstd
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a file's bytes are stored, told by its first bytes (not its name).
package enum Compression: Sendable, Equatable {
    case none, gzip, zstd

    /// The compression of the file open at `fd`, from its magic bytes
    /// (gzip 1F 8B; Zstandard frame 28 B5 2F FD); the file offset is unchanged.
    package static func detect(fd: Int32) -> Compression {
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4, 0) }
        return of(magic: magic.prefix(max(0, n)))
    }

    /// The compression a stream's first (up to four) bytes announce.
    package static func of(magic: ArraySlice<UInt8>) -> Compression {
        let m = Array(magic.prefix(4))
        if m.count >= 2 && m[0] == 0x1F && m[1] == 0x8B { return .gzip }
        if m == [0x28, 0xB5, 0x2F, 0xFD] { return .zstd }
        return .none
    }

    /// The name without a `.gz` or `.zst` suffix (what decides text or JSONL).
    package static func stripSuffix(_ name: String) -> String {
        let lower = name.lowercased()
        if lower.hasSuffix(".gz") { return String(name.dropLast(3)) }
        if lower.hasSuffix(".zst") { return String(name.dropLast(4)) }
        return name
    }
}

/// A failed read of a (compressed) file: what went wrong and where, in
/// bytes of the file as stored.
package struct SourceError: Error, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}

/// Bytes of one file, decompressed on the fly when it is gzip or Zstandard
/// (streamed: memory stays O(buffer) whatever the file's size), or a byte
/// range of a plain file.
package final class ByteSource {
    private let fd: Int32
    private let owned: Bool
    private let compression: Compression
    private var remaining: Int
    private var input: [UInt8]
    private var inputStart = 0, inputEnd = 0
    private var eof = false
    /// Bytes of the file consumed so far (compressed offset).
    package private(set) var consumed = 0
    private var z = z_stream()
    private var zActive = false
    private var zd: OpaquePointer?
    private var frameOpen = false

    /// Bytes already read from `fd` that come before the rest (the magic
    /// bytes read from a pipe to tell its compression); plain streams only.
    private var prefix: [UInt8] = []

    /// Reads `fd` from its current offset, at most `limit` stored bytes;
    /// `prefix`: stored bytes already read from it, which come first.
    /// `owning`: `fd` is closed with the source.
    package init(fd: Int32, compression: Compression, limit: Int = .max, prefix: [UInt8] = [], owning: Bool = false) {
        self.fd = fd
        owned = owning
        self.compression = compression
        remaining = limit
        input = compression == .none ? [] : [UInt8](repeating: 0, count: max(1 << 17, prefix.count))
        if compression == .none {
            self.prefix = prefix
        } else {
            input.replaceSubrange(0..<prefix.count, with: prefix)
            inputEnd = prefix.count
        }
        switch compression {
        case .none: break
        case .gzip:
            // 15 + 32: a zlib or gzip header, detected.
            zActive = inflateInit2_(&z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        case .zstd:
            zd = ZSTD_createDStream()
            _ = ZSTD_initDStream(zd)
        }
    }

    /// A stream at `fd` (standard input, a pipe), told gzip, Zstandard or
    /// plain by its first bytes (read here, and given back first): a pipe
    /// cannot be read twice. `owning`: `fd` is closed with the source.
    package static func sniffing(fd: Int32, owning: Bool) throws -> ByteSource {
        var magic = [UInt8](repeating: 0, count: 4)
        var have = 0
        while have < 4 {
            let n = magic.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + have, 4 - have) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                let reason = "cannot read: \(String(cString: strerror(errno)))"
                if owning { close(fd) }
                throw SourceError(reason: reason)
            }
            if n == 0 { break }
            have += n
        }
        let head = Array(magic[0..<have])
        return ByteSource(fd: fd, compression: Compression.of(magic: head[...]), prefix: head, owning: owning)
    }

    deinit {
        if owned { close(fd) }
        if zActive { inflateEnd(&z) }
        if let zd { ZSTD_freeDStream(zd) }
    }

    private func fill() throws {
        guard inputStart == inputEnd, !eof else { return }
        let want = min(input.count, remaining)
        var n = 0
        repeat { n = input.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) } } while n < 0 && errno == EINTR
        if n < 0 { throw SourceError(reason: "cannot read: \(String(cString: strerror(errno)))") }
        inputStart = 0
        inputEnd = n
        remaining -= n
        if n == 0 { eof = true }
    }

    /// Fills `out` with the next bytes; 0 at the end.
    /// - Throws: `SourceError` for a read error, or a corrupt or truncated
    ///   compressed stream (naming the byte offset in the file).
    package func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        switch compression {
        case .none:
            if !prefix.isEmpty {
                let n = min(out.count, prefix.count)
                prefix.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
                prefix.removeFirst(n)
                consumed += n
                return n
            }
            guard remaining > 0 else { return 0 }
            var n = 0
            repeat { n = Glibc.read(fd, out.baseAddress, min(out.count, remaining)) } while n < 0 && errno == EINTR
            if n < 0 { throw SourceError(reason: "cannot read: \(String(cString: strerror(errno)))") }
            remaining -= n
            consumed += n
            return n
        case .gzip: return try readGzip(into: out)
        case .zstd: return try readZstd(into: out)
        }
    }

    private func readGzip(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        guard zActive else { throw SourceError(reason: "cannot start gzip decompression") }
        var produced = 0
        while produced == 0 {
            try fill()
            if inputStart == inputEnd && eof && !frameOpen { return 0 }
            let before = inputStart
            let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
                z.next_in = inp.baseAddress! + inputStart
                z.avail_in = UInt32(inputEnd - inputStart)
                z.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                z.avail_out = UInt32(out.count)
                let s = inflate(&z, Z_NO_FLUSH)
                inputStart = inputEnd - Int(z.avail_in)
                produced = out.count - Int(z.avail_out)
                return s
            }
            consumed += inputStart - before
            frameOpen = true
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated files).
                frameOpen = false
                inflateReset(&z)
            case Z_OK, Z_BUF_ERROR:
                // No progress with all input read: the stream stops mid-member.
                if produced == 0 && inputStart == inputEnd && eof {
                    throw SourceError(reason: "truncated gzip stream (ends at byte \(consumed))")
                }
            default:
                let why = z.msg.map { String(cString: $0) } ?? "error \(status)"
                throw SourceError(reason: "corrupt gzip stream near byte \(consumed): \(why)")
            }
        }
        return produced
    }

    private func readZstd(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let zd else { throw SourceError(reason: "cannot start Zstandard decompression") }
        var produced = 0
        while produced == 0 {
            try fill()
            if inputStart == inputEnd && eof && !frameOpen { return 0 }
            let before = inputStart
            let ret: Int = input.withUnsafeMutableBufferPointer { inp in
                var i = ZSTD_inBuffer(src: inp.baseAddress! + inputStart, size: inputEnd - inputStart, pos: 0)
                var o = ZSTD_outBuffer(dst: out.baseAddress!, size: out.count, pos: 0)
                let r = ZSTD_decompressStream(zd, &o, &i)
                inputStart += i.pos
                produced = o.pos
                return r
            }
            consumed += inputStart - before
            if ZSTD_isError(ret) != 0 {
                // A frame written with a window over the decoder's default
                // limit (zstd --long=28 or more) is not corrupt: say what it needs.
                if ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge {
                    throw SourceError(
                        reason:
                            "Zstandard frame needs a window over 128 MiB (written with zstd --long=28 or more), more than is allowed "
                            + "here: decompress it first (zstd -d --long=31 FILE) or compress it again with a smaller window")
                }
                throw SourceError(reason: "corrupt Zstandard stream near byte \(consumed): \(String(cString: ZSTD_getErrorName(ret)))")
            }
            // 0: a frame ended exactly here; otherwise more input is expected
            // (or output is still buffered, which the next call flushes).
            frameOpen = ret != 0
            if produced == 0 && frameOpen && inputStart == inputEnd && eof {
                throw SourceError(reason: "truncated Zstandard stream (ends at byte \(consumed))")
            }
        }
        return produced
    }
}
