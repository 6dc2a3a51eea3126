import CoinDailyTestSupport
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTasks
import Logging
import NIOPosix
import ServiceLifecycle
import Testing

/// One `coindaily-tasks --simulate` instance as far as the simulator goes: its own Redis client, the
/// producer's lease and the simulation service, run by a service group like the command's.
private struct SimulatingInstance {
    let runId: String
    let redis: RedisClient
    let group: ServiceGroup
    let task: Task<Void, any Error>

    init(runId: String, port: Int) {
        self.runId = runId
        redis = RedisClient(
            configuration: redisConfiguration(port: port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: quietLogger("redis-\(runId)"))
        redis.start()
        let logger = quietLogger("instance-\(runId)")
        let lease = LeaderLease(redis: redis, producer: "tasks", instance: runId, ttl: .milliseconds(600), logger: logger)
        let simulation = TasksSimulationService(
            simulator: TasksSimulator(seed: 7, runId: runId), redis: redis, interval: .milliseconds(50), lease: lease, logger: logger)
        let group = ServiceGroup(services: [lease, simulation], logger: logger)
        self.group = group
        task = Task { try await group.run() }
    }

    /// Graceful stop, as on SIGTERM: the lease is released.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
        await redis.shutdown()
    }
}

@Suite("Tasks simulator: two instances, one feed", .serialized)
struct TasksSimulationLeaseTests {
    /// The run ids of the simulated inputs queued in `cd:ingest:tasks` after entry `after`, per entry.
    private static func runIds(_ redis: RedisClient, after: String = "-") async throws -> (ids: [String], last: String) {
        let start = after == "-" ? "-" : "(" + after
        let entries = try await redis.sendChecked(["XRANGE", RedisKeys.ingestStream("tasks"), start, "+"]).array ?? []
        var ids: [String] = []
        for entry in entries {
            let fields = entry.array?.last?.array?.compactMap(\.string) ?? []
            let payload = fields.count > 1 ? fields[1] : ""
            // Every input id is sim-<runId>-t<n> or sim-<runId>-p<n>.
            for runId in ["a", "b"] where payload.contains("\"sim-\(runId)-") { ids.append(runId) }
        }
        return (ids, entries.last?.array?.first?.string ?? after)
    }

    @Test("only the lease holder feeds; after it stops the other instance takes over")
    func onlyTheHolderFeeds() async throws {
        try await withRedis { server, redis in
            let a = SimulatingInstance(runId: "a", port: server.port)
            try await eventually(5, "a holds the lease") {
                try await redis.sendChecked(["GET", RedisKeys.lease("tasks")]).string == "a"
            }
            let b = SimulatingInstance(runId: "b", port: server.port)
            // A window of about 20 ticks of each instance.
            try await Task.sleep(for: .seconds(1))
            let first = try await Self.runIds(redis)
            #expect(first.ids.count >= 5)
            #expect(Set(first.ids) == ["a"], "b fed while a held the lease")

            // a stops (graceful: it releases the lease); b takes over within a refresh (TTL / 3).
            try await a.stop()
            let stoppedAt = try await Self.runIds(redis).last
            try await eventually(5, "b feeds") { try await Self.runIds(redis, after: stoppedAt).ids.contains("b") }
            try await Task.sleep(for: .milliseconds(500))
            let second = try await Self.runIds(redis, after: stoppedAt)
            #expect(Set(second.ids) == ["b"])
            #expect(try await redis.sendChecked(["GET", RedisKeys.lease("tasks")]).string == "b")
            try await b.stop()
        }
    }
}
