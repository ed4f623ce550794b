import Foundation

/// A model checkpoint in the safetensors format: one `.safetensors` file, or
/// a directory holding `model.safetensors.index.json` and the shards it
/// names (or a single `model.safetensors`). Files are memory-mapped; tensor
/// data is converted to `Double` or `Float` block by block on request and
/// never copied whole.
public final class Checkpoint: @unchecked Sendable {
    /// The path given (file or directory).
    public let path: String
    public let files: [MappedFile]
    /// Every tensor, in natural name order (`layer.2` before `layer.10`).
    public let tensors: [TensorInfo]
    public let metadata: [String: String]
    /// Whether the checkpoint came from a shard index.
    public let sharded: Bool
    /// Tensors a shard holds that the index's weight map does not put in
    /// that shard (not listed, or listed in another), by name: not read.
    public let unmapped: [String]

    public static let indexName = "model.safetensors.index.json"

    /// Opens and validates a checkpoint (see `SafetensorsHeader.parse`).
    /// - Throws: `.inputNotFound` (exit 66) for a missing or unreadable path
    ///   or shard; `.badData` (exit 65) for a malformed file or index, naming
    ///   the file and the fault.
    public init(path: String) throws {
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FingerprintError.inputNotFound(path: path, reason: "no such file or directory")
        }
        if !isDir.boolValue {
            let f = try MappedFile(path: path)
            let h = try SafetensorsHeader.parse(f.bytes, path: path)
            files = [f]
            tensors = Self.naturalOrder(h.tensors)
            metadata = h.metadata
            sharded = false
            unmapped = []
            return
        }
        let index = (path as NSString).appendingPathComponent(Self.indexName)
        if !FileManager.default.fileExists(atPath: index) {
            let single = (path as NSString).appendingPathComponent("model.safetensors")
            guard FileManager.default.fileExists(atPath: single) else {
                throw FingerprintError.inputNotFound(
                    path: path,
                    reason: "a directory without \(Self.indexName) or model.safetensors; give a .safetensors file or a model directory")
            }
            let f = try MappedFile(path: single)
            let h = try SafetensorsHeader.parse(f.bytes, path: single)
            files = [f]
            tensors = Self.naturalOrder(h.tensors)
            metadata = h.metadata
            sharded = false
            unmapped = []
            return
        }
        let weightMap = try Self.readIndex(index)
        var shardNames: [String] = []
        for (_, shard) in weightMap where !shardNames.contains(shard) { shardNames.append(shard) }
        var opened: [MappedFile] = []
        var all: [TensorInfo] = []
        var meta: [String: String] = [:]
        var unlisted: [String] = []
        for (i, shard) in shardNames.enumerated() {
            let p = (path as NSString).appendingPathComponent(shard)
            let f = try MappedFile(path: p)
            let h = try SafetensorsHeader.parse(f.bytes, path: p, file: i)
            opened.append(f)
            let wanted = Set(weightMap.filter { $0.shard == shard }.map(\.name))
            let present = Dictionary(h.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for name in wanted.sorted() {
                guard let t = present[name] else {
                    throw FingerprintError.badData(path: index, reason: "tensor '\(name)' is mapped to \(shard), which does not hold it")
                }
                all.append(t)
            }
            unlisted += h.tensors.map(\.name).filter { !wanted.contains($0) }
            meta.merge(h.metadata) { a, _ in a }
        }
        files = opened
        tensors = Self.naturalOrder(all)
        metadata = meta
        sharded = true
        unmapped = Array(Set(unlisted)).sorted(by: Self.naturalLess)
    }

    /// The weight map of a shard index: `{"weight_map": {name: shard file}}`.
    static func readIndex(_ index: String) throws -> [(name: String, shard: String)] {
        try MappedFile.requireRegularFile(index)
        guard let data = FileManager.default.contents(atPath: index) else {
            throw FingerprintError.inputNotFound(path: index, reason: "cannot read")
        }
        func bad(_ r: String) -> FingerprintError { .badData(path: index, reason: "not a valid shard index: " + r) }
        let json: HeaderJSON.Value
        do { json = try HeaderJSON.parse([UInt8](data)) } catch { throw bad("\(error)") }
        guard case .object(let top) = json, let wm = top.first(where: { $0.0 == "weight_map" })?.1, case .object(let map) = wm else {
            throw bad("no \"weight_map\" object")
        }
        var out: [(String, String)] = []
        for (name, v) in map {
            guard case .string(let shard) = v else { throw bad("the shard of '\(name)' is \(v.kind), not a string") }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw bad("shard '\(shard)' of '\(name)' is not a plain file name in the model directory")
            }
            out.append((name, shard))
        }
        guard !out.isEmpty else { throw bad("the weight map is empty") }
        return out
    }

    /// Tensors sorted by name, with digit runs compared as numbers.
    static func naturalOrder(_ t: [TensorInfo]) -> [TensorInfo] {
        t.sorted { naturalLess($0.name, $1.name) }
    }

    /// `a < b` comparing runs of ASCII digits by value, then bytes.
    package static func naturalLess(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var i = 0
        var j = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while i < x.count && j < y.count {
            if isDigit(x[i]) && isDigit(y[j]) {
                var i2 = i
                var j2 = j
                while i2 < x.count && isDigit(x[i2]) { i2 += 1 }
                while j2 < y.count && isDigit(y[j2]) { j2 += 1 }
                // Compare by value: strip leading zeros, then length, then digits.
                var ii = i
                var jj = j
                while ii < i2 - 1 && x[ii] == 0x30 { ii += 1 }
                while jj < j2 - 1 && y[jj] == 0x30 { jj += 1 }
                if i2 - ii != j2 - jj { return i2 - ii < j2 - jj }
                for k in 0..<(i2 - ii) where x[ii + k] != y[jj + k] { return x[ii + k] < y[jj + k] }
                if i2 - i != j2 - j { return i2 - i < j2 - j }
                i = i2
                j = j2
            } else {
                if x[i] != y[j] { return x[i] < y[j] }
                i += 1
                j += 1
            }
        }
        return x.count - i < y.count - j
    }

    /// Bytes of float tensor data (what a flat pass reads).
    public var floatBytes: Int { tensors.filter { $0.dtype.isFloat }.reduce(0) { $0 + $1.byteCount } }

    /// Elements `range` of tensor `t` (flattened, row-major), converted to Double.
    /// - Precondition: `range` lies in `0..<t.count` and `t.dtype.isReadable`.
    @inline(__always)
    public func read(_ t: TensorInfo, _ range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= t.count && t.dtype.isReadable)
        let src = files[t.file].base! + t.offset + range.lowerBound * t.dtype.size
        TensorConversion.convert(t.dtype, src, range.count, out)
    }

    /// Elements `range` of tensor `t` converted to Float (F64 rounded).
    @inline(__always)
    public func read(_ t: TensorInfo, _ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= t.count && t.dtype.isReadable)
        let src = files[t.file].base! + t.offset + range.lowerBound * t.dtype.size
        TensorConversion.convert(t.dtype, src, range.count, out)
    }

    /// The unit in which pages are dropped: 2 MiB, the size of a huge page
    /// on x86-64 and arm64 (4 KiB pages). Linux keeps a large file's page
    /// cache in folios of up to 2 MiB, and maps a whole aligned one with one
    /// page-directory entry; dropping whole units leaves it whole.
    ///
    /// Pages are mapped by the page faults of the first read (the kernel
    /// maps 64 KiB around each fault): `MADV_POPULATE_READ` of each chunk
    /// in advance cost more system time (0.41–0.46 s against 0.26–0.32 s
    /// for a pass over 4.4 GB of F32 files), since it walks every page
    /// again after mapping it.
    static let mappingUnit = 2 << 20

    /// The bytes of elements `range` of `t` from the start of its first
    /// mapping unit to the end of its last whole one (`roundEndUp`: of the
    /// unit where it ends), clamped to the file: offsets from its start.
    func mappingSpan(_ t: TensorInfo, _ range: Range<Int>, roundEndUp: Bool) -> Range<Int>? {
        guard let base = files[t.file].base, !range.isEmpty else { return nil }
        let unit = Checkpoint.mappingUnit
        let address = Int(bitPattern: base)
        let start = address + t.offset + range.lowerBound * t.dtype.size
        let end = address + t.offset + range.upperBound * t.dtype.size
        let s = max(address, start / unit * unit)
        let e = min(address + files[t.file].size, roundEndUp ? (end + unit - 1) / unit * unit : end / unit * unit)
        return e > s ? (s - address)..<(e - address) : nil
    }

    /// Drops the mapped pages of elements `range` of `t` from this process
    /// (`MADV_DONTNEED`), in whole mapping units: from the unit where the
    /// range starts to the last unit boundary inside it, or to the end of
    /// the unit where it ends when `range` ends the tensor (a pass calls
    /// this for consecutive ranges in order). The pages stay in the page
    /// cache, and a later read maps them again with the file's bytes (the
    /// mapping is private and never written), so dropping pages another
    /// thread is reading costs time, never correctness. Keeps the resident
    /// size of a pass over a large checkpoint near a few units instead of
    /// the whole file.
    public func release(_ t: TensorInfo, _ range: Range<Int>) {
        guard let span = mappingSpan(t, range, roundEndUp: range.upperBound == t.count), let base = files[t.file].base
        else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + span.lowerBound), span.count, MADV_DONTNEED)
    }

    /// The whole tensor as Double (for small tensors and tests).
    public func doubles(_ t: TensorInfo) -> [Double] {
        [Double](unsafeUninitializedCapacity: t.count) { buf, n in
            if t.count > 0 { read(t, 0..<t.count, into: buf.baseAddress!) }
            n = t.count
        }
    }

    /// The whole tensor as Float.
    public func floats(_ t: TensorInfo) -> [Float] {
        [Float](unsafeUninitializedCapacity: t.count) { buf, n in
            if t.count > 0 { read(t, 0..<t.count, into: buf.baseAddress!) }
            n = t.count
        }
    }
}
