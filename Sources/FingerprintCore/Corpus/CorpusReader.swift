import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Consumes the text of documents, one document at a time, on one thread.
/// The reader makes one worker per thread.
package protocol DocumentWorker {
    associatedtype Output
    /// More bytes of the current document.
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>)
    /// The document ended; returns what the worker keeps of it.
    mutating func finish() -> Output
    /// The current document is abandoned (read error); forget it.
    mutating func discard()
    /// Invalid UTF-8 sequences replaced so far by this worker.
    var invalidSequences: Int { get }
    /// Tokens longer than the tokenizer's cap so far (see `WordScanner`).
    var truncatedTokens: Int { get }
    /// Frees the worker's buffers. The caller of `CorpusReader.read` does it
    /// for the workers it gets back; `read` does it itself when it throws.
    func release()
    /// Whether a large file may be read in parts by several workers, each
    /// part ended by `finishPart` and the parts' outputs combined by the
    /// caller (`CorpusScan.parts`): only when the output is a sum over the
    /// document's tokens that ignores how they were grouped (word counts),
    /// not n-grams or shingles that would cross a part boundary.
    var splitsDocuments: Bool { get }
    /// Ends one part of a document read in parts (see `splitsDocuments`).
    mutating func finishPart() -> Output
}

extension DocumentWorker {
    package var truncatedTokens: Int { 0 }
    package var splitsDocuments: Bool { false }
    package mutating func finishPart() -> Output { finish() }
}

/// Receives progress from a long read: units done and bytes read.
public protocol ProgressSink: AnyObject, Sendable {
    func start(totalBytes: Int, totalUnits: Int)
    func advance(bytes: Int, units: Int)
    func finish()
}

/// Limits and switches for reading.
/// What `index add` already holds: the stored digest of each document name
/// (SHA-256 of the text, HMAC-SHA-256 under `key`).
package struct UnchangedDocuments: Sendable {
    /// The stored digest of the document the reader names `name`, or nil.
    package var storedDigest: @Sendable (String) -> [UInt8]?
    package var key: FingerprintKey?

    package init(key: FingerprintKey?, storedDigest: @escaping @Sendable (String) -> [UInt8]?) {
        self.key = key
        self.storedDigest = storedDigest
    }
}

/// Computes only the digest of each document (SHA-256, or HMAC-SHA-256
/// under a key), over the same bytes the other workers are given; the
/// sketch worker keeps its document digests with one.
package struct DigestWorker: DocumentWorker {
    let key: FingerprintKey?
    var sha = SHA256()
    var hmac: HMACSHA256?

    package init(key: FingerprintKey?) {
        self.key = key
        hmac = key?.textDigest()
    }

    package mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        if hmac != nil { hmac!.update(chunk) } else { sha.update(chunk) }
    }

    package mutating func finish() -> [UInt8] {
        defer { discard() }
        return hmac != nil ? hmac!.digest() : sha.digest()
    }

    package mutating func discard() {
        sha = SHA256()
        hmac = key?.textDigest()
    }

    package var invalidSequences: Int { 0 }
    package func release() {}
}

public struct ReadOptions: Sendable {
    /// Worker threads (default: all cores).
    public var threads: Int
    /// Bytes read per system call.
    public var chunkBytes: Int = 1 << 20
    /// A plain text file of at least twice this size is read in parts of
    /// about this size by several workers, when the worker allows it
    /// (`DocumentWorker.splitsDocuments`); 0: never.
    public var partBytes: Int = 4 << 20
    /// Longest JSONL line accepted; a longer one is skipped.
    public var maxLineBytes: Int = 256 << 20
    /// Turn skips into an error (exit 65).
    public var strict = false
    /// `readInBatches` reads a corpus with no usable document as empty
    /// instead of failing (one shard of a corpus may hold none).
    public var allowsNoDocuments = false
    /// Documents already stored unchanged (`index add`): a file whose name
    /// has a stored digest is digested first, and not given to the worker
    /// when the digests agree.
    package var unchanged: UnchangedDocuments? = nil

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, strict: Bool = false) {
        self.threads = max(1, threads)
        self.strict = strict
    }
}

/// What a read produced: the documents in sorted path order, each worker's
/// output for it, and what was skipped.
package struct CorpusScan<Worker: DocumentWorker> {
    public var documents: [DocumentInfo]
    /// Per document: (worker index, output). For a document read in parts,
    /// the output of its first part.
    public var outputs: [(worker: Int, output: Worker.Output)]
    /// The other parts' outputs of the documents read in parts, by document
    /// index (empty unless the worker `splitsDocuments`).
    public var parts: [Int: [(worker: Int, output: Worker.Output)]] = [:]
    public var workers: [Worker]
    public var skips: [Skip]
    /// Bytes of all documents used.
    public var bytes: Int
    /// Invalid UTF-8 sequences replaced, over all documents.
    public var invalidSequences: Int
    /// Tokens longer than the tokenizer's cap, over all documents.
    public var truncatedTokens = 0
}

/// Reads a corpus in parallel, streaming each file in chunks, and hands the
/// text to per-thread workers. Output order is the sorted path order (and
/// line order inside JSONL), whatever the thread count.
package enum CorpusReader {
    final class UnitResult<Output> {
        var docs: [DocumentInfo] = []
        var outputs: [Output] = []
        var skips: [(line: Int?, skip: Skip)] = []
        /// Outputs of a file's later parts (its first part's is in `outputs`).
        var parts: [(worker: Int, output: Output)] = []
        var lines = 0
        var bytes = 0
        /// Documents found unchanged (`ReadOptions.unchanged`).
        var unchanged = 0
        var worker = 0
        /// The unit's path bytes when not UTF-8 (copied into its documents).
        var raw: [UInt8]? = nil
    }

    /// Reads `input` with one `makeWorker()` per thread.
    /// - Throws: `.noInput` when the input cannot be opened, `.dataError`
    ///   when nothing usable is found (or anything is skipped with `strict`).
    public static func read<W: DocumentWorker>(
        _ input: CorpusInput, options: ReadOptions = ReadOptions(),
        progress: ProgressSink? = nil, makeWorker: () -> W
    ) throws -> CorpusScan<W> {
        var whole: CorpusScan<W>? = nil
        let totals = try readInBatches(
            input, options: options, batchBytes: .max, releasingWorkers: false, progress: progress, makeWorker: makeWorker
        ) { whole = $0 }
        var scan = whole!
        scan.skips = totals.skips
        return scan
    }

    /// What a batched read saw over all its batches.
    package struct ReadTotals {
        public var documents = 0
        public var skips: [Skip] = []
        public var bytes = 0
        public var invalidSequences = 0
        public var truncatedTokens = 0
        /// Documents not read further because their stored digest equals
        /// the text's (`ReadOptions.unchanged`); not in `documents`.
        public var unchanged = 0
    }

    /// The stored bytes the next batch of a batched read takes: a quarter
    /// of `batchBytes` for the first, so that the consumer (the writer of
    /// a fingerprint file) starts sooner; half of what is left once less
    /// than two batches' bytes are (at least an eighth of `batchBytes`),
    /// so that little is left to consume after the last is read
    /// (`remaining`: nil when the listing does not know every size).
    static func batchTarget(_ batchBytes: Int, first: Bool, remaining: Int?) -> Int {
        guard batchBytes < .max else { return .max }
        if first { return max(1, batchBytes / 4) }
        if let remaining, remaining < 2 * batchBytes { return max(batchBytes / 8, remaining / 2) }
        return batchBytes
    }

    /// Reads `input` in batches of consecutive read units of about
    /// `batchBytes` stored bytes each (`batchTarget`), handing each batch to `consume` in
    /// document order before reading the next: memory holds one batch's
    /// outputs, not the corpus's. The workers (and their token tables) live
    /// across batches; `consume` gets them with each batch, and they are
    /// released at the end (unless `releasingWorkers` is false and the read
    /// succeeds: then the caller releases them). Each batch's `skips` are its
    /// own; the totals' are all of them, the planner's first.
    /// - Throws: as `read`; the checks for strict skips and for a corpus with
    ///   no document are made at the end (after `consume` saw every batch).
    public static func readInBatches<W: DocumentWorker>(
        _ input: CorpusInput, options: ReadOptions = ReadOptions(), batchBytes: Int, releasingWorkers: Bool = true,
        progress: ProgressSink? = nil, makeWorker: () -> W, consume: (CorpusScan<W>) throws -> Void
    ) throws -> ReadTotals {
        var planSkips: [Skip] = []
        var units: [ReadUnit]
        if let listed = CorpusSurvey.takeListing(input) {
            // Listed (and stat'ed) by the check before the run.
            units = listed.units
            planSkips = listed.skips
        } else {
            units = try UnitPlanner.plan(input, skips: &planSkips)
        }
        let firstWorker = makeWorker()
        if firstWorker.splitsDocuments { units = UnitPlanner.splitLargeFiles(units, partBytes: options.partBytes) }
        let threads = max(1, min(options.threads, units.count))
        var workers = [firstWorker] + (1..<threads).map { _ in makeWorker() }
        var succeeded = false
        defer { if releasingWorkers || !succeeded { for w in workers { w.release() } } }
        progress?.start(totalBytes: units.reduce(0) { $0 + $1.size }, totalUnits: units.count)
        var buffers = (0..<threads).map { _ in [UInt8](repeating: 0, count: options.chunkBytes) }
        var totals = ReadTotals(skips: planSkips)
        var lineBase: [String: Int] = [:]
        var first = 0
        // Batches ramp up and taper off (`batchTarget`); the stored bytes
        // of the units not yet read, when the listing knows every size.
        var remaining: Int? = units.allSatisfy { $0.size > 0 } ? units.reduce(0) { $0 + $1.size } : nil
        repeat {
            var last = first
            var size = 0
            let target = batchTarget(batchBytes, first: first == 0, remaining: remaining)
            while last < units.count && (last == first || size < target) {
                // The directory walk leaves most files' sizes unknown (0): stat them here.
                var unitSize = units[last].size
                if unitSize <= 0, batchBytes < .max, case .file = units[last].source {
                    unitSize = UnitPlanner.fileSize(units[last].path, raw: units[last].raw)
                }
                size += max(unitSize, 1)
                last += 1
                // The parts of a file read in parts stay in one batch.
                while last < units.count, case .filePart(_, _, let k) = units[last].source, k > 0 {
                    size += units[last].size
                    last += 1
                }
            }
            let batch = Array(units[first..<last])
            if let r = remaining { remaining = r - batch.reduce(0) { $0 + $1.size } }
            first = last
            let results = UnsafeMutableBufferPointer<UnitResult<W.Output>?>.allocate(capacity: batch.count)
            results.initialize(repeating: nil)
            defer {
                results.deinitialize()
                results.deallocate()
            }
            // One read buffer per worker; units taken in order from the shared queue.
            workers.withUnsafeMutableBufferPointer { ws in
                buffers.withUnsafeMutableBufferPointer { bs in
                    let wsBase = ws.baseAddress!
                    let bsBase = bs.baseAddress!
                    try! Parallel.queue(batch.count, threads: min(threads, max(1, batch.count))) { w, u in
                        let r = UnitResult<W.Output>()
                        r.worker = w
                        readUnit(batch[u], input: input, options: options, worker: &wsBase[w], buffer: &bsBase[w], into: r)
                        results[u] = r
                        progress?.advance(bytes: r.bytes, units: 1)
                    }
                }
            }
            joinParts(batch, results)
            // Assemble in unit order; JSONL line numbers become absolute.
            var docs: [DocumentInfo] = []
            var outputs: [(worker: Int, output: W.Output)] = []
            var parts: [Int: [(worker: Int, output: W.Output)]] = [:]
            var skips: [Skip] = []
            var bytes = 0
            for u in 0..<batch.count {
                guard let r = results[u] else { continue }
                let base = lineBase[batch[u].path, default: 0]
                for var d in r.docs {
                    if let l = d.line {
                        d.line = l + base
                        d.name = "\(batch[u].name):\(l + base)"
                    }
                    docs.append(d)
                }
                for s in r.skips {
                    var sk = s.skip
                    if let l = s.line { sk.path = "\(batch[u].path):\(l + base)" }
                    skips.append(sk)
                }
                lineBase[batch[u].path] = base + r.lines
                bytes += r.bytes
                totals.unchanged += r.unchanged
                for o in r.outputs { outputs.append((worker: r.worker, output: o)) }
                if !r.parts.isEmpty { parts[outputs.count - 1] = r.parts }
            }
            totals.skips += skips
            totals.documents += docs.count
            totals.bytes += bytes
            totals.invalidSequences = workers.reduce(0) { $0 + $1.invalidSequences }
            totals.truncatedTokens = workers.reduce(0) { $0 + $1.truncatedTokens }
            if options.strict, let first = totals.skips.first {
                throw FingerprintError.strictSkip(path: first.path, reason: first.reason)
            }
            let scan = CorpusScan(
                documents: docs, outputs: outputs, parts: parts, workers: workers, skips: skips, bytes: bytes,
                invalidSequences: totals.invalidSequences, truncatedTokens: totals.truncatedTokens)
            if first == units.count && totals.documents == 0 { break }
            try consume(scan)
        } while first < units.count
        progress?.finish()
        if totals.documents == 0 && totals.unchanged == 0 && !options.allowsNoDocuments {
            let skips = totals.skips
            let why = skips.isEmpty ? "no documents found" : "no usable documents (\(skips.count) skipped, first: \(skips[0].reason))"
            throw FingerprintError.noDocuments(
                path: input.description, reason: why,
                patterns: input.kind == .directory ? input.globs : [])
        }
        succeeded = true
        return totals
    }

    /// Folds the results of a file read in parts into its first part's: one
    /// document of all the parts' bytes, the later parts' outputs in
    /// `parts`; or, when any part failed, no document and the first failure.
    private static func joinParts<Output>(_ units: [ReadUnit], _ results: UnsafeMutableBufferPointer<UnitResult<Output>?>) {
        var u = 0
        while u < units.count {
            guard case .filePart = units[u].source else {
                u += 1
                continue
            }
            var end = u + 1
            while end < units.count, case .filePart(_, _, let k) = units[end].source, k > 0 { end += 1 }
            let rs = (u..<end).compactMap { results[$0] }
            let head = rs[0]
            if rs.count == end - u && rs.allSatisfy({ $0.outputs.count == 1 && $0.skips.isEmpty }) {
                head.docs[0].bytes = rs.reduce(0) { $0 + $1.bytes }
                head.bytes = head.docs[0].bytes
                head.parts = rs.dropFirst().map { (worker: $0.worker, output: $0.outputs[0]) }
            } else {
                head.skips = Array(rs.lazy.flatMap(\.skips).prefix(1))
                head.docs = []
                head.outputs = []
                head.bytes = 0
            }
            for k in (u + 1)..<end { results[k] = nil }
            u = end
        }
    }

    private static func readUnit<W: DocumentWorker>(
        _ unit: ReadUnit, input: CorpusInput, options: ReadOptions,
        worker: inout W, buffer: inout [UInt8], into r: UnitResult<W.Output>
    ) {
        switch unit.source {
        case .stdin:
            // Standard input or a pipe, gzip or Zstandard too (told by its first bytes).
            let source: ByteSource
            do { source = try StreamInput.source(unit.path) } catch {
                r.skips.append((nil, Skip(path: unit.path, reason: "\(error)")))
                return
            }
            readStream(source, name: unit.name, path: unit.path, options: options, worker: &worker, buffer: &buffer, into: r)
        case .file, .filePart:
            let fd =
                FileName.open(unit.path, raw: unit.raw)
            guard fd >= 0 else {
                r.skips.append((nil, Skip(path: unit.path, reason: "cannot open: \(String(cString: strerror(errno)))")))
                return
            }
            defer { close(fd) }
            r.raw = unit.raw
            let source: ByteSource
            var part: Int? = nil
            if case .filePart(let start, let end, let k) = unit.source {
                lseek(fd, off_t(start), SEEK_SET)
                source = ByteSource(fd: fd, compression: .none, limit: end - start)
                part = k
            } else {
                if let check = options.unchanged, let stored = check.storedDigest(unit.name) {
                    // Digest the text as the worker would see it; unchanged: done.
                    var digester = DigestWorker(key: check.key)
                    let probe = UnitResult<[UInt8]>()
                    readStream(
                        ByteSource(fd: fd, compression: Compression.detect(fd: fd)), name: unit.name, path: unit.path, options: options,
                        worker: &digester, buffer: &buffer, into: probe)
                    if probe.skips.isEmpty && probe.outputs.first == stored {
                        r.unchanged += 1
                        r.bytes += probe.bytes
                        return
                    }
                    lseek(fd, 0, SEEK_SET)
                }
                source = ByteSource(fd: fd, compression: Compression.detect(fd: fd))
            }
            readStream(
                source, name: unit.name, path: unit.path, part: part, options: options, worker: &worker, buffer: &buffer, into: r)
        case .memory(let i):
            var text = input.documents[i]
            text.withUTF8 { bytes in
                guard !bytes.isEmpty else {
                    r.skips.append((nil, Skip(path: unit.name, reason: "empty document")))
                    return
                }
                worker.feed(bytes)
                r.outputs.append(worker.finish())
                r.docs.append(DocumentInfo(name: unit.name, path: unit.path, line: nil, bytes: bytes.count))
                r.bytes += bytes.count
            }
        case .jsonlRange(let start, let end):
            readJSONL(
                unit, start: start, end: end, field: Array(input.field.utf8), keyField: input.keyField.map { Array($0.utf8) },
                group: input.groupField.map { (Array($0.utf8), input.groupValue) },
                options: options,
                worker: &worker, buffer: &buffer, into: r)
        }
    }

    /// One document from `source` (decompressed on the fly when the file is
    /// gzip or Zstandard): a read error or a corrupt or truncated stream
    /// discards it as a counted skip that says where, never a partial document.
    /// With `part`, one part of a document read in parts (only the first is
    /// checked for NUL bytes; each is ended by `finishPart`).
    private static func readStream<W: DocumentWorker>(
        _ source: ByteSource, name: String, path: String, part: Int? = nil, options: ReadOptions,
        worker: inout W, buffer: inout [UInt8], into r: UnitResult<W.Output>
    ) {
        var total = 0
        var first = true
        while true {
            let n: Int
            do { n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) } } catch {
                if !first || total > 0 { worker.discard() }
                r.skips.append((nil, Skip(path: path, reason: "\(error)")))
                return
            }
            if n == 0 { break }
            first = false
            // The first 8 KiB, over as many reads as they take (standard
            // input's first read is the few bytes sniffed for compression).
            if (part ?? 0) == 0 && total < 8192 {
                let probe = min(n, 8192 - total)
                if buffer.withUnsafeBufferPointer({ memchr($0.baseAddress!, 0, probe) != nil }) {
                    if total > 0 { worker.discard() }
                    r.skips.append((nil, Skip(path: path, reason: "binary file (NUL byte in the first 8 KiB)")))
                    return
                }
            }
            buffer.withUnsafeBufferPointer { worker.feed(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            total += n
        }
        if total == 0 {
            r.skips.append((nil, Skip(path: path, reason: "empty document")))
            return
        }
        r.outputs.append(part == nil ? worker.finish() : worker.finishPart())
        var info = DocumentInfo(name: name, path: path, line: nil, bytes: total)
        info.rawPath = r.raw
        r.docs.append(info)
        r.bytes += total
    }

    private static func readJSONL<W: DocumentWorker>(
        _ unit: ReadUnit, start: Int, end: Int, field: [UInt8], keyField: [UInt8]?, group: (field: [UInt8], value: String?)?,
        options: ReadOptions,
        worker: inout W, buffer: inout [UInt8], into r: UnitResult<W.Output>
    ) {
        // Standard input or a pipe read as JSON Lines (--stdin jsonl): one stream.
        let stream = StreamInput.isStream(unit.path)
        let fd = stream ? 0 : FileName.open(unit.path, raw: unit.raw)
        guard fd >= 0 else {
            r.skips.append((nil, Skip(path: unit.path, reason: "cannot open: \(String(cString: strerror(errno)))")))
            return
        }
        defer { if !stream { close(fd) } }
        r.raw = unit.raw
        let source: ByteSource
        if stream {
            do { source = try StreamInput.source(unit.path) } catch {
                r.skips.append((nil, Skip(path: unit.path, reason: "\(error)")))
                return
            }
        } else {
            let compression = Compression.detect(fd: fd)
            if compression == .none { lseek(fd, off_t(start), SEEK_SET) }
            source = ByteSource(fd: fd, compression: compression, limit: compression == .none ? end - start : .max)
        }
        var line: [UInt8] = []
        var tooLong = false
        let fieldName = String(decoding: field, as: UTF8.self)

        func endLine() {
            r.lines += 1
            let lineNo = r.lines
            defer {
                line.removeAll(keepingCapacity: line.count < (1 << 24))
                tooLong = false
            }
            if tooLong {
                r.skips.append((lineNo, Skip(path: unit.path, reason: "line longer than \(options.maxLineBytes) bytes")))
                return
            }
            // A UTF-8 byte-order mark at the start of the file is not part of the JSON.
            if start == 0 && lineNo == 1 && line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
            // Blank lines are not documents and not errors.
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            let res = line.withUnsafeBufferPointer { JSONLine.extract($0, field: field, keyField: keyField, groupField: group?.field) }
            switch res {
            case .success(let (text, key, groupValue)):
                // A record of another group (`--where F=V`) is not part of this corpus.
                if let wanted = group?.value, groupValue != wanted { return }
                if text.isEmpty {
                    r.skips.append((lineNo, Skip(path: unit.path, reason: "empty document (field '\(fieldName)' is \"\")")))
                    return
                }
                text.withUnsafeBufferPointer { worker.feed($0) }
                r.outputs.append(worker.finish())
                var info = DocumentInfo(name: unit.name, path: unit.path, line: lineNo, bytes: text.count, key: key)
                info.group = groupValue
                info.rawPath = unit.raw
                r.docs.append(info)
                r.bytes += text.count
            case .failure(.missingField):
                r.skips.append((lineNo, Skip(path: unit.path, reason: "no field '\(fieldName)'; name the field that holds the text")))
            case .failure(.notString):
                r.skips.append((lineNo, Skip(path: unit.path, reason: "field '\(fieldName)' is not a string")))
            case .failure(.notObject):
                r.skips.append((lineNo, Skip(path: unit.path, reason: "line is not a JSON object")))
            case .failure(.invalid(let why)):
                r.skips.append((lineNo, Skip(path: unit.path, reason: "invalid JSON: \(why)")))
            }
        }

        while true {
            let n: Int
            do { n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) } } catch {
                // The records read so far stand; the rest of the file is one skip.
                r.skips.append((r.lines + 1, Skip(path: unit.path, reason: "\(error); the rest of the file is not read")))
                return
            }
            if n == 0 { break }
            buffer.withUnsafeBufferPointer { b in
                var s = 0
                while s < n {
                    if let k = memchr(b.baseAddress! + s, 0x0A, n - s) {
                        let e = UnsafeRawPointer(b.baseAddress!).distance(to: UnsafeRawPointer(k))
                        if !tooLong { line.append(contentsOf: b[s..<e]) }
                        if line.count > options.maxLineBytes {
                            tooLong = true
                            line.removeAll()
                        }
                        endLine()
                        s = e + 1
                    } else {
                        if !tooLong { line.append(contentsOf: b[s..<n]) }
                        if line.count > options.maxLineBytes {
                            tooLong = true
                            line.removeAll()
                        }
                        s = n
                    }
                }
            }
        }
        if !line.isEmpty || tooLong { endLine() }
    }
}
