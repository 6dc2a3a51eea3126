import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyTasks
import NIOCore
import Testing

@Suite("Tasks event encoding")
struct TasksEncodingTests {
    @Test("the pipeline template renders exactly the envelope of the full data")
    func template() throws {
        let events = [
            PipelineStageEvent(
                pipelineId: "p-1", articleId: "art-1", stage: PipelineStage(name: "draft", status: .processing, progress: 42.5),
                totalStages: 5, timestamp: t0),
            PipelineStageEvent(
                pipelineId: #"p"\x"#, articleId: "ärticle\n", stage: PipelineStage(name: "s|1", status: .completed, progress: 100),
                totalStages: 100, timestamp: 0),
        ]
        for event in events {
            for (completed, status) in [(0, PipelineStatus.pending), (3, .processing), (5, .completed), (1, .failed)] {
                let rendered = PipelineEnvelopeTemplate(event: event).render(completedStages: completed, status: status)
                let expected = EventEnvelope(
                    type: "pipeline_progress_update",
                    data: TasksEventEncoder.pipelineData(event, completedStages: completed, status: status), timestamp: event.timestamp)
                #expect(rendered == String(buffer: expected.encoded()))
                #expect(try EventEnvelope.parse(ByteBuffer(string: rendered)) == expected)
            }
        }
    }

    @Test("task data has the spec fields plus userId, optional ones only when given")
    func taskData() {
        let minimal = TaskEvent(taskId: "t", agentId: "a", userId: "u", status: .queued, agentName: "Writer", timestamp: t0)
        #expect(TasksEventEncoder.taskData(minimal) == ["taskId": "t", "agentId": "a", "userId": "u", "status": "queued", "timestamp": .int(t0)])
        let full = TaskEvent(
            taskId: "t", agentId: "a", userId: "u", status: .failed, progress: 10, qualityScore: 0.2, cost: 1.5,
            errorMessage: "boom", timestamp: t0)
        #expect(
            TasksEventEncoder.taskData(full) == [
                "taskId": "t", "agentId": "a", "userId": "u", "status": "failed", "progress": 10, "qualityScore": 0.2,
                "cost": 1.5, "errorMessage": "boom", "timestamp": .int(t0),
            ])
        let attributes = EventAttributes(data: TasksEventEncoder.taskData(full))
        #expect(attributes.taskId == "t" && attributes.userId == "u")
    }
}
