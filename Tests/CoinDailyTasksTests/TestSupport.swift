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

/// Polls `condition` every 20 ms until it is true, or throws ``TestTimeout`` after `seconds`.
func eventually(_ seconds: Double = 10, _ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    try await TestTimeout.poll(seconds, what, condition)
}

// quietLogger, redisConfiguration, withRedis and ChannelRecorder come from CoinDailyTestSupport.

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

