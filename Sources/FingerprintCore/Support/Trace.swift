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

    /// The seconds since `start` (`Trace.now`), 0 when tracing is off.
    package static func since(_ start: Double) -> Double { enabled ? now - start : 0 }
    /// Now, for `since` (0 when tracing is off, so that untraced runs read no clock).
    package static var now: Double { enabled ? Double(DispatchTime.now().uptimeNanoseconds) / 1e9 : 0 }

    /// A part of the stages' time measured apart (summed over a stage, or
    /// inside a parallel one); it does not move the stage clock.
    package static func part(_ name: @autoclosure () -> String, seconds: Double) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(String(format: "trace:   part: %-30@ %8.3f s\n", name() as NSString, seconds).utf8))
    }
}
