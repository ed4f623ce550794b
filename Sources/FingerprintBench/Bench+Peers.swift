import FingerprintCore
import FingerprintReport
import FingerprintStatistics
import Foundation

/// The Python peers (`Benchmarks/peers/*.py`): each is run as a separate
/// process on the same corpus in the same run, and its speed is reported as
/// a ratio to ours. A missing interpreter, package or script is a reported
/// skip, never a failure.
extension Bench {
    /// Finds Benchmarks/peers from the working directory or the binary's location.
    static func peersDirectory(_ o: BenchOptions) -> String? {
        if let d = o.peersDirectory { return d }
        var candidates = [FileManager.default.currentDirectoryPath]
        var bin = URL(fileURLWithPath: o.binary).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(bin.path)
            bin = bin.deletingLastPathComponent()
        }
        return candidates.map { $0 + "/Benchmarks/peers" }.first { FileManager.default.fileExists(atPath: $0 + "/ingest.py") }
    }

    /// Runs the Python peers; a missing interpreter, package or script is a
    /// reported skip, never a failure.
    static func runPeers(_ o: BenchOptions, root: String) -> [BenchReport.Peer] {
        guard let dir = peersDirectory(o) else {
            return [
                .init(
                    name: "all peers", ran: false, reason: "Benchmarks/peers not found (run from the repository, or pass --peers-dir)",
                    details: [:])
            ]
        }
        func script(_ name: String, _ args: [String]) -> (json: [String: Any]?, reason: String?) {
            peerScript(o, dir: dir, name, args)
        }
        var peers: [BenchReport.Peer] = []
        func num(_ j: [String: Any]?, _ k: String) -> Double? { (j?[k] as? NSNumber)?.doubleValue }
        // Best of 3 for ours, wc and cat (CountVectorizer runs once): one run
        // each put wc -w at 0.74x or 1.41x of us on the same warm corpus.
        let ingest = script("ingest.py", [o.binary, root, "--repeat", "3"])
        if let j = ingest.json, let ours = num(j, "ours_seconds") {
            if let cv = num(j, "countvectorizer_seconds") {
                peers.append(.init(name: "CountVectorizer", ran: true, reason: nil, speedRatio: cv / ours, details: ["seconds": cv]))
            } else {
                peers.append(
                    .init(
                        name: "CountVectorizer", ran: false, reason: ingest.reason ?? "scikit-learn missing (pip install scikit-learn)",
                        details: [:]))
            }
            if let wc = num(j, "wc_seconds") {
                peers.append(.init(name: "wc -w", ran: true, reason: nil, speedRatio: wc / ours, details: ["seconds": wc]))
            }
        } else {
            peers.append(.init(name: "CountVectorizer", ran: false, reason: ingest.reason, details: [:]))
            peers.append(.init(name: "wc -w", ran: false, reason: ingest.reason, details: [:]))
        }
        let batch = script("batch.py", [o.binary, root, "--repeat", "1"])
        peers.append(
            batch.json.flatMap { j in
                num(j, "ratio").map {
                    .init(
                        name: "scikit-learn TF-IDF + cosine", ran: true, reason: nil, speedRatio: $0,
                        details: ["seconds": num(j, "sklearn_seconds") ?? 0])
                }
            }
                ?? .init(
                    name: "scikit-learn TF-IDF + cosine", ran: false,
                    reason: batch.reason ?? "scikit-learn missing (pip install scikit-learn)", details: [:]))
        let mh = script("minhash.py", [o.binary, root, "--repeat", "1"])
        if let j = mh.json, let ours = num(j, "ours_seconds"), let n = num(j, "documents") {
            let dps = n / ours
            if let r = num(j, "rensa_seconds") {
                peers.append(.init(name: "rensa", ran: true, reason: nil, speedRatio: dps / (n / r), details: [:]))
            } else {
                peers.append(.init(name: "rensa", ran: false, reason: "rensa missing (pip install rensa)", details: [:]))
            }
            if let d = num(j, "datasketch_docs_per_second") {
                peers.append(.init(name: "datasketch", ran: true, reason: nil, speedRatio: dps / d, details: [:]))
            } else {
                peers.append(.init(name: "datasketch", ran: false, reason: "datasketch missing (pip install datasketch)", details: [:]))
            }
        } else {
            peers.append(.init(name: "rensa", ran: false, reason: mh.reason, details: [:]))
            peers.append(.init(name: "datasketch", ran: false, reason: mh.reason, details: [:]))
        }
        if let e = o.modelTokenizer, e.preset == .cl100k {
            let tk = script("llm_tokenizers.py", [o.binary, root, e.path, "--threads", "\(o.threads)"])
            peers.append(
                tk.json.flatMap { j in
                    num(j, "ratio").map {
                        .init(
                            name: "tiktoken encode_ordinary_batch", ran: true, reason: nil, speedRatio: $0,
                            details: ["seconds": num(j, "tiktoken_seconds") ?? 0])
                    }
                }
                    ?? .init(
                        name: "tiktoken encode_ordinary_batch", ran: false,
                        reason: tk.reason ?? "tiktoken missing (pip install tiktoken)", details: [:]))
        }
        let cmp = script("compare.py", [o.binary, root + "/source-a", root + "/mix-50"])
        peers.append(
            cmp.json.flatMap { j in
                num(j, "ratio_numpy_over_ours").map {
                    .init(name: "NumPy permutation test", ran: true, reason: nil, speedRatio: $0, details: [:])
                }
            }
                ?? .init(
                    name: "NumPy permutation test", ran: false, reason: cmp.reason ?? "numpy missing (pip install numpy)", details: [:]))
        return peers
    }

    /// Runs `dir/name args --json OUT` with `o.python` and returns its JSON,
    /// or the reason it did not run (its last line of standard error).
    static func peerScript(_ o: BenchOptions, dir: String, _ name: String, _ args: [String]) -> (json: [String: Any]?, reason: String?) {
        let out = NSTemporaryDirectory() + "fp-peer-\(getpid())-\(name).json"
        defer { unlink(out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [o.python, dir + "/" + name] + args + ["--json", out]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        do { try p.run() } catch { return (nil, "cannot start \(o.python): \(error.localizedDescription)") }
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let last = e.split(separator: "\n").last.map(String.init) ?? "exit \(p.terminationStatus)"
            return (nil, last.contains("No such file") || p.terminationStatus == 127 ? "\(o.python) not found" : last)
        }
        guard let d = FileManager.default.contents(atPath: out), let j = try? JSONSerialization.jsonObject(with: d) as? [String: Any]
        else {
            return (nil, e.split(separator: "\n").last.map(String.init) ?? "no result")
        }
        return (j, e.contains("skipped") ? e.split(separator: "\n").first { $0.contains("skipped") }.map(String.init) : nil)
    }
}
