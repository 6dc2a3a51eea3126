import CoinDailyProtocol

/// Builds the published payloads of the tasks producer.
public enum TasksEventEncoder {
    /// The `task_status_update` data: `taskId`, `agentId`, `userId` (the owner, which the gateway routes
    /// and filters by), `status`, `progress?`, `qualityScore?`, `cost?`, `errorMessage?`, `timestamp`.
    public static func taskData(_ event: TaskEvent) -> JSONValue {
        var data: [String: JSONValue] = [
            "taskId": .string(event.taskId), "agentId": .string(event.agentId), "userId": .string(event.userId),
            "status": .string(event.status.rawValue), "timestamp": .int(event.timestamp),
        ]
        if let v = event.progress { data["progress"] = .number(v) }
        if let v = event.qualityScore { data["qualityScore"] = .number(v) }
        if let v = event.cost { data["cost"] = .number(v) }
        if let v = event.errorMessage { data["errorMessage"] = .string(v) }
        return .object(data)
    }

    /// The `task_status_update` envelope.
    public static func taskEnvelope(_ event: TaskEvent) -> EventEnvelope {
        EventEnvelope(type: ChannelKind.taskUpdates.updateEvent, data: taskData(event), timestamp: event.timestamp)
    }

    /// `currentStage`: `{name, status, progress}`.
    public static func stageJSON(_ stage: PipelineStage) -> JSONValue {
        ["name": .string(stage.name), "status": .string(stage.status.rawValue), "progress": .number(stage.progress)]
    }

    /// The `pipeline_progress_update` data once the state decided `completedStages` and `status`.
    public static func pipelineData(_ event: PipelineStageEvent, completedStages: Int, status: PipelineStatus) -> JSONValue {
        [
            "pipelineId": .string(event.pipelineId), "articleId": .string(event.articleId),
            "status": .string(status.rawValue), "currentStage": stageJSON(event.stage),
            "completedStages": .number(Double(completedStages)), "totalStages": .number(Double(event.totalStages)),
            "timestamp": .int(event.timestamp),
        ]
    }
}
