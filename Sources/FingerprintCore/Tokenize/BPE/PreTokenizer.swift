/// The pre-tokenisation patterns of the OpenAI encodings, as hand-written
/// scanners (no regular-expression engine). Each splits valid UTF-8 into
/// pieces that tile the text, exactly as `regex.finditer(pattern, text)`
/// with the official pattern does (checked piece for piece against Python's
/// `regex` module, Tests/FingerprintKitTests/Fixtures/tokenizer_reference.py).
///
/// The patterns, as tiktoken 0.14 writes them:
/// - `r50k` (r50k_base, p50k_base, GPT-2):
///   `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
/// - `cl100k`:
///   `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
/// - `o200k`: letters split by case —
///   `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
///   the same with `+` and `*` swapped, `\p{N}{1,3}`, ` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
///   `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
///
/// Every position starts some alternative, so no character is ever dropped.
/// A match depends only on the text from its start (no look-behind), so a
/// text may be cut where a piece is known to end (see `safeCut`).
///
/// - Complexity: O(bytes): each alternative scans forward from the piece
///   start at most to the end of the piece plus one scalar, except that the
///   whitespace rules scan a whole run of white space once.
public enum PrePattern: String, Sendable, Hashable, CaseIterable {
    case r50k, cl100k, o200k
    /// The `Split` regexes of Llama-3- and Qwen2-style tokenizer.json files:
    /// cl100k's pattern without `\s++$` (so, as in o200k, a trailing
    /// whitespace run is cut after its last newline), with numbers in runs
    /// of at most 3 (`llama3`) or one by one (`qwen2`).
    case llama3, qwen2

    /// Calls `body(start, end)` for each piece of `text` (valid UTF-8), in order.
    @inline(__always)
    func pieces(_ p: UnsafePointer<UInt8>, _ n: Int, _ body: (Int, Int) -> Void) {
        let c = ClassCursor(p, n)
        var i = 0
        switch self {
        case .r50k:
            while i < n {
                let e = Self.r50kPiece(c, i)
                body(i, e)
                i = e
            }
        case .cl100k:
            while i < n {
                let e = Self.cl100kPiece(c, i, endRule: true, digits: 3)
                body(i, e)
                i = e
            }
        case .llama3:
            while i < n {
                let e = Self.cl100kPiece(c, i, endRule: false, digits: 3)
                body(i, e)
                i = e
            }
        case .qwen2:
            while i < n {
                let e = Self.cl100kPiece(c, i, endRule: false, digits: 1)
                body(i, e)
                i = e
            }
        case .o200k:
            while i < n {
                let e = Self.o200kPiece(c, i)
                body(i, e)
                i = e
            }
        }
    }

    /// The pieces as byte ranges (tests and small inputs).
    public func pieces(of bytes: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            pieces(p, b.count) { out.append($0..<$1) }
        }
        return out
    }

    // MARK: - Shared pieces of the patterns

    /// The end of a maximal run of scalars whose class satisfies `pred`, from `j`.
    @inline(__always)
    static func run(_ c: ClassCursor, _ j: Int, _ pred: (UInt8) -> Bool) -> Int {
        var j = j
        while j < c.n {
            let (k, l) = c.at(j)
            if !pred(k) { break }
            j += l
        }
        return j
    }

    /// `(?i:s)`: s, S, or U+017F LATIN SMALL LETTER LONG S (simple case folding).
    /// - Returns: the length matched, or 0.
    @inline(__always)
    static func foldS(_ c: ClassCursor, _ j: Int) -> Int {
        guard j < c.n else { return 0 }
        let b = c.p[j]
        if b == 0x73 || b == 0x53 { return 1 }
        if b == 0xC5 && j + 1 < c.n && c.p[j + 1] == 0xBF { return 2 }
        return 0
    }

    @inline(__always)
    static func is1(_ c: ClassCursor, _ j: Int, _ lower: UInt8, _ ci: Bool) -> Bool {
        guard j < c.n else { return false }
        let b = c.p[j]
        return b == lower || (ci && b == lower - 0x20)
    }

    /// A contraction after the apostrophe at `i`: `'(?:[sdmt]|ll|ve|re)`,
    /// case-insensitive when `ci`. - Returns: its end, or nil.
    @inline(__always)
    static func contraction(_ c: ClassCursor, _ i: Int, ci: Bool) -> Int? {
        let j = i + 1
        if ci {
            let s = foldS(c, j)
            if s > 0 { return j + s }
        } else if is1(c, j, 0x73, false) {
            return j + 1
        }
        if is1(c, j, 0x64, ci) || is1(c, j, 0x6D, ci) || is1(c, j, 0x74, ci) { return j + 1 }
        if is1(c, j, 0x6C, ci) && is1(c, j + 1, 0x6C, ci) { return j + 2 }
        if is1(c, j, 0x76, ci) && is1(c, j + 1, 0x65, ci) { return j + 2 }
        if is1(c, j, 0x72, ci) && is1(c, j + 1, 0x65, ci) { return j + 2 }
        return nil
    }

    /// The white-space rules at `i` (a space or newline scalar of length `l`):
    /// `\s++$` (r50k, cl100k), `\s*[\r\n]` (cl100k) or `\s*[\r\n]+` (o200k,
    /// which has no `\s++$` and so cuts a run after its last newline even at
    /// the end of the text), then `\s+(?!\S)`, then one scalar (`\s`) or
    /// the whole run (`\s+`, o200k).
    @inline(__always)
    static func whitespace(_ c: ClassCursor, _ i: Int, _ l: Int, newlines: Bool, endRule: Bool) -> Int {
        var j = i
        var lastStart = i
        var afterNewline = -1
        while j < c.n {
            let (k, len) = c.at(j)
            if !PieceClass.isSpace(k) { break }
            if k == PieceClass.newline { afterNewline = j + len }
            lastStart = j
            j += len
        }
        if endRule && j == c.n { return j }  // \s++$
        if newlines && afterNewline > 0 { return afterNewline }  // \s*[\r\n]
        if j == c.n { return j }  // \s+(?!\S) at the end
        if lastStart > i { return lastStart }  // \s+(?!\S): all but the last scalar
        return i + l  // \s+ / \s: the run is one scalar here
    }

    // MARK: - r50k

    @inline(__always)
    static func r50kPiece(_ c: ClassCursor, _ i: Int) -> Int {
        let b = c.p[i]
        if b == 0x27, let e = contraction(c, i, ci: false) { return e }
        let l0 = c.at(i).1
        let j = b == 0x20 ? i + 1 : i
        if j < c.n {
            let (k, _) = c.at(j)
            if PieceClass.isLetter(k) { return run(c, j, PieceClass.isLetter) }
            if k == PieceClass.number { return run(c, j) { $0 == PieceClass.number } }
            if PieceClass.isPunct(k) { return run(c, j, PieceClass.isPunct) }
        }
        return whitespace(c, i, l0, newlines: false, endRule: true)
    }

    // MARK: - cl100k

    @inline(__always)
    static func cl100kPiece(_ c: ClassCursor, _ i: Int, endRule: Bool, digits: Int) -> Int {
        let b = c.p[i]
        if b == 0x27, let e = contraction(c, i, ci: true) { return e }
        let (k0, l0) = c.at(i)
        // [^\r\n\p{L}\p{N}]?+\p{L}++
        if PieceClass.isLetter(k0) { return run(c, i + l0, PieceClass.isLetter) }
        if k0 != PieceClass.newline && k0 != PieceClass.number && i + l0 < c.n {
            let (k1, l1) = c.at(i + l0)
            if PieceClass.isLetter(k1) { return run(c, i + l0 + l1, PieceClass.isLetter) }
        }
        // \p{N}{1,3}+ (\p{N} for qwen2)
        if k0 == PieceClass.number {
            var j = i + l0
            for _ in 0..<(digits - 1) {
                guard j < c.n else { break }
                let (k, l) = c.at(j)
                if k != PieceClass.number { break }
                j += l
            }
            return j
        }
        //  ?[^\s\p{L}\p{N}]++[\r\n]*+
        let j = b == 0x20 ? i + 1 : i
        if j < c.n, PieceClass.isPunct(c.at(j).0) {
            var e = run(c, j, PieceClass.isPunct)
            while e < c.n && (c.p[e] == 0x0D || c.p[e] == 0x0A) { e += 1 }
            return e
        }
        return whitespace(c, i, l0, newlines: true, endRule: endRule)
    }

    // MARK: - o200k

    /// o200k's letter alternatives from `s`: `[U]*[W]+` (`first`) or
    /// `[U]+[W]*`, where U = Lu Lt Lm Lo M and W = Ll Lm Lo M, with the
    /// regex engine's backtracking. - Returns: the end, or nil.
    @inline(__always)
    static func o200kLetters(_ c: ClassCursor, _ s: Int, first: Bool) -> Int? {
        var j = s
        var afterBoth = -1  // end of the last scalar in U ∩ W within the U run
        while j < c.n {
            let (k, l) = c.at(j)
            if k == PieceClass.upper {
                j += l
            } else if k == PieceClass.caseless || k == PieceClass.mark {
                j += l
                afterBoth = j
            } else {
                break
            }
        }
        let e1 = j
        var lowerFollows = false
        if e1 < c.n { lowerFollows = c.at(e1).0 == PieceClass.lower }
        if lowerFollows {
            if !first && e1 == s { return nil }
            return run(c, e1) { $0 == PieceClass.lower || $0 == PieceClass.caseless || $0 == PieceClass.mark }
        }
        if first { return afterBoth >= 0 ? afterBoth : nil }
        return e1 > s ? e1 : nil
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at `e`.
    @inline(__always)
    static func o200kSuffix(_ c: ClassCursor, _ e: Int) -> Int {
        guard e < c.n, c.p[e] == 0x27 else { return e }
        return contraction(c, e, ci: true) ?? e
    }

    @inline(__always)
    static func o200kPiece(_ c: ClassCursor, _ i: Int) -> Int {
        let b = c.p[i]
        let (k0, l0) = c.at(i)
        let prefix = k0 == PieceClass.other || k0 == PieceClass.mark || k0 == PieceClass.space
        if prefix, let e = o200kLetters(c, i + l0, first: true) { return o200kSuffix(c, e) }
        if let e = o200kLetters(c, i, first: true) { return o200kSuffix(c, e) }
        if prefix, let e = o200kLetters(c, i + l0, first: false) { return o200kSuffix(c, e) }
        if let e = o200kLetters(c, i, first: false) { return o200kSuffix(c, e) }
        // \p{N}{1,3}
        if k0 == PieceClass.number {
            var j = i + l0
            for _ in 0..<2 {
                guard j < c.n else { break }
                let (k, l) = c.at(j)
                if k != PieceClass.number { break }
                j += l
            }
            return j
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n/]*
        let j = b == 0x20 ? i + 1 : i
        if j < c.n, PieceClass.isPunct(c.at(j).0) {
            var e = run(c, j, PieceClass.isPunct)
            while e < c.n && (c.p[e] == 0x0D || c.p[e] == 0x0A || c.p[e] == 0x2F) { e += 1 }
            return e
        }
        return whitespace(c, i, l0, newlines: true, endRule: false)
    }

    /// A byte offset in `p[0..<n]`, as late as possible and at least
    /// `minimum`, where the text may be cut without changing its pieces: a
    /// LF preceded by a byte that is not white space and followed by an
    /// ASCII letter. No pattern lets a piece span a LF followed by a letter,
    /// the LF ends a one-scalar whitespace run in every pattern, and no
    /// match looks behind its start. - Returns: nil when there is none.
    package static func safeCut(_ p: UnsafePointer<UInt8>, _ n: Int, minimum: Int) -> Int? {
        var i = n - 1
        while i > max(minimum, 1) {
            let b = p[i]
            if (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A && p[i - 1] == 0x0A {
                let before = p[i - 2]
                if before > 0x20 && before < 0x80 { return i }
            }
            i -= 1
        }
        return nil
    }
}
