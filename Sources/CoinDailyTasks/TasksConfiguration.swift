import Foundation

/// Tuning of the tasks producer. Every field has a documented default; ``validate()`` checks them.
public struct TasksConfiguration: Sendable, Equatable {
    /// How long a task's or pipeline's state is kept after its last event (default 7 days). A task
    /// whose state expired is unknown again: its next event starts it afresh.
    public var stateTTL: Duration
    /// An agent with a task event within this window is `active` in the registry (default 10 minutes).
    public var agentActiveWindow: Duration
    /// How often the registry is swept for agents idle longer than the window (default 30 s).
    public var agentSweepInterval: Duration
    /// The name of an agent no event has named yet; `{id}` is replaced by the agent id (default `agent-{id}`).
    public var defaultAgentName: String
    /// The largest ingest array (default 1000).
    public var maxBatchItems: Int
    /// How far in the future an item's `timestamp` may lie, in milliseconds (default 300 000).
    public var maxFutureSkewMilliseconds: Int64

    /// Creates a configuration; defaults as documented on each field.
    public init(
        stateTTL: Duration = .seconds(7 * 24 * 3600), agentActiveWindow: Duration = .seconds(600),
        agentSweepInterval: Duration = .seconds(30), defaultAgentName: String = "agent-{id}",
        maxBatchItems: Int = TasksInput.defaultMaxBatchItems,
        maxFutureSkewMilliseconds: Int64 = TasksInput.defaultMaxFutureSkewMilliseconds
    ) {
        self.stateTTL = stateTTL
        self.agentActiveWindow = agentActiveWindow
        self.agentSweepInterval = agentSweepInterval
        self.defaultAgentName = defaultAgentName
        self.maxBatchItems = maxBatchItems
        self.maxFutureSkewMilliseconds = maxFutureSkewMilliseconds
    }

    /// The registry name of `agentId` when no event named it.
    public func defaultName(for agentId: String) -> String {
        defaultAgentName.replacingOccurrences(of: "{id}", with: agentId)
    }

    /// Throws when a value is out of range: the TTL under 1 s, the window or sweep interval not
    /// positive, an empty default name, a batch limit under 1, a negative skew.
    public func validate() throws(TasksConfigurationError) {
        if stateTTL < .seconds(1) { throw .invalid("stateTTL must be at least 1 s") }
        if agentActiveWindow <= .zero { throw .invalid("agentActiveWindow must be positive") }
        if agentSweepInterval <= .zero { throw .invalid("agentSweepInterval must be positive") }
        if defaultAgentName.isEmpty { throw .invalid("defaultAgentName must not be empty") }
        if maxBatchItems < 1 { throw .invalid("maxBatchItems must be at least 1") }
        if maxFutureSkewMilliseconds < 0 { throw .invalid("maxFutureSkewMilliseconds must be >= 0") }
    }
}
