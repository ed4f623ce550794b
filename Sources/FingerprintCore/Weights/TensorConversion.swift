import Foundation

/// Conversion of little-endian tensor bytes (possibly unaligned) to Float
/// or Double, and of Float to the 16-bit formats.
public enum TensorConversion {
    /// IEEE 754 binary16 → Float for every bit pattern (exact: every half
    /// is a float). Built once; 256 KiB.
    static let halfTable: [Float] = (0..<65536).map { halfToFloat(UInt16($0)) }

    /// binary16 bits → Float, by the definition: subnormals m·2⁻²⁴,
    /// normals (1 + m/1024)·2^(e−15), e = 31 infinities and NaNs.
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1F)
        let m = Float(h & 0x3FF)
        switch e {
        case 0: return sign * m * 0x1p-24
        case 31: return m == 0 ? sign * .infinity : .nan
        default: return sign * (1 + m / 1024) * Float(sign: .plus, exponent: e - 15, significand: 1)
        }
    }

    /// bfloat16 bits → Float (the high half of a float).
    @inline(__always) public static func bf16ToFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// Float → bfloat16 bits, rounding to nearest, ties to even (NaN stays NaN).
    public static func floatToBF16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        if f.isNaN { return UInt16(u >> 16) | 0x40 }
        return UInt16((u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }

    /// Float → binary16 bits, rounding to nearest, ties to even.
    public static func floatToHalf(_ f: Float) -> UInt16 { Float16(f).bitPattern }

    package static let isLittleEndian = UInt32(littleEndian: 1) == 1

    /// `n` elements of `dtype` at `src` (little-endian, any alignment) as Double.
    /// Concrete per output type: unspecialised generics are slow in debug builds.
    package static func convert(_ dtype: TensorDType, _ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Double>) {
        switch dtype {
        case .f32 where isLittleEndian && Int(bitPattern: src) % 4 == 0:
            // Aligned (the usual case): a plain loop the compiler vectorises.
            let p = src.assumingMemoryBound(to: Float.self)
            var i = 0
            while i < n {
                out[i] = Double(p[i])
                i += 1
            }
        case .f32:
            var i = 0
            while i < n {
                out[i] = Double(Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                i += 1
            }
        case .bf16 where isLittleEndian && Int(bitPattern: src) % 2 == 0:
            let p = src.assumingMemoryBound(to: UInt16.self)
            var i = 0
            while i < n {
                out[i] = Double(Float(bitPattern: UInt32(p[i]) << 16))
                i += 1
            }
        case .f64:
            var i = 0
            while i < n {
                out[i] = Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                i += 1
            }
        case .f16:
            halfTable.withUnsafeBufferPointer { table in
                var i = 0
                while i < n {
                    out[i] = Double(table[Int(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))])
                    i += 1
                }
            }
        case .bf16:
            var i = 0
            while i < n {
                out[i] = Double(bf16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                i += 1
            }
        default:
            var i = 0
            while i < n {
                out[i] = integerValue(dtype, src, i)
                i += 1
            }
        }
    }

    /// `n` elements of `dtype` at `src` as Float (F64 and wide integers rounded).
    package static func convert(_ dtype: TensorDType, _ src: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            if Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0 && UInt32(littleEndian: 1) == 1 {
                UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: 4 * n)
            } else {
                var i = 0
                while i < n {
                    out[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    i += 1
                }
            }
        case .f64:
            var i = 0
            while i < n {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                i += 1
            }
        case .f16:
            halfTable.withUnsafeBufferPointer { table in
                var i = 0
                while i < n {
                    out[i] = table[Int(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))]
                    i += 1
                }
            }
        case .bf16:
            var i = 0
            while i < n {
                out[i] = bf16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                i += 1
            }
        default:
            var i = 0
            while i < n {
                out[i] = Float(integerValue(dtype, src, i))
                i += 1
            }
        }
    }

    /// Element i of an integer or boolean tensor.
    @inline(__always)
    static func integerValue(_ dtype: TensorDType, _ src: UnsafeRawPointer, _ i: Int) -> Double {
        switch dtype {
        case .i64: return Double(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        case .i32: return Double(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        case .i16: return Double(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        case .i8: return Double(src.load(fromByteOffset: i, as: Int8.self))
        case .u64: return Double(UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        case .u32: return Double(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case .u16: return Double(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case .u8: return Double(src.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        default: preconditionFailure("\(dtype.rawValue) is not read")
        }
    }

    /// `values` encoded as little-endian `dtype` bytes (floats round to
    /// nearest even; integer types truncate).
    public static func encode(_ values: [Float], as dtype: TensorDType) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * dtype.size)
        func put<I: FixedWidthInteger>(_ x: I) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        for v in values {
            switch dtype {
            case .f32: put(v.bitPattern)
            case .f64: put(Double(v).bitPattern)
            case .f16: put(floatToHalf(v))
            case .bf16: put(floatToBF16(v))
            case .i64: put(Int64(v))
            case .i32: put(Int32(v))
            case .i16: put(Int16(v))
            case .i8: put(Int8(v))
            case .u64: put(UInt64(v))
            case .u32: put(UInt32(v))
            case .u16: put(UInt16(v))
            case .u8, .f8E4M3, .f8E5M2: put(UInt8(v))
            case .bool: put(UInt8(v != 0 ? 1 : 0))
            }
        }
        return out
    }
}

/// Writes safetensors files: the header (keys sorted, data in the order
/// given, 8-byte-aligned header padded with spaces, as the reference writer
/// does) then each tensor's bytes, streamed through `StreamingOutput`.
public enum SafetensorsWriter {
    public struct Entry: Sendable {
        public var name: String
        public var dtype: TensorDType
        public var shape: [Int]
        public init(name: String, dtype: TensorDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
        public var byteCount: Int { shape.reduce(1, *) * dtype.size }
    }

    /// The header bytes (length prefix included) for `entries` laid out in order.
    public static func header(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        var offset = 0
        var parts: [(String, String)] = []
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append(
                (e.name, "{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.byteCount)]}"))
            offset += e.byteCount
        }
        if !metadata.isEmpty {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",")
            parts.append(("__metadata__", "{\(m)}"))
        }
        var json = Array(("{" + parts.sorted { $0.0 < $1.0 }.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json
    }

    /// Writes `entries` to `path`; `data(i)` returns the bytes of entry i
    /// (exactly `entries[i].byteCount`), called once per entry in order.
    public static func write(
        _ entries: [Entry], metadata: [String: String] = [:], to path: String, data: (Int) throws -> [UInt8]
    ) throws {
        let out = try StreamingOutput(path: path)
        do {
            try out.write(bytes: header(entries, metadata: metadata))
            for i in entries.indices {
                let bytes = try data(i)
                precondition(
                    bytes.count == entries[i].byteCount, "tensor \(entries[i].name): \(bytes.count) bytes, expected \(entries[i].byteCount)"
                )
                try out.write(bytes: bytes)
            }
            try out.commit()
        } catch {
            out.abort()
            throw error
        }
    }

    static func jsonString(_ s: String) -> String {
        var r = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\u{0}"..."\u{1F}": r += String(format: "\\u%04x", u.value)
            default: r.unicodeScalars.append(u)
            }
        }
        return r + "\""
    }
}
