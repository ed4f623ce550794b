import Foundation
import FingerprintCore
import FingerprintReport
import FingerprintStatistics
import FingerprintSynth
#if canImport(Glibc)
import Glibc
#endif

/// Options of `fingerprint bench`.
public struct BenchOptions: Sendable {
    /// Bytes of corpus to generate (ignored with `corpus`).
    public var size = 10_000_000
    /// Run on this generated directory (with its manifest.json) instead.
    public var corpus: String? = nil
    /// Where to generate (default: a temporary directory, removed after).
    public var workDirectory: String? = nil
    public var seed: UInt64 = 0
    /// Trials for the compare test's calibration and power.
    public var seeds = 20
    public var permutations = 999
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var peers = false
    public var python = "python3"
    /// Benchmarks/peers (found from the working directory or the binary when nil).
    public var peersDirectory: String? = nil
    /// The fingerprint executable, for the peer scripts (which time the CLI).
    public var binary: String = CommandLine.arguments.first ?? "fingerprint"
    public init() {}
}

public enum Bench {
    static func cpuModel() -> String {
        guard let s = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) else { return "unknown CPU" }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    }

    static func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double, Double?) {
        ResourceUsage.resetPeak()
        let t = clock()
        let r = try body()
        return (r, clock() - t, ResourceUsage.peakMB())
    }

    /// Precision, recall and F1 of found pairs against true pairs.
    static func prf(found: Set<String>, truth: Set<String>) -> [String: Double] {
        let tp = Double(found.intersection(truth).count)
        let p = found.isEmpty ? 1 : tp / Double(found.count)
        let r = truth.isEmpty ? 1 : tp / Double(truth.count)
        return ["precision": p, "recall": r, "f1": p + r > 0 ? 2 * p * r / (p + r) : 0]
    }

    static func pairKeys(_ groups: [[String]]) -> Set<String> {
        var s = Set<String>()
        for g in groups {
            let m = g.sorted()
            for i in 0..<m.count { for j in (i + 1)..<m.count { s.insert(m[i] + "|" + m[j]) } }
        }
        return s
    }

    /// Runs the suite. `log` receives progress lines (stderr in the CLI).
    public static func run(_ o: BenchOptions, log: (String) -> Void = { _ in }) throws -> BenchReport {
        let fm = FileManager.default
        var generated = false
        let root: String
        var removeAfter: String? = nil
        if let c = o.corpus {
            root = c
        } else {
            let dir = o.workDirectory ?? (NSTemporaryDirectory() + "fingerprint-bench-\(getpid())")
            log("generating \(Num.bytes(o.size)) of corpora in \(dir) (seed \(o.seed))")
            _ = try CorpusGenerator(seed: o.seed, threads: o.threads).writeSized(to: dir, totalBytes: o.size)
            generated = true
            root = dir
            if o.workDirectory == nil { removeAfter = dir }
        }
        defer { if let r = removeAfter { try? fm.removeItem(atPath: r) } }
        guard let data = fm.contents(atPath: root + "/manifest.json") else {
            throw FingerprintError.inputNotFound(path: "\(root)/manifest.json", reason: "bench needs a corpus made by `fingerprint synth` (its manifest is the ground truth)")
        }
        let manifest = try SynthManifest.decode(data)
        var read = ReadOptions(threads: o.threads)
        read.strict = false
        let blas = BLAS.runtime
        let machine = BenchReport.Machine(cpu: cpuModel(), cores: ProcessInfo.processInfo.activeProcessorCount, threads: o.threads,
                                          blasLibrary: blas.library, blasCore: blas.core, blasThreads: BLAS.threads)
        var tasks: [BenchReport.Task] = []
        var targets: [BenchReport.Target] = []
        func input(_ sub: String) throws -> CorpusInput { try CorpusInput(path: sub.isEmpty ? root : root + "/" + sub) }

        // 1. Ingest: stats over everything.
        log("stats")
        let (counted, tStats, mStats) = try timed { try Counter.count(try input(""), buildMatrix: false, options: read) }
        tasks.append(.init(name: "stats", seconds: tStats, megabytesPerSecond: Double(counted.bytes) / 1e6 / tStats,
                           documentsPerSecond: Double(counted.documents.count) / tStats, peakMemoryMB: mStats,
                           figures: ["tokens": Double(counted.matrix.tokenCount), "types": Double(counted.matrix.typeCount)], notes: []))
        let corpusInfo = BenchReport.CorpusInfo(path: root, generated: generated, seed: generated ? o.seed : manifest.seed,
                                                files: counted.documents.count, bytes: counted.bytes)

        // 2. Compare: source-a against its copy and against a 50% mixture.
        log("compare")
        var co = CompareOptions()
        co.permutations = o.permutations
        co.read = read
        let (mix, tCompare, mCompare) = try timed { try Comparison.run(try input("source-a"), try input("mix-50"), options: co) }
        let copy = try Comparison.run(try input("source-a"), try input("copy-a"), options: co)
        let compareBytes = Double(mix.a.bytes + mix.b.bytes)
        tasks.append(.init(name: "compare", seconds: tCompare, megabytesPerSecond: compareBytes / 1e6 / tCompare,
                           documentsPerSecond: Double(mix.a.documents + mix.b.documents) / tCompare, peakMemoryMB: mCompare,
                           figures: ["p_value_mix50": mix.test.pValue ?? 1, "p_value_copy": copy.test.pValue ?? 1,
                                     "copy_13gram_containment": copy.overlap.containment.last?.bInA ?? 0,
                                     "mix50_detected": (mix.test.pValue ?? 1) <= 0.05 ? 1 : 0,
                                     "copy_not_distinguished": (copy.test.pValue ?? 0) > 0.05 ? 1 : 0],
                           notes: ["source-a vs mix-50, \(o.permutations) permutations, \(mix.test.bootstrap) bootstrap resamples"]))

        // Shared passages: planted passages recovered with their locations.
        log("passages")
        var po = co
        po.permutations = 19
        po.bootstrap = 0
        po.passages = 1_000_000
        let (pl, tPassages, mPassages) = try timed { try Comparison.run(try input("source-a"), try input("planted"), options: po) }
        let truthPassages = manifest.corpus("planted")?.passages ?? []
        var recovered = 0
        for t in truthPassages {
            if pl.passages.contains(where: { x in
                x.a == t.originFile && x.b == t.targetFile && x.passage.aStart <= t.originOffset && x.passage.aEnd >= t.originOffset + t.originLength
                    && x.passage.bStart <= t.targetOffset && x.passage.bEnd >= t.targetOffset + t.targetLength }) { recovered += 1 }
        }
        tasks.append(.init(name: "passages", seconds: tPassages, megabytesPerSecond: Double(pl.a.bytes + pl.b.bytes) / 1e6 / tPassages,
                           documentsPerSecond: Double(pl.a.documents + pl.b.documents) / tPassages, peakMemoryMB: mPassages,
                           figures: ["planted_passage_recall": truthPassages.isEmpty ? 1 : Double(recovered) / Double(truthPassages.count),
                                     "planted_passages": Double(truthPassages.count), "reported_passages": Double(pl.passages.count)],
                           notes: ["compare source-a planted: every planted passage must be reported at its byte offsets in both files"]))

        // GEMM efficiency of the permutation test against a bare sgemm of the same shape.
        let gemmRatio = try permutationGEMMEfficiency(try input("source-a"), try input("mix-50"), permutations: o.permutations, read: read)
        tasks.append(.init(name: "permutation GEMM", seconds: gemmRatio.seconds, megabytesPerSecond: nil, documentsPerSecond: nil,
                           peakMemoryMB: nil, figures: ["gflops": gemmRatio.ours, "bare_sgemm_gflops": gemmRatio.bare,
                                                         "ratio_to_bare_sgemm": gemmRatio.ours / gemmRatio.bare], notes: []))
        targets.append(.init(name: "permutation GEMM vs bare sgemm", goal: ">= 0.80", measured: gemmRatio.ours / gemmRatio.bare,
                             met: gemmRatio.ours / gemmRatio.bare >= 0.8, note: nil))

        // 3. Batch: all documents, top 10 (+ pairs ≥ 0.8 for the near-duplicate check).
        log("batch")
        var bo = BatchOptions()
        bo.read = read
        bo.threshold = 0.8
        let collector = BatchCollector()
        let (outcome, tBatch, mBatch) = try timed { try Batch.run(try input(""), reference: nil, options: bo, sink: collector) }
        let timing = outcome.timing
        let names = collector.queryNames
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        var hits = 0, copies = 0
        for (i, n) in names.enumerated() where n.hasPrefix("copy-a/") {
            copies += 1
            let twin = "source-a/" + n.dropFirst("copy-a/".count)
            if let first = collector.neighbors[i].first, names[first.index] == twin || (collector.neighbors[i].count > 1 && names[collector.neighbors[i][1].index] == twin && first.score == collector.neighbors[i][1].score) { hits += 1 }
        }
        let ndTruth = pairKeys((manifest.corpus("near-dups")?.clusters ?? []).map { $0.members.map { "near-dups/" + $0 } })
        let ndFound = Set(collector.pairs.filter { names[$0.a].hasPrefix("near-dups/") && names[$0.b].hasPrefix("near-dups/") }
            .map { [names[$0.a], names[$0.b]].sorted().joined(separator: "|") })
        var batchFigures = prf(found: ndFound, truth: ndTruth).mapKeys { "near_dups_\($0)" }
        batchFigures["copy_recall_at_1"] = copies > 0 ? Double(hits) / Double(copies) : 0
        let bareBatch = try bareSgemmGFLOPs(m: min(2048, names.count), n: min(2048, names.count), k: max(1, collector.header?.headColumns ?? 1))
        let batchGemm = timing.gemm > 0 ? timing.gemmFlops / timing.gemm / 1e9 : 0
        batchFigures["gemm_gflops"] = batchGemm
        batchFigures["gemm_ratio_to_bare_sgemm"] = bareBatch > 0 ? batchGemm / bareBatch : 0
        tasks.append(.init(name: "batch", seconds: tBatch, megabytesPerSecond: Double(counted.bytes) / 1e6 / tBatch,
                           documentsPerSecond: Double(names.count) / tBatch, peakMemoryMB: mBatch, figures: batchFigures,
                           notes: ["tf-idf top 10, pairs >= 0.8; \(collector.header?.headColumns ?? 0) dense + \(collector.header?.tailColumns ?? 0) sparse columns"]))
        targets.append(.init(name: "batch GEMM vs bare sgemm", goal: ">= 0.80", measured: batchFigures["gemm_ratio_to_bare_sgemm"],
                             met: (batchFigures["gemm_ratio_to_bare_sgemm"] ?? 0) >= 0.8, note: nil))

        // 4. Dedup: MinHash over everything; truth = source-a/copy-a/subst-05 triples + near-dup clusters.
        log("dedup")
        var dop = DedupOptions()
        dop.threshold = 0.5
        dop.read = read
        let (dd, tDedup, mDedup) = try timed { try Dedup.run(try input(""), options: dop) }
        let files = (manifest.corpus("source-a")?.files ?? 0)
        var truthGroups = (0..<files).map { i -> [String] in
            let f = CorpusGenerator.fileName(i, count: files)
            return ["source-a/" + f, "copy-a/" + f, "subst-05/" + f]
        }
        truthGroups += (manifest.corpus("near-dups")?.clusters ?? []).map { $0.members.map { "near-dups/" + $0 } }
        let dTruth = pairKeys(truthGroups)
        let dFound = pairKeys(dd.clusters.map { $0.members.map { dd.documents[$0.document].name } })
        tasks.append(.init(name: "dedup (minhash)", seconds: tDedup, megabytesPerSecond: Double(counted.bytes) / 1e6 / tDedup,
                           documentsPerSecond: Double(dd.documents.count) / tDedup, peakMemoryMB: mDedup,
                           figures: prf(found: dFound, truth: dTruth), notes: ["5-word shingles, 128 permutations, Jaccard >= 0.5, LSH \(dd.banding?.bands ?? 0)x\(dd.banding?.rows ?? 0), verified"]))

        // 5. Calibration and power over seeds.
        log("calibration (\(o.seeds) seeds)")
        let calibration = try calibrate(seeds: o.seeds, base: o.seed)

        // 6. Peers.
        var peers: [BenchReport.Peer] = []
        if o.peers {
            log("peers")
            peers = runPeers(o, root: root)
            func ratio(_ n: String) -> Double? { peers.first { $0.name == n }?.speedRatio }
            targets.append(.init(name: "ingest vs CountVectorizer", goal: ">= 20x", measured: ratio("CountVectorizer"), met: ratio("CountVectorizer").map { $0 >= 20 }, note: nil))
            targets.append(.init(name: "ingest vs wc -w", goal: ">= 3x", measured: ratio("wc -w"), met: ratio("wc -w").map { $0 >= 3 }, note: nil))
            targets.append(.init(name: "batch vs scikit-learn", goal: ">= 5x", measured: ratio("scikit-learn TF-IDF + cosine"), met: ratio("scikit-learn TF-IDF + cosine").map { $0 >= 5 }, note: nil))
            targets.append(.init(name: "MinHash vs rensa", goal: ">= 1x (aim 2x)", measured: ratio("rensa"), met: ratio("rensa").map { $0 >= 1 }, note: nil))
            targets.append(.init(name: "MinHash vs datasketch", goal: ">= 20x", measured: ratio("datasketch"), met: ratio("datasketch").map { $0 >= 20 }, note: nil))
            targets.append(.init(name: "compare vs NumPy", goal: ">= 10x", measured: ratio("NumPy permutation test"), met: ratio("NumPy permutation test").map { $0 >= 10 }, note: nil))
        }
        let big = compareBytes >= 150e6
        targets.append(.init(name: "compare peak memory (two 100 MB corpora)", goal: "< 1024 MB", measured: mCompare,
                             met: big ? mCompare.map { $0 < 1024 } : nil, note: big ? nil : "corpora of \(Num.bytes(Int(compareBytes))) here; run --size 1.2GB for two 100 MB corpora"))
        return BenchReport(machine: machine, corpus: corpusInfo, tasks: tasks, calibration: calibration, peers: peers, targets: targets)
    }

    /// GFLOP/s of the compare test's GEMM and of one bare sgemm of the same shape.
    static func permutationGEMMEfficiency(_ a: CorpusInput, _ b: CorpusInput, permutations: Int, read: ReadOptions) throws -> (ours: Double, bare: Double, seconds: Double) {
        let ca = try Counter.count(a, options: read), cb = try Counter.count(b, options: read)
        let m = DocumentTermMatrix.stacked(ca.matrix, cb.matrix)
        let (map, f) = Comparison.testFeatures(m.vocabulary, k: CompareOptions().features)
        let x = FeatureMatrix<Float>(m, documents: Array(0..<m.documentCount), typeToColumn: map, cols: f)
        let design = Design(a: ca.documents.count, b: cb.documents.count)
        let n = m.documentCount
        let flops = 2 * Double(permutations) * Double(n) * Double(f)
        var sink = 0.0
        let ours = try x.multiply(weightRows: permutations, fill: { r, buf in
            let p = design.permutation(r, seed: 0)
            for d in 0..<n where p[d] == 0 { buf[d] = 1 }
        }, consume: { _, s in sink += Double(s[0]) })
        // The GEMM phase only (blocks of 256 permutations), against one bare
        // sgemm of the whole shape (permutations × documents × features).
        let bare = try bareSgemmGFLOPs(m: permutations, n: f, k: n)
        _ = sink
        return (flops / ours / 1e9, bare, ours)
    }

    /// GFLOP/s of one multithreaded cblas_sgemm of m × k by k × n (best of 3).
    static func bareSgemmGFLOPs(m: Int, n: Int, k: Int) throws -> Double {
        var rng = Xoshiro256(seed: 1)
        let a = Matrix<Float>(rows: m, cols: k, storage: (0..<(m * k)).map { _ in Float(rng.nextUnit()) })
        let b = Matrix<Float>(rows: k, cols: n, storage: (0..<(k * n)).map { _ in Float(rng.nextUnit()) })
        var c = Matrix<Float>(rows: m, cols: n)
        var best = Double.infinity
        for _ in 0..<3 {
            let t = clock()
            try BLAS.gemm(a, b, into: &c)
            best = min(best, clock() - t)
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }

    /// Rejection rates of the compare test over independent generated data sets.
    static func calibrate(seeds: Int, base: UInt64) throws -> BenchReport.Calibration {
        let docs = 40, words = 200, perms = 199
        var fp = 0, p10 = 0, p50 = 0, pp = 0, pu = 0
        var o = CompareOptions()
        o.permutations = perms
        o.bootstrap = 0
        func rejects(_ texts: [[UInt8]], _ design: Design) throws -> Bool {
            let c = Counter.count(documents: texts)
            let (map, f) = Comparison.testFeatures(c.matrix.vocabulary, k: o.features)
            let t = try Comparison.permutationTest(c.matrix, docs: Array(0..<texts.count), design: design, typeToColumn: map, cols: f, options: o, pairs: nil)
            return (t.pValue ?? 1) <= 0.05
        }
        for s in 0..<seeds {
            let g = CorpusGenerator(seed: base &+ 1000 &+ UInt64(s), threads: 1)
            let a = (0..<docs).map { g.document(source: g.sourceA, words: words, stream: 1, index: $0) }
            let a2 = (0..<docs).map { g.document(source: g.sourceA, words: words, stream: 2, index: $0) }
            let bdocs = (0..<docs).map { g.document(source: g.sourceB, words: words, stream: 3, index: $0) }
            let design = Design(a: docs, b: docs)
            if try rejects(a + a2, design) { fp += 1 }
            let mix10 = (0..<docs).map { $0 < docs / 10 ? bdocs[$0] : a2[$0] }
            if try rejects(a + mix10, design) { p10 += 1 }
            let mix50 = (0..<docs).map { $0 < docs / 2 ? bdocs[$0] : a2[$0] }
            if try rejects(a + mix50, design) { p50 += 1 }
            // Paired: the same prompts answered by A and by its close variant A2.
            var pa: [[UInt8]] = [], pb: [[UInt8]] = []
            for i in 0..<docs {
                var tr = g.rng(stream: 4, index: i)
                let topic = CorpusGenerator.topic(&tr)
                var r1 = g.rng(stream: 5, index: i), r2 = g.rng(stream: 6, index: i)
                var x: [UInt8] = [], y: [UInt8] = []
                g.sourceA.render(words: words, topic: topic, rng: &r1, into: &x)
                g.sourceA2.render(words: words, topic: topic, rng: &r2, into: &y)
                pa.append(x); pb.append(y)
            }
            let strata = (0..<(2 * docs)).map { Int32($0 % docs) }
            if try rejects(pa + pb, Design(labels: design.labels, strata: strata)) { pp += 1 }
            if try rejects(pa + pb, design) { pu += 1 }
        }
        return .init(documentsPerSide: docs, wordsPerDocument: words, permutations: perms,
                     falsePositiveRate: .init(successes: fp, trials: seeds), power10: .init(successes: p10, trials: seeds),
                     power50: .init(successes: p50, trials: seeds), pairedPower: .init(successes: pp, trials: seeds),
                     unpairedPowerOnPairedDesign: .init(successes: pu, trials: seeds))
    }

    /// Finds Benchmarks/peers from the working directory or the binary's location.
    static func peersDirectory(_ o: BenchOptions) -> String? {
        if let d = o.peersDirectory { return d }
        var candidates = [FileManager.default.currentDirectoryPath]
        var bin = URL(fileURLWithPath: o.binary).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 { candidates.append(bin.path); bin = bin.deletingLastPathComponent() }
        return candidates.map { $0 + "/Benchmarks/peers" }.first { FileManager.default.fileExists(atPath: $0 + "/ingest.py") }
    }

    /// Runs the Python peers; a missing interpreter, package or script is a
    /// reported skip, never a failure.
    static func runPeers(_ o: BenchOptions, root: String) -> [BenchReport.Peer] {
        guard let dir = peersDirectory(o) else {
            return [.init(name: "all peers", ran: false, reason: "Benchmarks/peers not found (run from the repository, or pass --peers-dir)", details: [:])]
        }
        func script(_ name: String, _ args: [String]) -> (json: [String: Any]?, reason: String?) {
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
            guard let d = FileManager.default.contents(atPath: out), let j = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
                return (nil, e.split(separator: "\n").last.map(String.init) ?? "no result")
            }
            return (j, e.contains("skipped") ? e.split(separator: "\n").first { $0.contains("skipped") }.map(String.init) : nil)
        }
        var peers: [BenchReport.Peer] = []
        func num(_ j: [String: Any]?, _ k: String) -> Double? { (j?[k] as? NSNumber)?.doubleValue }
        let ingest = script("ingest.py", [o.binary, root, "--repeat", "1"])
        if let j = ingest.json, let ours = num(j, "ours_seconds") {
            if let cv = num(j, "countvectorizer_seconds") {
                peers.append(.init(name: "CountVectorizer", ran: true, reason: nil, speedRatio: cv / ours, details: ["seconds": cv]))
            } else {
                peers.append(.init(name: "CountVectorizer", ran: false, reason: ingest.reason ?? "scikit-learn missing (pip install scikit-learn)", details: [:]))
            }
            if let wc = num(j, "wc_seconds") { peers.append(.init(name: "wc -w", ran: true, reason: nil, speedRatio: wc / ours, details: ["seconds": wc])) }
        } else {
            peers.append(.init(name: "CountVectorizer", ran: false, reason: ingest.reason, details: [:]))
            peers.append(.init(name: "wc -w", ran: false, reason: ingest.reason, details: [:]))
        }
        let batch = script("batch.py", [o.binary, root, "--repeat", "1"])
        peers.append(batch.json.flatMap { j in num(j, "ratio").map { .init(name: "scikit-learn TF-IDF + cosine", ran: true, reason: nil, speedRatio: $0, details: ["seconds": num(j, "sklearn_seconds") ?? 0]) } }
                     ?? .init(name: "scikit-learn TF-IDF + cosine", ran: false, reason: batch.reason ?? "scikit-learn missing (pip install scikit-learn)", details: [:]))
        let mh = script("minhash.py", [o.binary, root, "--repeat", "1"])
        if let j = mh.json, let ours = num(j, "ours_seconds"), let n = num(j, "documents") {
            let dps = n / ours
            if let r = num(j, "rensa_seconds") { peers.append(.init(name: "rensa", ran: true, reason: nil, speedRatio: dps / (n / r), details: [:])) }
            else { peers.append(.init(name: "rensa", ran: false, reason: "rensa missing (pip install rensa)", details: [:])) }
            if let d = num(j, "datasketch_docs_per_second") { peers.append(.init(name: "datasketch", ran: true, reason: nil, speedRatio: dps / d, details: [:])) }
            else { peers.append(.init(name: "datasketch", ran: false, reason: "datasketch missing (pip install datasketch)", details: [:])) }
        } else {
            peers.append(.init(name: "rensa", ran: false, reason: mh.reason, details: [:]))
            peers.append(.init(name: "datasketch", ran: false, reason: mh.reason, details: [:]))
        }
        let cmp = script("compare.py", [o.binary, root + "/source-a", root + "/mix-50"])
        peers.append(cmp.json.flatMap { j in num(j, "ratio_numpy_over_ours").map { .init(name: "NumPy permutation test", ran: true, reason: nil, speedRatio: $0, details: [:]) } }
                     ?? .init(name: "NumPy permutation test", ran: false, reason: cmp.reason ?? "numpy missing (pip install numpy)", details: [:]))
        return peers
    }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ f: (Key) -> K) -> [K: Value] {
        var d: [K: Value] = [:]
        for (k, v) in self { d[f(k)] = v }
        return d
    }
}
