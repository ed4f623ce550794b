import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension CorpusGenerator {
    // MARK: - Text operations

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// Byte ranges of the words (runs of ASCII letters) of `text`.
    public static func wordSpans(_ text: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        spans.reserveCapacity(text.count / 5)
        var i = 0
        let n = text.count
        while i < n {
            if isLetter(text[i]) {
                let s = i
                while i < n, isLetter(text[i]) { i += 1 }
                spans.append(s..<i)
            } else {
                i += 1
            }
        }
        return spans
    }

    /// Replaces each word of `text`, independently with probability `p`, by a
    /// different word drawn uniformly from the word list (capitalised when the
    /// original was). Punctuation and spacing are kept.
    /// - Returns: the new text, its word count and how many words were replaced.
    public static func substitute(_ text: [UInt8], probability p: Double, rng: inout Xoshiro256)
        -> (text: [UInt8], words: Int, substituted: Int)
    {
        let table = WordTable.shared
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 4)
        var words = 0
        var substituted = 0
        text.withUnsafeBufferPointer { t in
            var i = 0
            let n = t.count
            while i < n {
                guard isLetter(t[i]) else {
                    out.append(t[i])
                    i += 1
                    continue
                }
                let s = i
                while i < n, isLetter(t[i]) { i += 1 }
                words += 1
                let word = UnsafeBufferPointer(rebasing: t[s..<i])
                if rng.nextUnit() < p {
                    var r = rng.next(below: table.count)
                    while table.matches(r, word) { r = rng.next(below: table.count) }
                    table.append(r, capitalized: t[s] < 0x61, to: &out)
                    substituted += 1
                } else {
                    out.append(contentsOf: word)
                }
            }
        }
        return (out, words, substituted)
    }

    /// Removes one sentence, chosen uniformly among those that share their
    /// paragraph with another sentence, together with one adjacent space.
    /// - Returns: the new text and the number of words removed (0 when no
    ///   paragraph has two sentences).
    public static func dropSentence(_ text: [UInt8], rng: inout Xoshiro256) -> (text: [UInt8], droppedWords: Int) {
        // Sentences: from a start to a terminal '.', '?' or '!'.
        var candidates: [Range<Int>] = []
        var start = 0
        let n = text.count
        var i = 0
        while i < n {
            let b = text[i]
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "?") || b == UInt8(ascii: "!") {
                let precededBySpace = start > 0 && text[start - 1] == 0x20
                let followedBySpace = i + 1 < n && text[i + 1] == 0x20
                if precededBySpace {
                    candidates.append((start - 1)..<(i + 1))
                } else if followedBySpace {
                    candidates.append(start..<(i + 2))
                }
                // Next sentence starts after the space or blank line.
                var j = i + 1
                while j < n, text[j] == 0x20 || text[j] == 0x0A { j += 1 }
                start = j
                i = j
            } else {
                i += 1
            }
        }
        guard !candidates.isEmpty else { return (text, 0) }
        let cut = candidates[rng.next(below: candidates.count)]
        let dropped = wordSpans(Array(text[cut])).count
        var out = Array(text[..<cut.lowerBound])
        out.append(contentsOf: text[cut.upperBound...])
        return (out, dropped)
    }
}
