/// An error the engine reports to a person: one line naming the path (and
/// line, for JSONL) and what to do, plus the sysexits code the CLI exits with.
public struct FingerprintError: Error, CustomStringConvertible, Sendable, Equatable {
    /// sysexits(3) codes used by the CLI.
    public enum Code: Int32, Sendable {
        /// `--fail-on-match` found a match.
        case matchFound = 1
        /// EX_USAGE: bad command line.
        case usage = 64
        /// EX_DATAERR: nothing usable in a corpus.
        case dataError = 65
        /// EX_NOINPUT: input not found or not readable.
        case noInput = 66
        /// EX_SOFTWARE: an internal limit was hit.
        case software = 70
        /// EX_IOERR: writing output failed.
        case ioError = 74
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func usage(_ m: String) -> FingerprintError { .init(.usage, m) }
    public static func data(_ m: String) -> FingerprintError { .init(.dataError, m) }
    public static func noInput(_ m: String) -> FingerprintError { .init(.noInput, m) }
    public static func io(_ m: String) -> FingerprintError { .init(.ioError, m) }
}
