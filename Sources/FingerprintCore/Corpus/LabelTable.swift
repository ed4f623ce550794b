import Foundation

/// A two-column CSV that gives each document a value — a candidate label
/// (`attribute --labels`), a group (`--groups`), a corpus (`batch --labels`):
/// `path,VALUE` with a header line, RFC 4180 quotes; a document is looked
/// up by its name (relative path) or its path.
package enum LabelTable {
    /// Parses a two-column CSV (`path,VALUE` with a header line; RFC 4180
    /// quotes) into a map from path to value.
    /// - Throws: `inputNotFound` when unreadable, `badData` on a malformed line.
    package static func read(_ path: String) throws -> [String: String] {
        guard let data = try FileName.contents(ofRegularFile: path) else {
            throw FingerprintError.inputNotFound(path: path, reason: "cannot be read")
        }
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = String(decoding: data, as: UTF8.self).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            pending = n
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                row.append(field)
                field = ""
                if row != [""] { rows.append(row) }
                row = []
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        guard let header = rows.first else {
            throw FingerprintError.badData(path: path, reason: "is empty; expected a header line path,VALUE")
        }
        guard header.count >= 2 else { throw FingerprintError.badData(path: path, reason: "needs two columns: path and a value") }
        var out: [String: String] = [:]
        var line: [String: Int] = [:]
        for (i, r) in rows.dropFirst().enumerated() {
            guard r.count >= 2, !r[0].isEmpty, !r[1].isEmpty else {
                throw FingerprintError.badData(path: "\(path):\(i + 2)", reason: "needs a path and a value")
            }
            // A path given twice: which value holds would be a guess.
            if let before = line[r[0]], out[r[0]] != r[1] {
                throw FingerprintError.badData(
                    path: "\(path):\(i + 2)", reason: "gives '\(r[0])' another value than line \(before) does")
            }
            out[r[0]] = r[1]
            line[r[0]] = line[r[0]] ?? i + 2
        }
        return out
    }

    /// Looks a document up in a table by its name, or by its path.
    package static func lookup(_ t: [String: String], _ info: DocumentInfo) -> String? { t[info.name] ?? t[info.path] }

    /// A note on the rows of `t` (read from `path`) that name none of
    /// `documents`, and on the values left with no document: nil when every
    /// row names one. (A mistyped path, or one written `./name`, was dropped
    /// without a word, and with it a whole candidate.)
    package static func unmatchedNote(_ t: [String: String], _ documents: [DocumentInfo], table path: String) -> String? {
        var known = Set<String>()
        for d in documents {
            known.insert(d.name)
            known.insert(d.path)
        }
        let missing = t.keys.filter { !known.contains($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !missing.isEmpty else { return nil }
        let shown = missing.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (missing.count > 3 ? ", …" : "")
        var note =
            "\(missing.count) \(missing.count == 1 ? "row" : "rows") of \(path) \(missing.count == 1 ? "names" : "name") no document "
            + "(\(shown)); a row gives a document's name (its path inside the corpus) or its path as given"
        let left = Set(documents.compactMap { lookup(t, $0) })
        let lost = Set(t.values).subtracting(left).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if !lost.isEmpty { note += "; left with no document: " + lost.map { "'\($0)'" }.joined(separator: ", ") }
        return note
    }

}
