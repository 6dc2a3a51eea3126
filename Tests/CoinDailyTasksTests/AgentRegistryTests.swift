import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTasks
import Testing

@Suite("Agent registry", .timeLimit(.minutes(1)))
struct AgentRegistryTests {
    @Test("task events mark agents active with their name, a default name, or the name known before")
    func names() async throws {
        try await withRedis { _, redis in
            let producer = makeProducer(redis, TasksConfiguration(defaultAgentName: "bot-{id}"))
            try await producer.apply([task("t-1", .queued, agent: "a-7", name: "Writer-7"), task("t-2", .queued, agent: "a-8")], now: t0)
            var registry = try await agents(redis)
            #expect(registry["a-7"] == AgentRecord(agentId: "a-7", name: "Writer-7", isActive: true, lastSeen: t0))
            #expect(registry["a-8"] == AgentRecord(agentId: "a-8", name: "bot-a-8", isActive: true, lastSeen: t0))
            // Later events without agentName keep the known name; a new agentName replaces it.
            try await producer.apply([task("t-1", .processing, agent: "a-7"), task("t-2", .processing, agent: "a-8", name: "Editor-8")], now: t0 + 1000)
            registry = try await agents(redis)
            #expect(registry["a-7"] == AgentRecord(agentId: "a-7", name: "Writer-7", isActive: true, lastSeen: t0 + 1000))
            #expect(registry["a-8"]?.name == "Editor-8")
            // Pipeline events do not touch the registry.
            try await producer.apply([stage("p", "s", .pending, 0)], now: t0 + 2000)
            #expect(try await agents(redis)["a-7"]?.lastSeen == t0 + 1000)
        }
    }

    @Test("the sweep marks agents idle for longer than the window inactive; a new event revives them")
    func sweep() async throws {
        try await withRedis { _, redis in
            let minute: Int64 = 60_000
            let producer = makeProducer(redis, TasksConfiguration(agentActiveWindow: .seconds(600)))
            try await producer.apply([task("t-1", .queued, agent: "old")], now: t0)
            try await producer.apply([task("t-2", .queued, agent: "new")], now: t0 + 5 * minute)
            #expect(try await producer.sweepAgents(now: t0 + 10 * minute) == 0)
            #expect(try await producer.sweepAgents(now: t0 + 10 * minute + 1) == 1)
            var registry = try await agents(redis)
            #expect(registry["old"]?.isActive == false && registry["old"]?.name == "agent-old")
            #expect(registry["new"]?.isActive == true)
            #expect(try await producer.sweepAgents(now: t0 + 10 * minute + 2) == 0)
            try await producer.apply([task("t-1", .processing, agent: "old")], now: t0 + 11 * minute)
            registry = try await agents(redis)
            #expect(registry["old"] == AgentRecord(agentId: "old", name: "agent-old", isActive: true, lastSeen: t0 + 11 * minute))
            // Foreign or broken entries are left alone.
            _ = try await redis.sendChecked(["HSET", RedisKeys.agentRegistry, "junk", "not json"])
            #expect(try await producer.sweepAgents(now: t0 + 60 * minute) == 2)
            #expect(try await redis.sendChecked(["HGET", RedisKeys.agentRegistry, "junk"]).string == "not json")
        }
    }

    @Test("the registry JSON has exactly the documented fields")
    func json() async throws {
        try await withRedis { _, redis in
            try await makeProducer(redis).apply([task("t-1", .queued, agent: "a-1", name: "W/1")], now: t0)
            let raw = try await redis.sendChecked(["HGET", RedisKeys.agentRegistry, "a-1"]).string ?? ""
            #expect(try JSONValue.parse(raw) == ["agentId": "a-1", "name": "W/1", "status": "active", "lastSeen": .int(t0)])
        }
    }
}
