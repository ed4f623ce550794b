// One executable for every fuzz target rather than one per target: the
// instrumented engine is compiled and linked once, and the replay tool, the
// libFuzzer entry point and the test suite share one table of checks
// (`FuzzTarget` in FingerprintFuzz). Under libFuzzer the target is chosen by
// the FINGERPRINT_FUZZ_TARGET environment variable, since libFuzzer owns the
// command line. No main.swift: built with `--sanitize fuzzer` the module is
// compiled as a library and libFuzzer supplies `main`, so the replay entry
// point below exists only in a normal build.
#if !FUZZING
    import FingerprintFuzz
    import Foundation

    /// `fingerprint-fuzz [TARGET [FILE|DIR …]]`: replays the committed
    /// corpora (`Tests/Fuzz/<target>/corpus` under the current directory) of
    /// every target, or of TARGET, or the given files, and exits 1 if a check
    /// fails.
    @main
    enum Replay {
        static func main() {
            var args = Array(CommandLine.arguments.dropFirst())
            if args.first == "-h" || args.first == "--help" {
                print(usage)
                exit(0)
            }
            var targets = FuzzTarget.allCases
            if let first = args.first {
                guard let t = FuzzTarget(rawValue: first) else {
                    FileHandle.standardError.write(Data("fingerprint-fuzz: unknown target '\(first)'\n\(usage)\n".utf8))
                    exit(64)
                }
                targets = [t]
                args.removeFirst()
            }
            let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            var failed = 0
            for target in targets {
                do {
                    let paths = args.isEmpty ? [FuzzCorpus.directory(target, root: root)] : args.map { URL(fileURLWithPath: $0) }
                    let files = try paths.flatMap { try FuzzCorpus.files(at: $0) }
                    let failures = try FuzzCorpus.replay(target, files: files)
                    for f in failures {
                        FileHandle.standardError.write(Data("\(target.rawValue): \(f.file.path): \(f.failure)\n".utf8))
                    }
                    print("\(target.rawValue): \(files.count) inputs, \(failures.count) failed")
                    failed += failures.count
                } catch {
                    FileHandle.standardError.write(Data("fingerprint-fuzz: \(target.rawValue): \(error)\n".utf8))
                    failed += 1
                }
            }
            exit(failed == 0 ? 0 : 1)
        }

        static let usage = """
            usage: fingerprint-fuzz [TARGET [FILE|DIR ...]]
              Replays fuzz inputs through the checks of TARGET (one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))),
              by default every committed corpus, Tests/Fuzz/<target>/corpus. Built with -DFUZZING and
              -sanitize=fuzzer it is a libFuzzer binary instead (see Scripts/fuzz.sh).
            """
    }
#endif
