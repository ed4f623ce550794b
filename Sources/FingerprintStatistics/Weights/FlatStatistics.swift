import CBLAS
import CKernels
import FingerprintCore

/// Sums over two flattened tensors of equal size, accumulated in double:
/// the raw products (for the cosine and the L2 distance) and the centred
/// co-moments (for Pearson's r), merged block by block with Chan et al.'s
/// pairwise update so that a tensor of values near 1 (LayerNorm weights)
/// keeps its precision.
public struct PairMoments: Sendable, Equatable {
    public var n = 0
    public var meanA = 0.0, meanB = 0.0
    /// Σ(a − ā)², Σ(b − b̄)², Σ(a − ā)(b − b̄).
    public var m2A = 0.0, m2B = 0.0, cAB = 0.0
    /// Σa², Σb², Σab, Σ(a − b)².
    public var aa = 0.0, bb = 0.0, ab = 0.0, dd = 0.0
    /// Whether every sum the moments came from was finite. A NaN or ±Inf
    /// among the values makes a sum non-finite (Σx² of an infinity is +Inf,
    /// and nothing added after brings it back), and so does the overflow of
    /// a sum of squares of F64 values near 10¹⁵⁴; the clamps to 0 below
    /// would otherwise hide it.
    public var sumsFinite = true

    public init() {}

    /// Whether the sums and every moment are finite: no value was NaN or
    /// ±Inf and no sum overflowed. The statistics are nil otherwise.
    public var isFinite: Bool {
        sumsFinite && meanA.isFinite && meanB.isFinite && m2A.isFinite && m2B.isFinite && cAB.isFinite && aa.isFinite && bb.isFinite
            && ab.isFinite && dd.isFinite
    }

    /// The merge of two disjoint parts (Chan, Golub & LeVeque 1979).
    public static func + (x: PairMoments, y: PairMoments) -> PairMoments {
        if x.n == 0 { return y }
        if y.n == 0 { return x }
        var r = PairMoments()
        r.n = x.n + y.n
        let nx = Double(x.n)
        let ny = Double(y.n)
        let n = Double(r.n)
        let da = y.meanA - x.meanA
        let db = y.meanB - x.meanB
        r.meanA = x.meanA + da * ny / n
        r.meanB = x.meanB + db * ny / n
        r.m2A = x.m2A + y.m2A + da * da * nx * ny / n
        r.m2B = x.m2B + y.m2B + db * db * nx * ny / n
        r.cAB = x.cAB + y.cAB + da * db * nx * ny / n
        r.aa = x.aa + y.aa
        r.bb = x.bb + y.bb
        r.ab = x.ab + y.ab
        r.dd = x.dd + y.dd
        r.sumsFinite = x.sumsFinite && y.sumsFinite
        return r
    }

    /// a·b / (‖a‖‖b‖); nil when either norm is 0 or `!isFinite`.
    public var cosine: Double? { isFinite && aa > 0 && bb > 0 ? clamp(ab / (aa.squareRoot() * bb.squareRoot())) : nil }
    /// ‖a − b‖ / ‖a‖; nil when ‖a‖ = 0 or `!isFinite`.
    public var relativeL2: Double? { isFinite && aa > 0 ? (dd / aa).squareRoot() : nil }
    /// Pearson's r, the cosine of the centred values; nil when either side is constant or `!isFinite`.
    public var pearson: Double? { isFinite && m2A > 0 && m2B > 0 ? clamp(cAB / (m2A.squareRoot() * m2B.squareRoot())) : nil }

    private func clamp(_ x: Double) -> Double { min(1, max(-1, x)) }
}

/// Flat statistics of tensors: one pass over both, in chunks of fixed
/// boundaries, each summed block by block by a fused kernel (CKernels).
public enum FlatStatistics {
    /// Elements per block of the kernel (and of conversion to double on the
    /// general path: two Double buffers stay in L1).
    static let block = 2048
    /// Elements per parallel chunk; fixed, so results do not depend on threads.
    public static let chunk = 1 << 18
    /// Values at the start of each chunk whose mean is the chunk's shift.
    static let shiftCount = 256

    /// The pair moments of `a` and `b` (equal counts).
    /// - Complexity: O(n), one read of each tensor; `threads` chunks at a time.
    public static func moments(_ a: TensorSource, _ b: TensorSource, threads: Int = 1) -> PairMoments {
        precondition(a.count == b.count, "tensors of different sizes")
        let n = a.count
        let chunks = (n + chunk - 1) / chunk
        var parts = [PairMoments](repeating: PairMoments(), count: chunks)
        parts.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallel.chunks(n, chunk: chunk, threads: threads) { r in
                base[r.lowerBound / chunk] = chunkMoments(a, b, r)
            }
        }
        return parts.reduce(PairMoments(), +)
    }

    /// The number of NaN and ±Inf values of `t`, read block by block as
    /// double (conversion keeps them: a NaN stays NaN, ±Inf stays ±Inf).
    /// - Complexity: O(n), one read of the tensor.
    public static func nonFiniteCount(_ t: TensorSource) -> Int {
        let buf = UnsafeMutablePointer<Double>.allocate(capacity: block)
        defer { buf.deallocate() }
        var bad = 0
        var start = 0
        while start < t.count {
            let end = min(t.count, start + chunk)
            var b = start
            while b < end {
                let k = min(block, end - b)
                t.read(b..<b + k, into: buf)
                for i in 0..<k where !buf[i].isFinite { bad += 1 }
                b += k
            }
            t.release(start..<end)
            start = end
        }
        return bad
    }

    /// The kernel's element type when both sides can be read as stored (same
    /// type: F64, F32 or BF16, little-endian machine); nil otherwise.
    static func directType(_ a: TensorSource, _ b: TensorSource) -> Int32? {
        guard TensorConversion.isLittleEndian, a.dtype == b.dtype else { return nil }
        switch a.dtype {
        case .f64: return Int32(FP_F64.rawValue)
        case .f32: return Int32(FP_F32.rawValue)
        case .bf16: return Int32(FP_BF16.rawValue)
        default: return nil
        }
    }

    /// One chunk in one pass. Values are shifted by the mean of the chunk's
    /// first `shiftCount` values of each side (ka, kb): x = a − ka, y = b − kb,
    /// d = a − b; the kernel sums x, y, x², y², xy and d² over each block of
    /// `block` elements in double (`fp_block_sums`), and the block sums are
    /// added in order. Shifting by a value near the mean keeps the centred
    /// sums (Σx² − (Σx)²/n) precise for values near a large common offset
    /// (LayerNorm weights near 1); the raw sums Σa², Σb², Σab follow exactly
    /// from the shifted ones. Tensors of other types are converted block by
    /// block to double and summed by the same kernel: conversions are exact,
    /// so the sums are the same bits either way.
    static func chunkMoments(_ a: TensorSource, _ b: TensorSource, _ range: Range<Int>) -> PairMoments {
        defer {
            a.release(range)
            b.release(range)
        }
        let buf = UnsafeMutablePointer<Double>.allocate(capacity: 2 * block)
        defer { buf.deallocate() }
        let x = buf
        let y = buf + block
        let head = range.lowerBound..<min(range.upperBound, range.lowerBound + shiftCount)
        a.read(head, into: x)
        b.read(head, into: y)
        var ka = 0.0
        var kb = 0.0
        var i = 0
        while i < head.count {
            ka += x[i]
            kb += y[i]
            i += 1
        }
        ka /= Double(head.count)
        kb /= Double(head.count)
        var total = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var s = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        func add() {
            total.0 += s.0
            total.1 += s.1
            total.2 += s.2
            total.3 += s.3
            total.4 += s.4
            total.5 += s.5
        }
        if let type = directType(a, b) {
            let size = a.dtype.size
            a.withBytes { pa, _ in
                b.withBytes { pb, _ in
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let k = min(block, range.upperBound - start)
                        withUnsafeMutableBytes(of: &s) { out in
                            fp_block_sums(
                                type, pa + start * size, pb + start * size, k, ka, kb, out.baseAddress!.assumingMemoryBound(to: Double.self)
                            )
                        }
                        add()
                        start += k
                    }
                }
            }
        } else {
            var start = range.lowerBound
            while start < range.upperBound {
                let k = min(block, range.upperBound - start)
                a.read(start..<start + k, into: x)
                b.read(start..<start + k, into: y)
                withUnsafeMutableBytes(of: &s) { out in
                    fp_block_sums(Int32(FP_F64.rawValue), x, y, k, ka, kb, out.baseAddress!.assumingMemoryBound(to: Double.self))
                }
                add()
                start += k
            }
        }
        return PairMoments(
            count: range.count, shiftA: ka, shiftB: kb, sx: total.0, sy: total.1, sxx: total.2, syy: total.3, sxy: total.4,
            sdd: total.5)
    }
}

extension PairMoments {
    /// The moments of n pairs from sums of shifted values x = a − ka,
    /// y = b − kb and d = a − b: Σx, Σy, Σx², Σy², Σxy, Σd².
    init(count n: Int, shiftA ka: Double, shiftB kb: Double, sx: Double, sy: Double, sxx: Double, syy: Double, sxy: Double, sdd: Double) {
        self.init()
        self.n = n
        let nd = Double(n)
        meanA = ka + sx / nd
        meanB = kb + sy / nd
        m2A = max(0, sxx - sx * sx / nd)
        m2B = max(0, syy - sy * sy / nd)
        cAB = sxy - sx * sy / nd
        // Σa² = Σ(x + ka)² = Σx² + ka(2Σx + n·ka); likewise Σb², Σab.
        aa = max(0, sxx + ka * (2 * sx + nd * ka))
        bb = max(0, syy + kb * (2 * sy + nd * kb))
        ab = sxy + ka * sy + kb * sx + nd * ka * kb
        dd = sdd
        sumsFinite = sx.isFinite && sy.isFinite && sxx.isFinite && syy.isFinite && sxy.isFinite && sdd.isFinite
    }
}

/// Statistics of one tensor (`fingerprint stats` on a checkpoint).
public struct TensorSummary: Codable, Sendable, Equatable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    public var count: Int
    public var mean: Double?
    /// Population standard deviation.
    public var std: Double?
    /// Excess (Fisher) kurtosis m₄/m₂² − 3, biased moments as scipy's default.
    public var kurtosis: Double?
    /// NaN and ±Inf values (nil for a tensor that is not read: F8). Mean,
    /// std and kurtosis are those of the finite values, and a tensor with
    /// any gets no spectrum (`note` says so).
    public var nonFinite: Int?
    /// Why a statistic is missing or how it was computed (non-finite values).
    public var note: String?
    /// Largest singular value (2-D tensors).
    public var spectralNorm: Double?
    /// exp(−Σ pᵢ ln pᵢ), pᵢ = σᵢ / Σσ (Roy & Vetterli 2007; 2-D tensors).
    public var effectiveRank: Double?
    /// Whether the singular values are approximate (randomized SVD).
    public var spectrumApproximate: Bool?
    public var layer: Int?

    enum CodingKeys: String, CodingKey {
        case name, dtype, shape, count, mean, std, kurtosis, layer, note
        case nonFinite = "non_finite"
        case spectralNorm = "spectral_norm"
        case effectiveRank = "effective_rank"
        case spectrumApproximate = "spectrum_approximate"
    }

    /// Two passes over the tensor (mean, then centred powers), in double,
    /// over its finite values: NaN and ±Inf are counted (`nonFinite`) and
    /// left out, and such a tensor gets no spectrum (LAPACK cannot take them).
    public static func compute(_ c: Checkpoint, _ t: TensorInfo, threads: Int = 1) throws -> TensorSummary {
        var s = TensorSummary(name: t.name, dtype: t.dtype.rawValue, shape: t.shape, count: t.count)
        s.layer = WeightNames.layer(t.name)
        guard t.dtype.isReadable, t.count > 0 else { return s }
        let ddot = try BLASLibrary.load().ddot
        let src = TensorSource(c, t)
        let n = t.count
        let chunks = (n + FlatStatistics.chunk - 1) / FlatStatistics.chunk
        var sums = [(s1: Double, nonFinite: Int)](repeating: (0, 0), count: chunks)
        sums.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallel.chunks(n, chunk: FlatStatistics.chunk, threads: threads) { r in
                let p = powerSums(src, r, mean: 0, ddot: ddot)
                base[r.lowerBound / FlatStatistics.chunk] = (p.s1, p.nonFinite)
            }
        }
        let bad = sums.reduce(0) { $0 + $1.nonFinite }
        let finite = n - bad
        s.nonFinite = bad
        let is2D = t.shape.count == 2 && min(t.shape[0], t.shape[1]) > 0
        if bad == n {
            s.note = "all \(n) values are NaN or infinite: no statistic"
        } else if bad > 0 {
            s.note =
                "\(bad) of \(n) values are NaN or infinite: mean, std and kurtosis are of the finite values"
                + (is2D ? "; no spectrum" : "")
        }
        guard finite > 0 else { return s }
        let mean = sums.reduce(0) { $0 + $1.s1 } / Double(finite)
        var parts = [(s1: Double, s2: Double, s4: Double, nonFinite: Int)](repeating: (0, 0, 0, 0), count: chunks)
        parts.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallel.chunks(n, chunk: FlatStatistics.chunk, threads: threads) { r in
                base[r.lowerBound / FlatStatistics.chunk] = powerSums(src, r, mean: mean, ddot: ddot)
            }
        }
        let m2 = parts.reduce(0) { $0 + $1.s2 } / Double(finite)
        let m4 = parts.reduce(0) { $0 + $1.s4 } / Double(finite)
        // Sums of powers of huge F64 values (|x| over about 10⁷⁷ for x⁴) overflow: no statistic rather than ±Inf or NaN.
        guard mean.isFinite, m2.isFinite else {
            s.note = (s.note.map { $0 + "; " } ?? "") + "values too large: their sums overflow double"
            return s
        }
        s.mean = mean
        s.std = m2.squareRoot()
        let kurtosis = m4 / (m2 * m2) - 3
        s.kurtosis = m2 > 0 && kurtosis.isFinite ? kurtosis : nil
        if is2D, bad == 0, t.count <= Spectrum.maxElements {
            let sv = try Spectrum.singularValues(src)
            s.spectralNorm = sv.values.first
            s.effectiveRank = Spectrum.effectiveRank(sv.values)
            s.spectrumApproximate = sv.approximate
        }
        return s
    }

    /// Σ(x − mean), Σ(x − mean)², Σ(x − mean)⁴ over the finite values of
    /// `range`, and the number of the others (NaN, ±Inf).
    static func powerSums(_ src: TensorSource, _ range: Range<Int>, mean: Double, ddot: BLASLibrary.DDOT) -> (
        s1: Double, s2: Double, s4: Double, nonFinite: Int
    ) {
        let block = FlatStatistics.block
        let buf = UnsafeMutablePointer<Double>.allocate(capacity: 3 * block)
        defer { buf.deallocate() }
        let x = buf
        let q = buf + block
        let ones = buf + 2 * block
        ones.initialize(repeating: 1, count: block)
        var s1 = 0.0
        var s2 = 0.0
        var s4 = 0.0
        var bad = 0
        var start = range.lowerBound
        while start < range.upperBound {
            let k = min(block, range.upperBound - start)
            src.read(start..<start + k, into: x)
            var i = 0
            while i < k {
                if x[i].isFinite {
                    x[i] -= mean
                } else {
                    x[i] = 0
                    bad += 1
                }
                q[i] = x[i] * x[i]
                i += 1
            }
            let k32 = Int32(k)
            s1 += ddot(k32, x, 1, ones, 1)
            s2 += ddot(k32, q, 1, ones, 1)
            s4 += ddot(k32, q, 1, q, 1)
            start += k
        }
        src.release(range)
        return (s1, s2, s4, bad)
    }
}

/// Layer numbers in tensor names.
public enum WeightNames {
    /// The number after `layer.`, `layers.`, `h.`, `blocks.` or `block.` in
    /// a dotted name (`encoder.layer.3.output.dense.weight` → 3); nil when
    /// there is none.
    public static func layer(_ name: String) -> Int? {
        let parts = name.split(separator: ".")
        for (i, p) in parts.enumerated() where i + 1 < parts.count {
            if ["layer", "layers", "h", "blocks", "block"].contains(p), let n = Int(parts[i + 1]) { return n }
        }
        return nil
    }
}
