/// What the producer keeps about one task (in Redis, hash `cd:tasks:task:<taskId>`).
public struct TaskRecord: Sendable, Equatable, Hashable {
    /// The current status.
    public var status: TaskStatus
    /// The highest progress reported, if any.
    public var progress: Double?
    /// The owner; never changes.
    public var userId: String
    /// The agent of the latest event.
    public var agentId: String

    /// Creates a record.
    public init(status: TaskStatus, progress: Double?, userId: String, agentId: String) {
        self.status = status
        self.progress = progress
        self.userId = userId
        self.agentId = agentId
    }
}
