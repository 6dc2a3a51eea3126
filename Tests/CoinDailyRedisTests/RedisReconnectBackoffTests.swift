import NIOCore
import Testing

@testable import CoinDailyRedis

@Suite("RedisReconnectBackoff")
struct RedisReconnectBackoffTests {
    @Test("doubles from the initial delay up to the maximum, with 50-100 % jitter")
    func exponentialWithJitter() {
        let backoff = RedisReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(5))
        #expect(backoff.baseDelay(attempt: 1) == .milliseconds(100))
        #expect(backoff.baseDelay(attempt: 2) == .milliseconds(200))
        #expect(backoff.baseDelay(attempt: 4) == .milliseconds(800))
        #expect(backoff.baseDelay(attempt: 7) == .seconds(5))
        #expect(backoff.baseDelay(attempt: 1000) == .seconds(5))
        var seen: Set<Int64> = []
        for _ in 0..<200 {
            let delay = backoff.delay(attempt: 3).nanoseconds
            #expect(delay >= TimeAmount.milliseconds(200).nanoseconds)
            #expect(delay <= TimeAmount.milliseconds(400).nanoseconds)
            seen.insert(delay)
        }
        #expect(seen.count > 100, "jitter should spread the delays")
    }
}
