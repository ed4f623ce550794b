import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The element types of the safetensors format.
public enum TensorDType: String, Codable, Sendable, CaseIterable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"
    case f8E4M3 = "F8_E4M3"
    case f8E5M2 = "F8_E5M2"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8E4M3, .f8E5M2: return 1
        }
    }

    /// F64, F32, F16 and BF16: the types whose values are compared.
    public var isFloat: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }

    /// Whether the reader converts this type to numbers (every type but the
    /// 8-bit floats, which are listed but not read).
    public var isReadable: Bool { self != .f8E4M3 && self != .f8E5M2 }
}

/// One tensor of a checkpoint: where its bytes are and how to read them.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: TensorDType
    public let shape: [Int]
    /// Index of the file (shard) in `Checkpoint.files`.
    public let file: Int
    /// Byte offset of the first element from the start of the file.
    public let offset: Int
    public let byteCount: Int

    public var count: Int { byteCount / dtype.size }
    /// Rows and columns when the tensor is read as a matrix: 2-D tensors as
    /// they are; nil otherwise.
    public var matrixShape: (rows: Int, cols: Int)? { shape.count == 2 ? (shape[0], shape[1]) : nil }
}

/// A read-only memory mapping of a whole file, unmapped when released.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer?
    public let size: Int

    /// Maps `path`. An empty file maps to no memory (`base` nil, size 0).
    /// - Throws: `.inputNotFound` when the file is not a regular file or
    ///   cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        // Opening a FIFO for reading waits for a writer: refuse anything but
        // a regular file before opening it (and open without blocking, in
        // case the path changes in between; fstat below checks again).
        try Self.requireRegularFile(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw FingerprintError.inputNotFound(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FingerprintError.inputNotFound(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FingerprintError.inputNotFound(path: path, reason: "not a regular file") }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw FingerprintError.inputNotFound(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        _ = madvise(p, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(p)
    }

    /// Throws unless `path` (its target, for a symbolic link) is a regular
    /// file: a FIFO, a device or a socket is refused without being opened.
    /// - Throws: `.inputNotFound` ("not a regular file", or the system's
    ///   reason when it cannot be examined).
    public static func requireRegularFile(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FingerprintError.inputNotFound(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FingerprintError.inputNotFound(path: path, reason: "not a regular file") }
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}

/// The safetensors header: parsed and validated before any tensor is read.
///
/// Layout: an 8-byte little-endian length N, N bytes of JSON (an object of
/// tensor name → `{"dtype", "shape", "data_offsets": [begin, end]}`, and an
/// optional `"__metadata__"` object of strings), then the data; offsets are
/// relative to the start of the data.
public enum SafetensorsHeader {
    /// The largest header accepted (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000

    /// The tensors and metadata of a safetensors file held in `bytes`.
    ///
    /// Checks, in order: the file holds the 8-byte length; the header fits
    /// in the file and in `maxHeaderBytes`; the JSON is well formed, an
    /// object, without duplicate keys; each entry has exactly `dtype`,
    /// `shape`, `data_offsets` of the right kinds; the dtype is known; the
    /// shape's dimensions are non-negative and their product times the dtype
    /// size equals `end − begin` (with no overflow); `begin ≤ end ≤` the data
    /// length; and no two tensors' byte ranges overlap.
    /// - Throws: `.badData(path:reason:)` with the first fault found.
    /// - Complexity: O(header + t log t) for t tensors; no tensor data is read.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String, file: Int = 0) throws -> (
        tensors: [TensorInfo], metadata: [String: String]
    ) {
        // Names and keys come from the file: a newline in one must not split the error line.
        func bad(_ reason: String) -> FingerprintError {
            .badData(path: path, reason: "not a valid safetensors file: " + reason.terminalSafe)
        }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else { throw bad("header length \(n) runs past the end of the file (\(bytes.count) bytes)") }
        guard n <= UInt64(maxHeaderBytes) else { throw bad("header length \(n) is over the \(maxHeaderBytes)-byte limit") }
        guard n >= 2 else { throw bad("header length \(n) is too short for a JSON object") }
        let headerEnd = 8 + Int(n)
        let dataLength = bytes.count - headerEnd
        let json: HeaderJSON.Value
        do {
            json = try HeaderJSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<headerEnd]))
        } catch {
            throw bad("header JSON: \(error.reason) at byte \(8 + error.offset)")
        }
        guard case .object(let entries) = json else { throw bad("the header is \(json.kind), not an object") }
        var tensors: [TensorInfo] = []
        var metadata: [String: String] = [:]
        for (name, value) in entries {
            if name == "__metadata__" {
                guard case .object(let m) = value else { throw bad("__metadata__ is \(value.kind), not an object") }
                for (k, v) in m {
                    guard case .string(let s) = v else { throw bad("__metadata__ value '\(k)' is \(v.kind), not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard case .object(let fields) = value else { throw bad("tensor '\(name)' is \(value.kind), not an object") }
            var dtype: TensorDType?
            var shape: [Int]?
            var offsets: (Int, Int)?
            for (key, v) in fields {
                switch key {
                case "dtype":
                    guard case .string(let s) = v, let d = TensorDType(rawValue: s) else {
                        throw bad("tensor '\(name)' has an unknown dtype \(v.kind == "a string" ? "'\(v.stringValue ?? "")'" : v.kind)")
                    }
                    dtype = d
                case "shape":
                    guard case .array(let dims) = v else { throw bad("tensor '\(name)': shape is \(v.kind), not an array") }
                    var s: [Int] = []
                    for d in dims {
                        guard case .integer(let x) = d, x >= 0 else {
                            throw bad("tensor '\(name)': shape holds \(d.kind == "a number" ? "a negative or fractional number" : d.kind)")
                        }
                        s.append(Int(x))
                    }
                    shape = s
                case "data_offsets":
                    guard case .array(let o) = v, o.count == 2, case .integer(let b) = o[0], case .integer(let e) = o[1] else {
                        throw bad("tensor '\(name)': data_offsets is not an array of two integers")
                    }
                    guard b >= 0, b <= e else { throw bad("tensor '\(name)': data_offsets [\(b), \(e)] are not in order") }
                    guard e <= Int64(dataLength) else {
                        throw bad("tensor '\(name)': data_offsets end \(e) is past the end of the data (\(dataLength) bytes)")
                    }
                    offsets = (Int(b), Int(e))
                default: throw bad("tensor '\(name)' has an unknown field '\(key)'")
                }
            }
            guard let dtype else { throw bad("tensor '\(name)' has no dtype") }
            guard let shape else { throw bad("tensor '\(name)' has no shape") }
            guard let (b, e) = offsets else { throw bad("tensor '\(name)' has no data_offsets") }
            var elements = 1
            for d in shape {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw bad("tensor '\(name)': shape \(shape) overflows") }
                elements = p
            }
            let (bytesNeeded, o) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !o, bytesNeeded == e - b else {
                throw bad(
                    "tensor '\(name)': \(dtype.rawValue) \(shape) needs \(o ? "too many" : String(bytesNeeded)) bytes, data_offsets give \(e - b)"
                )
            }
            tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, file: file, offset: headerEnd + b, byteCount: e - b))
        }
        let byStart = tensors.sorted { ($0.offset, $0.byteCount, $0.name) < ($1.offset, $1.byteCount, $1.name) }
        for (x, y) in zip(byStart, byStart.dropFirst()) where x.byteCount > 0 && y.byteCount > 0 && y.offset < x.offset + x.byteCount {
            throw bad("tensors '\(x.name)' and '\(y.name)' overlap")
        }
        return (tensors, metadata)
    }
}

extension HeaderJSON.Value {
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
