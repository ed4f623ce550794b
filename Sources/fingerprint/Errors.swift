import ArgumentParser
import FingerprintKit
import Foundation

/// The exit-code policy, in one place (sysexits(3)):
///
/// | status | meaning |
/// | --- | --- |
/// | 0 | success |
/// | 1 | `--fail-on-match` found a match |
/// | 64 | bad usage (also a parameter the engine rejects) |
/// | 65 | bad data: nothing usable in a corpus, a skip under `--strict` |
/// | 66 | an input not found or not readable |
/// | 70 | an internal limit (a dimension beyond BLAS's 32-bit range) |
/// | 74 | the output cannot be written |
/// | 75 | the estimated peak memory exceeds the memory available (`--force` runs anyway) |
///
/// Skipped inputs never change the status unless `--strict` is given: they
/// are counted and listed in the report, and the run goes on.
enum ExitStatus {
    static let matchFound: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let software: Int32 = 70
    static let ioError: Int32 = 74
    static let tooBig: Int32 = 75

    /// The status and the one-line message for a library error, with the
    /// command-line flag that relates to it where there is one.
    static func of(_ e: FingerprintError) -> (status: Int32, message: String) {
        switch e {
        case .inputNotFound: return (noInput, e.description)
        case .badData: return (dataError, e.description)
        case .noDocuments(_, _, let patterns):
            return (dataError, e.description + (patterns.isEmpty ? "" : " (--glob to change)"))
        case .strictSkip(let path, let reason):
            return (dataError, "\(path): \(reason) (--strict turns skips into errors)")
        case .invalidParameter: return (usage, e.description)
        case .noPairs: return (dataError, "--paired: " + e.description)
        case .destinationNotEmpty: return (usage, e.description)
        case .outputFailed: return (ioError, e.description)
        case .limit: return (software, e.description)
        }
    }
}

/// Runs a command body: applies the shared options, then turns a library
/// error into one line on standard error and its exit status.
func runReporting(_ options: SharedOptions? = nil, _ body: () throws -> Void) throws {
    options?.configure()
    do {
        // The check before a run lists (walks and stats) the inputs once and
        // the run reads what it listed (`CorpusSurvey.takeListing`).
        try CorpusSurvey.withListingsKept(threads: options?.readOptions.threads ?? 1, body)
    } catch let e as FingerprintError {
        let (status, message) = ExitStatus.of(e)
        FileHandle.standardError.write(Data("fingerprint: error: \(message.terminalSafe)\n".utf8))
        throw ExitCode(status)
    }
}
