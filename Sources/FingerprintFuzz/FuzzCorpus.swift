import Foundation

/// The committed corpora: `Tests/Fuzz/<target>/corpus/`, one input a file.
package enum FuzzCorpus {
    /// `Tests/Fuzz/<target>/corpus` under `root` (the package directory).
    package static func directory(_ target: FuzzTarget, root: URL) -> URL {
        root.appendingPathComponent("Tests/Fuzz/\(target.rawValue)/corpus", isDirectory: true)
    }

    /// The regular files under `path` (itself when it is a file), sorted by
    /// path so that a replay is deterministic.
    package static func files(at path: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw FuzzFailure("no such file or directory: \(path.path)")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path.path).sorted()
        return try names.filter { !$0.hasPrefix(".") }.flatMap { try files(at: path.appendingPathComponent($0)) }
    }

    /// Runs `target` on every file; returns each file whose check failed,
    /// with the failure.
    package static func replay(_ target: FuzzTarget, files: [URL]) throws -> [(file: URL, failure: FuzzFailure)] {
        var failures: [(file: URL, failure: FuzzFailure)] = []
        for file in files {
            let data = try Data(contentsOf: file)
            do {
                try target.check(Array(data))
            } catch let failure as FuzzFailure {
                failures.append((file, failure))
            }
        }
        return failures
    }
}
