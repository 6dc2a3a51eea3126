/// Everything one probe round found: the input of ``HealthRules``.
public struct HealthProbe: Sendable, Equatable {
    /// When the probe ran (Unix ms).
    public var now: Int64
    /// Redis.
    public var redis: RedisProbeResult
    /// Every heartbeat key present (empty when Redis is unreachable).
    public var heartbeats: [HeartbeatSighting]
    /// The agent registry (zero when Redis is unreachable).
    public var agents: AgentCounts

    /// Creates a probe result.
    public init(now: Int64, redis: RedisProbeResult, heartbeats: [HeartbeatSighting] = [], agents: AgentCounts = .zero) {
        self.now = now
        self.redis = redis
        self.heartbeats = heartbeats
        self.agents = agents
    }
}
