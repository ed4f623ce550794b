import FingerprintCore

/// The safetensors header parser (`SafetensorsHeader.parse`) on arbitrary
/// files.
///
/// 1. A file is either refused with `.badData` (no other error) or accepted
///    with tensors that lie inside the data, do not overlap, and whose byte
///    counts are their element counts times the dtype size; every readable
///    tensor is then converted in full (AddressSanitizer catches a read out
///    of bounds).
/// 2. An accepted header, written again by `SafetensorsWriter.header` with
///    zeroed data, parses back to the same names, dtypes, shapes and metadata.
/// 3. The bytes after an 8-byte length prefix are also given to the JSON
///    parser alone, which must accept or refuse without crashing.
enum SafetensorsChecks {
    static func check(_ data: [UInt8]) throws {
        _ = try? HeaderJSON.parse(Array(data.dropFirst(min(8, data.count))))
        let parsed: (tensors: [TensorInfo], metadata: [String: String])
        do {
            parsed = try data.withUnsafeBytes { try SafetensorsHeader.parse($0, path: "fuzz") }
        } catch let e as FingerprintError {
            guard case .badData(let path, let reason) = e, path == "fuzz", !reason.isEmpty, !reason.contains("\n") else {
                throw FuzzFailure("unexpected error \(e) for \(show(data))")
            }
            return
        }
        let n = data.count >= 8 ? data[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } : 0
        let sorted = parsed.tensors.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
        var end = 8 + n
        for t in sorted {
            try require(t.byteCount == t.shape.reduce(1, *) * t.dtype.size, "tensor \(t.name): byte count \(t.byteCount) for \(t.shape)")
            try require(t.offset >= 8 + n && t.offset + t.byteCount <= data.count, "tensor \(t.name) outside the data")
            if t.byteCount > 0 {
                try require(t.offset >= end, "tensor \(t.name) overlaps another")
                end = t.offset + t.byteCount
            }
        }
        data.withUnsafeBytes { raw in
            for t in parsed.tensors where t.dtype.isReadable && t.count > 0 {
                let out = UnsafeMutablePointer<Double>.allocate(capacity: t.count)
                TensorConversion.convert(t.dtype, raw.baseAddress! + t.offset, t.count, out)
                out.deallocate()
            }
        }
        let entries = parsed.tensors.map { SafetensorsWriter.Entry(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        var again = SafetensorsWriter.header(entries, metadata: parsed.metadata)
        again += [UInt8](repeating: 0, count: entries.reduce(0) { $0 + $1.byteCount })
        let back = try again.withUnsafeBytes { try SafetensorsHeader.parse($0, path: "again") }
        let key = { (t: [TensorInfo]) in t.map { "\($0.name)|\($0.dtype.rawValue)|\($0.shape)" }.sorted() }
        try require(key(back.tensors) == key(parsed.tensors), "the rewritten header parses differently: \(show(data))")
        try require(back.metadata == parsed.metadata, "the rewritten metadata differs: \(show(data))")
    }
}
