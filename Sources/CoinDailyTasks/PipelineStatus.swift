/// The status of a whole content pipeline, derived from its stages (the `status` of
/// `pipeline_progress_update`).
///
/// In order of precedence:
/// - `failed`: a stage has failed;
/// - `completed`: `completedStages == totalStages`;
/// - `processing`: some stage has left `pending`;
/// - `pending`: every stage seen so far is still pending.
public enum PipelineStatus: String, Sendable, CaseIterable, Hashable, Codable {
    /// Nothing started yet.
    case pending
    /// Running.
    case processing
    /// Every stage completed.
    case completed
    /// A stage failed.
    case failed

    /// The derived status.
    ///
    /// - Parameters:
    ///   - completedStages: distinct stages seen completed.
    ///   - totalStages: the pipeline's stage count.
    ///   - anyFailed: whether a stage has failed.
    ///   - anyStarted: whether a stage has left `pending`.
    public static func derive(completedStages: Int, totalStages: Int, anyFailed: Bool, anyStarted: Bool) -> PipelineStatus {
        if anyFailed { return .failed }
        if completedStages >= totalStages { return .completed }
        if anyStarted { return .processing }
        return .pending
    }
}
