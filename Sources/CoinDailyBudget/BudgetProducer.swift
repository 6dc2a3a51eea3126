import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import NIOCore

/// The budget producer: sums spend per agent (and for all agents) per UTC day, ISO week and month, keeps
/// the budget limits, and publishes a `budget_alert` exactly once per threshold per limit and period.
///
/// Each batch is one `EVAL` of ``BudgetScripts/apply``: the redelivery markers, the period sums, the
/// threshold markers and the alerts change in one atomic step, so neither a restart nor a redelivered
/// record nor two instances at once can alert twice, and a batch Redis did not take leaves no trace.
/// The producer itself holds no state.
public struct BudgetProducer: IngestHandler {
    private let configuration: BudgetConfiguration
    private let redis: RedisClient
    private let logger: Logger
    private let history: HistoryPolicies

    /// Creates the producer; `history` sets how much of `cd:ev:budget_alerts` is kept for resume.
    public init(configuration: BudgetConfiguration, redis: RedisClient, history: HistoryPolicies = HistoryPolicies(), logger: Logger) {
        self.history = history
        self.configuration = configuration
        self.redis = redis
        self.logger = logger
    }

    /// Parses and applies a body (one object or an array); see ``IngestHandler``.
    public func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        let now = UnixTime.nowMillis()
        let inputs: [BudgetInput]
        do {
            inputs = try BudgetInput.parseBatch(body, now: now, configuration: configuration)
        } catch {
            throw .invalid(message: error.description, field: error.field, index: error.itemIndex)
        }
        do {
            return try await apply(inputs, now: now).accepted
        } catch {
            throw .unavailable(error.message)
        }
    }

    /// Applies validated items in order at time `now` (Unix ms: the alerts' timestamp, and the period a
    /// changed limit is evaluated for) and publishes the alerts they cause.
    public func apply(_ inputs: [BudgetInput], now: Int64) async throws(BudgetUnavailable) -> BudgetApplyOutcome {
        guard !inputs.isEmpty else { return BudgetApplyOutcome(accepted: 0, duplicates: 0, alerts: 0) }
        let retention = configuration.retentionSeconds
        let records = inputs.map { BudgetScriptRecord($0, now: now, retentionSeconds: retention).json }
        let command =
            ["EVAL", BudgetScripts.apply, "2", BudgetKeys.limits, RedisKeys.agentRegistry, String(now),
             RedisKeys.eventChannel(.budgetAlerts), configuration.thresholds.map(String.init).joined(separator: ","),
             String(retention), BudgetKeys.prefix] + history.arguments(for: .budgetAlerts) + records
        let reply: RESPValue
        do {
            reply = try await redis.sendChecked(command)
        } catch {
            throw BudgetUnavailable("Redis unavailable: \(error)")
        }
        guard let values = reply.array, values.count == 3, let accepted = values[0].int, let duplicates = values[1].int,
            let alerts = values[2].int
        else {
            throw BudgetUnavailable("unexpected reply from the apply script: \(reply)")
        }
        if alerts > 0 { logger.info("budget alerts published", metadata: ["count": "\(alerts)"]) }
        return BudgetApplyOutcome(accepted: Int(accepted), duplicates: Int(duplicates), alerts: Int(alerts))
    }

    // MARK: Limits

    /// Creates or replaces a limit and publishes the alerts it causes in its current period.
    public func setLimit(_ limit: BudgetLimit, now: Int64) async throws(BudgetUnavailable) -> StoredBudgetLimit {
        _ = try await apply([.limit(limit)], now: now)
        guard let stored = try await self.limit(limit.budgetLimitId) else {
            throw BudgetUnavailable("the limit was not stored")
        }
        return stored
    }

    /// The limit `budgetLimitId`, if set.
    public func limit(_ budgetLimitId: String) async throws(BudgetUnavailable) -> StoredBudgetLimit? {
        let reply: RESPValue
        do {
            reply = try await redis.sendChecked(["HGET", BudgetKeys.limits, budgetLimitId])
        } catch {
            throw BudgetUnavailable("Redis unavailable: \(error)")
        }
        return reply.string.flatMap(StoredBudgetLimit.init(json:))
    }

    /// Every limit, ordered by id.
    public func limits() async throws(BudgetUnavailable) -> [StoredBudgetLimit] {
        let reply: RESPValue
        do {
            reply = try await redis.sendChecked(["HVALS", BudgetKeys.limits])
        } catch {
            throw BudgetUnavailable("Redis unavailable: \(error)")
        }
        return (reply.array ?? []).compactMap { $0.string.flatMap(StoredBudgetLimit.init(json:)) }
            .sorted { $0.limit.budgetLimitId < $1.limit.budgetLimitId }
    }

    /// Removes a limit; returns whether it existed. Its markers expire with their periods.
    public func deleteLimit(_ budgetLimitId: String) async throws(BudgetUnavailable) -> Bool {
        do {
            return try await redis.sendChecked(["HDEL", BudgetKeys.limits, budgetLimitId]).int == 1
        } catch {
            throw BudgetUnavailable("Redis unavailable: \(error)")
        }
    }

    /// The spend so far in the period of `limit` containing `now`.
    public func currentSpend(of limit: BudgetLimit, now: Int64) async throws(BudgetUnavailable) -> Double {
        let window = limit.period.window(containing: now)
        let key = limit.agentId.map { BudgetKeys.agentSpend($0, window) } ?? BudgetKeys.totalSpend(window)
        do {
            return try await redis.sendChecked(["GET", key]).string.flatMap(Double.init) ?? 0
        } catch {
            throw BudgetUnavailable("Redis unavailable: \(error)")
        }
    }
}
