/// Joins two counted corpora into one matrix over their union vocabulary.
extension DocumentTermMatrix {
    /// A matrix with no documents and no types.
    public static var empty: DocumentTermMatrix {
        DocumentTermMatrix(
            rowStart: [0], columns: [], counts: [], lengths: [],
            vocabulary: Vocabulary(hashed: false, arena: [], offsets: [0], hashes: [], totalCounts: [], documentFrequency: []))
    }

    /// Rows of `a` then rows of `b`, columns = the union of both
    /// vocabularies in canonical order (a linear merge of the two sorted
    /// vocabularies). Both must be exact, or both hashed.
    public static func stacked(_ a: DocumentTermMatrix, _ b: DocumentTermMatrix) -> DocumentTermMatrix {
        let va = a.vocabulary
        let vb = b.vocabulary
        precondition(va.hashed == vb.hashed, "cannot stack an exact and a hashed vocabulary")
        let hashed = va.hashed
        var mapA = [Int32](repeating: 0, count: va.count)
        var mapB = [Int32](repeating: 0, count: vb.count)
        var arena: [UInt8] = []
        var offsets = [0]
        var hashes: [UInt64] = []
        var totals: [Int] = []
        var df: [Int32] = []
        func less(_ i: Int, _ j: Int) -> Int {  // -1, 0, 1 comparing va[i] with vb[j]
            if hashed { return va.hashes[i] < vb.hashes[j] ? -1 : (va.hashes[i] == vb.hashes[j] ? 0 : 1) }
            let x = va.arena[va.offsets[i]..<va.offsets[i + 1]]
            let y = vb.arena[vb.offsets[j]..<vb.offsets[j + 1]]
            if x.elementsEqual(y) { return 0 }
            return x.lexicographicallyPrecedes(y) ? -1 : 1
        }
        func push(_ v: Vocabulary, _ i: Int) {
            hashes.append(v.hashes[i])
            if !hashed {
                arena.append(contentsOf: v.arena[v.offsets[i]..<v.offsets[i + 1]])
                offsets.append(arena.count)
            }
        }
        var i = 0
        var j = 0
        while i < va.count || j < vb.count {
            let c = i == va.count ? 1 : (j == vb.count ? -1 : less(i, j))
            let id = Int32(hashes.count)
            if c <= 0 {
                push(va, i)
                mapA[i] = id
                totals.append(va.totalCounts[i])
                df.append(va.documentFrequency[i])
                if c == 0 {
                    mapB[j] = id
                    totals[totals.count - 1] += vb.totalCounts[j]
                    df[df.count - 1] += vb.documentFrequency[j]
                    j += 1
                }
                i += 1
            } else {
                push(vb, j)
                mapB[j] = id
                totals.append(vb.totalCounts[j])
                df.append(vb.documentFrequency[j])
                j += 1
            }
        }
        // Maps are increasing, so remapped rows stay sorted.
        let columns = a.columns.map { mapA[Int($0)] } + b.columns.map { mapB[Int($0)] }
        let rowStart = a.rowStart + b.rowStart.dropFirst().map { $0 + a.nonZeros }
        let vocab = Vocabulary(hashed: hashed, arena: arena, offsets: offsets, hashes: hashes, totalCounts: totals, documentFrequency: df)
        return DocumentTermMatrix(
            rowStart: rowStart, columns: columns, counts: a.counts + b.counts,
            lengths: a.lengths + b.lengths, vocabulary: vocab)
    }

    /// Total count of each type over the rows where `include(row)` holds.
    public func columnTotals(where include: (Int) -> Bool) -> [Double] {
        var t = [Double](repeating: 0, count: typeCount)
        for d in 0..<documentCount where include(d) {
            for k in rowStart[d]..<rowStart[d + 1] { t[Int(columns[k])] += Double(counts[k]) }
        }
        return t
    }
}

extension DocumentTermMatrix {
    /// The documents `range` (same vocabulary; totals and document
    /// frequencies recomputed for those rows).
    public func rows(_ range: Range<Int>) -> DocumentTermMatrix {
        let lo = rowStart[range.lowerBound]
        let hi = rowStart[range.upperBound]
        var v = vocabulary
        var totals = [Int](repeating: 0, count: typeCount)
        var df = [Int32](repeating: 0, count: typeCount)
        for k in lo..<hi {
            totals[Int(columns[k])] += Int(counts[k])
            df[Int(columns[k])] += 1
        }
        v.totalCounts = totals
        v.documentFrequency = df
        return DocumentTermMatrix(
            rowStart: rowStart[range.lowerBound...range.upperBound].map { $0 - lo },
            columns: Array(columns[lo..<hi]), counts: Array(counts[lo..<hi]),
            lengths: Array(lengths[range]), vocabulary: v)
    }
}
