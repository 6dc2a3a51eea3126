/// The Redis keys the tasks producer owns (all under `cd:tasks:`). Shared keys and channels are in
/// `RedisKeys` (`cd:agents`, `cd:ev:task_updates…`, `cd:ev:pipeline_updates`).
public enum TasksKeys {
    /// Prefix of every key of this producer.
    public static let prefix = "cd:tasks:"

    /// A task's state: hash `status`, `progress`, `userId`, `agentId`, `updatedAt`.
    public static func task(_ taskId: String) -> String { prefix + "task:" + taskId }

    /// A pipeline's state: hash `articleId`, `totalStages`, `completedStages`, `stageCount`, `failed`,
    /// `started`, `updatedAt`.
    public static func pipeline(_ pipelineId: String) -> String { prefix + "pipeline:" + pipelineId }

    /// A pipeline's stages: hash stage name → `<status>|<progress>`.
    public static func pipelineStages(_ pipelineId: String) -> String { prefix + "pipeline:" + pipelineId + ":stages" }
}
