/// The `word` tokenizer as a streaming scanner over UTF-8 bytes.
///
/// A token is a maximal run of Unicode letters (L*), marks (M*), numbers
/// (Nd, Nl, No) and `_`, lower-cased with the full Unicode lowercase mapping
/// and the Final_Sigma rule (as Python's `str.lower()`); every CJK ideograph,
/// Hiragana and Katakana character is a token of its own. Invalid UTF-8 is
/// replaced by U+FFFD (a separator) and counted in `invalidSequences`, by the
/// maximal-subpart rule Python's decoder uses.
///
/// Bytes may arrive in chunks of any size: a scalar or a token split across
/// two chunks is handled. Call `finish(into:)` at the end of a document.
///
/// - Complexity: O(bytes); ASCII text goes 64 bytes a step through
///   `AsciiBlock` (SIMD classification and lower-casing; a token inside the
///   block is handed to the sink straight from the lower-cased block), the
///   rest byte by byte through a 256-entry table, and no allocation happens
///   per token. Every token handed to a sink has at least 8 readable bytes
///   from its start (`TokenSink.acceptPadded`).
package struct WordScanner {
    /// Invalid UTF-8 sequences replaced so far.
    public private(set) var invalidSequences = 0
    /// Tokens longer than `maxTokenBytes`. Each is kept as its first bytes
    /// followed by `~` and 16 hex digits of a hash of the rest, so two long
    /// tokens that differ anywhere stay two types.
    public private(set) var truncatedTokens = 0
    /// Longest token kept, in bytes; a longer run is cut (bounded memory on
    /// pathological input such as a gigabyte without a separator).
    public let maxTokenBytes: Int
    /// Whether ASCII text goes through `AsciiBlock` (false: byte by byte
    /// only, the reference the block path is tested against).
    let blocks: Bool

    private var tok: UnsafeMutablePointer<UInt8>
    /// The current `AsciiBlock`'s lower-cased bytes, 8 bytes of slack after.
    private var lowered: UnsafeMutablePointer<UInt8>
    private var len = 0
    private var truncating = false
    private var overflowHash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over the bytes past the cap
    private var held = false  // token complete, waiting for a sigma decision
    /// Case-ignorable scalars (value, offset, length) met while `held`: they
    /// may start the next token (a combining mark after an apostrophe), and
    /// the σ is decided only by the first scalar after them, so they wait
    /// with the held token and are replayed once it is emitted.
    private var deferred: [(UInt32, Int, Int)] = []
    /// Past this many deferred scalars the σ is taken as final (a bound on
    /// memory for pathological input; Python would look further).
    private static let maxDeferred = 1 << 16
    private var sigmaAt = -1  // offset of a pending σ in `tok`
    private var carry: [UInt8] = []  // incomplete UTF-8 sequence from the last chunk
    private var consumed = 0  // bytes of the document fed before the current chunk
    private var tokStart = 0, tokEnd = 0  // byte range of the current token in the document
    private var slowState = false  // last non-case-ignorable scalar was cased (as of asciiRunStart)
    private var cache: [UInt32: ScalarInfo] = [:]

    /// 256 entries: 0 for an ASCII separator, else the lower-cased byte.
    private static let asciiLower: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x30...0x39, 0x61...0x7A, 0x5F: return UInt8(b)
        case 0x41...0x5A: return UInt8(b + 0x20)
        default: return 0
        }
    }

    public init(maxTokenBytes: Int = 1 << 20, blocks: Bool = true) {
        self.maxTokenBytes = max(32, maxTokenBytes)  // room for the 17-byte marker of a long token
        self.blocks = blocks
        tok = .allocate(capacity: self.maxTokenBytes + 8)
        lowered = .allocate(capacity: AsciiBlock.size + 8)
        lowered.initialize(repeating: 0, count: AsciiBlock.size + 8)
    }

    /// Frees the scanner's buffer. A scanner is used by one thread at a time
    /// and must be released once (it is a struct around a raw buffer, to keep
    /// the hot loop free of reference counting).
    public func release() {
        tok.deallocate()
        lowered.deallocate()
    }

    /// Tokenizes one chunk of a document.
    public mutating func feed<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) {
        guard chunk.count > 0 else { return }
        defer { consumed += chunk.count }
        if !carry.isEmpty {
            // Complete the scalar split across the boundary.
            var joined = carry
            joined.append(contentsOf: chunk.prefix(4 - carry.count))
            let used = joined.withUnsafeBufferPointer { j -> Int in
                if let (v, l) = decodeUTF8(j.baseAddress!, 0, j.count, final: j.count >= 4) {
                    scalar(
                        v, invalid: v == 0xFFFD && !(l == 3 && j[0] == 0xEF && j[1] == 0xBF && j[2] == 0xBD),
                        at: consumed - carry.count, length: l, into: &sink)
                    return l
                }
                return -1
            }
            if used < 0 {
                carry = joined
                return
            }
            let fromChunk = used - carry.count
            carry.removeAll()
            if fromChunk < chunk.count {
                scan(UnsafeBufferPointer(rebasing: chunk[max(0, fromChunk)...]), base: consumed + max(0, fromChunk), into: &sink)
            }
            return
        }
        scan(chunk, base: consumed, into: &sink)
    }

    /// Ends the document: flushes an incomplete sequence and the last token.
    public mutating func finish<S: TokenSink>(into sink: inout S) {
        if !carry.isEmpty {
            let c = carry
            carry.removeAll()
            c.withUnsafeBufferPointer { b in
                var i = 0
                while i < b.count {
                    let (v, l) = decodeUTF8(b.baseAddress!, i, b.count, final: true)!
                    scalar(v, invalid: v == 0xFFFD, at: consumed - b.count + i, length: l, into: &sink)
                    i += l
                }
            }
        }
        if sigmaAt >= 0 { resolveSigma(final: true) }
        if held {
            emit(into: &sink)
            replayDeferred(into: &sink)
        }
        tokEnd = consumed
        emit(into: &sink)
        slowState = false
        consumed = 0
    }

    @inline(__always)
    private mutating func scan<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, base: Int, into sink: inout S) {
        let p = chunk.baseAddress!
        let n = chunk.count
        var i = 0
        var asciiRunStart = 0
        Self.asciiLower.withUnsafeBufferPointer { lowerTable in
            while i < n {
                // (Not from a non-ASCII byte: a block there takes nothing, and
                // classifying it was 1.4% of `stats` on text with 1% of its
                // types non-ASCII.)
                if blocks && n &- i >= AsciiBlock.size && sigmaAt < 0 && !held && p[i] < 0x80 {
                    let done = asciiBlock(p + i, at: base &+ i, into: &sink)
                    i &+= done
                    if done > 0 { continue }
                }
                let b = p[i]
                if b < 0x80 && sigmaAt < 0 {
                    let c = lowerTable[Int(b)]
                    if c != 0 {
                        if held { emit(into: &sink) }
                        if len == 0 { tokStart = base &+ i }
                        if len < maxTokenBytes {
                            tok[len] = c
                            len &+= 1
                        } else {
                            truncating = true
                            overflowHash = (overflowHash ^ UInt64(c)) &* 0x100_0000_01B3
                        }
                    } else if len > 0 {
                        tokEnd = base &+ i
                        emit(into: &sink)
                    }
                    i &+= 1
                    continue
                }
                // Slow path: bring the case state up to date over the ASCII run.
                if asciiRunStart < i { slowState = Self.asciiState(p, from: asciiRunStart, to: i, else: slowState) }
                guard let (v, l) = decodeUTF8(p, i, n, final: false) else {
                    carry = Array(UnsafeBufferPointer(start: p + i, count: n - i))
                    i = n
                    asciiRunStart = n
                    break
                }
                let isLiteralFFFD = l == 3 && p[i] == 0xEF
                scalar(v, invalid: v == 0xFFFD && !isLiteralFFFD, at: base &+ i, length: l, into: &sink)
                i &+= l
                asciiRunStart = i
            }
        }
        if asciiRunStart < n { slowState = Self.asciiState(p, from: asciiRunStart, to: n, else: slowState) }
    }

    /// Tokenizes the ASCII bytes at the start of the 64 at `p` (document
    /// offset `at`), up to the first non-ASCII byte; returns how many it
    /// took (0 when `p[0]` is not ASCII). Needs no σ pending and no token
    /// held. A token that may continue past them stays open in `tok`, unless
    /// the 64 bytes are all ASCII and it starts after the first: then the
    /// block ends before it, and the caller's next block starts with it.
    @inline(__always)
    private mutating func asciiBlock<S: TokenSink>(_ p: UnsafePointer<UInt8>, at: Int, into sink: inout S) -> Int {
        let block = AsciiBlock(UnsafeRawPointer(p), lower: UnsafeMutableRawPointer(lowered))
        let limit = block.high.trailingZeroBitCount  // 64 when all ASCII
        guard limit > 0 else { return 0 }
        var w = limit == 64 ? block.word : block.word & ((1 &<< UInt64(limit)) &- 1)
        var done = 0  // bytes before `done` are tokenized
        while w != 0 {
            let s = w.trailingZeroBitCount
            let e = s &+ (~(w &>> UInt64(s))).trailingZeroBitCount
            w = e >= 64 ? 0 : w & (~0 &<< UInt64(e))
            if s > done && len > 0 {
                tokEnd = at &+ done
                emit(into: &sink)
            }
            if e == 64 && s > 0 && len == 0 {
                // (e = 64 only when all 64 bytes are ASCII: `w` holds no bit
                // past `limit`.) The block's last token may go on past it: stop before it,
                // and the next block starts with it (most tokens are far
                // shorter than 64 bytes), instead of copying it to `tok`
                // here and there and handing it over from `tok`.
                return s
            }
            done = e
            if e < limit && len == 0 && e &- s <= maxTokenBytes {
                // The whole token is in the block: no copy.
                sink.acceptPadded(UnsafeBufferPointer(start: lowered + s, count: e &- s), range: Range(uncheckedBounds: (at &+ s, at &+ e)))
                continue
            }
            if len == 0 { tokStart = at &+ s }
            appendASCII(lowered + s, count: e &- s)
            if e < limit {
                tokEnd = at &+ e
                emit(into: &sink)
            }
        }
        if done < limit && len > 0 {
            tokEnd = at &+ done
            emit(into: &sink)
        }
        return limit
    }

    /// Appends lower-cased ASCII word bytes to the current token (hashing
    /// what goes past `maxTokenBytes`, as the byte-at-a-time path does).
    /// `src` points into `lowered`, within its 64 bytes.
    @inline(__always)
    private mutating func appendASCII(_ src: UnsafePointer<UInt8>, count: Int) {
        if len &+ count <= maxTokenBytes {
            // 8 bytes at a time, not memcpy (3% of stats): `src` is in the
            // lowered block, which has 8 bytes of slack after its 64, and
            // `tok` has 8 bytes after `maxTokenBytes`, so the last word may
            // run past `count` on both sides.
            let from = UnsafeRawPointer(src)
            let to = UnsafeMutableRawPointer(tok + len)
            var i = 0
            while i < count {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            len &+= count
            return
        }
        for k in 0..<count {
            if len < maxTokenBytes {
                tok[len] = src[k]
                len &+= 1
            } else {
                truncating = true
                overflowHash = (overflowHash ^ UInt64(src[k])) &* 0x100_0000_01B3
            }
        }
    }

    /// The "last non-case-ignorable scalar was cased" state after the ASCII
    /// bytes `p[from..<to]`, given the state before them.
    @inline(__always)
    private static func asciiState(_ p: UnsafePointer<UInt8>, from: Int, to: Int, else before: Bool) -> Bool {
        var j = to - 1
        while j >= from {
            let b = p[j]
            switch b {
            case 0x27, 0x2E, 0x3A, 0x5E, 0x60: j -= 1  // ASCII Case_Ignorable
            case 0x41...0x5A, 0x61...0x7A: return true
            default: return false
            }
        }
        return before
    }

    @inline(__always)
    private mutating func info(_ v: UInt32) -> ScalarInfo {
        // `ScalarTable.shared` builds a page of 256 scalars' properties when
        // one of them is first looked up: ASCII text never needs it.
        if v < ScalarTable.flatLimit { return ScalarTable.shared.info(v) }
        if let c = cache[v] { return c }
        let c = ScalarInfo(v)
        if cache.count < 65536 { cache[v] = c }
        return c
    }

    /// Handles one decoded non-fast-path scalar, `length` bytes at document offset `at`.
    private mutating func scalar<S: TokenSink>(_ v: UInt32, invalid: Bool, at: Int, length: Int, into sink: inout S) {
        if invalid { invalidSequences += 1 }
        // Fast classification of the big CJK and Hangul blocks, no table.
        let inf: ScalarInfo
        if (0x4E00...0x9FFF).contains(v) {
            inf = ScalarInfo.cjkTemplate(v)
        } else {
            inf = info(v)
        }
        if held && inf.caseIgnorable && deferred.count < Self.maxDeferred {
            deferred.append((v, at, length))
            return
        }
        if sigmaAt >= 0 && (!inf.caseIgnorable || held) {
            resolveSigma(final: inf.caseIgnorable || !inf.cased)
            if held {
                emit(into: &sink)
                replayDeferred(into: &sink)
            }
        }
        let precededByCased = slowState
        if !inf.caseIgnorable { slowState = inf.cased }
        switch inf.kind {
        case ScalarInfo.word:
            if held { emit(into: &sink) }
            if len == 0 { tokStart = at }
            tokEnd = at + length
            if v == 0x3A3 {
                if precededByCased && len + 2 <= maxTokenBytes { sigmaAt = len }
                appendLower(inf)
            } else {
                appendLower(inf)
            }
        case ScalarInfo.single:
            if sigmaAt >= 0 && !held {
                // A case-ignorable one (ー, ゝ): it ends the token but not the
                // σ's wait, so the token is held and the scalar deferred.
                tokEnd = at
                held = true
                deferred.append((v, at, length))
                return
            }
            if !held { tokEnd = at }
            emit(into: &sink)
            tokStart = at
            tokEnd = at + length
            appendLower(inf)
            emit(into: &sink)
        default:
            if len > 0 && !held {
                tokEnd = at
                if sigmaAt >= 0 { held = true } else { emit(into: &sink) }
            }
        }
    }

    /// Runs the deferred scalars through `scalar` now that the σ before them
    /// is decided (they are case-ignorable, so none of them is a σ).
    private mutating func replayDeferred<S: TokenSink>(into sink: inout S) {
        let d = deferred
        deferred.removeAll(keepingCapacity: true)
        for (v, at, length) in d { scalar(v, invalid: false, at: at, length: length, into: &sink) }
    }

    /// Appends the lower-case mapping of a scalar (`ScalarInfo.lowerBytes`).
    @inline(__always)
    private mutating func appendLower(_ inf: ScalarInfo) {
        let n = Int(inf.lowerCount)
        var w = inf.lowerBytes
        if len + n <= maxTokenBytes {
            for _ in 0..<n {
                tok[len] = UInt8(truncatingIfNeeded: w)
                w >>= 8
                len += 1
            }
        } else {
            truncating = true
            for _ in 0..<n {
                overflowHash = (overflowHash ^ (w & 0xFF)) &* 0x100_0000_01B3
                w >>= 8
            }
        }
    }

    /// Ends the kept part of a token that was too long with `~` and the
    /// hash of everything past a UTF-8 boundary 17 bytes before the cap
    /// (those 17 bytes are overwritten by the marker, so they are hashed too).
    private mutating func markTruncated() {
        truncatedTokens += 1
        truncating = false
        var cut = max(0, len - 17)
        while cut > 0 && tok[cut] & 0xC0 == 0x80 { cut -= 1 }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in cut..<len { h = (h ^ UInt64(tok[i])) &* 0x100_0000_01B3 }
        h = Hash64.combine(h, overflowHash)
        overflowHash = 0xCBF2_9CE4_8422_2325
        let hex = Array("0123456789abcdef".utf8)
        tok[cut] = UInt8(ascii: "~")
        for k in 0..<16 { tok[cut + 1 + k] = hex[Int((h >> UInt64(60 - 4 * k)) & 0xF)] }
        len = cut + 17
    }

    private mutating func resolveSigma(final: Bool) {
        if final { tok[sigmaAt + 1] = 0x82 }  // σ (CF 83) → ς (CF 82)
        sigmaAt = -1
    }

    @inline(__always)
    private mutating func emit<S: TokenSink>(into sink: inout S) {
        if sigmaAt >= 0 { resolveSigma(final: true) }
        held = false
        guard len > 0 else { return }
        if truncating { markTruncated() }
        sink.acceptPadded(UnsafeBufferPointer(start: tok, count: len), range: tokStart..<tokEnd)
        len = 0
    }
}

extension ScalarInfo {
    /// CJK Unified Ideographs (U+4E00–U+9FFF): all assigned, letters (Lo),
    /// uncased, not case-ignorable, their own lowercase.
    /// `v` must be in U+4E00–U+9FFF.
    @inline(__always) @usableFromInline
    static func cjkTemplate(_ v: UInt32) -> ScalarInfo {
        let utf8 = packedUTF8(v)
        return ScalarInfo(
            kind: single, cased: false, caseIgnorable: false, whitespace: false, lowerBytes: utf8 & 0xFFFF_FFFF,
            lowerCount: UInt8(truncatingIfNeeded: utf8 >> 32))
    }

    @usableFromInline
    init(kind: UInt8, cased: Bool, caseIgnorable: Bool, whitespace: Bool, lowerBytes: UInt64, lowerCount: UInt8) {
        self.kind = kind
        self.cased = cased
        self.caseIgnorable = caseIgnorable
        self.whitespace = whitespace
        self.lowerBytes = lowerBytes
        self.lowerCount = lowerCount
    }
}
