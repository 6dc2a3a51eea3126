/// A token bucket: `rate` tokens per second up to `capacity`; each admitted action takes one.
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private var last: UInt64
    let rate: Double
    let capacity: Double

    /// A full bucket at `nowNanos`.
    init(rate: Double, capacity: Double, nowNanos: UInt64) {
        self.rate = rate
        self.capacity = max(capacity, 1)
        self.tokens = max(capacity, 1)
        self.last = nowNanos
    }

    /// Takes a token if there is one.
    mutating func take(nowNanos: UInt64) -> Bool {
        if nowNanos > last {
            tokens = min(capacity, tokens + Double(nowNanos - last) / 1e9 * rate)
            last = nowNanos
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket is full at `nowNanos` (it can be forgotten).
    func isFull(nowNanos: UInt64) -> Bool {
        tokens + Double(nowNanos &- last) / 1e9 * rate >= capacity
    }
}
