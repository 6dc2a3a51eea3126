/// One content-pipeline stage event (an ingest item of kind `pipeline`).
///
/// ```json
/// {"pipelineId": "p-1", "articleId": "art-9", "stage": {"name": "draft", "status": "processing", "progress": 40},
///  "totalStages": 5, "timestamp": 1700000000000}
/// ```
public struct PipelineStageEvent: Sendable, Equatable, Hashable {
    /// The pipeline.
    public var pipelineId: String
    /// The article it produces; fixed once the pipeline is known.
    public var articleId: String
    /// The stage this event is about.
    public var stage: PipelineStage
    /// How many stages the pipeline has (1–100); fixed once the pipeline is known.
    public var totalStages: Int
    /// Unix milliseconds (default: the time of receipt).
    public var timestamp: Int64

    /// Creates an event.
    public init(pipelineId: String, articleId: String, stage: PipelineStage, totalStages: Int, timestamp: Int64) {
        self.pipelineId = pipelineId
        self.articleId = articleId
        self.stage = stage
        self.totalStages = totalStages
        self.timestamp = timestamp
    }
}
