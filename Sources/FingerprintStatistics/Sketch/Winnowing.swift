import FingerprintCore

/// Winnowing (Schleimer, Wilkerson & Aiken, "Winnowing: local algorithms for
/// document fingerprinting", SIGMOD 2003) over the hashes of word k-grams.
///
/// A document is a sequence of `word` tokens; its k-grams are the runs of k
/// consecutive tokens (k is the *noise threshold*: shorter matches are never
/// evidence). Of every window of w consecutive k-gram hashes, winnowing keeps
/// the minimum, so any run of t = w + k − 1 tokens (the *guarantee
/// threshold*) that two documents share contains at least one k-gram that
/// both keep, whatever surrounds it.
///
/// The selection rule is *robust winnowing* (§4.2 of the paper): each window
/// selects its minimum hash; a tie is broken in favour of the position the
/// previous window selected, if it is still in the window, else the
/// rightmost minimal position; a position is recorded once, when it is first
/// selected. On random hashes the density is 2 / (w + 1) fingerprints per
/// k-gram; on low-entropy text (one token repeated) it is 1 / w, not 1.
///
/// Fingerprint positions are token indices (the k-gram's first token), so
/// every fingerprint maps back to bytes through `TokenizedText`.

/// The `word` tokens of one document: each token's 64-bit hash
/// (`TokenTable.hash` of its lower-cased bytes) and its byte range in the
/// document's raw bytes.
package struct TokenizedText: Sendable, Equatable {
    /// Token hashes, in document order.
    public var hashes: [UInt64]
    /// Byte offset of each token's first byte.
    public var starts: [Int]
    /// Byte offset just past each token's last byte.
    public var ends: [Int]

    public var count: Int { hashes.count }

    /// Tokens given directly (tests, other tokenizers); the three arrays
    /// have the same length.
    public init(hashes: [UInt64], starts: [Int], ends: [Int]) {
        precondition(hashes.count == starts.count && hashes.count == ends.count)
        self.hashes = hashes
        self.starts = starts
        self.ends = ends
    }

    /// Tokenizes `bytes` (one whole document) with the `word` tokenizer.
    /// - Complexity: O(bytes).
    public init(words bytes: UnsafeBufferPointer<UInt8>) {
        var sink = Collector()
        var scanner = WordScanner()
        defer { scanner.release() }
        if bytes.count > 0 { scanner.feed(bytes, into: &sink) }
        scanner.finish(into: &sink)
        hashes = sink.hashes
        starts = sink.starts
        ends = sink.ends
    }

    /// Tokenizes `bytes` (one whole document) with the `word` tokenizer.
    public init(words bytes: [UInt8]) {
        self = bytes.withUnsafeBufferPointer { TokenizedText(words: $0) }
    }

    /// The byte range of tokens `tokens` (non-empty, in range).
    @inline(__always)
    public func byteRange(tokens: Range<Int>) -> Range<Int> {
        starts[tokens.lowerBound]..<ends[tokens.upperBound - 1]
    }

    /// Receives tokens with their ranges from the scanner.
    struct Collector: TokenSink {
        var hashes: [UInt64] = []
        var starts: [Int] = []
        var ends: [Int] = []
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>) { accept(token, range: 0..<0) }
        @inline(__always)
        mutating func accept(_ token: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
            hashes.append(TokenTable.hash(token))
            starts.append(range.lowerBound)
            ends.append(range.upperBound)
        }
        mutating func reset() {
            hashes.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
        }
    }
}

/// Winnowing parameters and the selection itself.
public struct Winnowing: Sendable {
    /// Noise threshold: tokens per k-gram (≥ 1).
    public var k: Int
    /// Window: consecutive k-grams per window (≥ 1).
    public var w: Int
    /// k-gram hashes that are never selected (boilerplate).
    public var ignored: NGramIndex?

    /// Guarantee threshold in tokens: t = w + k − 1.
    public var t: Int { w + k - 1 }

    /// One selected k-gram: its hash and the token index of its first token.
    public struct Fingerprint: Sendable, Hashable, Codable {
        public var hash: UInt64
        public var position: Int
        public init(hash: UInt64, position: Int) {
            self.hash = hash
            self.position = position
        }
    }

    /// Winnowing with noise threshold `k` and window `w` (defaults 8 and 8:
    /// t = 15 tokens).
    public init(k: Int = 8, w: Int = 8, ignored: NGramIndex? = nil) {
        precondition(k >= 1 && w >= 1, "winnowing needs k ≥ 1 and w ≥ 1")
        self.k = k
        self.w = w
        self.ignored = ignored
    }

    /// Winnowing with noise threshold `k` and guarantee threshold `t` ≥ k
    /// (w = t − k + 1).
    public init(k: Int, t: Int, ignored: NGramIndex? = nil) {
        precondition(t >= k, "the guarantee threshold t must be at least k")
        self.init(k: k, w: t - k + 1, ignored: ignored)
    }

    /// Winnowing that ignores the hashes in `ignored`.
    public init(k: Int = 8, w: Int = 8, ignored: Set<UInt64>) {
        self.init(k: k, w: w, ignored: ignored.isEmpty ? nil : NGramIndex(Array(ignored)))
    }

    /// The hash of every k-gram of `tokens` (count − k + 1 of them, none
    /// when there are fewer than k tokens): a polynomial rolling hash mod 2⁶⁴
    /// over the token hashes, finalised with SplitMix64 — the same function
    /// as `NGramCollector`'s word n-grams, so the values agree with the
    /// n-gram overlap figures for n = k.
    /// - Complexity: O(tokens), independent of k.
    public static func kgramHashes(_ tokens: [UInt64], k: Int) -> [UInt64] {
        precondition(k >= 1)
        let n = tokens.count
        guard n >= k else { return [] }
        let base = NGramCollector.base
        var power: UInt64 = 1
        for _ in 0..<k { power = power &* base }
        let salt = UInt64(k)
        return [UInt64](unsafeUninitializedCapacity: n - k + 1) { out, initialized in
            tokens.withUnsafeBufferPointer { h in
                var r: UInt64 = 0
                for i in 0..<n {
                    r = r &* base &+ h[i]
                    if i >= k { r = r &- h[i - k] &* power }
                    if i >= k - 1 { out[i - k + 1] = SplitMix64.mix(r ^ salt) }
                }
            }
            initialized = n - k + 1
        }
    }

    /// The k-gram hashes of a tokenized document.
    package func kgramHashes(_ text: TokenizedText) -> [UInt64] {
        Winnowing.kgramHashes(text.hashes, k: k)
    }

    /// Robust winnowing of a sequence of k-gram hashes with window `w`:
    /// positions are indices into `kgrams`, increasing. Ignored hashes are
    /// never selected; a window made only of ignored hashes selects nothing.
    /// A sequence shorter than one window is one (short) window, so a short
    /// document still gets a fingerprint.
    /// - Complexity: O(kgrams.count) time (a monotone deque), O(w) extra space.
    public func select(_ kgrams: [UInt64]) -> [Fingerprint] {
        let m = kgrams.count
        guard m > 0 else { return [] }
        let ww = min(w, m)
        let cap = ww + 1
        var ring = [Int](repeating: 0, count: cap)
        var head = 0
        var size = 0
        var sel = -1
        var out: [Fingerprint] = []
        out.reserveCapacity(2 * m / (ww + 1) + 2)
        let ignored = self.ignored
        kgrams.withUnsafeBufferPointer { g in
            ring.withUnsafeMutableBufferPointer { dq in
                for r in 0..<m {
                    let h = g[r]
                    if ignored == nil || !ignored!.contains(h) {
                        // Drop from the back everything not smaller than the
                        // newcomer: the front is then the rightmost minimum.
                        while size > 0 {
                            var back = head + size - 1
                            if back >= cap { back -= cap }
                            if g[dq[back]] >= h { size -= 1 } else { break }
                        }
                        var slot = head + size
                        if slot >= cap { slot -= cap }
                        dq[slot] = r
                        size += 1
                    }
                    if r < ww - 1 { continue }
                    let lo = r - ww + 1
                    while size > 0 && dq[head] < lo {
                        head += 1
                        if head == cap { head = 0 }
                        size -= 1
                    }
                    guard size > 0 else { continue }
                    let f = dq[head]
                    if sel >= lo && g[sel] == g[f] { continue }  // tie: keep the previous choice
                    sel = f
                    out.append(Fingerprint(hash: g[f], position: f))
                }
            }
        }
        return out
    }

    /// The fingerprints of a tokenized document.
    package func fingerprints(_ text: TokenizedText) -> [Fingerprint] {
        select(kgramHashes(text))
    }

    /// The fingerprints of a document's raw bytes (`word` tokens).
    /// - Complexity: O(n) for n tokens (a monotone queue over the window).
    public func fingerprints(words bytes: [UInt8]) -> [Fingerprint] {
        fingerprints(TokenizedText(words: bytes))
    }

    /// The byte range in the document of the k-gram at `fingerprint`.
    package func byteRange(of fingerprint: Fingerprint, in text: TokenizedText) -> Range<Int> {
        text.byteRange(tokens: fingerprint.position..<fingerprint.position + k)
    }
}
