/// One stage of a content pipeline as an event reports it (`stage` in, `currentStage` out).
public struct PipelineStage: Sendable, Equatable, Hashable {
    /// The stage's name, unique within its pipeline (`research`, `draft`, …).
    public var name: String
    /// Its status.
    public var status: StageStatus
    /// Percent done, 0–100; never lower than the stage's last progress.
    public var progress: Double

    /// Creates a stage.
    public init(name: String, status: StageStatus, progress: Double) {
        self.name = name
        self.status = status
        self.progress = progress
    }
}
