import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Peak resident memory of this process, for traces and benchmarks.
package enum ResourceUsage {
    /// Peak resident memory since the start or the last `resetPeak()`
    /// (Linux VmHWM), in MB; nil where /proc is not available.
    package static func peakMB() -> Double? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kb / 1024
    }

    /// Resets the peak to the current resident size (Linux clear_refs 5);
    /// does nothing where that file is not writable.
    package static func resetPeak() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        _ = "5".withCString { write(fd, $0, 1) }
        close(fd)
    }
}
