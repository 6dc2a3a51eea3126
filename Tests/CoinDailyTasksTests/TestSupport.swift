import CoinDailyTestSupport
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTasks
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A fixed epoch-millisecond origin for tests.
let t0: Int64 = 1_700_000_000_000

/// Thrown when a test waited too long; the test fails instead of hanging.
struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Polls `condition` every 20 ms until it is true, or throws ``TestTimeout`` after `seconds`.
func eventually(_ seconds: Double = 10, _ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestTimeout(what: what)
}

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: "test.\(label)")
    logger.logLevel = .critical
    return logger
}

func redisConfiguration(port: Int) -> RedisConfiguration {
    RedisConfiguration(
        host: "127.0.0.1", port: port, connectTimeout: .seconds(2), commandTimeout: .seconds(10),
        reconnectBackoffInitial: .milliseconds(20), reconnectBackoffMax: .milliseconds(300))
}

/// Received pub/sub messages, in arrival order.
final class MessageLog: Sendable {
    let list = Mutex<[(channel: String, payload: String)]>([])
}

/// Everything published on some channels, as decoded envelopes, in arrival order.
final class ChannelRecorder: Sendable {
    private let log: MessageLog
    let subscriber: RedisSubscriber

    init(port: Int, channels: [String]) async throws {
        let log = MessageLog()
        self.log = log
        subscriber = RedisSubscriber(
            configuration: redisConfiguration(port: port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: quietLogger("subscriber"),
            onMessages: { batch in
                log.list.withLock { list in
                    for message in batch { list.append((message.channel, String(buffer: message.payload))) }
                }
            })
        subscriber.start()
        try await subscriber.subscribe(channels).get()
    }

    /// The payloads received on `channel`.
    func payloads(_ channel: String) -> [String] {
        log.list.withLock { $0.filter { $0.channel == channel }.map(\.payload) }
    }

    /// The `data` of every envelope received on `channel`.
    func data(_ channel: String) -> [JSONValue] {
        payloads(channel).compactMap { try? EventEnvelope.parse(ByteBuffer(string: $0)).data }
    }

    /// Waits until `channel` has `count` messages.
    func wait(_ channel: String, count: Int) async throws {
        try await eventually(10, "\(count) messages on \(channel)") { self.payloads(channel).count >= count }
    }

    func shutdown() async { await subscriber.shutdown() }
}

/// A real redis-server and a client for one test; everything is torn down after `body`.
func withRedis<T: Sendable>(
    _ body: @Sendable (_ server: RedisServerProcess, _ redis: RedisClient) async throws -> T
) async throws -> T {
    let server = try RedisServerProcess()
    try await server.start()
    let redis = RedisClient(
        configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
        logger: quietLogger("redis"))
    redis.start()
    do {
        let result = try await body(server, redis)
        await redis.shutdown()
        server.kill()
        return result
    } catch {
        await redis.shutdown()
        server.kill()
        throw error
    }
}

func makeProducer(_ redis: RedisClient, _ configuration: TasksConfiguration = TasksConfiguration()) -> TasksProducer {
    TasksProducer(configuration: configuration, redis: redis, logger: quietLogger("tasks"))
}

/// A task event with the common defaults.
func task(
    _ id: String, _ status: TaskStatus, progress: Double? = nil, user: String = "alice", agent: String = "agent-1",
    name: String? = nil, at timestamp: Int64 = t0
) -> TasksInput {
    .task(TaskEvent(taskId: id, agentId: agent, userId: user, status: status, progress: progress, agentName: name, timestamp: timestamp))
}

/// A pipeline stage event with the common defaults.
func stage(
    _ pipeline: String, _ name: String, _ status: StageStatus, _ progress: Double, total: Int = 3, article: String = "art-1",
    at timestamp: Int64 = t0
) -> TasksInput {
    .pipeline(
        PipelineStageEvent(
            pipelineId: pipeline, articleId: article, stage: PipelineStage(name: name, status: status, progress: progress),
            totalStages: total, timestamp: timestamp))
}

extension TasksProducer {
    /// Applies items as an array body.
    @discardableResult
    func apply(_ inputs: [TasksInput], now: Int64 = t0) async throws(TasksApplyError) -> TasksApplyOutcome {
        try await apply(TasksBatch(inputs: inputs, isArray: true), now: now)
    }

    /// The rule violation `inputs` cause, or nil when they are accepted.
    func violation(_ inputs: [TasksInput], now: Int64 = t0) async throws -> TasksRuleViolation? {
        do {
            _ = try await apply(inputs, now: now)
            return nil
        } catch {
            switch error {
            case .rejected(let violation): return violation
            case .unavailable(let message): throw TestTimeout(what: "Redis unavailable: \(message)")
            }
        }
    }

    /// The error ingesting `json` causes, or nil when accepted.
    func ingestError(_ json: String) async -> IngestError? {
        do throws(IngestError) {
            _ = try await ingest(ByteBuffer(string: json))
            return nil
        } catch {
            return error
        }
    }

    /// Ingests a JSON body as HTTP would.
    func ingest(json: String) async throws(IngestError) -> Int {
        try await ingest(ByteBuffer(string: json))
    }
}

/// A task's stored state.
func storedTask(_ redis: RedisClient, _ id: String) async throws -> [String: String] {
    try await hash(redis, TasksKeys.task(id))
}

func hash(_ redis: RedisClient, _ key: String) async throws -> [String: String] {
    let reply = try await redis.sendChecked(["HGETALL", key])
    let values = reply.array?.compactMap(\.string) ?? []
    var out: [String: String] = [:]
    for i in stride(from: 0, to: values.count - 1, by: 2) { out[values[i]] = values[i + 1] }
    return out
}

/// The agent registry, decoded.
func agents(_ redis: RedisClient) async throws -> [String: AgentRecord] {
    try await hash(redis, RedisKeys.agentRegistry).compactMapValues { AgentRecord(json: $0) }
}

