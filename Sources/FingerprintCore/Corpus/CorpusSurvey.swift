import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which similarities of sampled document pairs a survey computes.
public struct SamplePairs: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// TF-IDF cosines (thresholded `batch` by TF-IDF).
    public static let cosines = SamplePairs(rawValue: 1)
    /// Word-shingle Jaccard similarities (`dedup`, thresholded `batch --method minhash`).
    public static let jaccards = SamplePairs(rawValue: 2)
}

/// How much of a corpus a survey reads, and what it makes of it.
public enum SurveyDepth: Sendable {
    /// Up to 16 MB of text; types carried to the corpus by the fitted
    /// Heaps' law: what `--dry-run` prints.
    case estimate
    /// Up to 2 MB of text; types grown linearly with the tokens (β = 1) from
    /// the sample, so an upper bound of the estimate's (vocabularies grow
    /// more slowly than their texts): enough for the check before a real run
    /// when even the bound fits (`WorkPlan.gated`). It samples no pairs of
    /// documents: a plan that reads them assumes the worst (every pair over
    /// a `batch --threshold`), and when that does not fit the corpus is
    /// surveyed again for the estimate. A survey that reads the whole
    /// corpus and was asked for no pairs is an `estimate` whatever was asked.
    case bound
    /// Nothing read: the most a corpus of plain text files can hold, from
    /// their sizes alone, for the `word` tokenizer: at most a token every
    /// two bytes, and the most distinct types that many bytes can spell
    /// (`mostWordTypes`). A check before a run settles on it when even
    /// that fits (`WorkPlan.gated`), with no file opened. For anything
    /// else (another tokenizer, JSONL, files named `.gz` or `.zst`, whose
    /// text can be any size, standard input) it is a `bound` survey. A
    /// compressed file under another name is taken at its stored size, as
    /// the sampled surveys take it.
    case worstCase
}

/// What a dry run knows about a corpus without reading it: its files and
/// their sizes, and a sample of documents spread over it, tokenized, from
/// which the documents, tokens and types of the whole are estimated.
///
/// - Bytes: exact for plain files; for a gzip or Zstandard file, its stored
///   size times the decompression ratio seen on the part of it that was
///   sampled (or on the sampled files of the same compression).
/// - Documents: exact for a directory of text files (one per file); for
///   JSONL, the text bytes divided by the bytes per record of the sample
///   (records of other `--where` groups not counted).
/// - Tokens: text bytes times the sample's tokens per byte.
/// - Types: Heaps' law, V(N) = V(n) (N/n)^β, with β from the sample's own
///   growth between n/2 and n tokens (clamped to [0, 1]).
public struct CorpusSurvey: Codable, Sendable, Equatable {
    /// The corpus as named on the command line.
    public var corpus: String
    /// Files (and JSONL byte ranges) to read.
    public var units: Int
    /// Bytes as stored (compressed files at their compressed size).
    public var storedBytes: Int
    /// Estimated bytes of text (decompressed; for JSONL, of the text field).
    public var textBytes: Double
    /// Estimated documents.
    public var documents: Double
    /// Whether `documents` is a count rather than an estimate.
    public var documentsExact: Bool
    /// Estimated tokens, types, and distinct types per document (the
    /// nonzeros of a document-term matrix are documents × that).
    public var tokens: Double
    public var types: Double
    public var typesPerDocument: Double
    /// Mean bytes of a type's text in the sample.
    public var typeBytes: Double
    /// The sample: documents, text bytes, tokens, types and β.
    public var sampleDocuments: Int
    public var sampleBytes: Int
    public var sampleTokens: Int
    public var sampleTypes: Int
    public var heapsBeta: Double
    /// Whether every document was read (the estimates are then counts).
    public var complete: Bool
    /// TF-IDF cosines (idf over the sample) of every pair of sampled
    /// documents, ascending: the share over a threshold estimates how many
    /// pairs a `--threshold` will report. Not encoded.
    public var sampleCosines: [Float] = []
    /// Jaccard similarities of the word-shingle sets of every pair of the
    /// first 128 sampled documents, ascending (for MinHash thresholds).
    public var sampleJaccards: [Float] = []
    /// Bytes a second one thread tokenized in the sample (this machine, now).
    public var scanRate: Double = 0
    /// Whether `types` and `typesPerDocument` are the upper bounds of a
    /// `SurveyDepth.bound` survey (of a part of the corpus). Not encoded: a
    /// dry run always prints an estimate.
    public var isBound = false
    /// Whether it is a `SurveyDepth.worstCase` survey, from sizes alone. Not encoded.
    public var isWorstCase = false
    /// Estimated bytes of text of the largest document: the largest file
    /// (decompressed, its parts together), or the longest record sampled
    /// from JSON Lines. A document's tokens are all held while it is
    /// sketched, so one large document sets a floor under the peak
    /// (`WorkPlan.largestDocument`). Not encoded.
    public var largestDocumentBytes = 0.0

    enum CodingKeys: String, CodingKey {
        case corpus, units, documents, tokens, types, complete
        case storedBytes = "stored_bytes"
        case textBytes = "text_bytes"
        case documentsExact = "documents_exact"
        case typesPerDocument = "types_per_document"
        case typeBytes = "type_bytes"
        case sampleDocuments = "sample_documents"
        case scanRate = "scan_rate"
        case sampleBytes = "sample_bytes"
        case sampleTokens = "sample_tokens"
        case sampleTypes = "sample_types"
        case heapsBeta = "heaps_beta"
    }

    /// The share of document pairs whose cosine is at least `t`, from the
    /// sample (nil without two sampled documents).
    public func pairShare(atLeast t: Double, jaccard: Bool = false) -> Double? {
        let sampleCosines = jaccard ? sampleJaccards : sampleCosines
        guard !sampleCosines.isEmpty else { return nil }
        var lo = 0
        var hi = sampleCosines.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Double(sampleCosines[mid]) >= t { hi = mid } else { lo = mid + 1 }
        }
        let below = lo
        // At least half a pair: a share of 0 in a small sample is not evidence of none.
        return max(0.5, Double(sampleCosines.count - below)) / Double(sampleCosines.count)
    }

    /// Bytes of `input` as stored (a walk of its files, no reading): what
    /// decides whether a real run is worth surveying before it starts.
    public static func storedBytes(_ input: CorpusInput) throws -> Int {
        guard !input.isStream else { return 0 }
        // A fingerprint file is loaded, not read as text: its counts are exact (`survey`).
        if input.kind == .fingerprint { return 0 }
        return try sizedUnits(input).reduce(0) { $0 + $1.size }
    }

    /// Bytes of text `input` may hold, from its listing and what its
    /// compressed files declare (no decompressing): what decides whether a
    /// real run is worth surveying before it starts. A plain file counts at
    /// its size; a compressed one at what it declares it holds (gzip's
    /// ISIZE, when it cannot have wrapped at 4 GiB; a Zstandard frame's
    /// content size), else at deflate's largest ratio, 1,032 times its
    /// size. (At their stored size, 2 MB of gzip holding 2 GiB of text was
    /// never surveyed, and `dedup` ran out of memory — review, session 29.)
    public static func planningBytes(_ input: CorpusInput) throws -> Int {
        guard !input.isStream, input.kind != .fingerprint else { return 0 }
        return try sizedUnits(input).reduce(0) { sum, u in
            guard compressionOf(u) != .none else { return sum &+ u.size }
            let most = u.size.multipliedReportingOverflow(by: 1032)
            let declared = declaredSize(u).map { max($0, u.size) }
            return sum &+ (declared ?? (most.overflow ? Int.max / 2 : most.partialValue))
        }
    }

    /// The decompressed size a compressed unit declares: gzip's last
    /// member's ISIZE (modulo 2³², so only for files too small to hold
    /// 4 GiB at deflate's largest ratio), or the content size in a
    /// Zstandard frame's header; nil when it declares none.
    static func declaredSize(_ unit: ReadUnit) -> Int? {
        let c = compressionOf(unit)
        guard c != .none else { return nil }
        let fd = FileName.open(unit.path, raw: unit.raw)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        switch c {
        case .gzip:
            guard st.st_size >= 18, Int(st.st_size) < (1 << 32) / 1032 else { return nil }
            var trailer: UInt32 = 0
            guard pread(fd, &trailer, 4, off_t(st.st_size - 4)) == 4 else { return nil }
            return Int(UInt32(littleEndian: trailer))
        case .zstd:
            var h = [UInt8](repeating: 0, count: 18)
            let n = h.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 18, 0) }
            guard n >= 6, Array(h[0..<4]) == [0x28, 0xB5, 0x2F, 0xFD] else { return nil }
            let descriptor = h[4]
            let single = descriptor & 0x20 != 0
            let at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)]
            let width = [single ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
            guard width > 0, at + width <= n else { return nil }
            var v: UInt64 = 0
            for i in 0..<width { v |= UInt64(h[at + i]) << (8 * i) }
            if width == 2 { v += 256 }
            return v > UInt64(Int.max / 2) ? Int.max / 2 : Int(v)
        default:
            return nil
        }
    }

    /// Inputs listed (walked and stat'ed) by the surveys of one command,
    /// by path, kind, patterns and shard: `storedBytes` and the survey
    /// (twice, when a bound does not settle it) would otherwise each walk and
    /// stat a directory, and the run after them walk it once more (on
    /// 11,009 files: 0.035–0.05 s to walk and stat, ~0.015 s to walk). The
    /// run takes the listing the check made (`takeListing`), so that the
    /// files it reads are the ones the check measured; a later listing of the
    /// same input (a second read in the same command) walks again. Scoped
    /// with `withListingsKept`: a listing is a snapshot, which outside one
    /// command could be stale.
    public final class Listings: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: [String: Listing] = [:]
        /// Threads that stat the files of a listing (`--threads`).
        let threads: Int

        public init(threads: Int = 1) { self.threads = max(1, threads) }

        static func key(_ input: CorpusInput) -> String {
            "\(input.kind)\u{0}\(input.path)\u{0}\(input.globs)\u{0}\(input.shard.map(\.description) ?? "")"
        }

        func listing(_ input: CorpusInput, list: () throws -> Listing) rethrows -> Listing {
            let key = Listings.key(input)
            if let listing = lock.withLock({ kept[key] }) { return listing }
            let listed = try list()
            lock.withLock { kept[key] = listed }
            return listed
        }

        func take(_ input: CorpusInput) -> Listing? {
            lock.withLock { kept.removeValue(forKey: Listings.key(input)) }
        }
    }

    /// The read units of an input, each file's size known, and the walk's skips.
    struct Listing: Sendable {
        var units: [ReadUnit]
        var skips: [Skip]
    }

    @TaskLocal static var listings: Listings?

    /// Runs `body` with the inputs' listings kept between the check before a
    /// run and the run (within one already, the same ones).
    public static func withListingsKept<T>(threads: Int = 1, _ body: () throws -> T) rethrows -> T {
        if listings != nil { return try body() }
        return try $listings.withValue(Listings(threads: threads), operation: body)
    }

    /// The listing of `input` a survey made in this scope, if any, handed
    /// over to the run that reads it (and forgotten).
    static func takeListing(_ input: CorpusInput) -> Listing? {
        guard input.kind != .memory else { return nil }
        return listings?.take(input)
    }

    /// The units a run would read, each with its stored size (the directory
    /// walk leaves regular files' sizes unknown; they are stat'ed here).
    private static func sizedUnits(_ input: CorpusInput) throws -> [ReadUnit] {
        guard input.kind != .memory, let listings else { return try list(input, threads: 1).units }
        return try listings.listing(input) { try list(input, threads: listings.threads) }.units
    }

    /// Lists `input` (`UnitPlanner.plan`) and stats the files whose size
    /// the walk left unknown, on `threads` threads (a system call a file:
    /// ~3 µs each, 0.03 s of a check of 11,009 files on one).
    private static func list(_ input: CorpusInput, threads: Int) throws -> Listing {
        var skips: [Skip] = []
        var units = try UnitPlanner.plan(input, skips: &skips)
        let unknown = units.indices.filter { i in
            if case .file = units[i].source { return units[i].size <= 0 }
            return false
        }
        var sizes = [Int](repeating: 0, count: unknown.count)
        sizes.withUnsafeMutableBufferPointer { out in
            units.withUnsafeBufferPointer { u in
                Parallel.chunks(unknown.count, chunk: 512, threads: unknown.count >= 1024 ? threads : 1) { range in
                    for k in range { out[k] = UnitPlanner.fileSize(u[unknown[k]].path, raw: u[unknown[k]].raw) }
                }
            }
        }
        for (k, i) in unknown.enumerated() { units[i].size = sizes[k] }
        return Listing(units: units, skips: skips)
    }

    /// Surveys `input`: lists its files and reads a sample of at most
    /// `sampleBytes` bytes of text from up to `sampleUnits` units spread
    /// evenly over it. `sampleCosines` and `sampleJaccards` are computed
    /// only when `pairs` asks for them: they are all pairs of up to 512
    /// (cosines) and 128 (Jaccards) sampled documents, which on long
    /// documents can cost more than the rest of the survey, and only
    /// thresholded `batch` and `dedup` plans read them. `depth` `.bound`
    /// reads at most `boundSampleBytes`, bounds the types from above and
    /// samples no pairs.
    /// - Throws: `.invalidParameter` for standard input (its size cannot be
    ///   known without reading it), `.noInput` when the input is unreadable.
    public static func survey(
        _ input: CorpusInput, tokenizer: TokenizerSpec, shingle: Int = 5, pairs: SamplePairs = [.cosines, .jaccards],
        depth: SurveyDepth = .estimate, sampleUnits: Int = 512, sampleBytes: Int = 16 << 20
    ) throws -> CorpusSurvey {
        if input.isStream {
            throw FingerprintError.invalidParameter(
                name: "--dry-run", value: input.path,
                reason: "cannot estimate a stream (standard input, a pipe) without reading it; save it to a file first")
        }
        if input.kind == .fingerprint { return try FingerprintFile(path: input.path).survey() }
        let units = try sizedUnits(input)
        if depth == .worstCase, let worst = worstCase(input, units: units, tokenizer: tokenizer) { return worst }
        let depth: SurveyDepth = depth == .worstCase ? .bound : depth
        let stored = units.reduce(0) { $0 + $1.size }
        let count = min(sampleUnits, units.count)
        let chosen: [Int] = count == units.count ? Array(units.indices) : (0..<count).map { $0 * units.count / count }
        // Each unit gives up to `cap` bytes, at least 256 KB (less of a long
        // document says little about it). The units are read in an order
        // spread over the corpus (any prefix of it is), and reading stops at
        // `sampleBytes` of text: 64 of 99 files of 1 MB, not 26 MB of all 99.
        // A bound from a small sample, without pairs: the cosines of all
        // pairs of 16 sampled documents of 1 MB were 0.55 s of a 1.0 s
        // thresholded `batch`, for a plan whose worst case (every pair kept)
        // needs a few kilobytes there.
        let bound = depth == .bound
        let asked = pairs
        let pairs: SamplePairs = bound ? [] : pairs
        let sampleBytes = bound ? min(sampleBytes, boundSampleBytes) : sampleBytes
        let cap = max(256 << 10, sampleBytes / max(1, count))
        let order = CorpusSurvey.spreadOrder(count)
        var counter = SampleCounter(spec: tokenizer, shingle: shingle, pairs: pairs, linear: bound)
        defer { counter.release() }
        // Per sampled unit: stored bytes consumed, text bytes read, records,
        // and whether all of the unit was read.
        var ratio: [Compression: (stored: Int, text: Int)] = [:]
        var jsonlRecordBytes = 0
        var jsonlRecords = 0
        var jsonlLineBytes = 0
        var jsonlTextBytes = 0
        var longestRecord = 0
        var fileDocBytes = 0
        var fileDocs = 0
        var allRead = true
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var sampled = 0
        for position in order {
            if sampled >= sampleBytes {
                allRead = false  // the budget is spent before the last of them
                break
            }
            let unit = units[chosen[position]]
            let read = try readPrefix(unit, input: input, cap: min(cap, sampleBytes - sampled), buffer: &buffer)
            ratio[read.compression, default: (0, 0)].stored += read.consumed
            ratio[read.compression, default: (0, 0)].text += read.produced
            sampled += read.bytes.count
            if !read.complete { allRead = false }
            switch unit.source {
            case .jsonlRange:
                let field = Array(input.field.utf8)
                let group = input.groupField.map { Array($0.utf8) }
                // One line: its bytes (with the newline, when it has one) and, when
                // it is a record of this corpus, its text.
                func line(_ line: ArraySlice<UInt8>, newline: Int) {
                    jsonlLineBytes += line.count + newline
                    let res = line.withUnsafeBufferPointer { JSONLine.extract($0, field: field, keyField: nil, groupField: group) }
                    if case .success(let r) = res, input.groupValue == nil || r.group == input.groupValue, !r.text.isEmpty {
                        jsonlRecords += 1
                        jsonlTextBytes += r.text.count
                        longestRecord = max(longestRecord, r.text.count)
                        r.text.withUnsafeBufferPointer { counter.document($0, scale: 1) }
                    }
                }
                let bytes = read.bytes
                var lineStart = 0
                while let nl = bytes[lineStart...].firstIndex(of: 0x0A) {
                    line(bytes[lineStart..<nl], newline: 1)
                    lineStart = nl + 1
                }
                // A last line without its newline counts when the unit was read whole.
                if read.complete && lineStart < bytes.count { line(bytes[lineStart...], newline: 0) }
                jsonlRecordBytes += read.bytes.count
            case .file, .filePart, .memory, .stdin:
                guard !read.bytes.isEmpty, !read.bytes.prefix(8192).contains(0) else { continue }
                fileDocs += 1
                fileDocBytes += read.bytes.count
                let scale = read.complete ? 1 : Double(read.estimatedTotal) / Double(max(1, read.bytes.count))
                read.bytes.withUnsafeBufferPointer { counter.document($0, scale: scale) }
            }
        }

        // Scale the sample to the corpus.
        func decompressed(_ unit: ReadUnit, _ c: Compression) -> Double {
            guard c != .none, let r = ratio[c], r.stored > 0 else { return Double(unit.size) }
            return Double(unit.size) * Double(r.text) / Double(r.stored)
        }
        var textBytes = 0.0
        var documents = 0.0
        var exact = true
        let lineToText = jsonlLineBytes > 0 ? Double(jsonlTextBytes) / Double(jsonlLineBytes) : 1
        let bytesPerRecord = jsonlRecords > 0 ? Double(jsonlLineBytes) / Double(jsonlRecords) : .infinity
        for unit in units {
            let c = compressionOf(unit)
            let raw = decompressed(unit, c)
            switch unit.source {
            case .jsonlRange:
                exact = false
                textBytes += raw * lineToText
                documents += bytesPerRecord.isFinite ? raw / bytesPerRecord : 0
            default:
                textBytes += raw
                documents += 1
            }
        }
        if case .memory = units.first?.source { textBytes = Double(units.reduce(0) { $0 + $1.size }) }
        let sampleText = Double(fileDocBytes + jsonlTextBytes)
        // Tokens and bytes of what was read: a ratio of the sample itself
        // (scaling a part-read document's tokens to its whole length but not
        // its bytes overstated tokens by that scale, 4× on 1 MB files).
        let tokensPerByte = sampleText > 0 ? Double(counter.tokens) / sampleText : 0
        let tokens = textBytes * tokensPerByte
        let beta = counter.heapsBeta
        let types = counter.types(atTokens: tokens)
        let complete = allRead && chosen.count == units.count
        var survey = CorpusSurvey(
            corpus: input.description, units: units.count, storedBytes: stored, textBytes: textBytes, documents: documents,
            documentsExact: exact, tokens: tokens, types: types,
            typesPerDocument: counter.documents > 0 ? counter.scaledDistinct / Double(counter.documents) : 0,
            typeBytes: counter.types > 0 ? Double(counter.typeBytes) / Double(counter.types) : 0,
            sampleDocuments: counter.documents, sampleBytes: Int(sampleText), sampleTokens: counter.tokens,
            sampleTypes: counter.types, heapsBeta: beta, complete: complete,
            sampleCosines: pairs.contains(.cosines) ? counter.cosines() : [],
            sampleJaccards: pairs.contains(.jaccards) ? counter.jaccards() : [],
            scanRate: counter.scanSeconds > 0 ? sampleText / counter.scanSeconds : 0)
        survey.isBound = bound && (!complete || !asked.isEmpty)
        let files = units.filter { if case .jsonlRange = $0.source { false } else { true } }
        survey.largestDocumentBytes = max(largestFile(files) { decompressed($0, compressionOf($0)) }, Double(longestRecord))
        if case .memory = units.first?.source { survey.largestDocumentBytes = Double(units.map(\.size).max() ?? 0) }
        return survey
    }

    /// The bytes of the largest file among `units` (a file read in parts:
    /// its parts together), each unit counting `bytes(unit)`.
    static func largestFile(_ units: [ReadUnit], _ bytes: (ReadUnit) -> Double) -> Double {
        var perFile: [String: Double] = [:]
        for u in units { perFile[u.path, default: 0] += bytes(u) }
        return perFile.values.max() ?? 0
    }

    /// Text a `SurveyDepth.bound` survey reads at most: 2 MB, an eighth of
    /// an estimate's (which on 99 files of 1 MB took 0.15 s of a 0.6 s
    /// `stats` run).
    public static let boundSampleBytes = 2 << 20

    /// `0..<n` in bit-reversed order (0, n/2, n/4, 3n/4, …, of the next
    /// power of two, those below n): every prefix is spread over the range.
    static func spreadOrder(_ n: Int) -> [Int] {
        guard n > 1 else { return Array(0..<n) }
        var bits = 0
        while 1 << bits < n { bits += 1 }
        return (0..<(1 << bits)).lazy.map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }.filter { $0 < n }
    }

    /// A `SurveyDepth.worstCase` survey of `units`, or nil when sizes alone
    /// cannot bound what they hold (see there).
    static func worstCase(_ input: CorpusInput, units: [ReadUnit], tokenizer: TokenizerSpec) -> CorpusSurvey? {
        guard tokenizer == .word, input.kind == .directory || input.kind == .file else { return nil }
        var files = 0
        for u in units {
            guard compressionOf(u) == .none else { return nil }
            switch u.source {
            case .file: files += 1
            case .filePart(_, _, let part): if part == 0 { files += 1 }
            default: return nil
            }
        }
        let stored = units.reduce(0) { $0 + max(0, $1.size) }
        let tokens = (Double(stored + 1) / 2).rounded(.down)
        let most = mostWordTypes(bytes: stored)
        var s = CorpusSurvey(
            corpus: input.description, units: units.count, storedBytes: stored, textBytes: Double(stored), documents: Double(files),
            documentsExact: true, tokens: tokens, types: most.types,
            typesPerDocument: files > 0 ? min(most.types, tokens / Double(files)) : 0, typeBytes: most.typeBytes,
            sampleDocuments: 0, sampleBytes: 0, sampleTokens: 0, sampleTypes: 0, heapsBeta: 1, complete: false)
        s.isBound = true
        s.isWorstCase = true
        s.largestDocumentBytes = largestFile(units) { Double(max(0, $0.size)) }
        return s
    }

    /// The most distinct `word` types a text of `bytes` bytes can hold, and
    /// the most bytes a type's lower-cased text can then take on average.
    /// Each type is a distinct run of word characters that occurs at least
    /// once, followed by a separator (but the last), so the most types come
    /// from the shortest runs, spelled in at most 63 one-byte word
    /// characters (A–Z, a–z, 0–9, _) and, as upper bounds, every 2-, 3- and
    /// 4-byte code point (1,920, 61,440, 1,048,576): S(L) = 63 S(L−1) +
    /// 1,920 S(L−2) + 61,440 S(L−3) + 1,048,576 S(L−4) runs of L bytes,
    /// taken shortest first, L + 1 bytes each. Lower-casing (on which types
    /// are told apart) maps runs to types, so never makes more of them; it
    /// can lengthen a run's text by half (U+0130 İ, 2 bytes, is "i̇", 3).
    /// A text of 104 MB holds at most 20.9 million types of ≤ 4 bytes, not
    /// the 52 million its tokens would allow.
    static func mostWordTypes(bytes: Int) -> (types: Double, typeBytes: Double) {
        let perLength: [Double] = [63, 1_920, 61_440, 1_048_576]
        var runs: [Double] = [1]  // runs[L]: distinct runs of L bytes (runs[0]: the empty one)
        var budget = Double(bytes) + 1  // the last type needs no separator
        var types = 0.0
        var spelled = 0.0
        var length = 1
        while budget >= Double(length + 1) {
            var n = 0.0
            for (k, c) in perLength.enumerated() where length - k - 1 >= 0 { n += c * runs[length - k - 1] }
            runs.append(n)
            let taken = min(n, (budget / Double(length + 1)).rounded(.down))
            types += taken
            spelled += taken * Double(length)
            budget -= taken * Double(length + 1)
            length += 1
        }
        return (types, types > 0 ? 1.5 * spelled / types : 0)
    }

    /// A unit's compression told by its name (`.gz`, `.zst`): the survey
    /// does not open every file of a large directory.
    private static func compressionOf(_ unit: ReadUnit) -> Compression {
        let lower = unit.path.lowercased()
        if lower.hasSuffix(".gz") { return .gzip }
        if lower.hasSuffix(".zst") { return .zstd }
        return .none
    }

    private struct Prefix {
        var bytes: [UInt8]
        var compression: Compression
        /// Stored bytes consumed to produce `bytes`.
        var consumed: Int
        /// Decompressed bytes the `consumed` bytes gave (≥ `bytes.count`).
        var produced: Int
        var complete: Bool
        /// The unit's estimated decompressed size.
        var estimatedTotal: Int
    }

    /// Up to `cap` decompressed bytes from the start of `unit`.
    private static func readPrefix(_ unit: ReadUnit, input: CorpusInput, cap: Int, buffer: inout [UInt8]) throws -> Prefix {
        if case .memory(let i) = unit.source {
            let b = Array(input.documents[i].utf8)
            return Prefix(bytes: b, compression: .none, consumed: b.count, produced: b.count, complete: true, estimatedTotal: b.count)
        }
        let fd = FileName.open(unit.path, raw: unit.raw)
        guard fd >= 0 else { return Prefix(bytes: [], compression: .none, consumed: 0, produced: 0, complete: true, estimatedTotal: 0) }
        defer { close(fd) }
        let c = Compression.detect(fd: fd)
        var start = 0
        var end = Int.max
        if case .jsonlRange(let s, let e) = unit.source { (start, end) = (s, e) }
        if c == .none { lseek(fd, off_t(start), SEEK_SET) }
        let span = c == .none ? min(end, max(unit.size, start)) - start : Int.max
        let source = ByteSource(fd: fd, compression: c, limit: c == .none ? min(span, cap) : .max)
        var out: [UInt8] = []
        var produced = 0
        var complete = false
        while out.count < cap {
            let n: Int
            do { n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) } } catch { break }
            if n == 0 {
                complete = c != .none || span <= cap
                break
            }
            produced += n
            out.append(contentsOf: buffer[0..<min(n, cap - out.count)])
        }
        // A decompressor's last read may give more than `cap` keeps: the
        // ratio is of what it produced to what it consumed.
        let total =
            complete
            ? out.count
            : (c == .none ? span : Int(Double(unit.size) * Double(produced) / Double(max(1, source.consumed))))
        return Prefix(
            bytes: out, compression: c, consumed: c == .none ? out.count : source.consumed, produced: c == .none ? out.count : produced,
            complete: complete, estimatedTotal: total)
    }
}

/// Counts tokens and distinct types of sampled documents, and the growth of
/// the vocabulary for Heaps' β.
struct SampleCounter {
    var stream: TokenStream
    /// Types seen, by hash (a `TokenTable` in hashed mode: its inserts were
    /// half of a `--dry-run` as two `Set<UInt64>`), and the last sampled
    /// document each occurred in.
    let seen = TokenTable(storesBytes: false, capacity: 1 << 14)
    var lastDocument: [Int32] = []
    var tokens = 0
    var typeBytes = 0
    var documents = 0
    var scaledDistinct = 0.0
    /// (tokens, types) each time the token count doubles.
    var growth: [(Int, Int)] = []
    var nextMark = 1024
    /// Term counts of the first 512 sampled documents (for the pair cosines).
    var vectors: [(keys: [UInt64], counts: [Int])] = []

    /// Word-shingle hash sets of the first 128 documents, each sorted
    /// without repeats.
    var shingleSets: [[UInt64]] = []
    let shingle: Int
    /// Which of the vectors and shingle sets to keep, for `cosines` and `jaccards`.
    let pairs: SamplePairs
    var scanSeconds = 0.0
    /// Whether types grow linearly with tokens (β = 1) beyond the sample:
    /// an upper bound rather than an estimate.
    let linear: Bool

    init(spec: TokenizerSpec, shingle: Int, pairs: SamplePairs, linear: Bool = false) {
        stream = TokenStream(spec)
        self.shingle = max(1, shingle)
        self.pairs = pairs
        self.linear = linear
    }
    var types: Int { seen.count }
    private static let noBytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    func release() { stream.release() }

    /// Each token's hash and length, of the document being counted (kept
    /// across documents: a new pair of arrays a document was a page fault
    /// every 512 tokens).
    private var sink = HashSink()

    mutating func document(_ bytes: UnsafeBufferPointer<UInt8>, scale: Double) {
        sink.hashes.removeAll(keepingCapacity: true)
        sink.lengths.removeAll(keepingCapacity: true)
        sink.hashes.reserveCapacity(bytes.count / 4)
        sink.lengths.reserveCapacity(bytes.count / 4)
        // Timed: tokenizing and counting (the work of a real scan).
        let t0 = DispatchTime.now().uptimeNanoseconds
        stream.feed(bytes, into: &sink)
        stream.finish(into: &sink)
        var distinct = 0
        let n = sink.hashes.count
        sink.hashes.withUnsafeBufferPointer { hs in
            sink.lengths.withUnsafeBufferPointer { ls in
                // The slot of the token `ahead` places on is fetched while
                // this one is counted, so that cache misses overlap (as in
                // `TokenBatch`).
                let ahead = 16
                for k in 0..<n {
                    if k &+ ahead < n { seen.prefetch(hash: hs[k &+ ahead]) }
                    tokens += 1
                    let id = Int(seen.insert(SampleCounter.noBytes, hash: hs[k]))
                    if id == lastDocument.count {
                        typeBytes += ls[k]
                        lastDocument.append(-1)
                    }
                    if lastDocument[id] != documents {
                        lastDocument[id] = Int32(truncatingIfNeeded: documents)
                        distinct += 1
                    }
                    if tokens == nextMark {
                        growth.append((tokens, seen.count))
                        nextMark *= 2
                    }
                }
            }
        }
        scanSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        if pairs.contains(.cosines) && vectors.count < 512 {
            // The document's types, ascending, with their counts.
            let sorted = sink.hashes.sorted()
            var keys: [UInt64] = []
            var counts: [Int] = []
            for h in sorted {
                if keys.last == h {
                    counts[counts.count - 1] += 1
                } else {
                    keys.append(h)
                    counts.append(1)
                }
            }
            vectors.append((keys, counts))
        }
        if pairs.contains(.jaccards) && shingleSets.count < 128 {
            var set: [UInt64] = []
            let hs = sink.hashes
            if hs.count >= shingle {
                set.reserveCapacity(hs.count - shingle + 1)
                for i in 0...(hs.count - shingle) {
                    var h: UInt64 = 0x9e37_79b9_7f4a_7c15
                    for j in i..<(i + shingle) { h = (h ^ hs[j]) &* 0x100_0000_01b3 }
                    set.append(h)
                }
            }
            var parts = [set]
            shingleSets.append(RadixSort.sortedUnique(parts: &parts, threads: 1))
        }
        documents += 1
        // A document read in part: its distinct types grow by Heaps' law too.
        scaledDistinct += Double(distinct) * (linear ? scale : pow(scale, heapsBeta))
    }

    /// Cosines of every pair of sampled documents' TF-IDF vectors (smooth
    /// idf over the sample), ascending. Each vector is its types in
    /// ascending order, so a dot product is one merge and every sum runs in
    /// the same order in every process (Swift's dictionaries iterate in an
    /// order seeded per process).
    func cosines() -> [Float] {
        guard vectors.count >= 2 else { return [] }
        var df: [UInt64: Int] = [:]
        for v in vectors { for k in v.keys { df[k, default: 0] += 1 } }
        let n = Double(vectors.count)
        let weights: [[Double]] = vectors.map { v in
            var w = v.keys.indices.map { i in Double(v.counts[i]) * (log((1 + n) / (1 + Double(df[v.keys[i]]!))) + 1) }
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in w.indices { w[i] /= norm } }
            return w
        }
        var out: [Float] = []
        out.reserveCapacity(vectors.count * (vectors.count - 1) / 2)
        for i in 0..<vectors.count {
            for j in (i + 1)..<vectors.count {
                out.append(Float(SampleCounter.dot(vectors[i].keys, weights[i], vectors[j].keys, weights[j])))
            }
        }
        return out.sorted()
    }

    /// Σ x_k y_k over the keys two ascending arrays without repeats share.
    static func dot(_ a: [UInt64], _ x: [Double], _ b: [UInt64], _ y: [Double]) -> Double {
        var sum = 0.0
        forEachSharedSorted(a[...], b[...]) { i, j in sum += x[i] * y[j] }
        return sum
    }

    /// Shingles a set keeps at most, about, for the pair Jaccards.
    static let jaccardSample = 8192

    /// Jaccard similarities of every pair of shingle sets, ascending: each
    /// intersection by one merge of the two sorted sets (a `Set` lookup a
    /// shingle took 5 s for 128 sampled documents of 1 MB). When the largest
    /// set holds more than `jaccardSample` shingles, every set keeps only
    /// its shingles below one hash threshold that leaves the largest about
    /// that many — a consistent sample (a shingle is kept in every set or in
    /// none), whose Jaccard estimates the whole sets' (Broder's) — and, the
    /// sets being sorted, each kept part is a prefix. On 128 documents of
    /// 1 MB the merges were most of `dedup`'s 1.35 s check before a run.
    func jaccards() -> [Float] {
        guard shingleSets.count >= 2 else { return [] }
        let largest = shingleSets.map(\.count).max()!
        let kept: [ArraySlice<UInt64>] =
            largest <= SampleCounter.jaccardSample
            ? shingleSets.map { $0[...] }
            : {
                let threshold = UInt64(Double(UInt64.max) * Double(SampleCounter.jaccardSample) / Double(largest))
                return shingleSets.map { set in set[..<sortedLowerBound(set, threshold)] }
            }()
        var out: [Float] = []
        out.reserveCapacity(kept.count * (kept.count - 1) / 2)
        for i in 0..<kept.count {
            for j in (i + 1)..<kept.count {
                let inter = sortedIntersectionCount(kept[i], kept[j])
                let union = kept[i].count + kept[j].count - inter
                out.append(union == 0 ? 0 : Float(inter) / Float(union))
            }
        }
        return out.sorted()
    }

    /// Local Heaps exponents between successive doublings of the sample's
    /// tokens: (log2 of the midpoint, β).
    var localBetas: [(x: Double, beta: Double)] {
        let marks = growth + (growth.last?.0 == tokens ? [] : [(tokens, seen.count)])
        guard marks.count >= 2 else { return [] }
        return (1..<marks.count).compactMap { i in
            let (n1, v1) = marks[i - 1]
            let (n2, v2) = marks[i]
            guard n2 > n1, v1 > 0 else { return nil }
            let b = log(Double(v2) / Double(v1)) / log(Double(n2) / Double(n1))
            return ((log2(Double(n1)) + log2(Double(n2))) / 2, min(1, max(0, b)))
        }
    }

    /// The sample's last local β (1 before there is any).
    var heapsBeta: Double { localBetas.last?.beta ?? 1 }

    /// Types at `n` tokens: the vocabulary grows by the local β, which falls
    /// as the sample grows (the curvature of every real vocabulary); the fall
    /// is fitted on the last four doublings and carried on, β kept in [0, 1].
    /// With `linear`, they grow as the tokens do from the sample's end.
    func types(atTokens n: Double) -> Double {
        guard types > 0, n > Double(tokens) else { return Double(min(types, Int(n))) }
        if linear { return min(n, Double(types) * n / Double(tokens)) }
        let betas = Array(localBetas.suffix(4))
        guard let last = betas.last else { return Double(types) * n / Double(max(1, tokens)) }
        var slope = 0.0
        if betas.count >= 3 {
            let mx = betas.map(\.x).reduce(0, +) / Double(betas.count)
            let mb = betas.map(\.beta).reduce(0, +) / Double(betas.count)
            let sxx = betas.reduce(0) { $0 + ($1.x - mx) * ($1.x - mx) }
            let sxb = betas.reduce(0) { $0 + ($1.x - mx) * ($1.beta - mb) }
            if sxx > 0 { slope = min(0, sxb / sxx) }
        }
        var logV = log2(Double(types))
        var x = log2(Double(tokens))
        let end = log2(n)
        while x < end {
            let step = min(0.25, end - x)
            let b = min(1, max(0, last.beta + slope * (x + step / 2 - last.x)))
            logV += b * step
            x += step
        }
        return min(n, exp2(logV))
    }
}

/// Each token's `TokenTable.hash` and length, in order.
private struct HashSink: TokenSink {
    var hashes: [UInt64] = []
    var lengths: [Int] = []

    mutating func accept(_ token: UnsafeBufferPointer<UInt8>) {
        hashes.append(TokenTable.hash(token))
        lengths.append(token.count)
    }

    mutating func acceptPadded(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        hashes.append(TokenTable.paddedHash(token))
        lengths.append(token.count)
    }
}
