import FingerprintCore

/// Containment of one corpus's n-gram set in another's.
public struct Containment: Codable, Sendable, Equatable {
    public var n: Int
    /// |G(B) ∩ G(A)| / |G(B)|.
    public var bInA: Double
    /// |G(A) ∩ G(B)| / |G(A)|.
    public var aInB: Double
    public var shared: Int
    public var gramsA: Int
    public var gramsB: Int

    enum CodingKeys: String, CodingKey {
        case n
        case bInA = "b_in_a"
        case aInB = "a_in_b"
        case shared
        case gramsA = "grams_a"
        case gramsB = "grams_b"
    }

    public init(n: Int, a: NGramIndex, b: NGramIndex) {
        self.n = n
        shared = a.intersectionCount(b)
        gramsA = a.count
        gramsB = b.count
        bInA = gramsB > 0 ? Double(shared) / Double(gramsB) : 0
        aInB = gramsA > 0 ? Double(shared) / Double(gramsA) : 0
    }
}
