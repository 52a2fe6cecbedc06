import Foundation

/// Figures of a running process from Linux's /proc/PID/status (nil elsewhere, or when the
/// process is gone).
public enum ProcessStatus {
    /// A memory field such as `VmRSS` (resident now) or `VmHWM` (peak resident), in KiB.
    public static func kibibytes(_ field: String, pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
        else { return nil }
        return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Int($0) }
    }
}
