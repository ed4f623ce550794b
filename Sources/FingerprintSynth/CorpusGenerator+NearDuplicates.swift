import FingerprintCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension CorpusGenerator {
    // MARK: - Near-duplicates

    enum NearDuplicateRole: Equatable {
        /// A fresh document (original of a cluster, or a singleton).
        case fresh(Int)
        /// A variant of the fresh document `of`.
        case variant(of: Int)
    }

    struct NearDuplicatePlan {
        /// Role of each slot (file index).
        var roles: [NearDuplicateRole]
        /// Clusters as slot lists, original first.
        var clusters: [[Int]]
    }

    /// About a sixth of the slots are originals, each with 1–3 variants; the
    /// rest are unrelated singletons. Slots are shuffled so clusters are not
    /// adjacent files.
    func nearDuplicatePlan(_ n: Int) -> NearDuplicatePlan {
        var r = rng(stream: Stream.nearDuplicatePlan, index: 0)
        var slots = Array(0..<n)
        r.shuffle(&slots)
        var roles = [NearDuplicateRole](repeating: .fresh(0), count: n)
        var clusters: [[Int]] = []
        var used = 0
        var fresh = 0
        let wanted = max(1, n / 6)
        while clusters.count < wanted, used + 2 <= n {
            let variants = min(1 + r.next(below: 3), n - used - 1)
            let original = slots[used]
            roles[original] = .fresh(fresh)
            var members = [original]
            for v in 0..<variants {
                let s = slots[used + 1 + v]
                roles[s] = .variant(of: fresh)
                members.append(s)
            }
            clusters.append(members)
            used += 1 + variants
            fresh += 1
        }
        for s in slots[used...] {
            roles[s] = .fresh(fresh)
            fresh += 1
        }
        return NearDuplicatePlan(roles: roles, clusters: clusters)
    }

    func writeNearDuplicate(slot j: Int, plan: NearDuplicatePlan, n: Int, words w: Int, sink: SynthSink) throws
        -> (bytes: Int, words: Int, variant: SynthManifest.NearDuplicateCluster.Variant?)
    {
        let name = CorpusGenerator.fileName(j, count: n)
        let path = "near-dups/" + name
        switch plan.roles[j] {
        case .fresh(let f):
            let d = document(source: sourceA, words: w, stream: Stream.nearDuplicateOriginal, index: f)
            try sink.write(d, to: path)
            return (d.count, w, nil)
        case .variant(of: let f):
            var text = document(source: sourceA, words: w, stream: Stream.nearDuplicateOriginal, index: f)
            var r = rng(stream: Stream.nearDuplicateVariant, index: j)
            let kind = r.next(below: 3)  // 0: substitute, 1: drop a sentence, 2: both
            var dropped = 0
            var words = w
            if kind != 0 {
                let d = CorpusGenerator.dropSentence(text, rng: &r)
                text = d.text
                dropped = d.droppedWords > 0 ? 1 : 0
                words -= d.droppedWords
            }
            var p = 0.0
            var substituted = 0
            if kind != 1 {
                p = CorpusGenerator.nearDuplicateRates[r.next(below: CorpusGenerator.nearDuplicateRates.count)]
                let s = CorpusGenerator.substitute(text, probability: p, rng: &r)
                text = s.text
                substituted = s.substituted
            }
            try sink.write(text, to: path)
            return (
                text.count, words,
                .init(
                    file: name, substitutionProbability: p, substitutedWords: substituted,
                    droppedSentences: dropped, words: words)
            )
        }
    }
}
