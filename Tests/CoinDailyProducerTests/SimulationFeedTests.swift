import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Synchronization
import Testing

@Suite("SimulationFeed: only the lease holder feeds", .serialized)
struct SimulationFeedTests {
    /// What one feed did: ticks it fed (`step`) and ticks it spent paused.
    final class Ticks: Sendable {
        let fed = Atomic<Int>(0)
        let paused = Atomic<Int>(0)
    }

    /// The `instance` field of every entry of `cd:ingest:test`, oldest first.
    private static func feeders(_ redis: RedisClient) async throws -> [String] {
        let entries = try await redis.sendChecked(["XRANGE", RedisKeys.ingestStream("test"), "-", "+"]).array ?? []
        return try entries.map { entry in
            let fields = entry.array?.last?.array?.compactMap(\.string) ?? []
            return try JSONValue.parse(fields.last ?? "[]").arrayValue?.first?["instance"]?.stringValue ?? "?"
        }
    }

    @Test("two feeds of one producer: the holder's steps run, the other's pause, and resume after a takeover")
    func holderFeedsOtherPauses() async throws {
        try await TestRedis.withServer { server, redis in
            let other = TestRedis.client(port: server.port, "other")
            try await eventually(5, "other connected") { other.isConnected }
            let leases = [("a", redis), ("b", other)].map { name, client in
                LeaderLease(redis: client, producer: "test", instance: name, ttl: .seconds(5), logger: TestRedis.logger(name))
            }
            let ticks = [Ticks(), Ticks()]
            // Before a lease's first answer a feed neither steps nor pauses.
            #expect(await leases[0].leadership == nil)
            #expect(await leases[0].refresh())
            #expect(await !leases[1].refresh())
            #expect(await leases[1].leadership == false)

            let feeds = Task {
                await withTaskGroup(of: Void.self) { group in
                    for (index, name) in ["a", "b"].enumerated() {
                        let feed = SimulationFeed(
                            producer: "test", redis: index == 0 ? redis : other, interval: .milliseconds(20), lease: leases[index],
                            logger: TestRedis.logger(name))
                        let counts = ticks[index]
                        group.addTask {
                            await feed.run(0, whilePaused: { _, _ in counts.paused.add(1, ordering: .relaxed) }) { n, _ in
                                n += 1
                                counts.fed.add(1, ordering: .relaxed)
                                await feed.queue(.array([["instance": .string(name), "n": .int(Int64(n))]]))
                            }
                        }
                    }
                }
            }
            // Waits for ticks rather than sleeping a fixed time: under a loaded machine a 20 ms timer runs late.
            try await eventually(10, "b paused several ticks") { ticks[1].paused.load(ordering: .relaxed) > 5 }
            try await eventually(10, "a fed") { ticks[0].fed.load(ordering: .relaxed) > 5 }
            #expect(Set(try await Self.feeders(redis)) == ["a"])
            #expect(ticks[1].fed.load(ordering: .relaxed) == 0)

            // a gives the lease up; b takes it at its next refresh and resumes; a pauses.
            await leases[0].release()
            #expect(await leases[1].refresh())
            #expect(await !leases[0].refresh())
            let fedByA = ticks[0].fed.load(ordering: .relaxed)
            let count = try await Self.feeders(redis).count
            try await eventually(10, "b fed after the takeover") { ticks[1].fed.load(ordering: .relaxed) > 2 }
            let after = try await Self.feeders(redis).dropFirst(count)
            #expect(!after.isEmpty)
            #expect(after.contains("b"))
            #expect(after.filter { $0 == "a" }.count <= 1)  // at most a step of a already in flight
            #expect(ticks[0].fed.load(ordering: .relaxed) <= fedByA + 1)
            feeds.cancel()
            await feeds.value
            await other.shutdown()
        }
    }
}
