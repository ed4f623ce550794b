import FingerprintCore

/// Union–find with path halving and union by size.
package struct UnionFind {
    private var parent: [Int]
    private var size: [Int]

    public init(_ n: Int) {
        parent = Array(0..<n)
        size = [Int](repeating: 1, count: n)
    }

    public mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    public mutating func union(_ a: Int, _ b: Int) {
        var ra = find(a)
        var rb = find(b)
        guard ra != rb else { return }
        if size[ra] < size[rb] || (size[ra] == size[rb] && rb < ra) { swap(&ra, &rb) }
        parent[rb] = ra
        size[ra] += size[rb]
    }

    /// Groups of two or more elements, each sorted, ordered by first element.
    public mutating func groups() -> [[Int]] {
        var byRoot: [Int: [Int]] = [:]
        for i in 0..<parent.count { byRoot[find(i), default: []].append(i) }
        return byRoot.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }
}

/// Average-linkage (UPGMA) hierarchical clustering of a distance matrix.
public enum AverageLinkage {
    public struct Merge: Codable, Sendable, Equatable {
        /// Cluster ids: 0..<n are the items; n + i is the cluster made by merge i.
        public var left: Int
        public var right: Int
        public var distance: Double
        public var size: Int
    }

    /// The merges, in order, and the leaf order of the dendrogram. Ties
    /// broken by the smaller cluster ids. O(n³), fine for tens of corpora.
    public static func cluster(_ d: [[Double]]) -> (merges: [Merge], order: [Int]) {
        let n = d.count
        guard n > 1 else { return ([], Array(0..<n)) }
        var active = Array(0..<n)
        var members: [Int: [Int]] = [:]
        for i in 0..<n { members[i] = [i] }
        var dist: [Int: [Int: Double]] = [:]
        for i in 0..<n { for j in 0..<n where i != j { dist[i, default: [:]][j] = d[i][j] } }
        var merges: [Merge] = []
        var next = n
        while active.count > 1 {
            var best = (Double.infinity, 0, 0)
            for (ai, a) in active.enumerated() {
                for b in active[(ai + 1)...] {
                    let v = dist[a]![b]!
                    if v < best.0 { best = (v, a, b) }
                }
            }
            let (v, a, b) = best
            let ma = members[a]!
            let mb = members[b]!
            merges.append(Merge(left: a, right: b, distance: v, size: ma.count + mb.count))
            active.removeAll { $0 == a || $0 == b }
            for c in active {
                let nv = (dist[a]![c]! * Double(ma.count) + dist[b]![c]! * Double(mb.count)) / Double(ma.count + mb.count)
                dist[next, default: [:]][c] = nv
                dist[c, default: [:]][next] = nv
            }
            members[next] = ma + mb
            active.append(next)
            next += 1
        }
        return (merges, members[next - 1]!)
    }
}
