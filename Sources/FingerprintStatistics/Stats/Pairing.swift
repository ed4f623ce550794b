import FingerprintCore
import Foundation

/// Matches documents of A and B by relative path (or a key).
struct Pairing {
    /// (row in A, row in stacked matrix for B).
    var pairList: [(Int, Int)] = []
    var strata: [Int32]
    var pairs: Int { pairList.count }
    /// Keys that more than one document of a side holds: in A those
    /// documents pair with nothing, in B only the first does.
    var repeatedKeys = 0

    /// With a key `field`, by its value; else by name (relative path, and
    /// `:LINE` for JSONL: the lines of same-named JSONL files in two
    /// folders); when no name matches and the documents are JSONL lines (two
    /// single JSONL files of different names), by line number.
    init(a: [DocumentInfo], b: [DocumentInfo], field: String?) {
        if field != nil {
            self.init(a: a, b: b, key: { $0.key ?? "" })
            return
        }
        self.init(a: a, b: b, key: { $0.name })
        // JSONL lines of which none paired by name (two single files, or
        // folders of differently named files): by line number, among the
        // JSONL documents left unpaired.
        guard !pairList.contains(where: { a[$0.0].line != nil }), a.contains(where: { $0.line != nil }),
            b.contains(where: { $0.line != nil })
        else { return }
        let pairedA = Set(pairList.map(\.0))
        let byLine = Pairing(a: a, b: b, key: { $0.line != nil ? $0.pairName : "" })
        for (i, j) in byLine.pairList where !pairedA.contains(i) && strata[j] == Int32(j) {
            pairList.append((i, j))
            strata[j] = Int32(i)
        }
        pairList.sort { $0.1 < $1.1 }
        repeatedKeys += byLine.repeatedKeys
    }

    private init(a: [DocumentInfo], b: [DocumentInfo], key: (DocumentInfo) -> String) {
        var indexA: [String: Int] = [:]
        var dupA = Set<String>()
        for (i, d) in a.enumerated() {
            let k = key(d)
            if k.isEmpty { continue }
            if indexA[k] != nil { dupA.insert(k) } else { indexA[k] = i }
        }
        var seenB = Set<String>()
        var dupB = Set<String>()
        strata = (0..<(a.count + b.count)).map { Int32($0) }
        for (j, d) in b.enumerated() {
            let k = key(d)
            if !k.isEmpty && seenB.contains(k) { dupB.insert(k) }
            guard !k.isEmpty, !dupA.contains(k), let i = indexA[k], seenB.insert(k).inserted else { continue }
            pairList.append((i, a.count + j))
            strata[a.count + j] = Int32(i)
        }
        repeatedKeys = dupA.union(dupB).count
    }
}

extension DocumentInfo {
    /// The name used to pair documents: the relative path, or for JSONL the line number.
    var pairName: String { name.hasSuffix(".jsonl") || line != nil ? "line \(line ?? 0)" : name }
}

extension Pairing {
    /// Whether documents with the same name are more alike than documents
    /// without: for at least three quarters of the matched pairs (a, b), the
    /// cosine of their count vectors exceeds that of a with the partner of
    /// the next pair. Numbered file names (`doc0001.txt`) match across
    /// unrelated corpora; only a real correspondence — the same prompts
    /// answered twice — makes the namesakes closer.
    /// - Complexity: O(nnz of the paired rows).
    func namesakesAreCloser(_ m: DocumentTermMatrix) -> Bool {
        guard pairList.count >= 2 else { return false }
        func cosine(_ x: Int, _ y: Int) -> Double {
            var dot = 0.0
            var nx = 0.0
            var ny = 0.0
            var i = m.rowStart[x]
            var j = m.rowStart[y]
            let ie = m.rowStart[x + 1]
            let je = m.rowStart[y + 1]
            for k in i..<ie { nx += Double(m.counts[k]) * Double(m.counts[k]) }
            for k in j..<je { ny += Double(m.counts[k]) * Double(m.counts[k]) }
            while i < ie && j < je {
                if m.columns[i] < m.columns[j] {
                    i += 1
                } else if m.columns[i] > m.columns[j] {
                    j += 1
                } else {
                    dot += Double(m.counts[i]) * Double(m.counts[j])
                    i += 1
                    j += 1
                }
            }
            return nx > 0 && ny > 0 ? dot / (nx * ny).squareRoot() : 0
        }
        var closer = 0
        for (k, (a, b)) in pairList.enumerated() {
            let other = pairList[(k + 1) % pairList.count].1
            if cosine(a, b) > cosine(a, other) { closer += 1 }
        }
        return closer * 4 >= pairList.count * 3
    }
}
