// Entry points for text that is already in memory: no files, no paths.

extension Comparison {
    /// Compares two corpora held in memory, one string a document, exactly
    /// as `fingerprint compare` compares two directories of those documents;
    /// the report's `summary` holds the one-sentence verdict.
    ///
    /// ```swift
    /// let human = (1...12).map { "The committee met on day \($0) and agreed that the river bridge needs repair before winter." }
    /// let model = (1...12).map { "Overall, it is important to note that on day \($0) the committee delved into the bridge repair." }
    /// var options = CompareOptions()
    /// options.permutations = 199
    /// let report = try Comparison.run(human, model, options: options)
    /// print(report.summary)                      // A and B are distinguishable (permutation test, …)
    /// print(report.test.pValue!, report.divergence.jsd)
    /// ```
    ///
    /// Documents are named `doc1`, `doc2`, … in the report; shared passages
    /// are aligned on the strings themselves.
    /// - Throws: `FingerprintError.noDocuments` when a side has no
    ///   non-empty document.
    /// - Complexity: reading and counting is linear in the text; the
    ///   permutation test is one GEMM of (permutations × documents ×
    ///   features) flops, in blocks.
    public static func run(_ a: [String], _ b: [String], options: CompareOptions = CompareOptions()) throws -> CompareReport {
        try run(CorpusInput(documents: a, label: "A"), CorpusInput(documents: b, label: "B"), options: options).withVerdict()
    }
}

extension Batch {
    /// Scores documents held in memory against each other (or against
    /// `reference`), as `fingerprint batch` does for a directory: each
    /// document's nearest neighbours, and with `options.threshold` the pairs
    /// at or above it and their clusters.
    ///
    /// ```swift
    /// let docs = ["the cat sat on the mat", "the cat sat on a mat", "stock prices fell sharply on monday"]
    /// var options = BatchOptions()
    /// options.top = 1
    /// let result = try Batch.run(docs, options: options)
    /// print(result.neighbors[0].first!.index)   // 1: the second document
    /// ```
    /// - Complexity: exact cosine by GEMM over the frequent columns plus
    ///   inverted lists over the rest; memory O(tile² + documents × top).
    public static func run(
        _ documents: [String], names: [String]? = nil, reference: [String]? = nil,
        options: BatchOptions = BatchOptions()
    ) throws -> BatchCollector {
        let collector = BatchCollector()
        try run(
            CorpusInput(documents: documents, names: names, label: "documents"),
            reference: reference.map { CorpusInput(documents: $0, label: "reference") }, options: options, sink: collector)
        return collector
    }
}
