import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTasks
import NIOCore
import Testing

@Suite("Pipelines through Redis", .timeLimit(.minutes(1)))
struct PipelineRedisTests {
    let channel = RedisKeys.eventChannel(.pipelineUpdates)

    @Test("completedStages counts distinct completed stages; status is derived; exact data")
    func progress() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [channel])
            let producer = makeProducer(redis)
            try await producer.apply([
                stage("p-1", "research", .pending, 0),
                stage("p-1", "research", .processing, 30),
                stage("p-1", "research", .completed, 100),
                stage("p-1", "draft", .processing, 10),
            ])
            // A redelivered completion neither counts twice nor publishes again.
            #expect(try await producer.apply([stage("p-1", "research", .completed, 100)]).duplicates == 1)
            try await producer.apply([stage("p-1", "draft", .completed, 100), stage("p-1", "edit", .completed, 100, at: t0 + 9)])
            try await recorder.wait(channel, count: 6)
            let data = recorder.data(channel)
            #expect(data.map { $0["completedStages"] } == [0, 0, 1, 1, 2, 3])
            #expect(data.map { $0["status"] } == ["pending", "processing", "processing", "processing", "processing", "completed"])
            #expect(
                data.last == [
                    "pipelineId": "p-1", "articleId": "art-1", "status": "completed",
                    "currentStage": ["name": "edit", "status": "completed", "progress": 100], "completedStages": 3,
                    "totalStages": 3, "timestamp": .int(t0 + 9),
                ])
            #expect(try await hash(redis, TasksKeys.pipeline("p-1"))["completedStages"] == "3")
            #expect(try await hash(redis, TasksKeys.pipelineStages("p-1")) == ["research": "completed|100", "draft": "completed|100", "edit": "completed|100"])
            await recorder.shutdown()
        }
    }

    @Test("a failed stage fails the pipeline, and stays failed")
    func failure() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [channel])
            let producer = makeProducer(redis)
            try await producer.apply([stage("p-1", "research", .completed, 100), stage("p-1", "draft", .failed, 40)])
            #expect(try await producer.violation([stage("p-1", "draft", .processing, 50)])?.field == "stage.status")
            try await producer.apply([stage("p-1", "edit", .processing, 10)])
            try await recorder.wait(channel, count: 3)
            #expect(recorder.data(channel).map { $0["status"] } == ["processing", "failed", "failed"])
            #expect(recorder.data(channel).map { $0["completedStages"] } == [1, 1, 1])
            await recorder.shutdown()
        }
    }

    @Test("pipeline rules: article, stage count, stage status and progress; nothing of a rejected batch applied")
    func rules() async throws {
        try await withRedis { _, redis in
            let producer = makeProducer(redis)
            try await producer.apply([stage("p-1", "a", .processing, 50, total: 2)])
            #expect(
                try await producer.violation([stage("p-1", "a", .processing, 40, total: 2)])
                    == TasksRuleViolation(field: "stage.progress", message: "stage.progress cannot go back from 50 to 40 (stage a of pipeline p-1)", index: 0))
            #expect(try await producer.violation([stage("p-1", "a", .pending, 60, total: 2)])?.field == "stage.status")
            #expect(try await producer.violation([stage("p-1", "a", .processing, 60, total: 3)])?.field == "totalStages")
            #expect(try await producer.violation([stage("p-1", "a", .processing, 60, total: 2, article: "other")])?.field == "articleId")
            let third = try await producer.violation([stage("p-1", "b", .pending, 0, total: 2), stage("p-1", "c", .pending, 0, total: 2)])
            #expect(third == TasksRuleViolation(field: "stage.name", message: "stage.name c would be stage 3 of pipeline p-1, which has 2 stages", index: 1))
            // "b" of the rejected batch was not kept: it may still be added.
            #expect(try await hash(redis, TasksKeys.pipelineStages("p-1")) == ["a": "processing|50"])
            #expect(try await producer.violation([stage("p-1", "c", .pending, 0, total: 2)]) == nil)
            #expect(try await hash(redis, TasksKeys.pipeline("p-1"))["stageCount"] == "2")
        }
    }

    @Test("mixed batches: tasks and pipelines in one body, in order")
    func mixed() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [channel, RedisKeys.eventChannel(.taskUpdates)])
            let accepted = try await makeProducer(redis).ingest(
                json: #"[{"taskId":"t","agentId":"a","userId":"u","status":"queued"},{"pipelineId":"p","articleId":"x","stage":{"name":"s","status":"pending","progress":0},"totalStages":1}]"#)
            #expect(accepted == 2)
            try await recorder.wait(channel, count: 1)
            try await recorder.wait(RedisKeys.eventChannel(.taskUpdates), count: 1)
            await recorder.shutdown()
        }
    }
}
