import FingerprintCore

/// Which documents are in which group, and which relabellings the null
/// hypothesis allows.
///
/// Unpaired: any relabelling that keeps the group sizes. Stratified (paired
/// designs): labels are permuted only inside each stratum — a matched pair
/// of documents answering the same prompt is a stratum of two, and its
/// labels are swapped with probability ½.
public struct Design: Sendable, Equatable {
    /// 0 = corpus A, 1 = corpus B, one per document (A's documents first).
    public var labels: [UInt8]
    /// Stratum of each document, or nil for the unrestricted design.
    public var strata: [Int32]? {
        didSet { strataMembers = Design.members(strata, count: labels.count) }
    }
    /// Members of each stratum (documents alone in theirs are left out:
    /// they never change group); computed once.
    private(set) var strataMembers: [[Int]]

    public init(labels: [UInt8], strata: [Int32]? = nil) {
        precondition(strata == nil || strata!.count == labels.count)
        self.labels = labels
        self.strata = strata
        strataMembers = Design.members(strata, count: labels.count)
    }

    /// A's `a` documents then B's `b` documents, unpaired.
    public init(a: Int, b: Int) {
        self.init(labels: [UInt8](repeating: 0, count: a) + [UInt8](repeating: 1, count: b))
    }

    public static func == (x: Design, y: Design) -> Bool { x.labels == y.labels && x.strata == y.strata }

    public var count: Int { labels.count }
    public var countA: Int { labels.lazy.filter { $0 == 0 }.count }
    public var countB: Int { count - countA }

    static func members(_ strata: [Int32]?, count: Int) -> [[Int]] {
        guard let strata else { return [Array(0..<count)] }
        var groups: [Int32: [Int]] = [:]
        for (i, s) in strata.enumerated() { groups[s, default: []].append(i) }
        return groups.keys.sorted().map { groups[$0]! }.filter { $0.count > 1 }
    }

    /// Relabelling number `index` for `seed`: reproducible, and independent
    /// of how permutations are blocked or threaded (each has its own stream).
    public func permutation(_ index: Int, seed: UInt64) -> [UInt8] {
        var out = labels
        out.withUnsafeMutableBufferPointer { permutation(index, seed: seed, into: $0) }
        return out
    }

    /// Writes relabelling `index` into `out` (count = documents), without
    /// allocating for the unrestricted design: a Fisher–Yates shuffle of
    /// the labels in place, the same draws as `Xoshiro256.shuffle`.
    public func permutation(_ index: Int, seed: UInt64, into out: UnsafeMutableBufferPointer<UInt8>) {
        var rng = Xoshiro256(seed: seed, stream: 0x5045_524D &+ UInt64(index))  // "PERM"
        _ = out.update(fromContentsOf: labels)
        if strata == nil {
            var i = out.count
            while i > 1 {
                let j = rng.next(below: i)
                i -= 1
                out.swapAt(i, j)
            }
            return
        }
        for members in strataMembers {
            var l = members.map { labels[$0] }
            rng.shuffle(&l)
            for (k, i) in members.enumerated() { out[i] = l[k] }
        }
    }

    /// How many distinct relabellings exist (capped at `Double.greatestFiniteMagnitude`);
    /// the smallest attainable p-value is about 1 / this.
    public var relabellings: Double {
        var total = 1.0
        for members in strataMembers {
            let n = members.count
            let k = members.filter { labels[$0] == 0 }.count
            total *= binomial(n, k)
        }
        return total
    }

    private func binomial(_ n: Int, _ k: Int) -> Double {
        var r = 1.0
        let k = min(k, n - k)
        guard k > 0 else { return 1 }
        for i in 1...k { r = r * Double(n - k + i) / Double(i) }
        return r
    }
}
