import CoinDailyProtocol

/// One `system_health_update`: the outcome of ``HealthRules`` for a probe.
///
/// `data` has the spec's fields (`status`, `services.database`, `services.redis`,
/// `services.ai_agents.{total,active,inactive}`, `alerts`, `timestamp`) and three extensions under
/// `services`: `redisLatencyMs` (absent when Redis is unreachable), `producers` (service → `up`,
/// `down`, or `unknown` while Redis is unreachable) and `gateways` (`count`, `connections`).
public struct HealthReport: Sendable, Equatable {
    /// Overall status.
    public var status: HealthStatus
    /// `up`, `slow` or `down`.
    public var redis: String
    /// The `PING` round trip, when Redis answered.
    public var redisLatencyMs: Double?
    /// Every expected service except the gateway, and every other service seen: `up`, `down` or `unknown`.
    public var producers: [String: String]
    /// Gateway instances with a heartbeat.
    public var gatewayCount: Int
    /// Their open client connections, summed.
    public var gatewayConnections: Int
    /// AI agents.
    public var agents: AgentCounts
    /// Alerts, most severe first.
    public var alerts: [HealthAlert]
    /// When it was assessed (Unix ms).
    public var timestamp: Int64

    /// What `services.database` says: there is no database in this system (all shared state is in
    /// Redis, reported as `services.redis`), so always `n/a`.
    public static let database = "n/a"

    /// Creates a report.
    public init(
        status: HealthStatus, redis: String, redisLatencyMs: Double?, producers: [String: String], gatewayCount: Int,
        gatewayConnections: Int, agents: AgentCounts, alerts: [HealthAlert], timestamp: Int64
    ) {
        self.status = status
        self.redis = redis
        self.redisLatencyMs = redisLatencyMs
        self.producers = producers
        self.gatewayCount = gatewayCount
        self.gatewayConnections = gatewayConnections
        self.agents = agents
        self.alerts = alerts
        self.timestamp = timestamp
    }

    /// The event's `data`.
    public var data: JSONValue {
        var services: [String: JSONValue] = [
            "database": .string(Self.database),
            "redis": .string(redis),
            "ai_agents": ["total": .number(Double(agents.total)), "active": .number(Double(agents.active)), "inactive": .number(Double(agents.inactive))],
            "producers": .object(producers.mapValues { .string($0) }),
            "gateways": ["count": .number(Double(gatewayCount)), "connections": .number(Double(gatewayConnections))],
        ]
        if let redisLatencyMs { services["redisLatencyMs"] = .number(redisLatencyMs) }
        return [
            "status": .string(status.rawValue), "services": .object(services), "alerts": .strings(alerts.map(\.text)),
            "timestamp": .int(timestamp),
        ]
    }

    /// The envelope to publish.
    public var envelope: EventEnvelope {
        EventEnvelope(type: ChannelKind.systemHealth.updateEvent, data: data, timestamp: timestamp)
    }

    /// What decides whether this report is a change.
    public var signature: HealthSignature {
        HealthSignature(
            status: status, redis: redis, producers: producers, gatewayCount: gatewayCount, agents: agents,
            alertKeys: alerts.map(\.key))
    }
}
