import NIOCore

/// Exponential reconnect backoff with jitter.
///
/// Attempt `n` (1-based) waits `min(max, initial * 2^(n-1))`, jittered uniformly to 50–100 % of that value
/// so that many clients dropped at the same moment do not reconnect in lockstep.
struct RedisReconnectBackoff: Sendable {
    /// Delay before the first attempt.
    var initial: TimeAmount
    /// Upper bound of the (unjittered) delay.
    var maximum: TimeAmount

    /// The unjittered delay before attempt `attempt` (1-based).
    func baseDelay(attempt: Int) -> TimeAmount {
        let initial = max(self.initial.nanoseconds, 1)
        let maximum = max(self.maximum.nanoseconds, initial)
        let shift = min(max(attempt - 1, 0), 40)
        let (scaled, overflow) = initial.multipliedReportingOverflow(by: Int64(1) << shift)
        return .nanoseconds(overflow ? maximum : min(scaled, maximum))
    }

    /// The jittered delay before attempt `attempt` (1-based).
    func delay(attempt: Int) -> TimeAmount {
        let base = self.baseDelay(attempt: attempt).nanoseconds
        let half = base / 2
        return .nanoseconds(half + Int64.random(in: 0...(base - half)))
    }
}
