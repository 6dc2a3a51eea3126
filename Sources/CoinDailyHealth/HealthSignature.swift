/// The parts of a ``HealthReport`` whose change triggers an event: everything except the time, the
/// `PING` latency, the connection count and the numbers inside alert texts (those ride along with
/// the next event, at least every publish interval).
public struct HealthSignature: Sendable, Hashable {
    /// Overall status.
    public var status: HealthStatus
    /// `services.redis`.
    public var redis: String
    /// `services.producers`.
    public var producers: [String: String]
    /// `services.gateways.count`.
    public var gatewayCount: Int
    /// `services.ai_agents`.
    public var agents: AgentCounts
    /// The alerts' keys.
    public var alertKeys: [String]

    /// Creates a signature.
    public init(status: HealthStatus, redis: String, producers: [String: String], gatewayCount: Int, agents: AgentCounts, alertKeys: [String]) {
        self.status = status
        self.redis = redis
        self.producers = producers
        self.gatewayCount = gatewayCount
        self.agents = agents
        self.alertKeys = alertKeys
    }
}
