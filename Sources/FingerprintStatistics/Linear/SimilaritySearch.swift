import FingerprintCore
import Foundation

/// A neighbour of a document: candidate index and cosine score.
public struct Neighbor: Codable, Sendable, Equatable {
    public var index: Int
    public var score: Float
}

/// Row vectors split for exact dot products: a dense "head" block (the
/// frequent columns that make the product dense, multiplied by GEMM) and a
/// sparse "tail" (the rest, through inverted lists). head·head + tail·tail
/// is the exact dot product over all columns.
public struct SplitVectors: Sendable {
    public let rows: Int
    /// rows × headCols, row-major.
    public var head: Matrix<Float>
    /// Tail in CSR (columns are tail-column indices).
    public var tailStart: [Int]
    public var tailColumns: [Int32]
    public var tailValues: [Float]
    public let tailCols: Int
    /// Each row's non-zero head columns, in order (`headNonzeroStart` as
    /// `tailStart`): what the exact rescoring reads, 2 bytes a value. Empty
    /// for dense vectors (every column counts) and past 65,536 head columns.
    var headNonzeroStart: [Int] = []
    var headNonzeros: [UInt16] = []
    /// Their values, in step: read in order, where the dense row's were
    /// gathered from a matrix of every candidate (a cache miss a value).
    var headNonzeroValues: [Float] = []
    /// Each row's squared norm in float64, summed as `ExactScorer` sums a
    /// product (head columns, then tail, each in order), so that a row's
    /// product with itself or a copy equals it to the bit.
    private(set) var squaredNorms: [Double] = []

    /// Dense vectors only (e.g. LSA): no tail.
    public init(dense: Matrix<Float>) {
        rows = dense.rows
        head = dense
        tailStart = [Int](repeating: 0, count: dense.rows + 1)
        tailColumns = []
        tailValues = []
        tailCols = 0
        squaredNorms = measureNorms()
    }

    func measureNorms() -> [Double] {
        (0..<rows).map { j in
            var sum = 0.0
            let h = head.cols
            if headNonzeroStart.isEmpty {
                for x in 0..<h {
                    let v = Double(head.storage[j * h + x])
                    sum += v * v
                }
            } else {
                for k in headNonzeroStart[j]..<headNonzeroStart[j + 1] {
                    let v = Double(headNonzeroValues[k])
                    sum += v * v
                }
            }
            for k in tailStart[j]..<tailStart[j + 1] {
                let v = Double(tailValues[k])
                sum += v * v
            }
            return sum
        }
    }

    /// Splits CSR rows by `columnIsHead` (head columns keep their order).
    public init(rowStart: [Int], columns: [Int32], values: [Float], cols: Int, rows docs: [Int], columnIsHead: [Bool]) {
        var headIndex = [Int32](repeating: -1, count: cols)
        var tailIndex = [Int32](repeating: -1, count: cols)
        var h: Int32 = 0
        var t: Int32 = 0
        for c in 0..<cols {
            if columnIsHead[c] {
                headIndex[c] = h
                h += 1
            } else {
                tailIndex[c] = t
                t += 1
            }
        }
        rows = docs.count
        tailCols = Int(t)
        var dense = Matrix<Float>(rows: docs.count, cols: Int(h))
        var ts = [0]
        var tc: [Int32] = []
        var tv: [Float] = []
        let indexed = h <= 1 << 16
        var hs = indexed ? [0] : []
        var hn: [UInt16] = []
        var hv: [Float] = []
        for (r, d) in docs.enumerated() {
            for k in rowStart[d]..<rowStart[d + 1] {
                let c = Int(columns[k])
                if headIndex[c] >= 0 {
                    dense[r, Int(headIndex[c])] = values[k]
                    if indexed && values[k] != 0 {
                        hn.append(UInt16(headIndex[c]))
                        hv.append(values[k])
                    }
                } else {
                    tc.append(tailIndex[c])
                    tv.append(values[k])
                }
            }
            ts.append(tc.count)
            if indexed { hs.append(hn.count) }
        }
        head = dense
        tailStart = ts
        tailColumns = tc
        tailValues = tv
        headNonzeroStart = hs
        headNonzeros = hn
        headNonzeroValues = hv
        squaredNorms = measureNorms()
    }
}

/// Exact cosines of one query row against candidate rows, as reported:
/// float64 products of the columns both rows hold, summed in column order
/// (the head's, then the tail's), with `unitRows` divided by √(‖q‖²‖c‖²)
/// of the float32 rows in float64, and capped at 1. The rows are unit vectors only to
/// float32 precision, so an exact copy summed to 0.99999988 or so and a
/// threshold of 1 missed it (review 31a); divided by the norms, summed in
/// the same order, it is 1 exactly (√(x²) = x in IEEE arithmetic). Those of the candidate's
/// non-zero columns are summed; the query's zeros among them add +0, which
/// changes no sum (no product of two floats is 0 in float64 unless one is):
/// so (i, j) and (j, i) of one set of rows score alike to the bit, and so
/// do any two copies of a row, wherever the GEMM put them. The query's tail
/// is spread over the tail columns; the candidate's non-zero head columns
/// (`headNonzeros`) are looked up in the query's dense head row. One per
/// thread.
struct ExactScorer {
    let q: SplitVectors
    let c: SplitVectors
    let unitRows: Bool
    private var spread: [Double]
    private var row = -1

    init(queries q: SplitVectors, candidates c: SplitVectors, unitRows: Bool) {
        self.q = q
        self.c = c
        self.unitRows = unitRows
        spread = [Double](repeating: 0, count: q.tailCols)
    }

    /// Makes query row i the one scored.
    mutating func load(_ i: Int) {
        guard i != row else { return }
        if row >= 0 { for k in q.tailStart[row]..<q.tailStart[row + 1] { spread[Int(q.tailColumns[k])] = 0 } }
        row = i
        for k in q.tailStart[i]..<q.tailStart[i + 1] { spread[Int(q.tailColumns[k])] = Double(q.tailValues[k]) }
    }

    /// The cosine of the loaded query row and candidate row j.
    func score(_ j: Int) -> Float {
        var sum = 0.0
        let h = q.head.cols
        if h > 0 {
            q.head.storage.withUnsafeBufferPointer { qs in
                c.head.storage.withUnsafeBufferPointer { cs in
                    let a = qs.baseAddress! + row * h
                    let b = cs.baseAddress! + j * h
                    if c.headNonzeroStart.isEmpty {
                        for x in 0..<h { sum += Double(a[x]) * Double(b[x]) }
                    } else {
                        c.headNonzeros.withUnsafeBufferPointer { nz in
                            c.headNonzeroValues.withUnsafeBufferPointer { v in
                                for k in c.headNonzeroStart[j]..<c.headNonzeroStart[j + 1] {
                                    sum += Double(a[Int(nz[k])]) * Double(v[k])
                                }
                            }
                        }
                    }
                }
            }
        }
        for k in c.tailStart[j]..<c.tailStart[j + 1] { sum += spread[Int(c.tailColumns[k])] * Double(c.tailValues[k]) }
        guard unitRows else { return Float(min(sum, 1)) }
        let norms = q.squaredNorms[row] * c.squaredNorms[j]
        return norms > 0 ? Float(min(sum / norms.squareRoot(), 1)) : 0
    }
}

/// Options of the exact similarity search.
public struct SimilarityOptions: Sendable {
    /// Neighbours kept per query (0: none).
    public var k = 10
    /// Also report every pair with a score ≥ this.
    public var threshold: Float? = nil
    /// Documents per tile (GEMM block size).
    public var tile = 2048
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// The rows are unit vectors to float32 precision (TF-IDF, LSA): every
    /// exact score is divided by the two rows' norms, so that a copy scores
    /// exactly 1 (`ExactScorer`). Without it a score is the dot product.
    public var unitRows = false
    public init() {}
}

/// Exact all-pairs (or query × reference) cosine search by blocked GEMM
/// plus a sparse tail, with bounded memory: O(N·k + tile²), never N × N,
/// whatever the threshold (threshold pairs are handed over block by block).
///
/// Ranking: higher score first; equal scores: lower candidate index first.
///
/// The GEMM's float32 scores only choose candidates. An optimised BLAS sums
/// a dot product in an order that depends on where its row and column fall
/// in the kernel's registers, so two exact copies can score a float32 step
/// apart (OpenBLAS's Haswell kernel: in 16 of every 32 positions). Every
/// score reported is therefore computed again exactly (`ExactScorer`: float64
/// sums in column order), and lists are ranked by those scores. The GEMM
/// keeps what may rank after rescoring: a row's k best and those within
/// `rescoreMargin` below its k-th, and pairs within the margin below the
/// threshold.
public enum SimilaritySearch {
    /// The share of documents above which a column goes to the dense head.
    ///
    /// A column of document frequency df costs about df_q·df_c sparse
    /// multiply-adds in the tail and 2·n_q·n_c flops in the GEMM. Measured
    /// here (OpenBLAS sgemm ~200 GFLOP/s, the tail's scatter-add ~1.2 ns per
    /// update), a column pays for its GEMM flops when
    /// (df_q/n_q)(df_c/n_c) > 2 c_gemm / c_tail ≈ 0.004, i.e. above ~6% of
    /// the documents on both sides. Fixed (not measured at run time) so
    /// results are reproducible.
    public static let denseShare = 0.06

    /// How far below a row's k-th float32 score, or below the threshold, a
    /// candidate is still kept for exact rescoring: far more than the few
    /// float32 steps (~1e-7) a GEMM's summation order moves a cosine.
    public static let rescoreMargin: Float = 1e-5

    /// Candidates within the margin below a row's k-th score kept at most,
    /// beyond its k (the best by float32 score, then index): bounds memory
    /// when many candidates tie there (scores of 0, or many copies).
    static func nearLimit(_ k: Int) -> Int { max(64, 4 * k) }

    /// Head columns for TF-IDF rows: those whose document frequency share
    /// on both sides exceeds `denseShare`.
    public static func headColumns(dfQueries: [Int], nq: Int, dfCandidates: [Int], nc: Int) -> [Bool] {
        (0..<dfQueries.count).map { c in
            let a = Double(dfQueries[c]) / Double(max(1, nq))
            let b = Double(dfCandidates[c]) / Double(max(1, nc))
            return a * b > denseShare * denseShare
        }
    }

    /// Timing of the phases (seconds), for benchmarks.
    public struct Timing: Sendable {
        public var gemm = 0.0
        public var gemmFlops = 0.0
        public var tail = 0.0
        public var select = 0.0
    }

    /// Searches every query row against every candidate row.
    /// - Parameters:
    ///   - selfPairs: queries and candidates are the same documents: skip
    ///     i == j and report threshold pairs once, with i < j.
    ///   - pairs: receives the pairs over the threshold as (query, candidate,
    ///     score), 12 bytes each, one query row of one tile × tile block at a
    ///     time, as each block is done: blocks in (query tile, candidate tile)
    ///     order, rows in order inside a block, candidates in order inside a row. A block's
    ///     pairs are handed over before the next block is computed, so however
    ///     low the threshold, at most tile² pairs are held (not tile × nc).
    ///   - neighbors: receives, in query order, each query tile's rows once final
    ///     (after that tile's pairs): first query index, their neighbour lists.
    /// - Complexity: 2·nq·nc·H flops of GEMM + Σ over tail columns of df_q·df_c.
    @discardableResult
    public static func run(
        queries q: SplitVectors, candidates c: SplitVectors, selfPairs: Bool,
        options o: SimilarityOptions,
        pairs emitPairs: ([(Int32, Int32, Float)]) throws -> Void = { _ in },
        neighbors emit: (Int, [[Neighbor]]) throws -> Void
    ) throws -> Timing {
        precondition(q.head.cols == c.head.cols && q.tailCols == c.tailCols, "query and candidate columns differ")
        var timing = Timing()
        let nq = q.rows
        let nc = c.rows
        let tile = max(16, o.tile)
        let k = min(o.k, selfPairs ? max(0, nc - 1) : nc)

        // Tail inverted lists of the candidates, per candidate tile.
        let tilesC = (nc + tile - 1) / tile
        var postStart = [Int](repeating: 0, count: tilesC * c.tailCols + 1)
        var postDoc: [Int32] = []
        var postVal: [Float] = []
        if c.tailCols > 0 {
            var counts = [Int](repeating: 0, count: tilesC * c.tailCols)
            for d in 0..<nc {
                for x in c.tailStart[d]..<c.tailStart[d + 1] { counts[(d / tile) * c.tailCols + Int(c.tailColumns[x])] += 1 }
            }
            for i in 0..<counts.count { postStart[i + 1] = postStart[i] + counts[i] }
            var next = postStart
            postDoc = [Int32](repeating: 0, count: c.tailValues.count)
            postVal = [Float](repeating: 0, count: c.tailValues.count)
            for d in 0..<nc {
                for x in c.tailStart[d]..<c.tailStart[d + 1] {
                    let key = (d / tile) * c.tailCols + Int(c.tailColumns[x])
                    postDoc[next[key]] = Int32(d)
                    postVal[next[key]] = c.tailValues[x]
                    next[key] += 1
                }
            }
        }

        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        // Our threads run the GEMMs (one single-threaded sgemm per row chunk)
        // so that BLAS worker threads do not spin against the sparse tail
        // and the heap updates on a 2-core machine.
        let blasThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(blasThreads) }
        let kk = max(1, k)
        // Top-k min-heaps of every query row (O(nq·k)); threshold pairs per row.
        var heapIdx = [Int32](repeating: -1, count: nq * kk)
        var heapScore = [Float](repeating: -.infinity, count: nq * kk)
        var heapCount = [Int](repeating: 0, count: nq)
        // Per row: candidates the heap displaced within the margin below its worst kept.
        var near = [[(Int32, Float)]](repeating: [], count: nq)
        let nearLimit = Self.nearLimit(k)
        let margin = rescoreMargin
        let symmetric = selfPairs
        let tailCols = c.tailCols
        let hcols = q.head.cols
        // One block of scores (tq × tc, row-major) for every pair of tiles:
        // allocated once, not 16 MB of new, zeroed pages a block. The GEMM
        // overwrites it (β = 0); without head columns it is cleared a row
        // chunk at a time before the tail is added.
        var scores = [Float](repeating: 0, count: min(nq, tile) * min(nc, tile))
        var q0 = 0
        while q0 < nq {
            let q1 = min(nq, q0 + tile)
            let tq = q1 - q0
            var pairs = [[(Int32, Int32, Float)]](repeating: [], count: tq)
            // With selfPairs, tile pair (q, c) for c > q also serves (c, q): S and Sᵀ.
            let firstTile = symmetric ? q0 / tile : 0
            for ct in firstTile..<tilesC {
                let c0 = ct * tile
                let c1 = min(nc, c0 + tile)
                let tc = c1 - c0
                var tGemm = 0.0
                var tTail = 0.0
                let lock = NSLock()
                try scores.withUnsafeMutableBufferPointer { sp in
                    try q.head.storage.withUnsafeBufferPointer { qh in
                        try c.head.storage.withUnsafeBufferPointer { ch in
                            try heapIdx.withUnsafeMutableBufferPointer { hi in
                                try heapScore.withUnsafeMutableBufferPointer { hs in
                                    try heapCount.withUnsafeMutableBufferPointer { hc in
                                        try near.withUnsafeMutableBufferPointer { nr in
                                            try pairs.withUnsafeMutableBufferPointer { pp in
                                                let spb = sp.baseAddress!
                                                let hib = hi.baseAddress!
                                                let hsb = hs.baseAddress!
                                                let hcb = hc.baseAddress!
                                                let ppb = pp.baseAddress!
                                                let nrb = nr.baseAddress!
                                                // The candidate (cj, v) offered to row i's heap; what the heap
                                                // displaces within the margin below its worst is kept near.
                                                func offer(_ i: Int, _ cj: Int32, _ v: Float) {
                                                    guard let (dj, dv) = heapPush(hib + i * kk, hsb + i * kk, &hcb[i], k, cj, v) else {
                                                        return
                                                    }
                                                    let floor = hsb[i * kk] - margin
                                                    guard dv >= floor else { return }
                                                    nrb[i].append((dj, dv))
                                                    if nrb[i].count >= 2 * nearLimit { prune(&nrb[i], floor: floor, limit: nearLimit) }
                                                }
                                                try Parallel.chunks(tq, chunk: 128, threads: o.threads) { (rows: Range<Int>) throws in
                                                    var scorer = ExactScorer(queries: q, candidates: c, unitRows: o.unitRows)
                                                    let t0 = clock()
                                                    if hcols > 0 {
                                                        try BLAS.gemmRaw(
                                                            m: rows.count, n: tc, k: hcols,
                                                            a: qh.baseAddress! + (q0 + rows.lowerBound) * hcols, lda: hcols,
                                                            b: ch.baseAddress! + c0 * hcols, ldb: hcols, transB: true,
                                                            c: spb + rows.lowerBound * tc, ldc: tc)
                                                    } else {
                                                        (spb + rows.lowerBound * tc).update(repeating: 0, count: rows.count * tc)
                                                    }
                                                    let t1 = clock()
                                                    for r in rows {
                                                        let i = q0 + r
                                                        let row = spb + r * tc
                                                        if tailCols > 0 {
                                                            for x in q.tailStart[i]..<q.tailStart[i + 1] {
                                                                let w = q.tailValues[x]
                                                                let key = ct * tailCols + Int(q.tailColumns[x])
                                                                for p in postStart[key]..<postStart[key + 1] {
                                                                    row[Int(postDoc[p]) - c0] += w * postVal[p]
                                                                }
                                                            }
                                                        }
                                                        let jStart = symmetric && ct * tile == q0 ? r + 1 : 0
                                                        if !symmetric && selfPairs && i >= c0 && i < c1 { row[i - c0] = -.infinity }
                                                        var j = jStart
                                                        while j < tc {
                                                            // Scores below both the row's worst kept
                                                            // neighbour and the threshold change nothing:
                                                            // skipped 16 at a time.
                                                            let cutoff = Swift.min(
                                                                k == 0
                                                                    ? Float.infinity : hcb[i] < k ? -Float.infinity : hsb[i * kk] - margin,
                                                                (o.threshold ?? Float.infinity) - margin)
                                                            j = firstBlock(row, from: j, to: tc, atLeast: cutoff)
                                                            let end = Swift.min(tc, j + 16)
                                                            while j < end {
                                                                defer { j += 1 }
                                                                let cj = c0 + j
                                                                if !symmetric && selfPairs && cj == i { continue }
                                                                // A float32 cosine of a document with its copy can
                                                                // round to 1.0000006; a cosine is at most 1.
                                                                let v = min(row[j], 1)
                                                                if k > 0 { offer(i, Int32(cj), v) }
                                                                if let th = o.threshold, v >= th - margin, !selfPairs || i < cj {
                                                                    ppb[r].append((Int32(i), Int32(cj), v))
                                                                }
                                                            }
                                                        }
                                                        // The row's pairs of this block, scored exactly.
                                                        if let th = o.threshold, !ppb[r].isEmpty {
                                                            scorer.load(i)
                                                            var kept = 0
                                                            for x in 0..<ppb[r].count {
                                                                let s = scorer.score(Int(ppb[r][x].1))
                                                                if s >= th {
                                                                    ppb[r][kept] = (ppb[r][x].0, ppb[r][x].1, s)
                                                                    kept += 1
                                                                }
                                                            }
                                                            ppb[r].removeLast(ppb[r].count - kept)
                                                        }
                                                    }
                                                    let t2 = clock()
                                                    lock.lock()
                                                    tGemm += t1 - t0
                                                    tTail += t2 - t1
                                                    lock.unlock()
                                                }
                                                // Sᵀ: the candidates' rows get the queries as neighbours.
                                                if symmetric && k > 0 {
                                                    Parallel.chunks(tc, chunk: 128, threads: o.threads) { cols in
                                                        for j in cols {
                                                            let cj = c0 + j
                                                            let rEnd = ct * tile == q0 ? j : tq
                                                            for r in 0..<rEnd { offer(cj, Int32(q0 + r), min(spb[r * tc + j], 1)) }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                // This block's threshold pairs go out now, row by row; the rows'
                // buffers keep their capacity (at most tile pairs each).
                for r in 0..<tq where !pairs[r].isEmpty {
                    try emitPairs(pairs[r])
                    pairs[r].removeAll(keepingCapacity: true)
                }
                if hcols > 0 { timing.gemmFlops += 2 * Double(tq) * Double(tc) * Double(hcols) }
                // CPU seconds spread over the threads that ran the chunks: wall-clock share.
                let used = Double(max(1, min(o.threads, (tq + 127) / 128)))
                timing.gemm += tGemm / used
                timing.tail += tTail / used
            }
            let t = clock()
            // Each row's kept candidates scored exactly and ranked by those scores.
            var lists = [[Neighbor]](repeating: [], count: tq)
            try lists.withUnsafeMutableBufferPointer { lp in
                let lpb = lp.baseAddress!
                try Parallel.chunks(tq, chunk: 128, threads: o.threads) { (rows: Range<Int>) throws in
                    var scorer = ExactScorer(queries: q, candidates: c, unitRows: o.unitRows)
                    for r in rows {
                        let i = q0 + r
                        var kept = (0..<heapCount[i]).map { heapIdx[i * kk + $0] }
                        if heapCount[i] == k {
                            let floor = heapScore[i * kk] - margin
                            kept += near[i].lazy.filter { $0.1 >= floor }.map(\.0)
                        }
                        scorer.load(i)
                        var l = kept.map { Neighbor(index: Int($0), score: scorer.score(Int($0))) }
                        l.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
                        lpb[r] = Array(l.prefix(k))
                    }
                }
            }
            for i in q0..<q1 { near[i] = [] }
            timing.select += clock() - t
            try emit(q0, lists)
            q0 = q1
        }
        return timing
    }

    /// The start of the first run of 16 scores from `from` (the last may be
    /// shorter, ending at `to`) holding one at least `cutoff`; `to` if none.
    /// What is skipped is below `cutoff` (NaN included), so it can enter
    /// neither a top-k heap whose worst score is `cutoff` nor a threshold
    /// pair.
    @inline(__always)
    static func firstBlock(_ row: UnsafeMutablePointer<Float>, from: Int, to: Int, atLeast cutoff: Float) -> Int {
        if cutoff == -.infinity { return from }
        var j = from
        let c = SIMD16<Float>(repeating: cutoff)
        while j &+ 16 <= to {
            if any(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD16<Float>.self) .>= c) { return j }
            j &+= 16
        }
        var t = j
        while t < to {
            if row[t] >= cutoff { return j }
            t &+= 1
        }
        return to
    }

    /// Is (s1, i1) ranked below (s2, i2)? Lower score, or equal score and higher index.
    @inline(__always)
    static func below(_ s1: Float, _ i1: Int32, _ s2: Float, _ i2: Int32) -> Bool {
        s1 != s2 ? s1 < s2 : i1 > i2
    }

    /// Keeps the k best (score, index) in a min-heap whose root is the worst
    /// kept. Returns what is left out: the new entry, or the root it replaced
    /// (nil while the heap fills).
    @inline(__always)
    static func heapPush(
        _ idx: UnsafeMutablePointer<Int32>, _ sc: UnsafeMutablePointer<Float>, _ n: inout Int, _ k: Int,
        _ i: Int32, _ s: Float
    ) -> (Int32, Float)? {
        if n < k {
            var c = n
            idx[c] = i
            sc[c] = s
            n += 1
            while c > 0 {
                let p = (c - 1) / 2
                if below(sc[c], idx[c], sc[p], idx[p]) {
                    swap(&idx[c], &idx[p])
                    swap(&sc[c], &sc[p])
                    c = p
                } else {
                    break
                }
            }
            return nil
        }
        guard below(sc[0], idx[0], s, i) else { return (i, s) }
        let out = (idx[0], sc[0])
        idx[0] = i
        sc[0] = s
        var c = 0
        while true {
            let l = 2 * c + 1
            let r = l + 1
            var m = c
            if l < k && below(sc[l], idx[l], sc[m], idx[m]) { m = l }
            if r < k && below(sc[r], idx[r], sc[m], idx[m]) { m = r }
            if m == c { return out }
            swap(&idx[c], &idx[m])
            swap(&sc[c], &sc[m])
            c = m
        }
    }

    /// Drops near candidates below `floor` and keeps at most `limit`: the
    /// best by float32 score, then lower index. With more than `limit`
    /// exact copies of a row waiting here, which copies are kept follows the
    /// GEMM's float32 noise, not the index (review 31a); choosing them by
    /// exact score made 16,000 copies 20 times slower (review 31c).
    static func prune(_ near: inout [(Int32, Float)], floor: Float, limit: Int) {
        near.removeAll { $0.1 < floor }
        guard near.count > limit else { return }
        near.sort { below($1.1, $1.0, $0.1, $0.0) }
        near.removeLast(near.count - limit)
    }
}

extension Matrix {
    /// Rows `r` as a new matrix (a contiguous copy).
    public func rowsBlock(_ r: Range<Int>) -> Matrix {
        if r == 0..<rows { return self }
        return Matrix(rows: r.count, cols: cols, storage: Array(storage[(r.lowerBound * cols)..<(r.upperBound * cols)]))
    }
}
