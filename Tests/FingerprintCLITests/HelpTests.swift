import FingerprintKit
import Foundation
import XCTest

/// Whole `--help` screens of every command, compared with `Help/*.txt`
/// (as swift-argument-parser's own example tests do): a help text that
/// offers a value the command rejects, or omits one it takes, shows up as
/// a diff here. After a deliberate change, regenerate the files with
/// `for c in "" stats compare batch dedup attribute weights tokenizers sketch index merge bench synth; do .build/debug/fingerprint $c --help | cat > Tests/FingerprintCLITests/Help/${c:-fingerprint}.txt; done`.
final class HelpTests: XCTestCase {
    static let commands = [
        "", "stats", "compare", "batch", "dedup", "attribute", "weights", "tokenizers", "sketch", "index", "merge", "bench", "synth",
    ]

    func testWholeHelpScreens() throws {
        let dir = CLITests.root.appendingPathComponent("Tests/FingerprintCLITests/Help")
        for c in HelpTests.commands {
            let r = try CLITests.run((c.isEmpty ? [] : [c]) + ["--help"])
            XCTAssertEqual(r.status, 0, c)
            let expected = try String(contentsOf: dir.appendingPathComponent("\(c.isEmpty ? "fingerprint" : c).txt"), encoding: .utf8)
            XCTAssertEqual(r.stdout, expected, "fingerprint \(c) --help changed")
        }
    }

    /// Every --format value a help screen lists is accepted by the command,
    /// and no other one is (the help and the parser come from one enum).
    func testListedFormatsAreExactlyTheAcceptedOnes() throws {
        let all = ["table", "json", "jsonl", "csv", "html"]
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fp-help-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let corpus = "Corpora/near-dups"
        let runs: [String: [String]] = [
            "stats": ["stats", corpus], "compare": ["compare", "Corpora/source-a", corpus, "--permutations", "9", "--bootstrap", "0"],
            "batch": ["batch", corpus], "dedup": ["dedup", corpus],
            "attribute": [
                "attribute", "--reference", "Tests/FingerprintKitTests/Fixtures/attribution", "--method", "delta", "--cv", "3",
                "--bootstrap", "0",
            ],
            "weights": [
                "weights", "Tests/FingerprintKitTests/Fixtures/weights/a.safetensors",
                "Tests/FingerprintKitTests/Fixtures/weights/b.safetensors",
            ],
        ]
        for (command, args) in runs {
            let help = try CLITests.run([command, "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
                .split(separator: " ").joined(separator: " ")
            let listed = try XCTUnwrap(
                help.range(of: #"--format <format> Output format.*?\(values: ([a-z, ]+);"#, options: .regularExpression))
            let values = help[listed].components(separatedBy: "(values: ")[1].dropLast().components(separatedBy: ", ")
            for f in all {
                let out = tmp.appendingPathComponent("\(command).\(f)").path
                let r = try CLITests.run(args + ["--format", f, "--output", out, "--quiet"])
                XCTAssertEqual(r.status, values.contains(f) ? 0 : 64, "\(command) --format \(f): \(r.stderr)")
            }
        }
    }

    func testVersionNamesTheBLASInUse() throws {
        let r = try CLITests.run(["--version"])
        XCTAssertEqual(r.status, 0)
        let lines = r.stdout.split(separator: "\n")
        // A third line only when OpenBLAS runs kernels below the CPU's (`BLAS.kernelAdvice`).
        XCTAssertEqual(lines.count, BLAS.kernelAdvice == nil ? 2 : 3, r.stdout)
        XCTAssertTrue(lines[0].hasPrefix("fingerprint "), r.stdout)
        XCTAssertTrue(lines[1].hasPrefix("BLAS: "), r.stdout)
        if let tip = BLAS.kernelAdvice { XCTAssertEqual(String(lines[2]), "note: " + tip) }
    }
}
