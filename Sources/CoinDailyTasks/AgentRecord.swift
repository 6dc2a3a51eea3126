import CoinDailyProtocol

/// One entry of the agent registry (`RedisKeys.agentRegistry`, a hash from agent id to this as JSON):
/// `{"agentId","name","status":"active"|"inactive","lastSeen": unix ms}`.
///
/// The tasks producer writes it (active with every task event of the agent, inactive after the
/// active window by the sweep); the budget producer reads names, the health producer counts.
public struct AgentRecord: Sendable, Equatable, Hashable {
    /// The agent's id.
    public var agentId: String
    /// Its display name: the last `agentName` an event gave, else the configured default.
    public var name: String
    /// Whether it had a task event within the active window.
    public var isActive: Bool
    /// When its last task event arrived (Unix ms).
    public var lastSeen: Int64

    /// Creates a record.
    public init(agentId: String, name: String, isActive: Bool, lastSeen: Int64) {
        self.agentId = agentId
        self.name = name
        self.isActive = isActive
        self.lastSeen = lastSeen
    }

    /// Reads a registry value; `nil` when it is not such a record.
    public init?(json: String) {
        guard let value = try? JSONValue.parse(json), let agentId = value["agentId"]?.stringValue,
            let name = value["name"]?.stringValue, let status = value["status"]?.stringValue,
            status == "active" || status == "inactive", let lastSeen = value["lastSeen"]?.numberValue
        else { return nil }
        self.init(agentId: agentId, name: name, isActive: status == "active", lastSeen: Int64(lastSeen))
    }

    /// The registry value.
    public var json: JSONValue {
        [
            "agentId": .string(agentId), "name": .string(name), "status": .string(isActive ? "active" : "inactive"),
            "lastSeen": .int(lastSeen),
        ]
    }
}
