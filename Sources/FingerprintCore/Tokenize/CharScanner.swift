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

    private var ring: [UInt32]
    private var seen = 0
    private var carry: [UInt8] = []
    private var wsCount = 0
    private var firstWs: UInt32 = 0
    private var caseState = false
    private var pending: [UInt32] = []  // output held while a final sigma is undecided
    private var sigmaIndex = -1  // index in `pending` of the σ
    private var scratch: [UInt8] = []
    private var cache: [UInt32: ScalarInfo] = [:]
    private let table = ScalarTable.shared

    public init(n: Int) {
        precondition(n >= 1)
        self.n = n
        ring = Array(repeating: 0, count: n)
    }

    public mutating func feed<S: TokenSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) {
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
        if v < ScalarTable.flatLimit { return table.flat[Int(v)] }
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
        // Lower-case mapping as scalars.
        withUnsafeBytes(of: inf.lowerBytes.littleEndian) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var i = 0
            while i < Int(inf.lowerCount), let (u, n) = decodeUTF8(p, i, Int(inf.lowerCount), final: true) {
                pending.append(u)
                i += n
            }
        }
        if sigmaIndex < 0 { flushPending(into: &sink) }
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
        c < ScalarTable.flatLimit ? table.flat[Int(c)].whitespace : c == 0x3000
    }

    private mutating func flushWhitespace<S: TokenSink>(into sink: inout S) {
        guard wsCount > 0 else { return }
        push(wsCount == 1 ? firstWs : 0x20, into: &sink)
        wsCount = 0
    }

    private mutating func push<S: TokenSink>(_ c: UInt32, into sink: inout S) {
        ring[seen % n] = c
        seen += 1
        guard seen >= n else { return }
        scratch.removeAll(keepingCapacity: true)
        for k in 0..<n { appendUTF8(ring[(seen - n + k) % n], to: &scratch) }
        scratch.withUnsafeBufferPointer { sink.accept($0) }
    }
}
