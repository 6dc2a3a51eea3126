/// AI agents in the registry (`cd:agents`), by status.
public struct AgentCounts: Sendable, Equatable, Hashable {
    /// Agents registered.
    public var total: Int
    /// Agents whose `status` is `active`.
    public var active: Int
    /// Every other agent (`inactive`, or an entry that cannot be read).
    public var inactive: Int

    /// Creates counts.
    public init(total: Int, active: Int, inactive: Int) {
        self.total = total
        self.active = active
        self.inactive = inactive
    }

    /// No agents.
    public static let zero = AgentCounts(total: 0, active: 0, inactive: 0)

    /// Counts the registry's values (JSON `{"agentId","name","status","lastSeen"}`).
    public init<S: Sequence>(registryValues values: S) where S.Element == String {
        var total = 0
        var active = 0
        for value in values {
            total += 1
            if HeartbeatParsing.stringField("status", in: value)?.lowercased() == "active" { active += 1 }
        }
        self.init(total: total, active: active, inactive: total - active)
    }
}
