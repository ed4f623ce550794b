/// The `char:N` tokenizer: character N-grams over the lower-cased text, as
/// scikit-learn's `CountVectorizer(analyzer="char", ngram_range=(N, N))`:
/// the text is lower-cased (Python `str.lower()`, Final_Sigma included),
/// each run of two or more whitespace characters becomes one space, and
/// every window of N consecutive characters is a token. A document shorter
/// than N characters gives no token.
///
/// Streaming like `WordScanner`; invalid UTF-8 becomes U+FFFD (a character
/// here, as in Python) and is counted.
package struct CharScanner {
    public let n: Int
    public private(set) var invalidSequences = 0

    /// The last N characters and the token being written, in buffers a
    /// character is pushed into without an array's uniqueness check or
    /// retain (they were a quarter of `char:3`'s time). Copied on write:
    /// `feed` and `finish` make them unique once per call.
    private var window: CharWindow
    private var seen = 0
    private var carry: [UInt8] = []
    private var wsCount = 0
    private var firstWs: UInt32 = 0
    private var caseState = false
    private var pending: [UInt32] = []  // output held while a final sigma is undecided
    private var sigmaIndex = -1  // index in `pending` of the σ
    private var cache: [UInt32: ScalarInfo] = [:]
    private let table = ScalarTable.shared

    public init(n: Int) {
        precondition(n >= 1)
        self.n = n
        window = CharWindow(n: n)
    }

    public mutating func feed<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) {
        if !isKnownUniquelyReferenced(&window) { window = window.copy() }
        var bytes = carry
        carry.removeAll()
        bytes.append(contentsOf: chunk)
        bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            var i = 0
            while i < b.count {
                guard let (v, l) = decodeUTF8(p, i, b.count, final: false) else {
                    carry = Array(b[i...])
                    return
                }
                if v == 0xFFFD && !(l == 3 && p[i] == 0xEF) { invalidSequences += 1 }
                scalar(v, into: &sink)
                i += l
            }
        }
    }

    public mutating func finish<S: TokenSink>(into sink: inout S) {
        if !isKnownUniquelyReferenced(&window) { window = window.copy() }
        if !carry.isEmpty {
            let c = carry
            carry.removeAll()
            c.withUnsafeBufferPointer { b in
                var i = 0
                while i < b.count {
                    let (v, l) = decodeUTF8(b.baseAddress!, i, b.count, final: true)!
                    invalidSequences += 1
                    scalar(v, into: &sink)
                    i += l
                }
            }
        }
        if sigmaIndex >= 0 {
            pending[sigmaIndex] = 0x3C2
            sigmaIndex = -1
        }
        flushPending(into: &sink)
        flushWhitespace(into: &sink)
        seen = 0
        caseState = false
    }

    private mutating func info(_ v: UInt32) -> ScalarInfo {
        if v < ScalarTable.flatLimit { return table.info(v) }
        if let c = cache[v] { return c }
        let c = ScalarInfo(v)
        if cache.count < 65536 { cache[v] = c }
        return c
    }

    private mutating func scalar<S: TokenSink>(_ v: UInt32, into sink: inout S) {
        let inf = info(v)
        if sigmaIndex >= 0 && !inf.caseIgnorable {
            if !inf.cased { pending[sigmaIndex] = 0x3C2 }
            sigmaIndex = -1
            flushPending(into: &sink)
        }
        let preceded = caseState
        if !inf.caseIgnorable { caseState = inf.cased }
        if v == 0x3A3 && preceded {
            flushPending(into: &sink)
            sigmaIndex = pending.count
            pending.append(0x3C3)
            return
        }
        // Lower-case mapping as scalars: straight out unless a σ is
        // undecided (`pending` is empty then).
        if inf.lowerCount == 1 {
            let u = UInt32(truncatingIfNeeded: inf.lowerBytes)
            if sigmaIndex < 0 { character(u, into: &sink) } else { pending.append(u) }
            return
        }
        withUnsafeBytes(of: inf.lowerBytes.littleEndian) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let count = Int(inf.lowerCount)
            var i = 0
            while i < count, let (u, length) = decodeUTF8(p, i, count, final: true) {
                if sigmaIndex < 0 { character(u, into: &sink) } else { pending.append(u) }
                i += length
            }
        }
    }

    private mutating func flushPending<S: TokenSink>(into sink: inout S) {
        for c in pending { character(c, into: &sink) }
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func character<S: TokenSink>(_ c: UInt32, into sink: inout S) {
        if isSpace(c) {
            if wsCount == 0 { firstWs = c }
            wsCount += 1
            return
        }
        flushWhitespace(into: &sink)
        push(c, into: &sink)
    }

    private func isSpace(_ c: UInt32) -> Bool {
        c < ScalarTable.flatLimit ? table.info(c).whitespace : c == 0x3000
    }

    private mutating func flushWhitespace<S: TokenSink>(into sink: inout S) {
        guard wsCount > 0 else { return }
        push(wsCount == 1 ? firstWs : 0x20, into: &sink)
        wsCount = 0
    }

    private mutating func push<S: TokenSink>(_ c: UInt32, into sink: inout S) {
        let w = window
        w.ring[seen % n] = packedUTF8(c)
        seen += 1
        guard seen >= n else { return }
        var length = 0
        var k = seen % n  // the oldest of the last n
        for _ in 0..<n {
            let e = w.ring[k]
            // Four bytes stored, the character's count of them kept.
            UnsafeMutableRawPointer(w.token + length).storeBytes(of: UInt32(truncatingIfNeeded: e), as: UInt32.self)
            length &+= Int(e >> 32)
            k = k &+ 1 == n ? 0 : k &+ 1
        }
        sink.accept(UnsafeBufferPointer(start: w.token, count: length))
    }
}

/// `CharScanner`'s buffers: the last N characters, each as `packedUTF8`
/// gives it (the bytes in the low 32 bits, their count above), and room
/// for a token of N characters (4 bytes each, plus 3 for the last store).
final class CharWindow {
    let n: Int
    let ring: UnsafeMutablePointer<UInt64>
    let token: UnsafeMutablePointer<UInt8>

    init(n: Int) {
        self.n = n
        ring = .allocate(capacity: n)
        ring.initialize(repeating: 0, count: n)
        token = .allocate(capacity: 4 * n + 3)
        token.initialize(repeating: 0, count: 4 * n + 3)
    }

    deinit {
        ring.deallocate()
        token.deallocate()
    }

    func copy() -> CharWindow {
        let c = CharWindow(n: n)
        c.ring.update(from: ring, count: n)
        return c
    }
}
