import FingerprintCore
import FingerprintReport
import FingerprintStatistics
import FingerprintSynth
import Foundation

/// The attribution task of `bench` (issue 11): stratified 10-fold
/// cross-validation of `attribute --method linear` on generated sources,
/// written to files together with the folds it used, so that the
/// scikit-learn peer (`Benchmarks/peers/attribution.py --folds`) is
/// evaluated on the very same folds.
extension Bench {
    /// What the attribution task leaves for its peer.
    struct AttributionRun {
        /// `DIR/<source>/<file>.txt`, one subdirectory a source.
        var directory: String
        /// `path,fold` (path relative to `directory`): the test fold of each document.
        var folds: String
        var seconds: Double
        var accuracy: Double
    }

    /// The sources of the task: one base model and `sources − 1` variants
    /// of it, each with `swaps` of its word ranks traded (so they differ in
    /// the habits of frequent words, not in their vocabulary).
    static func attributionSources(seed: UInt64, sources: Int, swaps: Int) -> [SourceModel] {
        let base = SourceModel(seed: seed &+ 0x4154, name: "s0")
        return [base] + (1..<max(2, sources)).map { base.variant(name: "s\($0)", seed: seed &+ UInt64($0), swaps: swaps) }
    }

    /// Generates `documents` documents (an equal share from each source;
    /// document i of every source is on the same topic, as when several
    /// models rewrite the same prompts), writes them under `directory`,
    /// cross-validates `linear` on them in memory, and writes the folds.
    /// - Complexity: folds × (features + one L-BFGS fit); the fits run in
    ///   parallel over the folds.
    static func attributionTask(_ o: BenchOptions, directory: String) throws -> (BenchReport.Task, AttributionRun) {
        let sources = attributionSources(seed: o.seed, sources: o.attributionSources, swaps: o.attributionSwaps)
        let perSource = max(1, o.attributionDocuments / sources.count)
        let g = CorpusGenerator(seed: o.seed, threads: o.threads)
        try? FileManager.default.removeItem(atPath: directory)
        var names: [String] = []
        var texts: [[UInt8]] = []
        var labels: [Int] = []
        var bytes = 0
        for (si, s) in sources.enumerated() {
            let sub = directory + "/" + s.name
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            let docs = try Parallel.map(perSource, threads: o.threads) { i -> [UInt8] in
                var tr = g.rng(stream: 0x4154_0000, index: i)
                let topic = CorpusGenerator.topic(&tr)
                var r = g.rng(stream: 0x4154_0001 &+ UInt64(si), index: i)
                var out: [UInt8] = []
                s.render(words: o.attributionWords, topic: topic, rng: &r, into: &out)
                return out
            }
            for (i, d) in docs.enumerated() {
                let file = CorpusGenerator.fileName(i, count: perSource)
                guard FileManager.default.createFile(atPath: sub + "/" + file, contents: Data(d)) else {
                    throw FingerprintError.outputFailed(path: sub + "/" + file, reason: "cannot write a document of the attribution task")
                }
                names.append(s.name + "/" + file)
                texts.append(d)
                labels.append(si)
                bytes += d.count
            }
        }
        let data = AttributionData(names: names, texts: texts, labels: labels, classes: sources.map(\.name))
        var ao = AttributionOptions()
        ao.method = .linear
        ao.features.mfw = o.attributionMFW
        ao.features.charRange = 2...4
        ao.features.charFeatures = o.attributionCharFeatures
        ao.inverseRegularization = o.attributionC
        ao.folds = 10
        ao.bootstrap = 200
        ao.topFeatures = 0
        ao.seed = o.seed
        ao.threads = o.threads
        let (report, t, m) = try timed { try Attribution.evaluate(data, options: ao) }
        var csv = "path,fold\n"
        for p in report.predictions { csv += "\(p.document),\(p.fold ?? -1)\n" }
        let folds = directory + "/folds.csv"
        guard FileManager.default.createFile(atPath: folds, contents: Data(csv.utf8)) else {
            throw FingerprintError.outputFailed(path: folds, reason: "cannot write the fold assignment")
        }
        let e = report.evaluation
        var figures: [String: Double] = [
            "accuracy": e?.accuracy.value ?? 0, "macro_f1": e?.macroF1.value ?? 0, "features": Double(report.featureCount),
            "chance": 1 / Double(sources.count),
        ]
        if let its = report.iterations, !its.isEmpty { figures["lbfgs_iterations_mean"] = Double(its.reduce(0, +)) / Double(its.count) }
        let cs = report.c.map { Set($0).sorted().map { "\($0)" }.joined(separator: "/") } ?? "-"
        let task = BenchReport.Task(
            name: "attribute (linear)", seconds: t, megabytesPerSecond: Double(bytes) / 1e6 / t,
            documentsPerSecond: Double(names.count) / t, peakMemoryMB: m, figures: figures,
            notes: [
                "\(names.count) documents of \(o.attributionWords) words from \(sources.count) sources (\(o.attributionSwaps) swapped ranks each), "
                    + "stratified 10-fold CV, MFW \(o.attributionMFW) + char 2-4 (\(o.attributionCharFeatures) a length), C \(cs); the folds go to the peer as folds.csv (removed after the run)"
            ])
        return (task, AttributionRun(directory: directory, folds: folds, seconds: t, accuracy: e?.accuracy.value ?? 0))
    }
}

extension Bench {
    static let attributionPeerName = "scikit-learn char TF-IDF + LogisticRegression"

    /// Runs `attribution.py DIR --folds FOLDS --methods tfidf_lr`: scikit-learn's
    /// `TfidfVectorizer(analyzer="char", ngram_range=(2, 4))` + `LogisticRegression`
    /// (its defaults) on the folds the task used; its time is the sum over the
    /// folds of vectorising, fitting and predicting (reading the files excluded,
    /// as our in-memory run excludes them).
    static func attributionPeer(_ o: BenchOptions, _ run: AttributionRun) -> BenchReport.Peer {
        guard let dir = peersDirectory(o) else {
            return .init(name: attributionPeerName, ran: false, reason: "Benchmarks/peers not found", details: [:])
        }
        let r = peerScript(o, dir: dir, "attribution.py", [run.directory, "--folds", run.folds, "--methods", "tfidf_lr"])
        guard let m = (r.json?["methods"] as? [String: Any])?["tfidf_lr"] as? [String: Any],
            let seconds = (m["seconds_cv"] as? NSNumber)?.doubleValue, let accuracy = (m["accuracy"] as? NSNumber)?.doubleValue
        else {
            return .init(
                name: attributionPeerName, ran: false, reason: r.reason ?? "scikit-learn missing (pip install scikit-learn)", details: [:])
        }
        var details = ["seconds": seconds, "accuracy": accuracy, "ours_accuracy": run.accuracy, "ours_seconds": run.seconds]
        if let mb = (r.json?["peak_memory_mb"] as? NSNumber)?.doubleValue { details["peak_memory_mb"] = mb }
        return .init(name: attributionPeerName, ran: true, reason: nil, speedRatio: seconds / run.seconds, details: details)
    }

    /// Speed (≥ 5×) and accuracy (equal or better) of the attribution task
    /// against its peer.
    static func attributionTargets(_ peers: [BenchReport.Peer]) -> [BenchReport.Target] {
        guard let p = peers.first(where: { $0.name == attributionPeerName }) else { return [] }
        let gap = p.ran ? p.details["ours_accuracy"].flatMap { a in p.details["accuracy"].map { a - $0 } } : nil
        return [
            .init(
                name: "attribute vs scikit-learn (10-fold CV)", goal: ">= 5x", measured: p.speedRatio, met: p.speedRatio.map { $0 >= 5 },
                note: p.ran ? nil : p.reason),
            .init(
                name: "attribute accuracy minus scikit-learn's", goal: ">= 0", measured: gap, met: gap.map { $0 >= 0 },
                note: gap.map { _ in
                    "ours \(Num.f(p.details["ours_accuracy"] ?? 0, 4)), scikit-learn \(Num.f(p.details["accuracy"] ?? 0, 4))"
                }),
        ]
    }
}
