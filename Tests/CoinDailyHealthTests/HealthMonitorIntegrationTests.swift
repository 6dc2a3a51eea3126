import CoinDailyHealth
import CoinDailyProtocol
import CoinDailyRedis
import NIOCore
import Testing

@Suite("Health monitor against a real Redis", .serialized, .timeLimit(.minutes(1)))
struct HealthMonitorIntegrationTests {
    let configuration = HealthConfiguration(
        expectedServices: ["alpha", "gateway"], probeInterval: .milliseconds(50), publishInterval: .seconds(30),
        missingAfter: .milliseconds(200), slowRedisThreshold: .milliseconds(1000), probeTimeout: .milliseconds(500))

    @Test("heartbeat keys appear and expire: healthy, degraded with a readable alert, healthy again, down without a gateway")
    func heartbeatsAppearAndExpire() async throws {
        try await HealthFixture.with { fx in
            let client = fx.monitorClient()
            let monitor = HealthMonitor(redis: client, configuration: configuration, logger: HealthFixture.logger("health"))
            var state = monitor.initialState()
            try await eventually(5, "the monitor's client connects") { client.isConnected }

            let now = nowMillis()
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:gateway:g1", #"{"service":"gateway","connections":3,"at":\#(now)}"#, "EX", "30"])
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:gateway:g2", #"{"service":"gateway","connections":4,"at":\#(now)}"#, "EX", "30"])
            let alphaWritten = ContinuousClock.now
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:alpha:a1", #"{"service":"alpha","at":\#(now)}"#, "PX", "3000"])
            _ = try await fx.redis.sendChecked(["HSET", RedisKeys.agentRegistry, "a1", #"{"status":"active"}"#, "a2", #"{"status":"inactive"}"#])

            var report = await monitor.cycle(&state)
            #expect(report.status == .healthy)
            #expect(report.gatewayCount == 2 && report.gatewayConnections == 7)
            #expect(report.agents == AgentCounts(total: 2, active: 1, inactive: 1))
            #expect(report.producers == ["alpha": "up"])

            // The alpha key expires after 3 s (long enough for the first cycle to see it on a loaded machine: with
            // 400 ms it once expired before the first cycle under `make test`); 200 ms later alpha is down.
            let start = ContinuousClock.now
            while report.status == .healthy, ContinuousClock.now - start < .seconds(10) {
                try await Task.sleep(for: .milliseconds(50))
                report = await monitor.cycle(&state)
            }
            #expect(report.status == .degraded)
            #expect(report.producers == ["alpha": "down"])
            #expect(report.alerts.count == 1)
            #expect(report.alerts.first?.text.hasPrefix("producer alpha: no heartbeat for ") == true)
            // The key lives 3 s; "down" needs it missing for the 200 ms grace, counted from the last cycle that
            // saw it (cycles are 50 ms apart): never sooner than 3150 ms after the write (3100 leaves timer slack).
            #expect(ContinuousClock.now - alphaWritten >= .milliseconds(3100))

            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:alpha:a1", #"{"service":"alpha","at":\#(nowMillis())}"#, "EX", "30"])
            #expect(await monitor.cycle(&state).status == .healthy)
            _ = try await fx.redis.sendChecked(["DEL", "cd:heartbeat:gateway:g1", "cd:heartbeat:gateway:g2"])
            report = await monitor.cycle(&state)
            #expect(report.status == .healthy)  // within the grace period
            try await Task.sleep(for: .milliseconds(250))
            report = await monitor.cycle(&state)
            #expect(report.status == .down)
            #expect(report.alerts.first?.text.hasPrefix("gateway: no heartbeat for ") == true)

            try await fx.barrier()
            // The gateway count dropping to 0 is a change of its own (still healthy within the grace period).
            #expect(fx.events.statuses == ["healthy", "degraded", "healthy", "healthy", "down"])
            #expect(fx.events.data.map { $0["services"]?["gateways"]?["count"] } == [2, 2, 2, 0, 0])
            let latest = try await fx.redis.sendChecked(["GET", HealthKeys.latest]).string
            #expect(try latest.map { try JSONValue.parse($0) } == fx.events.data.last)
            await client.shutdown()
        }
    }

    @Test("Redis unreachable: down is kept and published first when Redis is back")
    func downReportedOnReturn() async throws {
        try await HealthFixture.with { fx in
            let client = fx.monitorClient()
            let monitor = HealthMonitor(redis: client, configuration: configuration, logger: HealthFixture.logger("health"))
            var state = monitor.initialState()
            try await eventually(5, "the monitor's client connects") { client.isConnected }
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:gateway:g1", #"{"connections":1}"#, "EX", "30"])
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:alpha:a1", "{}", "EX", "30"])
            #expect(await monitor.cycle(&state).status == .healthy)
            // Pub/sub is at most once: a SIGKILL right after PUBLISH returned can come before Redis has written the
            // message to our subscriber (it answered the publisher first). Wait for it before killing Redis.
            try await fx.barrier()

            fx.server.kill()
            let down = await monitor.cycle(&state)
            #expect(down.status == .down)
            #expect(down.alerts.map(\.key) == ["redis: unreachable"])
            #expect(monitor.latest.report == down)
            #expect(await monitor.cycle(&state).status == .down)
            #expect(state.emitter.outbox.map(\.timestamp) == [down.timestamp])

            // Redis comes back empty; wait until our subscriber is back before the monitor probes again.
            try await fx.server.start()
            try await eventually(10, "the test subscriber is subscribed again") {
                let reply = try? await fx.redis.sendChecked(["PUBSUB", "NUMSUB", HealthKeys.channel])
                return reply?.array?.last?.int == 1
            }
            try await eventually(10, "the monitor's client reconnects") { client.isConnected }
            // Everybody rewrites their heartbeat within 5 s; here at once.
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:gateway:g1", #"{"connections":1}"#, "EX", "30"])
            _ = try await fx.redis.sendChecked(["SET", "cd:heartbeat:alpha:a1", "{}", "EX", "30"])
            let back = await monitor.cycle(&state)
            #expect(back.status == .healthy)
            try await fx.barrier()
            let data = fx.events.data
            #expect(fx.events.statuses == ["healthy", "down", "healthy"])
            #expect(data.dropFirst().first?["timestamp"] == .int(down.timestamp))
            #expect(data.dropFirst().first?["alerts"] == .strings(down.alerts.map(\.text)))
            #expect(state.emitter.outbox.isEmpty)
            await client.shutdown()
        }
    }

    @Test("the service loop publishes, republishes periodically, and stops when cancelled")
    func loop() async throws {
        try await HealthFixture.with { fx in
            let client = fx.monitorClient()
            var fast = configuration
            fast.publishInterval = .milliseconds(200)
            fast.expectedServices = []
            let monitor = HealthMonitor(redis: client, configuration: fast, logger: HealthFixture.logger("health"))
            let task = Task { try await monitor.run() }
            let events = fx.events
            try await eventually(10, "three periodic events") { events.statuses.count >= 3 }
            task.cancel()
            try await task.value
            #expect(Set(events.statuses) == ["healthy"])
            await client.shutdown()
        }
    }
}
