import FingerprintCore
import Foundation

/// What a command will cost, before it runs (`--dry-run`): the planned work,
/// the estimated peak memory by component, and the estimated time.
///
/// The memory model adds, for each structure the command holds at its peak,
/// (number of elements) × (bytes per element). The element counts come from
/// the corpus surveys (`CorpusSurvey`); the bytes per element are those of
/// the engine's arrays and hash tables, checked against measured peaks
/// (`/usr/bin/time -f %M`) on the shipped corpora and on generated corpora
/// of 100 MB to 1 GB (docs/DESIGN.md, "Dry runs"; BENCHMARKS.md). The time
/// model divides text bytes by a per-thread tokenizing rate and GEMM flops by
/// the rate of a small SGEMM measured at planning time.
public struct WorkPlan: Codable, Sendable {
    public var schema = "fingerprint.plan/1"
    public var version = Fingerprint.version
    public var command: String
    public var corpora: [CorpusSurvey]
    /// Planned work, in the order printed: name, value, unit.
    public var work: [Item]
    /// Estimated memory at the peak, by component (bytes).
    public var memory: [Item]
    public var peakBytes: Double
    public var seconds: Double
    /// SGEMM rate measured for the time estimate (GFLOP/s), and the BLAS.
    public var gflops: Double
    public var blas: String
    /// Set when OpenBLAS runs kernels below the CPU's and the plan does
    /// matrix products (`BLAS.kernelAdvice`); absent otherwise.
    public var blasAdvice: String?
    /// Memory available to a new process now (/proc/meminfo MemAvailable).
    public var availableBytes: Double?
    /// What lowers the peak most, when it exceeds what is available.
    public var advice: String?
    /// Assumptions the estimate had to make (printed under the time).
    public var notes: [String] = []

    public struct Item: Codable, Sendable {
        public var name: String
        public var value: Double
        public var unit: String
    }

    /// The peak does not fit in the memory available now.
    public var exceedsAvailable: Bool { availableBytes.map { peakBytes > $0 } ?? false }

    // MARK: - Cost constants

    /// Resident size of the process before any corpus is read: the runtime,
    /// Foundation, BLAS (measured: 26–30 MB on the shipped corpora).
    static let base = 30.0e6
    /// Per document read: its `DocumentInfo` (name, path, key), the reader's
    /// per-unit result and the scan's outputs.
    static let perDocument = 800.0
    /// Per type in a counting table (hash, offset, arena bytes, count, the
    /// open-addressing slots at ≤ 50% load): one table per worker, one merged.
    static let perTypeTable = 110.0
    static let perTypeMerged = 90.0
    /// Per nonzero of the document-term matrix: the per-document (type,
    /// count) lists and the CSR copy made from them (Int32 + Int32 each).
    static let perNonzero = 16.0
    /// Per token in a sorted n-gram hash set (UInt64) with its building copy.
    static let perGram = 9.0
    /// Per pair kept over a threshold (indices, score, clustering edges).
    static let perPair = 80.0
    /// Tokenizing and counting, bytes per second per thread: the rate the
    /// survey tokenized and counted its sample at (this machine, now; one
    /// hash set of all types, as large as the sample's vocabulary); 50 MB/s
    /// without a sample.
    static func scanRate(_ s: CorpusSurvey) -> Double { s.scanRate > 0 ? s.scanRate : 50e6 }
    /// Sorting and merging n-grams and shingles, tokens per second per thread.
    static let gramRate = 4.0e6

    // MARK: - Plans

    /// `stats`: counting only.
    public static func stats(_ s: CorpusSurvey, threads: Int) -> WorkPlan {
        let t = Double(min(threads, max(1, s.units)))
        var p = WorkPlan(command: "stats", corpora: [s])
        p.add(work: "documents", s.documents, "")
        p.add(work: "text", s.textBytes, "bytes")
        p.add(work: "tokens", s.tokens, "")
        p.add(work: "types", s.types, "")
        p.add(memory: "process", base)
        p.add(memory: "documents", s.documents * perDocument)
        p.add(memory: "counting tables", s.types * ((perTypeTable + s.typeBytes) * t + perTypeMerged + s.typeBytes))
        p.seconds = s.textBytes / (scanRate(s) * t)
        return p
    }

    /// `sketch` (and `index add`): one streaming pass; memory holds the
    /// counting tables and one batch of documents' sketches (three hash
    /// sets of ≈ one UInt64 per token each, before and after sorting);
    /// the file takes the sets, the counts, a signature per document and
    /// the vocabulary.
    /// `command`: as the plan's heading names it (`index add` plans the same work).
    public static func sketch(_ s: CorpusSurvey, options o: SketchOptions, command: String = "sketch") -> WorkPlan {
        let t = Double(min(o.read.threads, max(1, s.units)))
        var p = WorkPlan(command: command, corpora: [s])
        let tokensPerByte = s.textBytes > 0 ? s.tokens / s.textBytes : 0.2
        let batchTokens = min(s.tokens, Double(o.batchBytes) * tokensPerByte)
        let fileBytes =
            s.tokens * 3 * 8 + s.documents * s.typesPerDocument * 8 + s.documents * (Double(o.perms) * 4 + 200)
            + s.types * (s.typeBytes + 30)
        p.add(work: "documents", s.documents, "")
        p.add(work: "text", s.textBytes, "bytes")
        p.add(work: "tokens", s.tokens, "")
        p.add(work: "types", s.types, "")
        p.add(work: "fingerprint file", fileBytes, "bytes (estimated)")
        p.add(memory: "process", base)
        p.add(memory: "documents of a batch", min(s.documents, batchTokens / max(1, s.tokens / max(1, s.documents))) * perDocument)
        p.add(memory: "counting tables", s.types * ((perTypeTable + s.typeBytes) * t + perTypeMerged + s.typeBytes))
        p.add(memory: "one batch's sketches", batchTokens * 3 * 8 * 2)
        p.largestDocument([s], bytesPerToken: LargestDocument.sketch)
        // Storage of written sets kept for the next batch (`HashBufferPool`:
        // large sets only).
        if s.tokens / max(1, s.documents) >= Double(HashBufferPool.smallest) {
            p.add(memory: "sets' storage kept", min(batchTokens * 3 * 8, Double(o.keptStorageBytes)))
        }
        // The gram index gathers 13-gram sets (about one a token) across
        // batches up to a run's worth of hashes, then sorts them into a new
        // array and counts each distinct one (4 bytes); a rebuild after an
        // upgrade reads the stored sets in runs of the same size.
        p.add(memory: "gram index run", min(s.tokens, Double(FingerprintFile.gramRunHashes)) * (8 * 2 + 4))
        // The band index gathers every document's band keys (a key and a
        // row id, 16 bytes) up to a run's worth, then sorts them a band at
        // a time (32 bytes a key of that band).
        let bands = Double(LSHBanding.optimal(threshold: o.threshold, perms: o.perms).bands)
        p.add(memory: "band index run", min(s.documents * bands, Double(FingerprintFile.bandRunEntries)) * (16 + 32 / bands))
        p.seconds = s.textBytes / (scanRate(s) * t) + s.tokens * 3 / (gramRate * t) + s.tokens * Double(o.perms) / (gramRate * 50 * t)
        return p
    }

    /// Bytes a token of the largest document takes while it is read, beyond
    /// what the other components count: its token ids, its shingle and
    /// n-gram hashes before they are sorted into sets, and the sort's copy.
    /// Measured on one document of 104 MB of English (19 million tokens)
    /// and on one of 134 MB holding one word (67 million tokens, whose sets
    /// are a single hash, so nearly all its peak is these buffers): the gap
    /// between the estimate without them and the peak was 11 and 15 bytes a
    /// token for `dedup` (and `batch --method minhash`), 5 and 7.5 for
    /// `dedup --method exact` (13 and 16 bytes a token in all: it keeps no
    /// shingle sets), 17 and 42 for `sketch`, 16 and 21 for `compare`. The
    /// larger is taken: an estimate below the peak lets a run the memory
    /// cannot hold start (2.4–4.1× below, review of session 29).
    public enum LargestDocument {
        public static let dedup = 16.0
        public static let sketch = 42.0
        public static let compare = 21.0
    }

    /// The memory component `largestDocument` adds.
    static let largestDocumentItem = "the largest document's buffers"

    /// The largest document's buffers (`LargestDocument`), of `s` or of
    /// the larger of two corpora: one document is read at a time on a thread.
    mutating func largestDocument(_ corpora: [CorpusSurvey], bytesPerToken: Double) {
        let tokens = corpora.map { s in s.largestDocumentBytes * (s.textBytes > 0 ? s.tokens / s.textBytes : 0.2) }.max() ?? 0
        guard tokens >= 1 else { return }
        add(memory: WorkPlan.largestDocumentItem, tokens * bytesPerToken)
    }

    /// The largest document's buffers when they are half of the peak or
    /// more (nil otherwise): then no option lowers the peak, only a
    /// smaller document.
    public var largestDocumentBytes: Double? {
        let total = memory.reduce(0) { $0 + $1.value }
        guard let largest = memory.first(where: { $0.name == WorkPlan.largestDocumentItem })?.value, largest >= total / 2 else {
            return nil
        }
        return largest
    }

    /// The cost of counting a corpus with its document-term matrix.
    private mutating func countWithMatrix(_ s: CorpusSurvey, threads: Int, label: String) {
        let t = Double(min(threads, max(1, s.units)))
        add(memory: "\(label): documents", s.documents * WorkPlan.perDocument)
        add(
            memory: "\(label): counting tables",
            s.types * ((WorkPlan.perTypeTable + s.typeBytes) * t + WorkPlan.perTypeMerged + s.typeBytes))
        add(memory: "\(label): document-term matrix", nonzeros(s) * WorkPlan.perNonzero)
        seconds += s.textBytes / (WorkPlan.scanRate(s) * t)
    }

    func nonzeros(_ s: CorpusSurvey) -> Double { s.documents * s.typesPerDocument }

    /// `compare A B`: both sides counted with their matrices and their word
    /// n-gram sets (`ngramSizes`, and the passage candidates'), the
    /// permutation test in row blocks, the bootstrap, MMD on at most
    /// `mmdMaxDocuments` documents a side.
    public static func compare(_ a: CorpusSurvey, _ b: CorpusSurvey, options o: CompareOptions) -> WorkPlan {
        var p = WorkPlan(command: "compare", corpora: [a, b])
        let threads = o.read.threads
        let sizes = Double(Set(o.ngramSizes + (o.passages > 0 ? [o.passageCandidateSize] : [])).count)
        let docs = a.documents + b.documents
        let f = Double(o.features + 1)
        p.add(work: "documents", docs, "")
        p.add(work: "tokens", a.tokens + b.tokens, "")
        p.add(work: "types (A, B)", max(a.types, b.types), "")
        p.add(work: "feature matrix", docs * f, "cells (\(o.features + 1) columns)")
        p.add(work: "permutations", Double(o.permutations), "")
        p.add(work: "n-gram sets", sizes * (a.tokens + b.tokens), "hashes")
        p.add(memory: "process", base)
        p.countWithMatrix(a, threads: threads, label: "A")
        p.countWithMatrix(b, threads: threads, label: "B")
        p.add(memory: "n-gram sets", sizes * (a.tokens + b.tokens) * perGram)
        p.largestDocument([a, b], bytesPerToken: LargestDocument.compare)
        // The permutation null: one block of rows × features in Double at a time.
        p.add(memory: "permutation block", min(Double(o.permutations), max(1, Double(1 << 20) / f)) * f * 8)
        let mmdDocs = min(a.documents, Double(o.mmdMaxDocuments)) + min(b.documents, Double(o.mmdMaxDocuments))
        let mmdFlops = 2 * mmdDocs * mmdDocs * Double(o.mmdFeatures)
        // Permutation statistic: a GEMV of the feature matrix per block of permutations.
        let permFlops = 2 * docs * f * Double(o.permutations + o.bootstrap)
        p.add(work: "GEMM", mmdFlops + permFlops, "flops")
        p.add(memory: "MMD kernel", mmdDocs * mmdDocs * 4 + mmdDocs * Double(o.mmdFeatures) * 4)
        p.seconds += sizes * (a.tokens + b.tokens) / (gramRate * Double(threads))
        p.flops = mmdFlops + permFlops
        return p
    }

    /// `batch`: TF-IDF (blocked GEMM over the frequent columns, inverted
    /// lists over the rest), LSA (a randomized SVD to `dims`), or MinHash
    /// (shingle sets and signatures, LSH candidates verified).
    public static func batch(_ s: CorpusSurvey, against r: CorpusSurvey?, options o: BatchOptions) -> WorkPlan {
        var p = WorkPlan(command: "batch", corpora: [s] + (r.map { [$0] } ?? []))
        let threads = o.read.threads
        let n = s.documents
        let m = r?.documents ?? s.documents
        let pairsAll = r == nil ? n * (n - 1) / 2 : n * m
        p.add(work: "documents", n + (r == nil ? 0 : m), "")
        p.add(work: "tokens", s.tokens + (r?.tokens ?? 0), "")
        p.add(memory: "process", base)
        if let t = o.threshold {
            let share = s.pairShare(atLeast: Double(t), jaccard: o.method == .minhash) ?? 1
            let pairs = pairsAll * share
            p.add(work: "pairs over the threshold (from the sample)", pairs, "")
            p.add(memory: "pairs over the threshold", pairs * perPair)
        }
        switch o.method {
        case .minhash:
            p.add(work: "shingles", s.tokens + (r?.tokens ?? 0), "")
            p.add(memory: "documents", (n + (r == nil ? 0 : m)) * (perDocument + 128 * 4))
            p.add(memory: "shingle sets", (s.tokens + (r?.tokens ?? 0)) * 8)
            p.largestDocument([s] + (r.map { [$0] } ?? []), bytesPerToken: LargestDocument.dedup)
            p.seconds += s.textBytes / (scanRate(s) * Double(threads)) + (r.map { $0.textBytes / (scanRate($0) * Double(threads)) } ?? 0)
            p.seconds += (s.tokens + (r?.tokens ?? 0)) * 128 / (gramRate * 50 * Double(threads))
        case .tfidf, .lsa:
            p.countWithMatrix(s, threads: threads, label: r == nil ? "corpus" : "documents")
            if let r { p.countWithMatrix(r, threads: threads, label: "reference") }
            let nnz = p.nonzeros(s) + (r.map { p.nonzeros($0) } ?? 0)
            p.add(work: "nonzeros", nnz, "")
            p.add(memory: "TF-IDF matrix", nnz * 8)
            let cols = Double(o.features)
            p.add(memory: "top-k lists", (n + m) * Double(o.top) * 8)
            let tile = min(Double(o.tile), max(n, m))
            if o.method == .lsa {
                let k = Double(o.dims + 10)
                let svdFlops = 2 * nnz * k * Double(2 * o.powerIterations + 2)
                let gemm = 2 * n * m * Double(o.dims) / (r == nil ? 2 : 1)
                p.add(work: "GEMM", svdFlops + gemm, "flops")
                p.add(memory: "LSA factors", (n + m) * k * 4 * 3)
                p.add(memory: "score tile", tile * tile * 4)
                p.flops = svdFlops + gemm
            } else {
                // Dense head: the columns that hold most of the mass, at
                // most `features`; a tile of each side in Float.
                let head = min(cols, max(1, min(s.types, 4096)))
                let gemm = 2 * n * m * head / (r == nil ? 2 : 1)
                p.add(work: "GEMM", gemm, "flops")
                p.add(memory: "GEMM tiles", 2 * tile * head * 4 + tile * tile * 4)
                // Each row's non-zero head columns and their values (UInt16 +
                // Float), which the exact rescoring reads: at most every nonzero.
                p.add(memory: "rescoring lists", nnz * 6)
                p.flops = gemm
            }
        }
        return p
    }

    /// `dedup`: shingle sets, signatures, LSH buckets, candidates verified
    /// (`minhash`; SimHash and exact hashing keep no shingle sets).
    public static func dedup(_ s: CorpusSurvey, perms: Int, threads: Int, threshold: Double, minhash: Bool = true) -> WorkPlan {
        var p = WorkPlan(command: "dedup", corpora: [s])
        p.add(work: "documents", s.documents, "")
        p.add(work: "shingles", s.tokens, "")
        p.add(memory: "process", base)
        p.add(memory: "documents", s.documents * (perDocument + Double(perms) * 4))
        if minhash { p.add(memory: "shingle sets", s.tokens * 8) }
        p.largestDocument([s], bytesPerToken: LargestDocument.dedup)
        p.add(memory: "LSH buckets", s.documents * Double(perms) * 12)
        let share = s.pairShare(atLeast: threshold, jaccard: true) ?? 0
        p.add(work: "candidate pairs (from the sample)", s.documents * (s.documents - 1) / 2 * share, "")
        p.seconds = s.textBytes / (scanRate(s) * Double(threads)) + s.tokens * Double(perms) / (gramRate * 50 * Double(threads))
        return p
    }

    /// `attribute`: every reference (and questioned) document as a dense
    /// row of `features` z-scored frequencies; the linear model fitted once a
    /// fold (and a grid of C per inner fold when C is not given).
    public static func attribute(
        _ reference: CorpusSurvey, questioned: CorpusSurvey?, features: Int, classes: Int, folds: Int, fits: Int, threads: Int,
        sparseLengths: Int? = nil, notes: [String] = []
    ) -> WorkPlan {
        var p = WorkPlan(command: "attribute", corpora: [reference] + (questioned.map { [$0] } ?? []))
        p.notes = notes
        let docs = reference.documents + (questioned?.documents ?? 0)
        let f = Double(features)
        p.add(work: "documents", docs, "")
        if sparseLengths == nil { p.add(work: "features", f, "") }
        p.add(work: "model fits", Double(fits), "")
        p.add(memory: "process", base)
        p.countWithMatrix(reference, threads: threads, label: "reference")
        if let q = questioned { p.countWithMatrix(q, threads: threads, label: "questioned") }
        if let lengths = sparseLengths {
            // TF-IDF rows: at most one entry per character and n-gram length
            // (8 bytes each, plus the row being built), for each fold in
            // parallel; the weights and L-BFGS's 10 pairs of vectors are
            // far smaller than the entries unless the documents are tiny.
            let entries = (reference.textBytes + (questioned?.textBytes ?? 0)) * Double(lengths)
            p.add(work: "sparse entries (at most)", entries, "")
            p.add(memory: "sparse feature rows", entries * 12 * Double(max(1, min(threads, folds))))
            p.flops = Double(fits) * 100 * 4 * entries * Double(max(2, classes))
            p.add(work: "sparse passes", p.flops, "flops")
        } else {
            p.add(memory: "feature rows", docs * f * 8 * 2)
            // L-BFGS: about 100 iterations of two GEMMs of rows × features × classes.
            p.flops = Double(fits) * 100 * 4 * reference.documents * f * Double(max(2, classes))
            p.add(work: "GEMM", p.flops, "flops")
        }
        return p
    }

    // MARK: - Building

    var flops = 0.0

    init(command: String, corpora: [CorpusSurvey]) {
        self.command = command
        self.corpora = corpora
        work = []
        memory = []
        peakBytes = 0
        seconds = 0
        gflops = 0
        blas = ""
    }

    mutating func add(work name: String, _ value: Double, _ unit: String) { work.append(Item(name: name, value: value, unit: unit)) }
    mutating func add(memory name: String, _ bytes: Double) { memory.append(Item(name: name, value: bytes, unit: "bytes")) }

    enum CodingKeys: String, CodingKey {
        case schema, version, command, corpora, work, memory
        case peakBytes = "peak_bytes"
        case seconds, gflops, blas
        case availableBytes = "available_bytes"
        case blasAdvice = "blas_advice"
        case advice, notes
    }

    /// The plan the check before a real run decides on. Each step is taken
    /// only when the one before does not settle it, that is when its plan's
    /// peak is more than half the memory available: the worst case from the
    /// files' sizes alone (`SurveyDepth.worstCase`, nothing read), a bound
    /// from a sample (`.bound`: 2 MB of text, types grown linearly), and the
    /// estimate a dry run prints (16 MB, Heaps' law), which decides. On 104
    /// MB in 99 files the bound surveys in 0.03 s instead of 0.15–0.3 s of a
    /// 0.6–0.75 s `stats`; on 11,009 files of 9 KB it opened 512 of them,
    /// 0.016 s of a 0.25 s `stats`, which the worst case saves where it fits.
    public static func gated(available: Double?, _ make: (SurveyDepth) throws -> WorkPlan) rethrows -> WorkPlan {
        func fits(_ p: WorkPlan) -> Bool { p.memory.reduce(0, { $0 + $1.value }) <= available! / 2 }
        let first = try make(.worstCase)
        guard available != nil, first.corpora.contains(where: \.isBound) else { return first }
        if fits(first) { return first }
        if first.corpora.contains(where: \.isWorstCase) {
            let second = try make(.bound)
            if !second.corpora.contains(where: \.isBound) || fits(second) { return second }
        }
        return try make(.estimate)
    }

    /// Totals the memory, adds the GEMM time at the measured rate, and
    /// compares the peak with the memory available now.
    public func finished(gflops: Double, blas: String, available: Double?, advice: String) -> WorkPlan {
        var p = self
        p.peakBytes = memory.reduce(0) { $0 + $1.value }
        p.gflops = gflops
        p.blas = blas
        if gflops > 0 { p.seconds += flops / (gflops * 1e9) }
        // A dry run of a plan with matrix products says when OpenBLAS runs below the CPU's kernels.
        if gflops > 0 && flops > 0 { p.blasAdvice = BLAS.kernelAdvice }
        p.availableBytes = available
        p.advice = p.exceedsAvailable ? advice : nil
        return p
    }

    /// SGEMM rate of this machine's BLAS now, in GFLOP/s: the best of five
    /// 384³ products (about 0.1 GFLOP each; milliseconds with OpenBLAS; the
    /// first wakes the BLAS threads).
    public static func measureGflops() -> Double {
        let n = 384
        let a = [Float](repeating: 0.5, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<5 {
            let t = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { ap in
                c.withUnsafeMutableBufferPointer { cp in
                    try? BLAS.gemmRaw(
                        m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: ap.baseAddress!, ldb: n, transB: false, c: cp.baseAddress!, ldc: n)
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
        }
        return 2 * Double(n * n * n) / max(best, 1e-9) / 1e9
    }

    /// Memory a new process can use now: the least of /proc/meminfo's
    /// MemAvailable, the room left under this cgroup's memory.max (a
    /// container's limit, which MemAvailable does not show), and
    /// `FINGERPRINT_MEMORY_LIMIT` (bytes, or e.g. 4GB) when set. Nil where
    /// none is known.
    public static func availableMemory(environment: [String: String] = ProcessInfo.processInfo.environment) -> Double? {
        var limits: [Double] = []
        if let s = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        {
            limits.append(kb * 1024)
        }
        if let max = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
            let m = Double(max.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            let current =
                (try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
                .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            limits.append(m - current)
        }
        if let e = environment["FINGERPRINT_MEMORY_LIMIT"], let b = ByteSize.parse(e) { limits.append(Double(b)) }
        return limits.min()
    }
}
