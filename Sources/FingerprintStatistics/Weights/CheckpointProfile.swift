import FingerprintCore
import Foundation

/// `fingerprint stats` on a checkpoint: every tensor's summary and the
/// per-layer profile of standard deviations (docs/DESIGN.md §6.21).
public struct CheckpointProfile: Codable, Sendable {
    public var schema = "fingerprint.weights-stats/1"
    public var version = Fingerprint.version
    public var path: String
    public var files: Int
    public var sharded: Bool
    /// Tensors the shards hold where the weight map does not put them: not
    /// read (`Checkpoint.unmapped`); absent when there are none.
    public var unmapped: [String]?
    public var parameters: Int
    public var bytes: Int
    public var tensors: [TensorSummary]
    public var layers: [LayerProfile]

    /// One layer's finite float values pooled: their count, mean and population std.
    public struct LayerProfile: Codable, Sendable, Equatable {
        public var layer: Int
        public var tensors: Int
        public var parameters: Int
        public var mean: Double
        public var std: Double
    }

    /// Summarises every tensor (in parallel over tensors, one BLAS thread
    /// each; the same bytes whatever `threads`).
    /// - Throws: `.limit` when LAPACK fails.
    public static func compute(_ c: Checkpoint, threads: Int) throws -> CheckpointProfile {
        let saved = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(saved) }
        let summaries = try Parallel.map(c.tensors.count, threads: threads) { try TensorSummary.compute(c, c.tensors[$0]) }
        // Pooled moments per layer of the n_t finite values of each float tensor:
        // N μ = Σ n_t μ_t, N σ² = Σ n_t (σ_t² + (μ_t − μ)²).
        var byLayer: [Int: [(summary: TensorSummary, finite: Int)]] = [:]
        for (s, t) in zip(summaries, c.tensors) where t.dtype.isFloat && s.mean != nil {
            if let l = s.layer { byLayer[l, default: []].append((s, t.count - (s.nonFinite ?? 0))) }
        }
        let layers = byLayer.keys.sorted().map { l -> LayerProfile in
            let items = byLayer[l]!
            let n = items.reduce(0) { $0 + $1.finite }
            let mean = items.reduce(0.0) { $0 + Double($1.finite) * $1.summary.mean! } / Double(n)
            let ss = items.reduce(0.0) { acc, x in
                let d = x.summary.mean! - mean
                return acc + Double(x.finite) * (x.summary.std! * x.summary.std! + d * d)
            }
            return LayerProfile(layer: l, tensors: items.count, parameters: n, mean: mean, std: (ss / Double(n)).squareRoot())
        }
        return CheckpointProfile(
            path: c.path, files: c.files.count, sharded: c.sharded, unmapped: c.unmapped.isEmpty ? nil : c.unmapped,
            parameters: c.tensors.reduce(0) { $0 + $1.count },
            bytes: c.tensors.reduce(0) { $0 + $1.byteCount }, tensors: summaries, layers: layers)
    }

    /// Whether `path` names a checkpoint rather than a corpus: a
    /// `.safetensors` file, or a directory holding a shard index or `model.safetensors`.
    public static func isCheckpoint(_ path: String) -> Bool {
        if path.hasSuffix(".safetensors") { return true }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return false }
        return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(Checkpoint.indexName))
            || FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("model.safetensors"))
    }
}
