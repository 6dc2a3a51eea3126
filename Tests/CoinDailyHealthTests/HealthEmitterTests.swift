import CoinDailyHealth
import Testing

@Suite("Health publication: changes, periodic events, the outbox")
struct HealthEmitterTests {
    func report(_ status: HealthStatus, at timestamp: Int64, alert: String? = nil) -> HealthReport {
        HealthReport(
            status: status, redis: status == .down ? "down" : "up", redisLatencyMs: nil, producers: [:], gatewayCount: 1,
            gatewayConnections: 0, agents: .zero, alerts: alert.map { [HealthAlert(key: $0, text: $0)] } ?? [], timestamp: timestamp)
    }

    @Test("the first report, every change, and a report every publish interval")
    func changesAndPeriodic() {
        var emitter = HealthEmitter(publishIntervalMs: 30_000, outboxCapacity: 4)
        func step(_ r: HealthReport) -> [Int64] {
            let batch = emitter.offer(r, redisReachable: true)
            emitter.published(batch)
            return batch.map(\.timestamp)
        }
        #expect(step(report(.healthy, at: t0)) == [t0])
        #expect(step(report(.healthy, at: t0 + 5000)) == [])
        #expect(step(report(.degraded, at: t0 + 10_000, alert: "producer x: missing")) == [t0 + 10_000])
        #expect(step(report(.degraded, at: t0 + 15_000, alert: "producer x: missing")) == [])
        #expect(step(report(.degraded, at: t0 + 39_999, alert: "producer x: missing")) == [])
        #expect(step(report(.degraded, at: t0 + 40_000, alert: "producer x: missing")) == [t0 + 40_000])
        #expect(step(report(.degraded, at: t0 + 45_000, alert: "producer y: missing")) == [t0 + 45_000])
    }

    @Test("while Redis is unreachable each change waits in the outbox; it goes out first when Redis is back")
    func outbox() {
        var emitter = HealthEmitter(publishIntervalMs: 30_000, outboxCapacity: 4)
        emitter.published(emitter.offer(report(.healthy, at: t0), redisReachable: true))
        #expect(emitter.offer(report(.down, at: t0 + 5000, alert: "redis: unreachable"), redisReachable: false) == [])
        #expect(emitter.offer(report(.down, at: t0 + 10_000, alert: "redis: unreachable"), redisReachable: false) == [])
        #expect(emitter.offer(report(.down, at: t0 + 60_000, alert: "redis: unreachable"), redisReachable: false) == [])
        #expect(emitter.outbox.map(\.timestamp) == [t0 + 5000])
        let batch = emitter.offer(report(.healthy, at: t0 + 65_000), redisReachable: true)
        #expect(batch.map(\.status) == [.down, .healthy])
        #expect(batch.map(\.timestamp) == [t0 + 5000, t0 + 65_000])
        emitter.published(batch)
        #expect(emitter.outbox.isEmpty)
        #expect(emitter.offer(report(.healthy, at: t0 + 70_000), redisReachable: true) == [])
    }

    @Test("a failed publication is retried; the outbox is bounded, dropping the oldest")
    func failuresAndBound() {
        var emitter = HealthEmitter(publishIntervalMs: 30_000, outboxCapacity: 2)
        let first = emitter.offer(report(.healthy, at: t0), redisReachable: true)
        emitter.failed(first)
        let retry = emitter.offer(report(.healthy, at: t0 + 1000), redisReachable: true)
        #expect(retry.map(\.timestamp) == [t0, t0 + 1000])
        emitter.published(retry)
        for (i, status) in [HealthStatus.down, .degraded, .down].enumerated() {
            _ = emitter.offer(report(status, at: t0 + 2000 + Int64(i)), redisReachable: false)
        }
        #expect(emitter.outbox.map(\.timestamp) == [t0 + 2001, t0 + 2002])
        #expect(emitter.dropped == 1)
    }
}
