// In-memory entry point of attribution: strings and labels, no files.

extension Attribution {
    /// Attributes documents held in memory, as `fingerprint attribute` does
    /// for files: `reference[i]` was written by the candidate `labels[i]`.
    /// With `questioned`, each questioned document is attributed by a model
    /// trained on all of `reference`; without it, the method is evaluated on
    /// `reference` by stratified cross-validation (`options.folds`), or by
    /// leave-one-group-out when `groups` (one a reference document) is given.
    ///
    /// ```swift
    /// let ref = ["upon the hill whilst it rained", "upon my word whilst we ate", "on the hill while it rained", "on my word while we ate"]
    /// var options = AttributionOptions()
    /// options.method = .delta
    /// options.features.mfw = 20
    /// let report = try Attribution.run(reference: ref, labels: ["a", "a", "b", "b"], questioned: ["whilst upon the road"], options: options)
    /// print(report.predictions[0].predicted)    // a
    /// ```
    /// Reference documents are named `ref1`, `ref2`, …, questioned ones `q1`, `q2`, ….
    /// - Throws: `FingerprintError.invalidParameter` for mismatched lengths or
    ///   options out of range; `.badData` with fewer than 2 candidates.
    /// - Complexity: one tokenising pass per feature family, then one fit a
    ///   fold (see `evaluate`).
    public static func run(
        reference: [String], labels: [String], questioned: [String]? = nil, groups: [String]? = nil,
        options: AttributionOptions = AttributionOptions()
    ) throws -> AttributionReport {
        guard labels.count == reference.count else {
            throw FingerprintError.invalidParameter(
                name: "labels", value: "\(labels.count)", reason: "must give one label per reference document (\(reference.count))")
        }
        if let groups, groups.count != reference.count {
            throw FingerprintError.invalidParameter(
                name: "groups", value: "\(groups.count)", reason: "must give one group per reference document (\(reference.count))")
        }
        let classes = Array(Set(labels)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let q = questioned ?? []
        let groupNames = groups.map { Array(Set($0)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } } ?? []
        let groupIndex = Dictionary(uniqueKeysWithValues: groupNames.enumerated().map { ($1, $0) })
        let data = AttributionData(
            names: reference.indices.map { "ref\($0 + 1)" } + q.indices.map { "q\($0 + 1)" },
            texts: (reference + q).map { Array($0.utf8) },
            labels: labels.map { index[$0]! } + [Int](repeating: -1, count: q.count), classes: classes,
            groups: groups.map { $0.map { groupIndex[$0]! } + [Int](repeating: -1, count: q.count) }, groupNames: groupNames)
        return questioned == nil ? try evaluate(data, options: options) : try attribute(data, options: options)
    }
}
