import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Testing

@Suite("Outbox: nothing lost while Redis is away", .serialized)
struct OutboxTests {
    @Test("events submitted while Redis is stopped are published in order after it restarts")
    func keepsAndDrains() async throws {
        try await TestRedis.withServer { server, redis in
            let publisher = EventPublisher(redis: redis, producer: "test")
            let outbox = Outbox<EventPublisher.Item>(producer: "test", name: "events", logger: TestRedis.logger("outbox")) {
                try await publisher.publish($0)
            }
            let channel = RedisKeys.eventChannel(.systemHealth)
            let item = { (n: Int) in EventPublisher.Item(channels: [channel], envelope: envelope(.systemHealth, n)) }
            #expect(await outbox.submit([item(0)]))
            server.kill()
            for n in 1...5 { #expect(await !outbox.submit([item(n)])) }
            #expect(await outbox.count == 5)
            try await server.start()
            try await eventually(10, "outbox drained") { await outbox.drain() }
            // The restarted server is empty: the history holds what the outbox published, in order.
            let numbers = try await TestRedis.history(redis, channel).compactMap { $0.message["data"]?["n"]?.numberValue }
            #expect(numbers == [1, 2, 3, 4, 5])
        }
    }

    @Test("beyond the capacity the oldest are dropped and counted")
    func dropsOldest() async throws {
        let outbox = Outbox<Int>(producer: "test", name: "ints", capacity: 3, logger: TestRedis.logger("outbox")) { _ in
            throw RedisError.notConnected
        }
        await outbox.submit([1, 2, 3, 4, 5])
        #expect(await outbox.count == 3)
        #expect(await outbox.dropped == 2)
    }
}
