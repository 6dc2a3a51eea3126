import CoinDailyProtocol
import NIOCore

/// The published bytes of a `pipeline_progress_update` with two holes, `completedStages` and `status`,
/// which only the state in Redis decides: the apply script fills them in (``TasksScripts/apply``), so
/// the event is published in the same atomic step that counts the stage.
///
/// `head + completedStages + middle + status + tail` is byte for byte what
/// `EventEnvelope(type: "pipeline_progress_update", data: …, timestamp:).encoded()` writes (keys sorted).
public struct PipelineEnvelopeTemplate: Sendable, Equatable {
    /// Up to and including `"completedStages":`.
    public var head: String
    /// From `,"currentStage":` up to and including `"status":"`.
    public var middle: String
    /// From the quote closing `status` to the end.
    public var tail: String

    /// The template for `event`.
    public init(event: PipelineStageEvent) {
        var buffer = ByteBuffer()
        buffer.writeString(#"{"type":"#)
        JSONWriter.writeString(ChannelKind.pipelineUpdates.updateEvent, into: &buffer)
        buffer.writeString(#","data":{"articleId":"#)
        JSONWriter.writeString(event.articleId, into: &buffer)
        buffer.writeString(#","completedStages":"#)
        head = String(buffer: buffer)
        buffer.clear()
        buffer.writeString(#","currentStage":"#)
        JSONWriter.write(TasksEventEncoder.stageJSON(event.stage), into: &buffer)
        buffer.writeString(#","pipelineId":"#)
        JSONWriter.writeString(event.pipelineId, into: &buffer)
        buffer.writeString(#","status":""#)
        middle = String(buffer: buffer)
        buffer.clear()
        buffer.writeString(#"","timestamp":"#)
        buffer.writeString(String(event.timestamp))
        buffer.writeString(#","totalStages":"#)
        buffer.writeString(String(event.totalStages))
        buffer.writeString(#"},"timestamp":"#)
        buffer.writeString(String(event.timestamp))
        buffer.writeString("}")
        tail = String(buffer: buffer)
    }

    /// The envelope with the holes filled (what the script publishes).
    public func render(completedStages: Int, status: PipelineStatus) -> String {
        head + String(completedStages) + middle + status.rawValue + tail
    }
}
