import FingerprintCore
import Foundation

/// The fingerprint-file reader on arbitrary files (SQLite databases made
/// by `Tests/Fuzz/seeds.py` from the documented schema, then mutated).
///
/// Opening the file, loading its counted corpus (with the tokenizer it
/// names, if it names `word`), reading every document, its skips and its
/// survey, and looking 13-grams up in its gram index and band keys up in
/// its band index (or a schema-3 file's band table) either succeeds or
/// throws a `FingerprintError` whose message is one line; never another
/// error, a crash or an out-of-bounds read. Every document read has one
/// MinHash value a permutation (what `dedup` and the index's bands index by)
/// and counts of at least 1 for token ids of at least 0.
enum FingerprintFileChecks {
    static func check(_ data: [UInt8]) throws {
        let path = NSTemporaryDirectory() + "/fp-fuzz-\(getpid()).fp"
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) } }
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return }
        do {
            let file = try FingerprintFile(path: path)
            try file.requireCompatible(tokenizer: .word)
            let corpus = try file.countedCorpus(tokenizer: .word)
            try require(corpus.matrix.rowStart.count == corpus.documents.count + 1, "matrix rows")
            try require(corpus.matrix.columns.allSatisfy { Int($0) < corpus.matrix.typeCount }, "a column outside the vocabulary")
            var documents = 0
            var probes: [UInt64] = [0, 11, 12, 1 << 63, UInt64.max]
            try file.forEachDocument { _, d in
                documents += 1
                try require(d.ids.count == d.counts.count, "ids and counts")
                try require(d.ids.allSatisfy { $0 >= 0 } && d.counts.allSatisfy { $0 >= 1 }, "a negative id or a count below 1")
                try require(d.minhash.count == file.parameters.permutations, "a signature without one value a permutation")
                probes += d.grams[1].prefix(4)
            }
            probes = Array(Set(probes)).sorted()
            if let found = try file.storedGramsPresent(probes) { try require(found.count == probes.count, "one answer a probe") }
            var keys: [(band: Int, hash: UInt64)] = []
            for b in 0..<file.parameters.bands { for h: UInt64 in [0, 7, 42, 1 << 63, UInt64.max] { keys.append((b, h)) } }
            let held = try file.storedBandDocuments(keys)
            try require(held.count == keys.count, "one answer a band key")
            try require(documents == corpus.documents.count, "documents read twice differ")
            _ = try file.skips()
            _ = try file.survey()
        } catch let e as FingerprintError {
            try require(!e.description.isEmpty && !e.description.contains("\n"), "error message '\(e.description)'")
        }
    }

    static func require(_ ok: Bool, _ what: String) throws {
        if !ok { throw FuzzFailure("fingerprint file: \(what)") }
    }
}
