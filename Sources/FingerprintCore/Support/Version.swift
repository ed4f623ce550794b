/// The tool's identity, written into every machine-readable report.
public enum Fingerprint {
    /// The version of the tool and library (semantic versioning).
    public static let version = "0.2.0"
}
