/// Reads the two large members of a byte-level BPE tokenizer.json —
/// `model.vocab` (an object of token → id) and `model.merges` (strings
/// `"a b"` or pairs `["a", "b"]`), nearly all of a real file's bytes —
/// straight from the bytes, and gives back the document with them emptied
/// (`{}` and `[]`) for `JSONSerialization`, which is slow on 150,000-entry
/// objects. Anything unusual (invalid UTF-8, a duplicate key — in the vocab
/// the caller finds it —, an id that is
/// not a plain integer, a merge that is not two tokens, deep nesting, no
/// such members) returns nil, and the caller reads the whole file with
/// `JSONSerialization` as before: the result and the errors are the same
/// either way.
enum BPEJSONScan {
    struct Result {
        /// Each vocab key (UTF-8) with its id, in file order.
        var vocab: [([UInt8], UInt32)] = []
        /// Each merge's two tokens (UTF-8), in file order.
        var merges: [([UInt8], [UInt8])] = []
        /// The document with `vocab` and `merges` emptied.
        var rest: [UInt8] = []
    }

    static func scan(_ contents: [UInt8]) -> Result? {
        contents.withUnsafeBufferPointer { b -> Result? in
            guard repairUTF8(b) == nil else { return nil }
            var s = Scanner(b: b)
            return s.document()
        }
    }

    struct Scanner {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        var result = Result()
        var vocabSpan: Range<Int>?
        var mergesSpan: Range<Int>?

        mutating func document() -> Result? {
            space()
            guard
                members({ s, key in
                    if key == Array("model".utf8) {
                        return s.members { s, key in
                            if key == Array("vocab".utf8) {
                                guard s.vocabSpan == nil else { return false }
                                let start = s.i
                                guard s.vocab() else { return false }
                                s.vocabSpan = start..<s.i
                                return true
                            }
                            if key == Array("merges".utf8) {
                                guard s.mergesSpan == nil else { return false }
                                let start = s.i
                                guard s.merges() else { return false }
                                s.mergesSpan = start..<s.i
                                return true
                            }
                            return s.value(depth: 1)
                        }
                    }
                    return s.value(depth: 0)
                })
            else { return nil }
            space()
            guard i == b.count, let v = vocabSpan, let m = mergesSpan else { return nil }
            var rest: [UInt8] = []
            let (first, second) =
                v.lowerBound < m.lowerBound
                ? ((v, Array("{}".utf8)), (m, Array("[]".utf8))) : ((m, Array("[]".utf8)), (v, Array("{}".utf8)))
            rest.append(contentsOf: b[0..<first.0.lowerBound])
            rest.append(contentsOf: first.1)
            rest.append(contentsOf: b[first.0.upperBound..<second.0.lowerBound])
            rest.append(contentsOf: second.1)
            rest.append(contentsOf: b[second.0.upperBound..<b.count])
            result.rest = rest
            return result
        }

        mutating func space() {
            while i < b.count && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09) { i += 1 }
        }

        mutating func eat(_ c: UInt8) -> Bool {
            space()
            guard i < b.count && b[i] == c else { return false }
            i += 1
            return true
        }

        /// An object; `member` reads each value (the key is decoded) and
        /// may refuse. Keys must be distinct, unless `distinct` is false
        /// (the vocab: a token given twice makes the vocabulary refuse it).
        mutating func members(distinct: Bool = true, _ member: (inout Scanner, [UInt8]) -> Bool) -> Bool {
            guard eat(0x7B) else { return false }
            if eat(0x7D) { return true }
            var keys = Set<[UInt8]>()
            repeat {
                space()
                guard let key = string(), !distinct || keys.insert(key).inserted, eat(0x3A) else { return false }
                space()
                guard member(&self, key) else { return false }
            } while eat(0x2C)
            return eat(0x7D)
        }

        /// `{"token": id, ...}` with plain non-negative integer ids.
        mutating func vocab() -> Bool {
            members(distinct: false) { s, key in
                guard let id = s.integer() else { return false }
                s.result.vocab.append((key, id))
                return true
            }
        }

        mutating func integer() -> UInt32? {
            var v: UInt64 = 0
            let start = i
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                v = v * 10 + UInt64(b[i] - 0x30)
                if v > UInt64(UInt32.max) { return nil }
                i += 1
            }
            guard i > start, i - start == 1 || b[start] != 0x30 else { return nil }
            // A fraction or exponent: not a plain integer.
            if i < b.count && (b[i] == 0x2E || b[i] == 0x65 || b[i] == 0x45) { return nil }
            return UInt32(v)
        }

        /// `["a b", ...]` or `[["a", "b"], ...]`.
        mutating func merges() -> Bool {
            guard eat(0x5B) else { return false }
            if eat(0x5D) { return true }
            repeat {
                space()
                guard i < b.count else { return false }
                if b[i] == 0x22 {
                    guard let m = string() else { return false }
                    guard let sp = m.firstIndex(of: 0x20), m[(sp + 1)...].firstIndex(of: 0x20) == nil else { return false }
                    result.merges.append((Array(m[..<sp]), Array(m[(sp + 1)...])))
                } else {
                    guard eat(0x5B) else { return false }
                    space()
                    guard let l = string(), eat(0x2C) else { return false }
                    space()
                    guard let r = string(), eat(0x5D) else { return false }
                    result.merges.append((l, r))
                }
            } while eat(0x2C)
            return eat(0x5D)
        }

        /// Skips any value (nesting at most 64 deep).
        mutating func value(depth: Int) -> Bool {
            space()
            guard i < b.count, depth < 64 else { return false }
            switch b[i] {
            case 0x22: return string() != nil
            case 0x7B: return members { s, _ in s.value(depth: depth + 1) }
            case 0x5B:
                i += 1
                if eat(0x5D) { return true }
                repeat {
                    guard value(depth: depth + 1) else { return false }
                } while eat(0x2C)
                return eat(0x5D)
            case 0x74: return literal("true")
            case 0x66: return literal("false")
            case 0x6E: return literal("null")
            default:
                let start = i
                while i < b.count,
                    b[i] == 0x2D || b[i] == 0x2B || b[i] == 0x2E || b[i] == 0x65 || b[i] == 0x45 || (b[i] >= 0x30 && b[i] <= 0x39)
                {
                    i += 1
                }
                return i > start
            }
        }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= b.count, Array(b[i..<i + w.count]) == w else { return false }
            i += w.count
            return true
        }

        /// A string at `i` (a quote), decoded to UTF-8.
        mutating func string() -> [UInt8]? {
            guard i < b.count, b[i] == 0x22 else { return nil }
            i += 1
            var out: [UInt8] = []
            while i < b.count {
                let c = b[i]
                if c == 0x22 {
                    i += 1
                    return out
                }
                if c < 0x20 { return nil }
                if c != 0x5C {
                    out.append(c)
                    i += 1
                    continue
                }
                guard i + 1 < b.count else { return nil }
                let e = b[i + 1]
                i += 2
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    guard var v = hex4() else { return nil }
                    if v >= 0xD800 && v < 0xDC00 {
                        guard i + 1 < b.count, b[i] == 0x5C, b[i + 1] == 0x75 else { return nil }
                        i += 2
                        guard let lo = hex4(), lo >= 0xDC00 && lo < 0xE000 else { return nil }
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    } else if v >= 0xDC00 && v < 0xE000 {
                        return nil
                    }
                    appendUTF8(v, to: &out)
                default: return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= b.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = b[i + k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            i += 4
            return v
        }
    }
}
