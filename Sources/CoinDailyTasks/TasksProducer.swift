import CoinDailyProducer
import CoinDailyRedis
import CoinDailyProtocol
import CoinDailyService
import Logging
import NIOCore

/// The tasks producer: validates task and pipeline events, enforces their state rules and publishes
/// `task_status_update` (to the owner's channel and the all-tasks channel) and
/// `pipeline_progress_update`, keeping the agent registry up to date.
///
/// Each batch is one `EVAL` of ``TasksScripts/apply``: the rules are checked against the state in
/// Redis, the state is written and the events are published in one atomic step, so concurrent
/// batches (HTTP and the stream) never interleave, a restart loses nothing, and a batch that breaks
/// a rule changes nothing. The producer itself holds no state.
public struct TasksProducer: IngestHandler {
    private let configuration: TasksConfiguration
    private let redis: RedisClient
    private let logger: Logger
    private let history: HistoryPolicies

    /// Creates the producer; `history` sets how much of the task and pipeline channels is kept for resume.
    public init(configuration: TasksConfiguration, redis: RedisClient, history: HistoryPolicies = HistoryPolicies(), logger: Logger) {
        self.history = history
        self.configuration = configuration
        self.redis = redis
        self.logger = logger
    }

    /// Parses, checks and applies a body (one object or an array); see ``IngestHandler``.
    public func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        let batch: TasksBatch
        do {
            batch = try TasksInput.parseBatch(
                body, now: UnixTime.nowMillis(), maxItems: configuration.maxBatchItems,
                maxFutureSkew: configuration.maxFutureSkewMilliseconds)
        } catch {
            throw .invalid(message: error.description, field: error.field, index: error.itemIndex)
        }
        do {
            return try await apply(batch, now: UnixTime.nowMillis()).accepted
        } catch {
            switch error {
            case .rejected(let violation):
                throw .invalid(message: violation.description, field: violation.field, index: violation.index)
            case .unavailable(let message):
                throw .unavailable(message)
            }
        }
    }

    /// Applies validated items (all or nothing) at time `now` (Unix ms; the agents' `lastSeen`).
    public func apply(_ batch: TasksBatch, now: Int64) async throws(TasksApplyError) -> TasksApplyOutcome {
        guard !batch.inputs.isEmpty else { return TasksApplyOutcome(accepted: 0, published: 0, duplicates: 0) }
        var keys = [RedisKeys.agentRegistry]
        var records: [String] = []
        records.reserveCapacity(batch.inputs.count)
        for input in batch.inputs {
            let record = TasksScriptRecord(input, defaultAgentName: configuration.defaultName(for:))
            keys += record.keys
            records.append(record.json)
        }
        let arguments =
            [String(now), String(max(1, configuration.stateTTL.components.seconds)),
             RedisKeys.eventChannel(.taskUpdates), RedisKeys.eventChannel(.pipelineUpdates)]
            + history.arguments(for: .taskUpdates) + history.arguments(for: .pipelineUpdates) + records
        let reply: RESPValue
        do {
            reply = try await redis.sendChecked(["EVAL", TasksScripts.apply, String(keys.count)] + keys + arguments)
        } catch {
            throw .unavailable("Redis unavailable: \(error)")
        }
        guard let values = reply.array, let ok = values.first?.int else {
            throw .unavailable("unexpected reply from the apply script: \(reply)")
        }
        if ok == 1, values.count == 3, let published = values[1].int, let duplicates = values[2].int {
            return TasksApplyOutcome(accepted: batch.inputs.count, published: Int(published), duplicates: Int(duplicates))
        }
        guard ok == 0, values.count == 4, let index = values[1].int, let field = values[2].string,
            let message = values[3].string
        else {
            throw .unavailable("unexpected reply from the apply script: \(reply)")
        }
        logger.debug("batch rejected", metadata: ["field": "\(field)", "reason": "\(message)"])
        throw .rejected(TasksRuleViolation(field: field, message: message, index: batch.isArray ? Int(index) : nil))
    }

    /// Marks agents without a task event in the active window `inactive`; returns how many changed.
    public func sweepAgents(now: Int64) async throws -> Int {
        let cutoff = now - configuration.agentActiveWindow.milliseconds
        let reply = try await redis.sendChecked(["EVAL", TasksScripts.sweepAgents, "1", RedisKeys.agentRegistry, String(cutoff)])
        return Int(reply.int ?? 0)
    }
}
