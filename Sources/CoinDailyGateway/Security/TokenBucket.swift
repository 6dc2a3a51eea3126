/// A token bucket: `rate` tokens per second up to `capacity`; each admitted action takes one. The rate and
/// capacity are passed in (they are configuration), so a bucket is 16 bytes — one per connection.
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private var last: UInt64

    /// A full bucket at `nowNanos`.
    init(capacity: Double, nowNanos: UInt64) {
        self.tokens = max(capacity, 1)
        self.last = nowNanos
    }

    /// Takes a token if there is one.
    mutating func take(nowNanos: UInt64, rate: Double, capacity: Double) -> Bool {
        if nowNanos > last {
            tokens = min(max(capacity, 1), tokens + Double(nowNanos - last) / 1e9 * rate)
            last = nowNanos
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket is full at `nowNanos` (it can be forgotten).
    func isFull(nowNanos: UInt64, rate: Double, capacity: Double) -> Bool {
        tokens + Double(nowNanos &- last) / 1e9 * rate >= max(capacity, 1)
    }
}
