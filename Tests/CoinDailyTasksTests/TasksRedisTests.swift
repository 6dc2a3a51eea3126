import CoinDailyTestSupport
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTasks
import NIOCore
import NIOPosix
import Testing

@Suite("Tasks producer through Redis", .timeLimit(.minutes(1)))
struct TasksRedisTests {
    let adminChannel = RedisKeys.eventChannel(.taskUpdates)
    let aliceChannel = RedisKeys.userTaskChannel("alice")
    let bobChannel = RedisKeys.userTaskChannel("bob")

    @Test("a lifecycle is published to the owner's channel and the all-tasks channel, with the exact data")
    func lifecycle() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [adminChannel, aliceChannel, bobChannel])
            let producer = makeProducer(redis)
            let outcome = try await producer.apply([
                task("t-1", .queued, user: "alice"), task("t-2", .queued, user: "bob"),
                task("t-1", .processing, progress: 10, user: "alice"),
            ])
            #expect(outcome == TasksApplyOutcome(accepted: 3, published: 3, duplicates: 0))
            let full = TasksInput.task(
                TaskEvent(
                    taskId: "t-1", agentId: "agent-1", userId: "alice", status: .completed, progress: 100, qualityScore: 0.9,
                    cost: 1.25, errorMessage: nil, timestamp: t0 + 5))
            try await producer.apply([full])
            try await recorder.wait(adminChannel, count: 4)
            try await recorder.wait(aliceChannel, count: 3)
            #expect(recorder.data(aliceChannel).map { $0["status"] } == ["queued", "processing", "completed"])
            #expect(recorder.data(bobChannel).map { $0["taskId"] } == ["t-2"])
            #expect(recorder.data(adminChannel).map { $0["taskId"] } == ["t-1", "t-2", "t-1", "t-1"])
            #expect(
                recorder.data(aliceChannel).last == [
                    "taskId": "t-1", "agentId": "agent-1", "userId": "alice", "status": "completed", "progress": 100,
                    "qualityScore": 0.9, "cost": 1.25, "timestamp": .int(t0 + 5),
                ])
            let envelope = try EventEnvelope.parse(ByteBuffer(string: recorder.payloads(aliceChannel).last!))
            #expect(envelope.type == "task_status_update" && envelope.timestamp == t0 + 5)
            #expect(try await storedTask(redis, "t-1")["status"] == "completed")
            #expect(try await storedTask(redis, "t-1")["progress"] == "100")
            await recorder.shutdown()
        }
    }

    @Test("a batch breaking a rule is rejected whole, naming field and index, and publishes nothing")
    func rejectedBatch() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [adminChannel])
            let producer = makeProducer(redis)
            try await producer.apply([task("t-1", .processing, progress: 50)])
            let violation = try await producer.violation([
                task("t-2", .queued), task("t-1", .processing, progress: 60), task("t-1", .processing, progress: 55),
            ])
            #expect(violation == TasksRuleViolation(field: "progress", message: "progress cannot go back from 60 to 55 (task t-1)", index: 2))
            #expect(violation?.description == "item 2: progress cannot go back from 60 to 55 (task t-1)")
            // Nothing of it was written: t-2 unknown, t-1 still at 50.
            #expect(try await storedTask(redis, "t-2").isEmpty)
            #expect(try await storedTask(redis, "t-1")["progress"] == "50")
            #expect(try await agents(redis).count == 1)
            // ... and nothing published: the next event is the second message on the channel.
            try await producer.apply([task("t-1", .completed)])
            try await recorder.wait(adminChannel, count: 2)
            #expect(recorder.data(adminChannel).map { $0["status"] } == ["processing", "completed"])
            await recorder.shutdown()
        }
    }

    @Test("through ingest: 400 naming the field, with index only for arrays")
    func ingestErrors() async throws {
        try await withRedis { _, redis in
            let producer = makeProducer(redis)
            let accepted = try await producer.ingest(json: #"{"taskId":"t","agentId":"a","userId":"u","status":"completed"}"#)
            #expect(accepted == 1)
            #expect(
                await producer.ingestError(#"{"taskId":"t","agentId":"a","userId":"u","status":"processing"}"#)
                    == .invalid(message: "status cannot go from completed to processing: task t has finished", field: "status", index: nil))
            #expect(
                await producer.ingestError(
                    #"[{"taskId":"x","agentId":"a","userId":"u","status":"queued"},{"taskId":"t","agentId":"a","userId":"v","status":"completed"}]"#)
                    == .invalid(message: "item 1: userId cannot change: task t belongs to u", field: "userId", index: 1))
            let unknown = await producer.ingestError(#"{"taskId":"t","agentId":"a","userId":"u","status":"done"}"#)
            #expect(unknown?.message.hasPrefix("status must be one of") == true)
            if case .invalid(_, let field, _)? = unknown { #expect(field == "status") } else { Issue.record("\(String(describing: unknown))") }
            let stored = try await storedTask(redis, "x")
            #expect(stored.isEmpty)
        }
    }

    @Test("the Lua script and the Swift state machine agree on every pair of statuses and progress")
    func scriptMatchesModel() async throws {
        try await withRedis { _, redis in
            let producer = makeProducer(redis)
            var n = 0
            for from in TaskStatus.allCases {
                for to in TaskStatus.allCases {
                    for (p0, p1) in [(50.0, 40.0), (50, 50), (50, 70)] as [(Double, Double?)] + [(50, nil)] {
                        n += 1
                        let id = "m-\(n)"
                        try await producer.apply([task(id, from, progress: p0)])
                        let event = TaskEvent(taskId: id, agentId: "agent-1", userId: "alice", status: to, progress: p1, timestamp: t0)
                        let expected: Result<TaskVerdict, TasksRuleViolation> = Result {
                            () throws(TasksRuleViolation) -> TaskVerdict in
                            try TaskStateMachine.verdict(
                                current: TaskRecord(status: from, progress: p0, userId: "alice", agentId: "agent-1"), event: event)
                        }
                        let got = try await producer.violation([.task(event)])
                        switch expected {
                        case .success(let verdict):
                            #expect(got == nil, "\(from)->\(to) \(p0)->\(String(describing: p1))")
                            let stored = try await storedTask(redis, id)
                            if case .apply(let record) = verdict {
                                #expect(stored["status"] == record.status.rawValue)
                                #expect(stored["progress"].flatMap(Double.init) == record.progress)
                            } else {
                                #expect(stored["status"] == from.rawValue)
                            }
                        case .failure(let violation):
                            #expect(got.map { TasksRuleViolation(field: $0.field, message: $0.message) } == violation,
                                    "\(from)->\(to) \(p0)->\(String(describing: p1))")
                        }
                    }
                }
            }
            // A different owner is refused by both as well.
            let event = TaskEvent(taskId: "m-1", agentId: "agent-1", userId: "mallory", status: .queued, timestamp: t0)
            #expect(throws: TasksRuleViolation.self) {
                try TaskStateMachine.verdict(current: TaskRecord(status: .queued, progress: 50, userId: "alice", agentId: "agent-1"), event: event)
            }
            #expect(try await producer.violation([.task(event)])?.field == "userId")
        }
    }

    @Test("a repeated final status (a redelivery) is accepted once more but not published again")
    func duplicates() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [aliceChannel])
            let producer = makeProducer(redis)
            #expect(try await producer.apply([task("t-1", .processing), task("t-1", .failed)]).published == 2)
            #expect(try await producer.apply([task("t-1", .failed)]) == TasksApplyOutcome(accepted: 1, published: 0, duplicates: 1))
            try await producer.apply([task("t-9", .queued)])
            try await recorder.wait(aliceChannel, count: 3)
            #expect(recorder.data(aliceChannel).map { $0["taskId"] } == ["t-1", "t-1", "t-9"])
            await recorder.shutdown()
        }
    }

    @Test("the state survives a producer restart and a Redis reconnect")
    func restart() async throws {
        try await withRedis { server, redis in
            try await makeProducer(redis).apply([task("t-1", .processing, progress: 70)])
            // A new producer with a new client (a restarted process) sees the same state.
            let other = RedisClient(
                configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger("other"))
            let restarted = makeProducer(other)
            #expect(try await restarted.violation([task("t-1", .processing, progress: 69)])?.field == "progress")
            #expect(try await restarted.violation([task("t-1", .queued)])?.field == "status")
            #expect(try await restarted.violation([task("t-1", .completed, progress: 100)]) == nil)
            #expect(try await restarted.violation([task("t-1", .cancelled)])?.field == "status")
            await other.shutdown()
        }
    }

    @Test("state keys expire after the configured TTL")
    func ttl() async throws {
        try await withRedis { _, redis in
            let producer = makeProducer(redis, TasksConfiguration(stateTTL: .seconds(3600)))
            try await producer.apply([task("t-1", .queued), stage("p-1", "draft", .processing, 5)])
            for key in [TasksKeys.task("t-1"), TasksKeys.pipeline("p-1"), TasksKeys.pipelineStages("p-1")] {
                let ttl = try await redis.sendChecked(["TTL", key]).int ?? -2
                #expect((3590...3600).contains(ttl), "\(key): \(ttl)")
            }
        }
    }

    @Test("Redis unreachable: unavailable (503), nothing applied")
    func unavailable() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        var configuration = redisConfiguration(port: server.port)
        configuration.queueWhileDisconnected = false
        let redis = RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger("r"))
        redis.start()
        try await eventually(10, "connected") { redis.isConnected }
        server.kill()
        try await eventually(10, "disconnected") { !redis.isConnected }
        let error = await makeProducer(redis).ingestError(#"{"taskId":"t","agentId":"a","userId":"u","status":"queued"}"#)
        if case .unavailable? = error {} else { Issue.record("expected unavailable, got \(String(describing: error))") }
        await redis.shutdown()
    }
}
