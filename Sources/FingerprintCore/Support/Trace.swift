import Foundation

/// Stage timings and peak memory on standard error when the environment
/// variable FINGERPRINT_TRACE is set (for profiling; never in normal output).
package enum Trace {
    static let enabled = ProcessInfo.processInfo.environment["FINGERPRINT_TRACE"] != nil
    nonisolated(unsafe) static var last: Double = 0

    public static func mark(_ stage: @autoclosure () -> String) {
        guard enabled else { return }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if last == 0 { last = now }
        let peak = ResourceUsage.peakMB().map { String(format: "%.0f MB peak", $0) } ?? ""
        FileHandle.standardError.write(
            Data(String(format: "trace: %-36@ %8.3f s  %@\n", stage() as NSString, now - last, peak as NSString).utf8))
        last = now
    }
}
