import Foundation

/// Wall-clock time as the protocol writes it: Unix milliseconds.
public enum UnixTime {
    /// Now, in Unix milliseconds.
    @inline(__always)
    public static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
