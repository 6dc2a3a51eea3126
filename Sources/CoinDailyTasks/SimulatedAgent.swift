/// An AI agent of the simulation: its id and display name.
public struct SimulatedAgent: Sendable, Equatable, Hashable {
    /// The agent id.
    public var id: String
    /// The display name it reports (`agentName`).
    public var name: String

    /// Creates an agent.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}
