import CKernels
import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// The safetensors reader and the weight statistics against the NumPy
/// reference (Fixtures/weights_reference.py → weights.json, weights/).
final class WeightsTests: XCTestCase {
    let dir = fixtures.appendingPathComponent("weights")
    var reference: [String: Any] { get throws { try loadJSON("weights.json") as! [String: Any] } }

    func open(_ name: String) throws -> Checkpoint { try Checkpoint(path: dir.appendingPathComponent(name).path) }

    func tensor(_ c: Checkpoint, _ name: String) throws -> TensorInfo { try XCTUnwrap(c.tensors.first { $0.name == name }, name) }

    /// Float → binary16/bfloat16 bits and back, as NumPy rounds them; and
    /// the half table against Swift's own Float16 for every bit pattern.
    func testHalfAndBFloat16ConversionsMatchNumPy() throws {
        let h = try reference["half_samples"] as! [String: Any]
        let xs = (h["x"] as! [Double]).map(Float.init)
        for (k, x) in xs.enumerated() {
            XCTAssertEqual(Int(TensorConversion.floatToHalf(x)), (h["f16_bits"] as! [Int])[k], "f16 bits of \(x)")
            XCTAssertEqual(Int(TensorConversion.floatToBF16(x)), (h["bf16_bits"] as! [Int])[k], "bf16 bits of \(x)")
            assertClose(Double(TensorConversion.bf16ToFloat(TensorConversion.floatToBF16(x))), (h["bf16"] as! [Double])[k], 1e-15)
            let back = Double(TensorConversion.halfToFloat(TensorConversion.floatToHalf(x)))
            if let v = (h["f16"] as! [Any])[k] as? Double {
                assertClose(back, v, 1e-15, "f16 of \(x)")
            } else {
                XCTAssertTrue(back.isInfinite)
            }
        }
        for bits in 0...UInt16.max {
            let f = Float16(bitPattern: bits)
            let mine = TensorConversion.halfToFloat(bits)
            if f.isNaN { XCTAssertTrue(mine.isNaN) } else { XCTAssertEqual(mine, Float(f), "bits \(bits)") }
        }
    }

    /// Every dtype (F32, F64, F16, BF16, I64) reads back as NumPy stored it:
    /// the per-tensor statistics of both files match scipy's.
    func testReaderAndTensorStatisticsMatchNumPy() throws {
        let ref = try reference
        let shapes = ref["shapes"] as! [String: [Int]]
        let dtypesB = ref["dtypes_b"] as! [String: String]
        for (file, key) in [("a.safetensors", "stats_a"), ("b.safetensors", "stats_b"), ("b-sharded", "stats_b")] {
            let c = try open(file)
            XCTAssertEqual(c.tensors.count, shapes.count, file)
            XCTAssertEqual(c.sharded, file == "b-sharded")
            let stats = ref[key] as! [String: [String: Any]]
            for t in c.tensors {
                XCTAssertEqual(t.shape, shapes[t.name], t.name)
                if key == "stats_b" { XCTAssertEqual(t.dtype.rawValue, dtypesB[t.name], t.name) }
                let s = try TensorSummary.compute(c, t, threads: 2)
                let e = try XCTUnwrap(stats[t.name])
                assertClose(s.mean!, e["mean"] as! Double, 1e-12, "\(file) \(t.name) mean")
                assertClose(s.std!, e["std"] as! Double, 1e-12, "\(file) \(t.name) std")
                if let k = e["kurtosis"] as? Double { assertClose(s.kurtosis!, k, 1e-9, "\(file) \(t.name) kurtosis") }
                if let sn = e["spectral_norm"] as? Double {
                    assertClose(s.spectralNorm!, sn, 1e-10, "\(file) \(t.name) spectral norm")
                    assertClose(s.effectiveRank!, e["effective_rank"] as! Double, 1e-10, "\(file) \(t.name) effective rank")
                } else {
                    XCTAssertNil(s.spectralNorm)
                }
            }
        }
        let a = try open("a.safetensors")
        XCTAssertEqual(a.metadata, ["format": "pt"])
        XCTAssertEqual(a.doubles(try tensor(a, "position_ids")), (0..<10).map(Double.init))
    }

    /// Cosine, relative L2, Pearson, spectra and unit alignment of every
    /// matched tensor, and the flat statistics of the mismatched pairs,
    /// against NumPy and scipy's optimal assignment.
    func testPairStatisticsMatchNumPy() throws {
        let ref = try reference
        let a = try open("a.safetensors")
        let b = try open("b.safetensors")
        XCTAssertEqual((ref["pairs"] as! [String: Any]).count, 10)
        XCTAssertEqual((ref["null"] as! [String: Any]).count, 18)
        for (name, any) in ref["pairs"] as! [String: [String: Any]] {
            let sa = TensorSource(a, try tensor(a, name))
            let sb = TensorSource(b, try tensor(b, name))
            let m = FlatStatistics.moments(sa, sb, threads: 2)
            assertClose(m.cosine!, any["cosine"] as! Double, 1e-12, "\(name) cosine")
            assertClose(m.relativeL2!, any["rel_l2"] as! Double, 1e-12, "\(name) rel_l2")
            assertClose(m.pearson!, any["pearson"] as! Double, 1e-12, "\(name) pearson")
            guard sa.shape.count == 2 else { continue }
            let svA = try Spectrum.singularValues(sa)
            let svB = try Spectrum.singularValues(sb)
            XCTAssertFalse(svA.approximate)
            for (x, y) in zip(svA.values, any["singular_values_a"] as! [Double]) { assertClose(x, y, 1e-12, "\(name) σ") }
            for (x, y) in zip(svB.values, any["singular_values_b"] as! [Double]) { assertClose(x, y, 1e-12, "\(name) σ") }
            assertClose(Spectrum.correlation(svA.values, svB.values)!, any["spectral_correlation"] as! Double, 1e-10, name)
            let rows = any["rows"] as! [String: Any]
            let al = try XCTUnwrap(try UnitAlignment.align(sa.floatMatrix(), sb.floatMatrix(), axis: .rows))
            XCTAssertEqual(al.permutation ?? Array(0..<sa.shape[0]), rows["permutation"] as! [Int], "\(name) recovered permutation")
            assertClose(al.cosine, rows["cosine"] as! Double, 1e-6, "\(name) aligned cosine")
            assertClose(al.meanUnitCosine, rows["mean_unit_cosine"] as! Double, 1e-6, "\(name) mean unit cosine")
            assertClose(al.gap, rows["gap"] as! Double, 1e-6, "\(name) gap")
            // Columns: the greedy assignment can be worse than the optimum, never better.
            let cols = any["columns"] as! [String: Any]
            let ac = try XCTUnwrap(try UnitAlignment.align(sa.floatMatrix(), sb.floatMatrix(), axis: .columns))
            XCTAssertLessThanOrEqual(ac.meanUnitCosine, (cols["mean_unit_cosine"] as! Double) + 1e-6, name)
            if ac.gap < 1e-7 { assertClose(ac.cosine, cols["cosine"] as! Double, 1e-6, "\(name) columns (greedy optimal)") }
        }
        for (key, any) in ref["null"] as! [String: [String: Any]] {
            let names = key.split(separator: "|").map(String.init)
            let m = FlatStatistics.moments(TensorSource(a, try tensor(a, names[0])), TensorSource(b, try tensor(b, names[1])))
            assertClose(m.pearson!, any["pearson"] as! Double, 1e-12, key)
            assertClose(m.cosine!, any["cosine"] as! Double, 1e-12, key)
        }
    }

    /// The fixture pair (noise of 5% of std, one layer's rows permuted,
    /// stored as F64/F16/BF16) is derived, the permutation is recovered, and
    /// a sharded copy gives the same report as the single file.
    func testComparisonOfFixturePairAndShardedEqualsSingle() throws {
        let ref = try reference
        var o = WeightsOptions()
        o.threads = 2
        let single = try WeightsComparison.run([try open("a.safetensors"), try open("b.safetensors")], options: o)
        let sharded = try WeightsComparison.run([try open("a.safetensors"), try open("b-sharded")], options: o)
        XCTAssertEqual(single.pairs[0].verdict, .derived, single.pairs[0].evidence)
        XCTAssertEqual(try JSONOutput.encode(single.pairs), try JSONOutput.encode(sharded.pairs))
        let up = try XCTUnwrap(single.pairs[0].tensors.first { $0.name == "layers.1.up.weight" })
        XCTAssertLessThan(abs(up.pearson!), 0.2)
        XCTAssertTrue(up.strong)
        XCTAssertEqual(up.alignment?.axis, .rows)
        let expected = ((ref["pairs"] as! [String: Any])["layers.1.up.weight"] as! [String: Any])["rows"] as! [String: Any]
        XCTAssertEqual(up.alignment?.permutation, expected["permutation"] as? [Int])
        // π inverts the permutation NumPy applied (b = a[perm]).
        let perm = ref["permutation"] as! [Int]
        for (i, j) in (up.alignment?.permutation ?? []).enumerated() { XCTAssertEqual(perm[j], i) }
        XCTAssertEqual(single.pairs[0].tensors.first { $0.name == "position_ids" }?.notCompared != nil, true)
        // Same bytes whatever the thread count.
        o.threads = 1
        let one = try WeightsComparison.run([try open("a.safetensors"), try open("b.safetensors")], options: o)
        XCTAssertEqual(try JSONOutput.encode(one), try JSONOutput.encode(single))
    }

    /// Matching by name and shape, then by shape and order; the rest unmatched.
    func testMatchingByNameThenShapeAndOrder() {
        func t(_ n: String, _ s: [Int]) -> TensorInfo { TensorInfo(name: n, dtype: .f32, shape: s, file: 0, offset: 0, byteCount: 0) }
        let a = [t("x.0.w", [2, 3]), t("x.1.w", [2, 3]), t("y", [4]), t("z", [5])]
        let b = [t("m.x.0.w", [2, 3]), t("m.x.1.w", [2, 3]), t("y", [4]), t("q", [6])]
        let r = WeightsComparison.match(a, b)
        XCTAssertEqual(
            r.pairs.map { "\($0.0.name)=\($0.1.name):\($0.byName)" }, ["x.0.w=m.x.0.w:false", "x.1.w=m.x.1.w:false", "y=y:true"])
        XCTAssertEqual(r.unmatchedA.map(\.name), ["z"])
        XCTAssertEqual(r.unmatchedB.map(\.name), ["q"])
        XCTAssertTrue(Checkpoint.naturalLess("layer.2.w", "layer.10.w"))
        XCTAssertFalse(Checkpoint.naturalLess("layer.10.w", "layer.2.w"))
        XCTAssertTrue(Checkpoint.naturalLess("a", "ab"))
    }

    /// Each malformed file is refused before any tensor is read, with one
    /// reason naming the fault (exit 65 in the CLI).
    func testMalformedFilesAreRefusedWithTheirFault() throws {
        let bad = try reference["bad"] as! [String: String]
        XCTAssertGreaterThanOrEqual(bad.count, 20)
        for (name, fragment) in bad.sorted(by: { $0.key < $1.key }) {
            let path = dir.appendingPathComponent("bad/\(name).safetensors").path
            XCTAssertThrowsError(try Checkpoint(path: path), name) { error in
                guard case .badData(let p, let reason) = error as? FingerprintError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(p, path)
                XCTAssertTrue(reason.contains(fragment), "\(name): '\(reason)' lacks '\(fragment)'")
                XCTAssertFalse(reason.contains("\n"))
            }
        }
    }

    /// Shard indexes: a missing shard is exit 66, a tensor mapped to a shard
    /// that lacks it, a path outside the directory or broken JSON exit 65.
    func testBadShardIndexes() throws {
        let tmp = try temporaryDirectory(self)
        let shard = dir.appendingPathComponent("b-sharded/model-00001-of-00002.safetensors")
        func model(_ index: String, _ name: String) throws -> String {
            let d = tmp.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: shard, to: d.appendingPathComponent("s.safetensors"))
            try Data(index.utf8).write(to: d.appendingPathComponent("model.safetensors.index.json"))
            return d.path
        }
        func code(_ path: String) -> String {
            do {
                _ = try Checkpoint(path: path)
                return "ok"
            } catch let e as FingerprintError {
                if case .inputNotFound = e { return "66" }
                if case .badData = e { return "65" }
                return "\(e)"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(code(try model(#"{"weight_map": {"layers.0.up.bias": "missing.safetensors"}}"#, "m1")), "66")
        XCTAssertEqual(code(try model(#"{"weight_map": {"no.such.tensor": "s.safetensors"}}"#, "m2")), "65")
        XCTAssertEqual(code(try model(#"{"weight_map": {"layers.0.up.bias": "../s.safetensors"}}"#, "m3")), "65")
        XCTAssertEqual(code(try model(#"{"weight_map": "#, "m4")), "65")
        XCTAssertEqual(code(try model(#"{"weight_map": {}}"#, "m5")), "65")
        XCTAssertEqual(code(try model(#"{"weight_map": {"layers.0.up.bias": "s.safetensors"}}"#, "m6")), "ok")
        XCTAssertEqual(code(tmp.appendingPathComponent("none").path), "66")
        XCTAssertEqual(code(tmp.path), "66")  // a directory with neither an index nor model.safetensors
    }

    /// The flat statistics against exact integer sums, on values near a
    /// large common offset (where sums of raw squares lose the centred
    /// moments), over two chunks and a tail that is not a multiple of 4;
    /// and the same bits whichever path reads the values: stored F32, F64
    /// or BF16 read directly, mixed types converted block by block, one
    /// thread or two.
    func testFlatStatisticsNearAnOffsetOnEveryPath() throws {
        let tmp = try temporaryDirectory(self)
        let n = FlatStatistics.chunk + FlatStatistics.chunk / 2 + 7
        // Integers: a = c + u, b = c + v with small u, v; exact in F32, F64 and (c = 64) BF16.
        func values(_ c: Int) -> (a: [Int], b: [Int]) {
            ((0..<n).map { c + $0 % 7 - 3 + ($0 / 1000) % 3 }, (0..<n).map { c + ($0 * 3) % 11 - 5 + ($0 / 1000) % 3 })
        }
        /// Cosine, relative L2 and Pearson's r from exact integer sums.
        func exact(_ a: [Int], _ b: [Int]) -> (cosine: Double, relativeL2: Double, pearson: Double) {
            var sa = 0
            var sb = 0
            var saa = 0
            var sbb = 0
            var sab = 0
            var sdd = 0
            for i in 0..<n {
                sa += a[i]
                sb += b[i]
                saa += a[i] * a[i]
                sbb += b[i] * b[i]
                sab += a[i] * b[i]
                sdd += (a[i] - b[i]) * (a[i] - b[i])
            }
            let cov = Double(n * sab - sa * sb)
            let va = Double(n * saa - sa * sa)
            let vb = Double(n * sbb - sb * sb)
            return (
                Double(sab) / (Double(saa).squareRoot() * Double(sbb).squareRoot()), (Double(sdd) / Double(saa)).squareRoot(),
                cov / (va.squareRoot() * vb.squareRoot())
            )
        }
        let big = values(4096)
        let small = values(64)
        let entries: [(String, TensorDType, [Int])] = [
            ("a32", .f32, big.a), ("b32", .f32, big.b), ("a64", .f64, big.a), ("b64", .f64, big.b),
            ("s32", .f32, small.a), ("t32", .f32, small.b), ("s16", .bf16, small.a), ("t16", .bf16, small.b),
        ]
        let path = tmp.appendingPathComponent("offset.safetensors").path
        try SafetensorsWriter.write(entries.map { SafetensorsWriter.Entry(name: $0.0, dtype: $0.1, shape: [n]) }, to: path) { i in
            TensorConversion.encode(entries[i].2.map(Float.init), as: entries[i].1)
        }
        let c = try Checkpoint(path: path)
        func src(_ name: String) throws -> TensorSource { TensorSource(c, try tensor(c, name)) }
        for (x, y, want) in [("a32", "b32", exact(big.a, big.b)), ("s16", "t16", exact(small.a, small.b))] {
            let m = FlatStatistics.moments(try src(x), try src(y), threads: 2)
            assertClose(m.cosine!, want.cosine, 1e-12, "\(x) cosine")
            assertClose(m.relativeL2!, want.relativeL2, 1e-12, "\(x) relative L2")
            assertClose(m.pearson!, want.pearson, 1e-12, "\(x) pearson")
        }
        // The same bits on every path.
        let f32 = FlatStatistics.moments(try src("a32"), try src("b32"))
        XCTAssertEqual(FlatStatistics.moments(try src("a64"), try src("b64")), f32, "F64 read directly")
        XCTAssertEqual(FlatStatistics.moments(try src("a64"), try src("b32")), f32, "F64 with F32, converted")
        XCTAssertEqual(FlatStatistics.moments(try src("a32"), try src("b32"), threads: 2), f32, "two threads")
        let inMemory = TensorSource(values: big.a.map(Float.init), shape: [n])
        XCTAssertEqual(FlatStatistics.moments(inMemory, try src("b64")), f32, "values in memory with F64")
        let bf16 = FlatStatistics.moments(try src("s16"), try src("t16"))
        XCTAssertEqual(FlatStatistics.moments(try src("s16"), try src("t32")), bf16, "BF16 with F32, converted")
        XCTAssertEqual(FlatStatistics.moments(try src("s32"), try src("t32")), bf16, "F32 read directly")
    }

    /// The kernel gives the same bits with AVX-512 and AVX2 as without (the
    /// same fused multiply-adds, hardware or libm's, in the same order), on
    /// F32 and BF16 values read directly.
    func testFlatKernelSameBitsOnEveryInstructionSet() throws {
        let saved = fp_block_sums_level()
        defer { _ = fp_block_sums_set_level(saved) }
        let widest = fp_block_sums_set_level(2)
        guard widest > 0 else { throw XCTSkip("neither AVX2 nor AVX-512 on this CPU") }
        let tmp = try temporaryDirectory(self)
        let n = FlatStatistics.chunk + 1001
        var rng = Xoshiro256(seed: 7, stream: 1)
        let a = (0..<n).map { _ in Float(0.02 * rng.nextGaussian()) }
        let b = a.map { $0 + Float(0.01 * rng.nextGaussian()) }
        let entries = [("a", TensorDType.f32, a), ("b", .f32, b), ("a16", .bf16, a), ("b16", .bf16, b)]
        let path = tmp.appendingPathComponent("r.safetensors").path
        try SafetensorsWriter.write(entries.map { SafetensorsWriter.Entry(name: $0.0, dtype: $0.1, shape: [n]) }, to: path) { i in
            TensorConversion.encode(entries[i].2, as: entries[i].1)
        }
        let c = try Checkpoint(path: path)
        for (x, y) in [("a", "b"), ("a16", "b16")] {
            let sa = TensorSource(c, try tensor(c, x))
            let sb = TensorSource(c, try tensor(c, y))
            XCTAssertEqual(fp_block_sums_set_level(0), 0)
            let portable = FlatStatistics.moments(sa, sb)
            XCTAssertGreaterThan(portable.pearson!, 0.8, x)
            for level in 1...widest {
                XCTAssertEqual(fp_block_sums_set_level(level), level)
                XCTAssertEqual(FlatStatistics.moments(sa, sb), portable, "\(x), level \(level)")
            }
        }
    }

    /// The Swift writer's files read back with the same values and dtypes.
    func testWriterRoundTrip() throws {
        let tmp = try temporaryDirectory(self)
        let values: [Float] = [0, 1.5, -2.25, 3.0e-5, 65504, 1e-8]
        let entries = TensorDType.allCases.filter(\.isReadable).map {
            SafetensorsWriter.Entry(name: "t.\($0.rawValue)", dtype: $0, shape: [2, 3])
        }
        let path = tmp.appendingPathComponent("w.safetensors").path
        let ints: [Float] = [0, 1, 2, 3, 4, 5]
        try SafetensorsWriter.write(entries, metadata: ["k": "v\"q"], to: path) { i in
            TensorConversion.encode(entries[i].dtype.isFloat ? values : ints, as: entries[i].dtype)
        }
        let c = try Checkpoint(path: path)
        XCTAssertEqual(c.metadata, ["k": "v\"q"])
        for t in c.tensors {
            let got = c.floats(t)
            let want: [Float]
            switch t.dtype {
            case .f16: want = values.map { TensorConversion.halfToFloat(TensorConversion.floatToHalf($0)) }
            case .bf16: want = values.map { TensorConversion.bf16ToFloat(TensorConversion.floatToBF16($0)) }
            case .f32, .f64: want = values
            case .bool: want = ints.map { $0 != 0 ? 1 : 0 }
            default: want = ints
            }
            XCTAssertEqual(got, want, t.name)
        }
    }

    // MARK: - Non-finite values; tensors too small to tell

    /// Writes `tensors` (name, dtype, shape, values) as one safetensors file.
    func write(_ tensors: [(name: String, dtype: TensorDType, shape: [Int], values: [Float])], _ path: String) throws {
        try SafetensorsWriter.write(tensors.map { SafetensorsWriter.Entry(name: $0.name, dtype: $0.dtype, shape: $0.shape) }, to: path) {
            TensorConversion.encode(tensors[$0].values, as: tensors[$0].dtype)
        }
    }

    /// The JSON object of an encodable value.
    func object(_ value: some Encodable) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try JSONOutput.encode(value).utf8)) as? [String: Any])
    }

    /// A matched pair with a NaN or ±Inf on either side (F32 or F16, 2-D or
    /// 1-D, first value or not), and an unmatched tensor with one, are not
    /// compared, their non-finite values counted, and enter no other
    /// tensor's null: every other tensor's results are those of the same
    /// checkpoints without them, in either order, with or without spectra
    /// (`--align all`), and no number in the JSON is NaN or infinite. (One
    /// NaN in a matrix aborted the run with LAPACK's error; without
    /// spectra the tensor got invented statistics, counted as compared, and
    /// entered the null of every other tensor of its shape.)
    func testNonFiniteTensorsAreNotComparedAndLeaveTheOthersAsWithoutThem() throws {
        let tmp = try temporaryDirectory(self)
        var rng = Xoshiro256(seed: 5, stream: 9)
        func gaussian(_ n: Int, _ std: Double) -> [Float] { (0..<n).map { _ in Float(std * rng.nextGaussian()) } }
        typealias T = (name: String, dtype: TensorDType, shape: [Int], values: [Float])
        var a: [T] = []
        for i in 0..<4 {
            a.append(("layer.\(i).w", .f32, [64, 32], gaussian(64 * 32, 0.02)))
            a.append(("layer.\(i).b", i == 0 ? .f16 : .f32, [64], gaussian(64, 0.02)))
        }
        // B: A plus noise of 10% of its std (derived), and an unmatched matrix.
        var b = a.map { t -> T in (t.name, t.dtype, t.shape, t.values.map { $0 + Float(0.002 * rng.nextGaussian()) }) }
        b.append(("unmatched.w", .f32, [64, 32], gaussian(64 * 32, 0.02)))
        func index(_ t: [T], _ name: String) -> Int { t.firstIndex { $0.name == name }! }
        b[index(b, "layer.2.w")].values[5 * 32 + 7] = .nan  // row 5, column 7
        a[index(a, "layer.1.b")].values[3] = .infinity
        b[index(b, "layer.1.b")].values[10] = -.infinity
        b[index(b, "layer.0.b")].values[0] = .nan  // F16, the first value (the chunk's shift)
        b[index(b, "unmatched.w")].values[0] = .infinity
        let bad = ["layer.2.w": (0, 1), "layer.1.b": (1, 1), "layer.0.b": (0, 1)]
        let path = { (n: String) in tmp.appendingPathComponent(n + ".safetensors").path }
        try write(a, path("a"))
        try write(b, path("b"))
        // The same checkpoints without those tensors.
        try write(a.filter { bad[$0.name] == nil }, path("a-clean"))
        try write(b.filter { bad[$0.name] == nil && $0.name != "unmatched.w" }, path("b-clean"))
        for spectra in [false, true] {
            for (x, y, swapped) in [("a", "b", false), ("b", "a", true)] {
                var o = WeightsOptions()
                o.align = .all
                o.spectra = spectra
                o.threads = 2
                let what = "\(x) vs \(y), spectra \(spectra)"
                let r = try WeightsComparison.run([try Checkpoint(path: path(x)), try Checkpoint(path: path(y))], options: o)
                let clean = try WeightsComparison.run(
                    [try Checkpoint(path: path(x + "-clean")), try Checkpoint(path: path(y + "-clean"))], options: o)
                let json = try JSONOutput.encode(r)
                XCTAssertFalse(json.contains("\"nan\"") || json.contains("inf\""), "a non-finite number in the JSON, \(what)")
                let p = r.pairs[0]
                let q = clean.pairs[0]
                XCTAssertEqual(p.tensors.count, 8, what)
                XCTAssertEqual(q.tensors.count, 5, what)
                for t in p.tensors {
                    if let (na, nb) = bad[t.name] {
                        let j = try object(t)
                        XCTAssertEqual(j["non_finite_a"] as? Int, swapped ? nb : na, "\(t.name), \(what)")
                        XCTAssertEqual(j["non_finite_b"] as? Int, swapped ? na : nb, "\(t.name), \(what)")
                        XCTAssertTrue(t.notCompared?.contains("non-finite values") == true, "\(t.name): \(t.notCompared ?? "compared")")
                        XCTAssertTrue(t.cosine == nil && t.pearson == nil && t.null == nil && t.evidence == nil && t.alignment == nil)
                        XCTAssertTrue(t.spectralCorrelation == nil && t.similarity == nil, t.name)
                    } else {
                        let u = try XCTUnwrap(q.tensors.first { $0.name == t.name })
                        XCTAssertEqual(try JSONOutput.encode(t), try JSONOutput.encode(u), "\(t.name), \(what)")
                        // The other finite tensors of its shape (matrices 0, 1, 3; biases 2, 3) and 2 initialisations.
                        XCTAssertEqual(t.null?.count, t.shape.count == 2 ? 2 + 2 : 1 + 2, "\(t.name), \(what)")
                        XCTAssertNotNil(t.evidence)
                    }
                }
                XCTAssertEqual(p.verdict, q.verdict, what)
                XCTAssertEqual(p.verdict, .derived, p.evidence)
                XCTAssertEqual(p.similarity, q.similarity, what)
                XCTAssertEqual([p.compared, p.strong, p.moderate], [q.compared, q.strong, q.moderate], what)
                XCTAssertEqual(p.compared, 5, what)
                XCTAssertTrue(p.evidence.contains("3 not compared for NaN or infinite values"), p.evidence)
                XCTAssertEqual(swapped ? p.unmatchedA : p.unmatchedB, ["unmatched.w"])
            }
        }
    }

    /// F64 values so large that sums of their squares overflow double,
    /// though none is NaN or infinite: the pair is not compared, with that
    /// reason and counts of 0, and `stats` gives no statistic rather than ±Inf.
    func testSumsOverflowingDoubleAreReportedNotInfinite() throws {
        let tmp = try temporaryDirectory(self)
        let values: [Double] = [1e200, -2e200, 3e200, 5e200]  // squares near 1e400, over the largest double (1.8e308)
        let path = tmp.appendingPathComponent("huge.safetensors").path
        try SafetensorsWriter.write([SafetensorsWriter.Entry(name: "huge", dtype: .f64, shape: [4])], to: path) { _ in
            values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        }
        let c = try Checkpoint(path: path)
        XCTAssertEqual(c.doubles(c.tensors[0]), values)
        let t = try WeightsComparison.run([c, c], options: WeightsOptions()).pairs[0].tensors[0]
        XCTAssertEqual(t.notCompared, "values too large: a sum of their squares overflows double")
        XCTAssertEqual(try object(t)["non_finite_a"] as? Int, 0)
        XCTAssertEqual(try object(t)["non_finite_b"] as? Int, 0)
        XCTAssertNil(t.cosine)
        let s = try object(try TensorSummary.compute(c, c.tensors[0]))
        XCTAssertNil(s["mean"])
        XCTAssertNil(s["std"])
        XCTAssertEqual(s["non_finite"] as? Int, 0)
        XCTAssertEqual(s["note"] as? String, "values too large: their sums overflow double")
    }

    /// A copy of a checkpoint of four tensors of 16 values compared with
    /// itself (r = 1 for each) was called independent: a null that wide
    /// leaves no similarity room to stand out, and "none strong" was read as
    /// independence. It is inconclusive, saying why. Built so the null is
    /// known by hand: t₀ = a centred ramp, t₁ = an even function of the
    /// same positions (orthogonal to the ramp once centred), t₂ = −t₀,
    /// t₃ = −t₁; without initialisations, tᵢ's null is its Pearson's r with
    /// the next three: {0, −1, 0}, mean −1/3, sample sd √(1/3), so z and the
    /// best attainable z are (1 + 1/3)/√(1/3) = 4/√3 ≈ 2.309 < 8.
    func testTensorsTooSmallForTheirNullAreNotEvidenceOfIndependence() throws {
        let tmp = try temporaryDirectory(self)
        let ramp = (0..<16).map { Float($0) - 7.5 }
        let even = ramp.map { $0 * $0 - 21.25 }  // mean of (i − 7.5)² over i < 16 is 21.25
        let tiny = [ramp, even, ramp.map { -$0 }, even.map { -$0 }].enumerated().map {
            (name: "tiny.\($0.offset).w", dtype: TensorDType.f32, shape: [16], values: $0.element)
        }
        let path = tmp.appendingPathComponent("v.safetensors").path
        try write(tiny, path)
        var o = WeightsOptions()
        o.inits = 0
        let v = try Checkpoint(path: path)
        let p = try WeightsComparison.run([v, v], options: o).pairs[0]
        for t in p.tensors {
            assertClose(t.pearson!, 1, 1e-12, t.name)
            assertClose(t.null!.pearsonMean!, -1.0 / 3, 1e-12, t.name)
            assertClose(t.null!.pearsonSD!, (1.0 / 3).squareRoot(), 1e-12, t.name)
            assertClose(t.evidence!, 4 / 3.0.squareRoot(), 1e-12, t.name)
            assertClose(try object(t)["attainable"] as? Double ?? .nan, 4 / 3.0.squareRoot(), 1e-12, t.name)
        }
        XCTAssertEqual(p.verdict, .inconclusive, p.evidence)
        XCTAssertTrue(p.evidence.hasPrefix("4 of 4 compared tensors too small for their null to show derivation"), p.evidence)
        XCTAssertEqual(try object(p)["informative"] as? Int, 0)

        // Three tensors large enough to tell (4,096 values, independent in
        // A and B) are enough for "independent", the tiny ones noted; two are not.
        var rng = Xoshiro256(seed: 3, stream: 1)
        func large(_ k: Int) -> [(name: String, dtype: TensorDType, shape: [Int], values: [Float])] {
            (0..<k).map { ("large.\($0).w", .f32, [4096], (0..<4096).map { _ in Float(0.02 * rng.nextGaussian()) }) }
        }
        o.inits = 2
        for k in [2, 3] {
            let pa = tmp.appendingPathComponent("a\(k).safetensors").path
            let pb = tmp.appendingPathComponent("b\(k).safetensors").path
            try write(tiny + large(k), pa)
            try write(tiny + large(k), pb)
            let q = try WeightsComparison.run([try Checkpoint(path: pa), try Checkpoint(path: pb)], options: o).pairs[0]
            XCTAssertEqual(q.compared, 4 + k)
            XCTAssertEqual(q.strong + q.moderate, 0, q.evidence)
            XCTAssertEqual(try object(q)["informative"] as? Int, k, q.evidence)
            if k == 3 {
                XCTAssertEqual(q.verdict, .independent, q.evidence)
                XCTAssertTrue(q.evidence.hasSuffix("; 4 tensors too small for their null to show derivation"), q.evidence)
            } else {
                XCTAssertEqual(q.verdict, .inconclusive, q.evidence)
                XCTAssertTrue(q.evidence.hasPrefix("4 of 6 compared tensors too small"), q.evidence)
            }
        }
    }

    /// A tensor of zeros has no cosine, aligned or not, as a constant one has
    /// no Pearson's r: it is not compared and is no evidence either way.
    /// (The aligned cosine of a zero tensor was 0, against a null of zeros
    /// with sd 0, so it counted as informative and not similar: a file of
    /// three zero matrices compared with its own copy was "independent",
    /// and one identical zero matrix tipped two otherwise inconclusive
    /// checkpoints to "independent" — review, session 29.)
    func testZeroTensorsAreNoEvidenceOfIndependence() throws {
        let tmp = try temporaryDirectory(self)
        let zeros = (0..<3).map {
            (name: "layer.\($0).bias", dtype: TensorDType.f32, shape: [16, 16], values: [Float](repeating: 0, count: 256))
        }
        let path = tmp.appendingPathComponent("zeros.safetensors").path
        try write(zeros, path)
        let v = try Checkpoint(path: path)
        var o = WeightsOptions()
        o.align = .all
        let p = try WeightsComparison.run([v, v], options: o).pairs[0]
        XCTAssertEqual(p.verdict, .inconclusive, p.evidence)
        XCTAssertEqual(try object(p)["informative"] as? Int, 0)
        for t in p.tensors {
            XCTAssertNil(t.pearson, t.name)
            XCTAssertNil(t.alignment, t.name)
            XCTAssertNil(t.evidence, t.name)
        }

        // Two large independent tensors and an identical zero matrix: the
        // zero matrix is not among the compared or the informative tensors.
        var rng = Xoshiro256(seed: 11, stream: 2)
        func large(_ k: Int) -> [(name: String, dtype: TensorDType, shape: [Int], values: [Float])] {
            (0..<k).map { ("large.\($0).w", .f32, [64, 64], (0..<4096).map { _ in Float(0.02 * rng.nextGaussian()) }) }
        }
        let zero = (name: "zero.w", dtype: TensorDType.f32, shape: [8, 8], values: [Float](repeating: 0, count: 64))
        let pa = tmp.appendingPathComponent("a.safetensors").path
        let pb = tmp.appendingPathComponent("b.safetensors").path
        try write(large(2) + [zero], pa)
        try write(large(2) + [zero], pb)
        let q = try WeightsComparison.run([try Checkpoint(path: pa), try Checkpoint(path: pb)], options: WeightsOptions()).pairs[0]
        XCTAssertEqual(q.verdict, .independent, q.evidence)
        XCTAssertTrue(q.evidence.hasPrefix("no compared tensor (of 2) beyond the null"), q.evidence)
        XCTAssertEqual(try object(q)["informative"] as? Int, 2, q.evidence)
        XCTAssertNil(q.tensors.first { $0.name == "zero.w" }?.evidence)
    }

    /// The randomized SVD's leading values against LAPACK's exact ones, on
    /// a matrix with a decaying spectrum (the error DESIGN.md states).
    func testRandomizedSpectrumError() throws {
        var rng = Xoshiro256(seed: 7)
        let (m, n, r) = (600, 400, 400)
        // A = U diag(σ) Vᵀ-like: Gaussian factors with σ_k = k^(-0.5), the slow decay of trained weights.
        var left = Matrix<Double>(rows: m, cols: r)
        for i in 0..<left.storage.count { left.storage[i] = rng.nextGaussian() }
        var right = Matrix<Double>(rows: r, cols: n)
        for k in 0..<r { for j in 0..<n { right[k, j] = rng.nextGaussian() * 1 / Double(k + 1).squareRoot() } }
        let a = try BLAS.product(left, right)
        let exact = try Spectrum.exact(a)
        let approx = try Spectrum.randomized(a, rank: 256, seed: 0)
        XCTAssertEqual(approx.count, 256)
        var worst = 0.0
        for k in 0..<128 {
            XCTAssertLessThanOrEqual(approx[k], exact[k] * (1 + 1e-12))
            worst = max(worst, (exact[k] - approx[k]) / exact[k])
        }
        XCTAssertLessThan(worst, 0.01, "leading 128 of 256 within 1%")
        XCTAssertGreaterThan(Spectrum.correlation(exact, approx)!, 0.99)
    }
}
