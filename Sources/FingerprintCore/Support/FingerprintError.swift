/// What went wrong, said in the library's terms: the path or value at
/// fault and the reason. The library never chooses an exit code or names a
/// command-line flag; the CLI maps each case to its exit status and wording
/// in one place (`Sources/fingerprint/Errors.swift`).
public enum FingerprintError: Error, CustomStringConvertible, Sendable, Equatable {
    /// An input that does not exist or cannot be opened or read: a corpus
    /// path, a file listed in it, or a document re-read for a report.
    case inputNotFound(path: String, reason: String)
    /// An input that holds nothing usable, or data the engine cannot use.
    /// `path` may end in `:line` for a JSONL record.
    case badData(path: String, reason: String)
    /// A corpus with no usable document: none found (`patterns` are the
    /// file-name patterns a directory was searched with), or all skipped.
    case noDocuments(path: String, reason: String, patterns: [String])
    /// A skipped input when reading is strict (`ReadOptions.strict`).
    case strictSkip(path: String, reason: String)
    /// A parameter value outside what the engine accepts.
    case invalidParameter(name: String, value: String, reason: String)
    /// A paired design in which no document of A has a partner in B.
    case noPairs(a: String, b: String, key: String)
    /// A destination that must be new or an empty directory, and is not.
    case destinationNotEmpty(path: String)
    /// Output that cannot be written.
    case outputFailed(path: String, reason: String)
    /// An internal limit was hit (a dimension beyond BLAS's 32-bit range, a
    /// LAPACK failure): the input is too large or degenerate for one call.
    case limit(String)

    /// One line: the path or value first, then the reason. Control
    /// characters that came from a file (a stored name, a meta value, a key
    /// of a JSON header) are escaped (`SafeText.terminal`), so the line is
    /// one line whatever the input held.
    public var description: String { unescaped.terminalSafe }

    var unescaped: String {
        switch self {
        case .inputNotFound(let path, let reason): return "\(path): \(reason)"
        case .badData(let path, let reason): return "\(path): \(reason)"
        case .noDocuments(let path, let reason, let patterns):
            return "\(path): \(reason)" + (patterns.isEmpty ? "" : "; files must match \(patterns.joined(separator: " "))")
        case .strictSkip(let path, let reason): return "\(path): \(reason) (reading is strict: a skipped input is an error)"
        case .invalidParameter(let name, let value, let reason): return "\(name) '\(value)': \(reason)"
        case .noPairs(let a, let b, let key): return "no document of \(a) matches one of \(b) by \(key)"
        case .destinationNotEmpty(let path): return "\(path): exists and is not an empty directory; choose a new one"
        case .outputFailed(let path, let reason): return "cannot write \(path): \(reason)"
        case .limit(let what): return what
        }
    }
}
