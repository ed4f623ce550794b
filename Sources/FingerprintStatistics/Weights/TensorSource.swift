import FingerprintCore

/// Tensor values to compare: a tensor of a mapped checkpoint (converted on
/// the fly) or values held in memory (an independent initialisation).
public struct TensorSource: @unchecked Sendable {
    enum Storage {
        case stored(Checkpoint, TensorInfo)
        case memory([Float])
    }

    let storage: Storage
    public let shape: [Int]
    public let count: Int

    public init(_ checkpoint: Checkpoint, _ tensor: TensorInfo) {
        storage = .stored(checkpoint, tensor)
        shape = tensor.shape
        count = tensor.count
    }

    public init(values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "values do not fill the shape")
        storage = .memory(values)
        self.shape = shape
        count = values.count
    }

    /// Elements `range` (flattened, row-major) as Double.
    @inline(__always)
    public func read(_ range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        switch storage {
        case .stored(let c, let t): c.read(t, range, into: out)
        case .memory(let v):
            v.withUnsafeBufferPointer { p in
                let base = p.baseAddress! + range.lowerBound
                var k = 0
                while k < range.count {
                    out[k] = Double(base[k])
                    k += 1
                }
            }
        }
    }

    /// Elements `range` as Float.
    @inline(__always)
    public func read(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        switch storage {
        case .stored(let c, let t): c.read(t, range, into: out)
        case .memory(let v): v.withUnsafeBufferPointer { p in out.update(from: p.baseAddress! + range.lowerBound, count: range.count) }
        }
    }

    /// The tensor's bytes as stored (little-endian; any alignment) and their
    /// type, for `body`: a mapped tensor's bytes in the file, F32 for values
    /// in memory.
    public func withBytes<R>(_ body: (UnsafeRawPointer, TensorDType) -> R) -> R {
        switch storage {
        case .stored(let c, let t): return body(c.files[t.file].base! + t.offset, t.dtype)
        case .memory(let v): return v.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!, .f32) }
        }
    }

    /// The element type as stored (F32 for values in memory).
    public var dtype: TensorDType {
        if case .stored(_, let t) = storage { return t.dtype }
        return .f32
    }

    /// Lets the mapped pages of elements `range` go (see `Checkpoint.release`).
    public func release(_ range: Range<Int>) {
        if case .stored(let c, let t) = storage { c.release(t, range) }
    }

    /// The tensor as a rows × cols Float matrix (2-D tensors only).
    public func floatMatrix() -> Matrix<Float> {
        precondition(shape.count == 2)
        var m = Matrix<Float>(rows: shape[0], cols: shape[1])
        if count > 0 { m.storage.withUnsafeMutableBufferPointer { read(0..<count, into: $0.baseAddress!) } }
        return m
    }

    /// The tensor as a rows × cols Double matrix (2-D tensors only).
    public func doubleMatrix() -> Matrix<Double> {
        precondition(shape.count == 2)
        var m = Matrix<Double>(rows: shape[0], cols: shape[1])
        if count > 0 { m.storage.withUnsafeMutableBufferPointer { read(0..<count, into: $0.baseAddress!) } }
        return m
    }

    /// An independent initialisation of `shape`: N(0, std²) values from
    /// `Xoshiro256(seed:stream:)`.
    public static func gaussian(shape: [Int], std: Double, seed: UInt64, stream: UInt64) -> TensorSource {
        var rng = Xoshiro256(seed: seed, stream: stream)
        let n = shape.reduce(1, *)
        let v = [Float](unsafeUninitializedCapacity: n) { buf, k in
            var i = 0
            while i < n {
                buf[i] = Float(std * rng.nextGaussian())
                i += 1
            }
            k = n
        }
        return TensorSource(values: v, shape: shape)
    }
}
