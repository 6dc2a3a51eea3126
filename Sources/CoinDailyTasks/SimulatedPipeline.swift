/// A content pipeline the simulator is driving stage by stage.
struct SimulatedPipeline: Sendable {
    var pipelineId: String
    var articleId: String
    var stageIndex: Int
    var stageStatus: StageStatus
    var progress: Double
}
