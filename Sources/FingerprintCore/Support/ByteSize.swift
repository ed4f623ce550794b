import Foundation

/// Byte sizes written as "100MB", "1.5GB", "512KiB", "2000000".
package enum ByteSize {
    /// Parses a size: a number with an optional unit K, M, G, T (powers of
    /// 1000) or Ki, Mi, Gi, Ti (powers of 1024), optionally followed by "B";
    /// case-insensitive. Nil when malformed or not positive.
    public static func parse(_ text: String) -> Int? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        var numberEnd = s.startIndex
        while numberEnd < s.endIndex, s[numberEnd].isNumber || s[numberEnd] == "." { numberEnd = s.index(after: numberEnd) }
        guard let value = Double(s[..<numberEnd]), value > 0 else { return nil }
        var unit = String(s[numberEnd...]).trimmingCharacters(in: .whitespaces)
        if unit.hasSuffix("b") { unit.removeLast() }
        let scale: Double
        switch unit {
        case "": scale = 1
        case "k": scale = 1e3
        case "m": scale = 1e6
        case "g": scale = 1e9
        case "t": scale = 1e12
        case "ki": scale = 1024
        case "mi": scale = 1024 * 1024
        case "gi": scale = 1024 * 1024 * 1024
        case "ti": scale = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * scale
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes.rounded())
    }
}
