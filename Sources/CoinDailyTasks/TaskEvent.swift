/// One AI task lifecycle event (an ingest item of kind `task`).
///
/// ```json
/// {"taskId": "t-1", "agentId": "a-7", "userId": "alice", "status": "processing", "progress": 40,
///  "qualityScore": 0.9, "cost": 0.12, "errorMessage": "…", "agentName": "Writer-7", "timestamp": 1700000000000}
/// ```
public struct TaskEvent: Sendable, Equatable, Hashable {
    /// The task.
    public var taskId: String
    /// The agent working on it.
    public var agentId: String
    /// The task's owner (the token `sub` that receives its updates); fixed once the task is known.
    public var userId: String
    /// The new status.
    public var status: TaskStatus
    /// Percent done, 0–100; never lower than the task's last progress.
    public var progress: Double?
    /// Quality of the result, 0–1.
    public var qualityScore: Double?
    /// What the task cost so far (>= 0, in the budget's currency).
    public var cost: Double?
    /// Why it failed.
    public var errorMessage: String?
    /// The agent's display name, kept in the agent registry (not published).
    public var agentName: String?
    /// Unix milliseconds (default: the time of receipt).
    public var timestamp: Int64

    /// Creates an event.
    public init(
        taskId: String, agentId: String, userId: String, status: TaskStatus, progress: Double? = nil,
        qualityScore: Double? = nil, cost: Double? = nil, errorMessage: String? = nil, agentName: String? = nil,
        timestamp: Int64
    ) {
        self.taskId = taskId
        self.agentId = agentId
        self.userId = userId
        self.status = status
        self.progress = progress
        self.qualityScore = qualityScore
        self.cost = cost
        self.errorMessage = errorMessage
        self.agentName = agentName
        self.timestamp = timestamp
    }
}
