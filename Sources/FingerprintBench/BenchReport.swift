import FingerprintCore
import FingerprintReport
import FingerprintStatistics
import FingerprintSynth
import Foundation

/// The result of `fingerprint bench` (schema fingerprint.bench/1).
public struct BenchReport: Codable, Sendable {
    public struct Machine: Codable, Sendable {
        public var cpu: String
        public var cores: Int
        public var threads: Int
        public var blasLibrary: String
        public var blasCore: String
        public var blasThreads: Int
        /// Set when OpenBLAS runs kernels below the CPU's (`BLAS.kernelAdvice`).
        public var blasAdvice: String?
        enum CodingKeys: String, CodingKey {
            case cpu, cores, threads
            case blasLibrary = "blas_library"
            case blasCore = "blas_core"
            case blasThreads = "blas_threads"
            case blasAdvice = "blas_advice"
        }
    }

    public struct CorpusInfo: Codable, Sendable {
        public var path: String
        public var generated: Bool
        public var seed: UInt64?
        public var files: Int
        public var bytes: Int
    }

    /// One timed task with its accuracy figures.
    public struct Task: Codable, Sendable {
        public var name: String
        public var seconds: Double
        public var megabytesPerSecond: Double?
        public var documentsPerSecond: Double?
        public var peakMemoryMB: Double?
        /// Accuracy and other figures (each named; shares in [0, 1]).
        public var figures: [String: Double]
        public var notes: [String]
        enum CodingKeys: String, CodingKey {
            case name, seconds
            case megabytesPerSecond = "mb_per_s"
            case documentsPerSecond = "docs_per_s"
            case peakMemoryMB = "peak_memory_mb"
            case figures, notes
        }
    }

    /// A rate with its Wilson 95% interval.
    public struct Rate: Codable, Sendable {
        public var rate: Double
        public var low: Double
        public var high: Double
        public var trials: Int

        public init(successes: Int, trials: Int) {
            self.trials = trials
            let n = Double(max(1, trials))
            let p = Double(successes) / n
            let z = 1.959964
            rate = p
            let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / (1 + z * z / n)
            low = max(0, centre - half)
            high = min(1, centre + half)
        }
    }

    public struct Calibration: Codable, Sendable {
        public var documentsPerSide: Int
        public var wordsPerDocument: Int
        public var permutations: Int
        public var falsePositiveRate: Rate
        public var power10: Rate
        public var power50: Rate
        public var pairedPower: Rate
        public var unpairedPowerOnPairedDesign: Rate
        enum CodingKeys: String, CodingKey {
            case documentsPerSide = "documents_per_side"
            case wordsPerDocument = "words_per_document"
            case permutations
            case falsePositiveRate = "false_positive_rate"
            case power10 = "power_mixture_10"
            case power50 = "power_mixture_50"
            case pairedPower = "paired_power"
            case unpairedPowerOnPairedDesign = "unpaired_power_on_paired_design"
        }
    }

    public struct Peer: Codable, Sendable {
        public var name: String
        public var ran: Bool
        public var reason: String?
        /// Our speed over theirs (> 1: we are faster).
        public var speedRatio: Double?
        public var details: [String: Double]
        enum CodingKeys: String, CodingKey {
            case name, ran, reason
            case speedRatio = "speed_ratio"
            case details
        }
    }

    public struct Target: Codable, Sendable {
        public var name: String
        public var goal: String
        public var measured: Double?
        public var met: Bool?
        public var note: String?
    }

    public var schema = "fingerprint.bench/1"
    public var version = Fingerprint.version
    public var machine: Machine
    public var corpus: CorpusInfo
    public var tasks: [Task]
    public var calibration: Calibration?
    public var peers: [Peer]
    public var targets: [Target]

    public func table() -> String {
        var s = "fingerprint \(version) bench — \(machine.cpu), \(machine.cores) cores, \(machine.threads) threads\n"
        s += "BLAS: \(machine.blasLibrary) (core \(machine.blasCore), \(machine.blasThreads) threads)\n"
        if let tip = machine.blasAdvice { s += "note: \(tip)\n" }
        s +=
            "corpus: \(corpus.path) (\(corpus.generated ? "generated, seed \(corpus.seed ?? 0)" : "given")): \(Num.count(corpus.files)) files, \(Num.bytes(corpus.bytes))\n\n"
        var t = TextTable(["task", "seconds", "MB/s", "docs/s", "peak MB"], align: [.left, .right, .right, .right, .right])
        for x in tasks {
            t.add([
                x.name, Num.f(x.seconds, 3), x.megabytesPerSecond.map { Num.f($0, 4) } ?? "",
                x.documentsPerSecond.map { Num.f($0, 4) } ?? "",
                x.peakMemoryMB.map { String(format: "%.0f", $0) } ?? "",
            ])
        }
        s += t.render()
        s += "\nAccuracy against the planted truth\n"
        var a = TextTable(["task", "figure", "value"], align: [.left, .left, .right])
        for x in tasks { for (k, v) in x.figures.sorted(by: { $0.key < $1.key }) { a.add([x.name, k, Num.f(v, 4)]) } }
        s += a.render()
        if let c = calibration {
            s +=
                "\nCompare test over seeds (\(c.documentsPerSide) documents a side, \(c.wordsPerDocument) words, \(c.permutations) permutations; Wilson 95% CI)\n"
            var r = TextTable(["design", "rejection rate", "95% CI", "trials"], align: [.left, .right, .right, .right])
            func row(_ n: String, _ x: Rate) { r.add([n, Num.pct(x.rate), "\(Num.pct(x.low)) - \(Num.pct(x.high))", "\(x.trials)"]) }
            row("null (false positives, α = 0.05)", c.falsePositiveRate)
            row("10% mixture (power)", c.power10)
            row("50% mixture (power)", c.power50)
            row("paired design, --paired (power)", c.pairedPower)
            row("paired design, unpaired test", c.unpairedPowerOnPairedDesign)
            s += r.render()
        }
        if !peers.isEmpty {
            s += "\nPeers (same corpus, same run; ratio = our speed / theirs)\n"
            var p = TextTable(["peer", "ratio", "status"], align: [.left, .right, .left])
            for x in peers {
                p.add([x.name, x.speedRatio.map { String(format: "%.1fx", $0) } ?? "", x.ran ? "ran" : "skipped: \(x.reason ?? "")"])
            }
            s += p.render()
        }
        s += "\nTargets\n"
        var g = TextTable(["target", "goal", "measured", "met"], align: [.left, .left, .right, .left])
        for x in targets {
            g.add([
                x.name, x.goal, x.measured.map { String(format: "%.2f", $0) } ?? "-",
                x.met.map { $0 ? "yes" : "NO" + (x.note.map { " (\($0))" } ?? "") } ?? (x.note ?? "not measured"),
            ])
        }
        s += g.render()
        for x in tasks { for n in x.notes { s += "note (\(x.name)): \(n)\n" } }
        return s
    }

    public func csv() -> String {
        var s = CSV.row(["task", "figure", "value"])
        // Which machine and BLAS the times were taken on, as the table and JSON say (review 31b).
        for (k, v) in [
            ("cpu", machine.cpu), ("cores", "\(machine.cores)"), ("threads", "\(machine.threads)"), ("blas_library", machine.blasLibrary),
            ("blas_core", machine.blasCore), ("blas_threads", "\(machine.blasThreads)"),
        ] {
            s += CSV.row(["machine", k, v])
        }
        for x in tasks {
            s += CSV.row([x.name, "seconds", "\(x.seconds)"])
            if let v = x.megabytesPerSecond { s += CSV.row([x.name, "mb_per_s", "\(v)"]) }
            if let v = x.documentsPerSecond { s += CSV.row([x.name, "docs_per_s", "\(v)"]) }
            if let v = x.peakMemoryMB { s += CSV.row([x.name, "peak_memory_mb", "\(v)"]) }
            for (k, v) in x.figures.sorted(by: { $0.key < $1.key }) { s += CSV.row([x.name, k, "\(v)"]) }
        }
        for p in peers { if let r = p.speedRatio { s += CSV.row(["peer:" + p.name, "speed_ratio", "\(r)"]) } }
        return s
    }
}
