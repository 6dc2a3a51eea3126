import CoinDailyHealth
import CoinDailyProtocol
import Testing

@Suite("Health status rules (injected probe results)")
struct HealthRulesTests {
    let configuration = HealthConfiguration(
        expectedServices: ["sentiment", "whale", "gateway"], missingAfter: .seconds(5), slowRedisThreshold: .milliseconds(100))

    /// Feeds `probes` in order to a fresh memory and returns the report of the last one.
    func assess(_ probes: [HealthProbe], startedAt: Int64 = t0) -> HealthReport {
        var memory = HeartbeatMemory(startedAt: startedAt)
        var report: HealthReport?
        for probe in probes {
            memory.record(probe)
            report = HealthRules.evaluate(probe, memory: memory, configuration: configuration)
        }
        return report!
    }

    func everyone(at now: Int64, latency: Double = 0.4) -> HealthProbe {
        HealthProbe(
            now: now, redis: .reachable(latencyMs: latency),
            heartbeats: [
                beat("sentiment", at: now - 1000), beat("whale", at: now - 2000),
                beat("gateway", "g1", at: now - 500, connections: 10), beat("gateway", "g2", at: now - 500, connections: 5),
            ],
            agents: AgentCounts(total: 5, active: 3, inactive: 2))
    }

    @Test("everything present and Redis fast: healthy, with the spec's fields and the extensions")
    func healthy() {
        let report = assess([everyone(at: t0 + 1000)])
        #expect(report.status == .healthy)
        #expect(report.alerts.isEmpty)
        #expect(report.data == [
            "status": "healthy", "alerts": [], "timestamp": .int(t0 + 1000),
            "services": [
                "database": "n/a", "redis": "up", "redisLatencyMs": 0.4,
                "ai_agents": ["total": 5, "active": 3, "inactive": 2],
                "producers": ["sentiment": "up", "whale": "up"],
                "gateways": ["count": 2, "connections": 15],
            ],
        ])
        #expect(report.envelope.type == "system_health_update")
    }

    @Test("a producer missing within the grace period is still up; beyond it the system is degraded")
    func producerMissing() {
        var gone = everyone(at: t0 + 14_000)
        gone.heartbeats.removeAll { $0.service == "whale" }
        let seen = everyone(at: t0 + 10_000)  // whale last beat at t0 + 8000
        let within = assess([seen, gone])
        #expect(within.status == .healthy)
        #expect(within.producers["whale"] == "up")

        var later = gone
        later.now = t0 + 15_001  // 5001 ms after the last sighting
        let report = assess([seen, gone, later])
        #expect(report.status == .degraded)
        #expect(report.producers == ["sentiment": "up", "whale": "down"])
        #expect(report.alerts.map(\.text) == ["producer whale: no heartbeat for 7 s"])
    }

    @Test("a producer never seen: counted from the health producer's start")
    func neverSeen() {
        var probe = everyone(at: t0 + 12_000)
        probe.heartbeats.removeAll { $0.service == "sentiment" }
        let report = assess([probe], startedAt: t0)
        #expect(report.status == .degraded)
        #expect(report.alerts.map(\.text) == ["producer sentiment: no heartbeat seen since the health producer started 12 s ago"])
        #expect(assess([probe], startedAt: t0 + 8000).status == .healthy)
    }

    @Test("no gateway heartbeat: down; alerts list Redis, then the gateway, then producers")
    func gatewayMissing() {
        var probe = everyone(at: t0 + 20_000, latency: 250)
        probe.heartbeats.removeAll { $0.service == "gateway" || $0.service == "whale" }
        let report = assess([probe])
        #expect(report.status == .down)
        #expect(report.gatewayCount == 0 && report.gatewayConnections == 0)
        #expect(report.alerts.map(\.text) == [
            "redis: slow, PING took 250 ms (threshold 100 ms)",
            "gateway: no heartbeat seen since the health producer started 20 s ago",
            "producer whale: no heartbeat seen since the health producer started 20 s ago",
        ])
    }

    @Test("Redis slower than the threshold: degraded")
    func slowRedis() {
        let report = assess([everyone(at: t0, latency: 100.4)])
        #expect(report.status == .degraded)
        #expect(report.redis == "slow")
        #expect(report.alerts.map(\.key) == ["redis: slow"])
        #expect(assess([everyone(at: t0, latency: 99.9)]).status == .healthy)
    }

    @Test("Redis unreachable: down; nothing else is known")
    func unreachable() {
        let report = assess([everyone(at: t0), HealthProbe(now: t0 + 5000, redis: .unreachable(reason: "not connected to Redis"))])
        #expect(report.status == .down)
        #expect(report.data == [
            "status": "down", "alerts": ["redis: unreachable (not connected to Redis)"], "timestamp": .int(t0 + 5000),
            "services": [
                "database": "n/a", "redis": "down", "ai_agents": ["total": 0, "active": 0, "inactive": 0],
                "producers": ["sentiment": "unknown", "whale": "unknown"], "gateways": ["count": 0, "connections": 0],
            ],
        ])
    }

    @Test("after Redis comes back (empty), services get the grace period again before they count as missing")
    func afterRedisReturns() {
        let before = everyone(at: t0)
        let outage = HealthProbe(now: t0 + 30_000, redis: .unreachable(reason: "x"))
        let back = HealthProbe(now: t0 + 31_000, redis: .reachable(latencyMs: 1))  // no heartbeat rewritten yet
        #expect(assess([before, outage, back]).status == .healthy)
        var stillNothing = back
        stillNothing.now = t0 + 36_001
        let report = assess([before, outage, back, stillNothing])
        #expect(report.status == .down)
        #expect(report.alerts.map(\.text).contains("producer whale: no heartbeat for 38 s"))
    }

    @Test("other services seen are listed; the health producer's own heartbeat is not; an implausible `at` is not trusted")
    func extras() {
        var probe = everyone(at: t0 + 1000)
        probe.heartbeats += [beat("trending", at: t0), beat("health", at: t0), beat("whale", "i2", at: 5)]
        let report = assess([probe])
        #expect(report.producers == ["sentiment": "up", "whale": "up", "trending": "up"])
        var gone = probe
        gone.now = t0 + 9000
        gone.heartbeats.removeAll { $0.service == "whale" }
        #expect(assess([probe, gone]).alerts.map(\.text) == ["producer whale: no heartbeat for 8 s"])
    }

    @Test("the change signature ignores the time, latency, connection counts and the numbers in alerts")
    func signature() {
        var probe = everyone(at: t0 + 10_000)
        probe.heartbeats.removeAll { $0.service == "whale" }
        let a = assess([probe])
        var later = probe
        later.now = t0 + 20_000
        later.redis = .reachable(latencyMs: 3)
        later.heartbeats = later.heartbeats.map { var b = $0; if b.connections != nil { b.connections = 99 }; return b }
        let b = assess([later])
        #expect(a.alerts != b.alerts)
        #expect(a.signature == b.signature)
        var fewerAgents = later
        fewerAgents.agents = AgentCounts(total: 5, active: 2, inactive: 3)
        #expect(assess([fewerAgents]).signature != b.signature)
        #expect(assess([everyone(at: t0 + 20_000)]).signature != b.signature)
    }

    @Test("heartbeat keys and agent registry values are read")
    func parsing() {
        #expect(HeartbeatParsing.sighting(key: "cd:heartbeat:gateway:host-1:x", value: #"{"connections":12,"at":1700000000000}"#)
            == HeartbeatSighting(service: "gateway", instance: "host-1:x", at: 1_700_000_000_000, connections: 12))
        #expect(HeartbeatParsing.sighting(key: "cd:heartbeat:whale:h", value: "not json") == HeartbeatSighting(service: "whale", instance: "h"))
        #expect(HeartbeatParsing.sighting(key: "cd:heartbeat:whale", value: nil) == nil)
        #expect(HeartbeatParsing.sighting(key: "cd:heartbeat::h", value: nil) == nil)
        #expect(HeartbeatParsing.sighting(key: "cd:other:whale:h", value: nil) == nil)
        let values = [#"{"agentId":"a","status":"active"}"#, #"{"status":"ACTIVE"}"#, #"{"status":"inactive"}"#, "garbage"]
        #expect(AgentCounts(registryValues: values) == AgentCounts(total: 4, active: 2, inactive: 2))
    }

    @Test("configuration checks")
    func configurationChecks() {
        #expect(throws: Never.self) { try HealthConfiguration().validate() }
        #expect(throws: HealthConfigurationError.self) { try HealthConfiguration(expectedServices: ["a:b"]).validate() }
        #expect(throws: HealthConfigurationError.self) {
            try HealthConfiguration(probeInterval: .seconds(10), publishInterval: .seconds(5)).validate()
        }
    }
}
