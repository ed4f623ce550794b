import FingerprintCore
import Foundation

/// Matches documents of A and B by relative path (or a key).
struct Pairing {
    /// (row in A, row in stacked matrix for B).
    var pairList: [(Int, Int)] = []
    var strata: [Int32]
    var pairs: Int { pairList.count }

    init(a: [DocumentInfo], b: [DocumentInfo], field: String?) {
        func key(_ d: DocumentInfo) -> String { field != nil ? (d.key ?? "") : d.pairName }
        var indexA: [String: Int] = [:]
        var dupA = Set<String>()
        for (i, d) in a.enumerated() {
            let k = key(d)
            if k.isEmpty { continue }
            if indexA[k] != nil { dupA.insert(k) } else { indexA[k] = i }
        }
        var seenB = Set<String>()
        strata = (0..<(a.count + b.count)).map { Int32($0) }
        for (j, d) in b.enumerated() {
            let k = key(d)
            guard !k.isEmpty, !dupA.contains(k), let i = indexA[k], seenB.insert(k).inserted else { continue }
            pairList.append((i, a.count + j))
            strata[a.count + j] = Int32(i)
        }
    }
}

extension DocumentInfo {
    /// The name used to pair documents: the relative path, or for JSONL the line number.
    var pairName: String { name.hasSuffix(".jsonl") || line != nil ? "line \(line ?? 0)" : name }
}
