import CoinDailyTestSupport
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTasks
import NIOPosix
import Testing

@Suite("Tasks through the ingest stream", .timeLimit(.minutes(1)))
struct TasksStreamTests {
    @Test("valid entries are applied and acknowledged; a rule-breaking entry goes to the dead-letter stream")
    func stream() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [RedisKeys.userTaskChannel("alice")])
            let streamRedis = RedisClient(
                configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: quietLogger("stream"))
            let configuration = ProducerConfiguration(name: "tasks", port: 0, instance: "test", streamBlock: .milliseconds(100))
            let consumer = StreamConsumer(
                redis: streamRedis, handler: makeProducer(redis), configuration: configuration, logger: quietLogger("consumer"))
            let running = Task { try await consumer.run() }
            let stream = RedisKeys.ingestStream("tasks")
            for payload in [
                #"{"taskId":"t","agentId":"a","userId":"alice","status":"completed"}"#,
                #"{"taskId":"t","agentId":"a","userId":"alice","status":"processing"}"#,
                #"{"taskId":"u","agentId":"a","userId":"alice","status":"queued"}"#,
            ] {
                _ = try await redis.sendChecked(["XADD", stream, "*", "payload", payload])
            }
            try await recorder.wait(RedisKeys.userTaskChannel("alice"), count: 2)
            #expect(recorder.data(RedisKeys.userTaskChannel("alice")).map { $0["taskId"] } == ["t", "u"])
            let dead = RedisKeys.deadLetterStream("tasks")
            try await eventually(10, "a dead letter") { (try await redis.sendChecked(["XLEN", dead]).int ?? 0) == 1 }
            let entry = try await redis.sendChecked(["XRANGE", dead, "-", "+"])
            let fields = entry.array?.first?.array?.last?.array?.compactMap(\.string) ?? []
            #expect(fields.contains("status cannot go from completed to processing: task t has finished"))
            try await eventually(10, "all acknowledged") {
                let pending = try await redis.sendChecked(["XPENDING", stream, "tasks"])
                return pending.array?.first?.int == 0
            }
            running.cancel()
            _ = try? await running.value
            await streamRedis.shutdown()
            await recorder.shutdown()
        }
    }
}
