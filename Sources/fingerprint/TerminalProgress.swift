import FingerprintKit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A progress bar on standard error: only on a terminal, only once a run
/// has taken over a second, never in machine output.
final class TerminalProgress: ProgressSink, @unchecked Sendable {
    private let lock = NSLock()
    private var totalBytes = 0, totalUnits = 0, bytes = 0, units = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    static func make() -> TerminalProgress? { isatty(2) != 0 ? TerminalProgress() : nil }

    func start(totalBytes: Int, totalUnits: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.totalBytes = totalBytes
        self.totalUnits = totalUnits
        started = Date()
    }

    func advance(bytes: Int, units: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.bytes += bytes
        self.units += units
        let now = Date()
        guard now.timeIntervalSince(started) > 1, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        draw(now)
    }

    private func draw(_ now: Date) {
        // Files are the unit of progress (their sizes are not all known up front:
        // the directory walk avoids a stat per file); one big file counts bytes.
        let frac =
            totalUnits > 1 || totalBytes == 0 ? Double(units) / Double(max(1, totalUnits)) : min(1, Double(bytes) / Double(totalBytes))
        let width = 30
        let filled = Int(frac * Double(width))
        let elapsed = now.timeIntervalSince(started)
        let eta = frac > 0 ? elapsed * (1 - frac) / frac : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = String(
            format: "\r[%@] %3.0f%%  %d/%d files  %@  ETA %.0fs ", bar, frac * 100, units, totalUnits,
            Num.bytes(bytes), eta)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
