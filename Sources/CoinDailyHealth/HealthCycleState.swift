/// What ``HealthMonitor`` carries from one probe cycle to the next.
public struct HealthCycleState: Sendable, Equatable {
    /// When services were last seen.
    public var memory: HeartbeatMemory
    /// What was published and what waits for Redis.
    public var emitter: HealthEmitter
    /// The previous report's status (for the log).
    public var previousStatus: HealthStatus?

    /// The state at start-up.
    public init(startedAt: Int64, configuration: HealthConfiguration) {
        memory = HeartbeatMemory(startedAt: startedAt)
        emitter = HealthEmitter(configuration: configuration)
    }
}
