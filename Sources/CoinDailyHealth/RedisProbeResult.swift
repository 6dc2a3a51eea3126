/// What the Redis probe found: a `PING` round trip, or no answer.
public enum RedisProbeResult: Sendable, Equatable {
    /// Redis answered `PING` after `latencyMs` milliseconds.
    case reachable(latencyMs: Double)
    /// Redis did not answer (not connected, timed out, error); `reason` is for the alert.
    case unreachable(reason: String)
}
