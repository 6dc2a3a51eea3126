import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Testing

@Suite("LeaderLease: one instance emits, another takes over", .serialized)
struct LeaderLeaseTests {
    @Test("of two instances only one holds the lease; the other takes over after a release or after the TTL")
    func takeover() async throws {
        try await TestRedis.withServer { server, redis in
            let other = TestRedis.client(port: server.port, "other")
            try await eventually(5, "other connected") { other.isConnected }
            let a = LeaderLease(redis: redis, producer: "test", instance: "a", ttl: .milliseconds(400), logger: TestRedis.logger("a"))
            let b = LeaderLease(redis: other, producer: "test", instance: "b", ttl: .milliseconds(400), logger: TestRedis.logger("b"))
            #expect(await a.refresh())
            #expect(await !b.refresh())
            #expect(await a.refresh())  // the holder extends
            #expect(try await redis.sendChecked(["GET", RedisKeys.lease("test")]).string == "a")
            // a releases (graceful stop): b takes over at its next refresh.
            await a.release()
            #expect(await b.refresh())
            #expect(await !a.refresh())
            // b stops refreshing (a crash): a takes over once the TTL passed.
            try await Task.sleep(for: .milliseconds(600))
            #expect(await a.refresh())
            #expect(await !b.refresh())
            await other.shutdown()
        }
    }

    @Test("two publishers gated by the lease: only the holder's periodic events are published")
    func onlyTheHolderEmits() async throws {
        try await TestRedis.withServer { _, redis in
            let channel = RedisKeys.eventChannel(.systemHealth)
            let publisher = EventPublisher(redis: redis, producer: "test")
            let leases = ["a", "b"].map {
                LeaderLease(redis: redis, producer: "test", instance: $0, ttl: .seconds(5), logger: TestRedis.logger($0))
            }
            for round in 0..<4 {
                for (index, lease) in leases.enumerated() where await lease.refresh() {
                    try await publisher.publish([
                        EventPublisher.Item(channels: [channel], envelope: envelope(.systemHealth, round * 10 + index))
                    ])
                }
            }
            let numbers = try await TestRedis.history(redis, channel).compactMap { $0.message["data"]?["n"]?.numberValue }
            #expect(numbers == [0, 10, 20, 30])
        }
    }
}
