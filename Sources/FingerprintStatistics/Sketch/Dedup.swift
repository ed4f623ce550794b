import FingerprintCore
import Foundation

/// How `dedup` finds near-duplicates.
public enum DedupMethod: String, CaseIterable, Sendable, Codable {
    /// MinHash + LSH banding, every candidate verified by exact shingle Jaccard.
    case minhash
    /// 64-bit SimHash of the shingles (weighted by count), Hamming distance
    /// ≤ `hamming` (block-permutation index).
    case simhash
    /// Identical normalised text (the same word-token sequence).
    case exact
}

/// Which member of a cluster is kept.
public enum KeepRule: String, CaseIterable, Sendable, Codable {
    case longest, first
}

/// Options of near-duplicate detection.
public struct DedupOptions: Sendable {
    public var method: DedupMethod = .minhash
    public var shingle = 5
    public var perms = 128
    /// Jaccard threshold for minhash.
    public var threshold = 0.8
    /// Hamming distance for simhash.
    public var hamming = 3
    public var keep: KeepRule = .longest
    /// Shingles in more than this share of the documents are boilerplate
    /// and ignored (minhash; 1 disables; applied with 100 or more documents).
    public var maxDF = 1.0
    /// Files whose shingles are boilerplate (licences, templates) and ignored.
    public var boilerplate: String? = nil
    /// Shingles are n-grams of these tokens (`word`, or model token ids).
    public var tokenizer: TokenizerSpec = .word
    public var seed: UInt64 = 1
    public var read = ReadOptions()
    public init() {}
}

/// What the sketching reader keeps of a document.
public struct SketchedDocument: Sendable {
    public var tokens: Int
    /// Sorted distinct shingle hashes (kept for exact verification).
    public var shingles: [UInt64]
    /// The MinHash signature (empty when the worker's method is not minhash).
    public var signature: [UInt32]
    /// The SimHash (0 when the worker's method is not simhash).
    public var simhash: UInt64
    /// Hash of the whole token sequence (exact duplicates).
    public var exact: UInt64
}

/// Tokenises and sketches documents: the token count and exact hash, and
/// what the dedup method compares — for minhash the sorted distinct
/// shingles and their MinHash signature, for simhash the SimHash of the
/// shingles. (Each computed every time, the sort and the signature were a
/// fifth of a `dedup --method simhash` or `exact`, and the SimHash 3.5% of
/// a `dedup` by MinHash, for values no one read.)
public struct SketchWorker: DocumentWorker {
    var scanner: TokenStream
    let hasher: MinHasher
    let method: DedupMethod
    /// The sort's buffer, kept between documents.
    var scratch: [UInt64] = []

    /// The shingles of each document with repeats, its token count and the
    /// hash of its token sequence (what `--method exact` compares).
    var sink: NGramSink
    var shingles: NGramCollector { sink.collector }

    public init(shingle: Int, hasher: MinHasher, tokenizer: TokenizerSpec = .word, method: DedupMethod = .minhash) {
        scanner = TokenStream(tokenizer)
        sink = NGramSink(NGramCollector(sizes: [shingle]))
        self.hasher = hasher
        self.method = method
    }

    public var invalidSequences: Int { scanner.invalidSequences }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) { scanner.feed(chunk, into: &sink) }

    public mutating func finish() -> SketchedDocument {
        scanner.finish(into: &sink)
        _ = shingles.finishDocument()
        // SimHash features are the shingles (weighted by their count: all
        // are added, repeats included): with single words, the frequent
        // words of a language dominate every fingerprint and unrelated
        // documents collide.
        var unique = shingles.takeAll(0)
        var simhash: UInt64 = 0
        var sig: [UInt32] = []
        switch method {
        case .simhash:
            var h = SimHasher()
            h.add(contentsOf: unique)
            simhash = h.finish()
        case .minhash:
            RadixSort.sortHashes(&unique, scratch: &scratch)
            RadixSort.compact(&unique)
            sig = hasher.signature(of: unique)
        case .exact:
            break
        }
        return SketchedDocument(
            tokens: shingles.lastTokens, shingles: method == .minhash ? unique : [], signature: sig, simhash: simhash,
            exact: shingles.lastDigest)
    }

    public mutating func discard() {
        var null = NullSink()
        scanner.finish(into: &null)
        shingles.discardDocument()
        _ = shingles.takeAll(0)
    }

    public func release() { scanner.release() }
}

/// A near-duplicate cluster.
public struct DuplicateCluster: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var document: Int
        /// Similarity to the kept document (Jaccard for minhash/exact,
        /// 1 − Hamming/64 for simhash).
        public var score: Double
    }
    public var id: Int
    public var kept: Int
    public var members: [Member]
}

/// Result of near-duplicate detection.
public struct DedupResult: Sendable {
    public var documents: [DocumentInfo]
    public var sketches: [SketchedDocument]
    public var clusters: [DuplicateCluster]
    /// Documents with fewer tokens than one shingle: never duplicates.
    public var tooShort: [Int]
    public var candidates: Int
    public var verified: Int
    public var banding: LSHBanding?
    public var skips: [Skip]
    public var invalidSequences: Int
}

public enum Dedup {
    /// Reads `input` and clusters its near-duplicates.
    /// - Complexity: MinHash: O(shingles × permutations) to sign, O(N·bands)
    ///   to bucket, and an exact Jaccard per candidate pair; SimHash: O(N·(d + 1))
    ///   table probes for d allowed bits; exact: O(N) hashing.
    public static func run(_ input: CorpusInput, options o: DedupOptions, progress: ProgressSink? = nil) throws -> DedupResult {
        let hasher = MinHasher(perms: o.perms, seed: o.seed)
        if input.kind == .fingerprint {
            var stored = try FingerprintStore.sketches(input, options: o)
            if o.method == .minhash { try suppressBoilerplate(&stored.sketches, hasher: hasher, options: o) }
            return cluster(documents: stored.documents, sketches: stored.sketches, options: o, skips: stored.skips)
        }
        let scan = try CorpusReader.read(input, options: o.read, progress: progress) {
            SketchWorker(shingle: o.shingle, hasher: hasher, tokenizer: o.tokenizer, method: o.method)
        }
        defer { for w in scan.workers { w.release() } }
        var sketches = scan.outputs.map(\.output)
        if o.method == .minhash { try suppressBoilerplate(&sketches, hasher: hasher, options: o) }
        return cluster(
            documents: scan.documents, sketches: sketches, options: o, skips: scan.skips,
            invalid: scan.invalidSequences)
    }

    /// Drops boilerplate shingles (too frequent across documents, or found
    /// in --boilerplate files) and re-signs the documents that had any:
    /// shared templates must not make documents near-duplicates.
    static func suppressBoilerplate(_ sketches: inout [SketchedDocument], hasher: MinHasher, options o: DedupOptions) throws {
        var ignored: [UInt64] = []
        if let dir = o.boilerplate {
            ignored += try BoilerplateFilter.files(in: dir, k: o.shingle, readOptions: o.read).hashes.hashes
        }
        if o.maxDF < 1 && sketches.count >= 100 {
            var parts = sketches.map(\.shingles)
            let all = RadixSort.sortedUnique(parts: &parts, unique: false, threads: o.read.threads)
            let limit = Int((o.maxDF * Double(sketches.count)).rounded(.down))
            var i = 0
            while i < all.count {
                var j = i + 1
                while j < all.count && all[j] == all[i] { j += 1 }
                if j - i > limit { ignored.append(all[i]) }
                i = j
            }
        }
        guard !ignored.isEmpty else { return }
        let index = NGramIndex(ignored)
        for d in sketches.indices {
            let kept = sketches[d].shingles.filter { !index.contains($0) }
            if kept.count != sketches[d].shingles.count {
                sketches[d].shingles = kept
                sketches[d].signature = hasher.signature(of: kept)
            }
        }
    }

    /// Every candidate pair (LSH for minhash) verified at the threshold, with
    /// its exact score: (i, j, score), i < j, sorted.
    public static func verifiedPairs(sketches: [SketchedDocument], options o: DedupOptions) -> [(Int, Int, Double)] {
        var out: [(Int, Int, Double)] = []
        _ = cluster(documents: [], sketches: sketches, options: o) { i, j, s in out.append((i, j, s)) }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    /// Clusters sketched documents (exposed for tests and in-memory use).
    public static func cluster(
        documents: [DocumentInfo], sketches: [SketchedDocument], options o: DedupOptions,
        skips: [Skip] = [], invalid: Int = 0, verified onVerified: ((Int, Int, Double) -> Void)? = nil
    ) -> DedupResult {
        let n = sketches.count
        let needed = o.method == .exact ? 1 : o.shingle
        // A minhash document left with no shingle (too short, or all boilerplate) is never a duplicate.
        func usable(_ d: Int) -> Bool { sketches[d].tokens >= needed && (o.method != .minhash || !sketches[d].shingles.isEmpty) }
        let eligible = (0..<n).filter(usable)
        let tooShort = (0..<n).filter { !usable($0) }
        var uf = UnionFind(n)
        var candidates = 0
        var verified = 0
        var banding: LSHBanding? = nil
        var seen = Set<UInt64>()
        func consider(_ i: Int, _ j: Int) {
            let (x, y) = (min(i, j), max(i, j))
            guard seen.insert(UInt64(x) << 32 | UInt64(y)).inserted else { return }
            candidates += 1
            let ok: Bool
            var score = 1.0
            switch o.method {
            case .minhash:
                score = exactJaccard(sketches[x].shingles, sketches[y].shingles)
                ok = score >= o.threshold
            case .simhash:
                let dist = SimHasher.distance(sketches[x].simhash, sketches[y].simhash)
                score = 1 - Double(dist) / 64
                ok = dist <= o.hamming
            case .exact: ok = sketches[x].exact == sketches[y].exact
            }
            if ok {
                verified += 1
                uf.union(x, y)
                onVerified?(x, y, score)
            }
        }
        /// Pairs within a group of documents sharing a key: all pairs for
        /// small groups; for large ones (many copies of one text) each member
        /// with the first and with its neighbour, which keeps connectivity
        /// of identical members without a quadratic number of checks.
        func pairs(in group: ArraySlice<Int>) {
            let g = Array(group)
            if g.count <= 64 {
                for a in 0..<g.count { for b in (a + 1)..<g.count { consider(g[a], g[b]) } }
            } else {
                for a in 1..<g.count {
                    consider(g[0], g[a])
                    consider(g[a - 1], g[a])
                }
            }
        }
        func groups(_ keys: [(UInt64, Int)]) {
            let sorted = keys.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            var s = 0
            while s < sorted.count {
                var e = s + 1
                while e < sorted.count && sorted[e].0 == sorted[s].0 { e += 1 }
                if e - s > 1 { pairs(in: sorted[s..<e].map(\.1)[...]) }
                s = e
            }
        }
        switch o.method {
        case .minhash:
            let b = LSHBanding.optimal(threshold: o.threshold, perms: o.perms)
            banding = b
            for band in 0..<b.bands {
                var keys: [(UInt64, Int)] = []
                keys.reserveCapacity(eligible.count)
                for d in eligible {
                    var h = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
                    for r in 0..<b.rows { h = Hash64.combine(h, UInt64(sketches[d].signature[band * b.rows + r])) }
                    keys.append((h, d))
                }
                groups(keys)
            }
        case .simhash:
            // Pigeonhole: with d + 1 blocks, two fingerprints within Hamming d agree on one block.
            let blocks = o.hamming + 1
            let width = 64 / blocks
            for k in 0..<blocks {
                let shift = UInt64(k * width)
                let mask: UInt64 = k == blocks - 1 ? ~0 >> shift : ((1 << UInt64(width)) - 1)
                groups(eligible.map { (((sketches[$0].simhash >> shift) & mask) | (UInt64(k) << 58), $0) })
            }
        case .exact:
            groups(eligible.map { (sketches[$0].exact, $0) })
        }
        var clusters: [DuplicateCluster] = []
        for (id, g) in uf.groups().enumerated() {
            let kept: Int
            switch o.keep {
            case .first: kept = g[0]
            case .longest:
                kept = g.max { sketches[$0].tokens != sketches[$1].tokens ? sketches[$0].tokens < sketches[$1].tokens : $0 > $1 }!
            }
            let members = g.map { d -> DuplicateCluster.Member in
                let s: Double
                switch o.method {
                case .minhash: s = d == kept ? 1 : exactJaccard(sketches[d].shingles, sketches[kept].shingles)
                case .simhash: s = 1 - Double(SimHasher.distance(sketches[d].simhash, sketches[kept].simhash)) / 64
                case .exact: s = 1
                }
                return .init(document: d, score: s)
            }
            clusters.append(DuplicateCluster(id: id, kept: kept, members: members))
        }
        return DedupResult(
            documents: documents, sketches: sketches, clusters: clusters, tooShort: tooShort,
            candidates: candidates, verified: verified, banding: banding, skips: skips, invalidSequences: invalid)
    }
}
