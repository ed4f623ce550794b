import FingerprintCore
import Foundation

/// Where the candidate source of each reference document comes from.
public enum AttributionLabels: Sendable, Equatable {
    /// The first path component: each subdirectory of the reference is one
    /// candidate (as `batch --by-subdir`).
    case subdirectories
    /// The JSONL field read as the corpus's key field (`CorpusInput.keyField`).
    case key
    /// A CSV file with the columns `path,label`.
    case table(String)
}

/// Where the group of each reference document (leave-one-group-out) comes from.
public enum AttributionGroups: Sendable, Equatable {
    /// A top-level string field of each JSONL record.
    case field(String)
    /// A CSV file with the columns `path,group`.
    case table(String)
}

/// Collects each document's bytes (attribution learns from the text itself:
/// masking rewrites it, and every feature family tokenises it).
package struct TextWorker: DocumentWorker {
    var buffer: [UInt8] = []
    package init() {}
    package mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: chunk) }
    package mutating func finish() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }
    package mutating func discard() { buffer = [] }
    package var invalidSequences: Int { 0 }
    package func release() {}
}

/// Reads reference and questioned corpora into `AttributionData`.
package enum AttributionCorpus {
    /// Reads `input` in corpus order: names, infos and texts.
    package static func read(_ input: CorpusInput, options: ReadOptions, progress: ProgressSink?) throws -> (
        infos: [DocumentInfo], texts: [[UInt8]], skips: [Skip]
    ) {
        let scan = try CorpusReader.read(input, options: options, progress: progress) { TextWorker() }
        return (scan.documents, scan.outputs.map(\.output), scan.skips)
    }

    /// The reference documents with their candidate labels (and groups),
    /// followed by the questioned documents (label −1). Reference documents
    /// without a label are left out, with a note.
    package static func load(
        reference: CorpusInput, labels: AttributionLabels, groups: AttributionGroups?, questioned: CorpusInput?,
        options: ReadOptions, progress: ProgressSink?
    ) throws -> (data: AttributionData, skips: [Skip], notes: [String]) {
        let ref = try read(reference, options: options, progress: progress)
        var notes: [String] = []
        var skips = ref.skips
        let labelTable: [String: String]? = if case .table(let p) = labels { try LabelTable.read(p) } else { nil }
        let groupTable: [String: String]? = if case .table(let p) = groups { try LabelTable.read(p) } else { nil }
        var names: [String] = []
        var texts: [[UInt8]] = []
        var labelNames: [String] = []
        var groupNames: [String] = []
        var unlabelled = 0
        var ungrouped = 0
        for (info, text) in zip(ref.infos, ref.texts) {
            let label: String?
            switch labels {
            case .subdirectories:
                let parts = info.name.split(separator: "/", maxSplits: 1)
                label = parts.count == 2 ? String(parts[0]) : nil
            case .key: label = info.key
            case .table: label = LabelTable.lookup(labelTable!, info)
            }
            guard let label, !label.isEmpty else {
                unlabelled += 1
                continue
            }
            var group: String? = nil
            switch groups {
            case .none: break
            case .table: group = LabelTable.lookup(groupTable!, info)
            case .field(let f):
                // Only a JSONL record has fields; a plain file has no group.
                group = info.line == nil ? nil : try? String(decoding: DocumentFile(info, field: f).read(), as: UTF8.self)
            }
            if groups != nil && (group ?? "").isEmpty {
                ungrouped += 1
                continue
            }
            names.append(info.name)
            texts.append(text)
            labelNames.append(label)
            groupNames.append(group ?? "")
        }
        if unlabelled > 0 { notes.append("\(unlabelled) reference documents have no candidate label and were left out") }
        if case .table(let p) = labels, let note = LabelTable.unmatchedNote(labelTable!, ref.infos, table: p) { notes.append(note) }
        if case .table(let p) = groups, let note = LabelTable.unmatchedNote(groupTable!, ref.infos, table: p) { notes.append(note) }
        if ungrouped > 0 { notes.append("\(ungrouped) reference documents have no group and were left out") }
        let classes = Array(Set(labelNames)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard classes.count >= 2 else {
            throw FingerprintError.badData(
                path: reference.description, reason: "needs labelled documents of at least 2 candidate sources (found \(classes.count))")
        }
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var labelIndex = labelNames.map { classIndex[$0]! }
        var groupIndex: [Int]? = nil
        var groupList: [String] = []
        if groups != nil {
            groupList = Array(Set(groupNames)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let gi = Dictionary(uniqueKeysWithValues: groupList.enumerated().map { ($1, $0) })
            groupIndex = groupNames.map { gi[$0]! }
        }
        if let questioned {
            let q = try read(questioned, options: options, progress: progress)
            skips += q.skips
            names += q.infos.map(\.name)
            texts += q.texts
            labelIndex += [Int](repeating: -1, count: q.texts.count)
            groupIndex = groupIndex.map { $0 + [Int](repeating: -1, count: q.texts.count) }
        }
        return (
            AttributionData(names: names, texts: texts, labels: labelIndex, classes: classes, groups: groupIndex, groupNames: groupList),
            skips,
            notes
        )
    }
}
