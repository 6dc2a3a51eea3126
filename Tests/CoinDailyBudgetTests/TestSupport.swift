import CoinDailyTestSupport
import CoinDailyBudget
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

let minute: Int64 = 60_000
let day: Int64 = 86_400_000
/// 10:00 UTC today: the origin of the tests. Close to the real time on purpose: Redis expires a period's
/// state at the period's end plus the retention, so periods long past would vanish at once.
let t0: Int64 = Int64(Date().timeIntervalSince1970 * 1000) / day * day + 10 * 3_600_000

/// Polls `condition` every 20 ms until it is true, or throws ``TestTimeout`` after `seconds`.
func eventually(_ seconds: Double = 10, _ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    try await TestTimeout.poll(seconds, what, condition)
}

// quietLogger, redisConfiguration, withRedis and ChannelRecorder come from CoinDailyTestSupport.

func makeProducer(_ redis: RedisClient, _ configuration: BudgetConfiguration = BudgetConfiguration()) -> BudgetProducer {
    BudgetProducer(configuration: configuration, redis: redis, logger: quietLogger("budget"))
}

func spend(_ agent: String, _ cost: Double, at timestamp: Int64 = t0, id: String? = nil) -> BudgetInput {
    .spend(SpendRecord(spendId: id, agentId: agent, cost: cost, timestamp: timestamp))
}

func limit(_ id: String, agent: String? = nil, _ amount: Double, _ period: BudgetPeriod = .daily) -> BudgetInput {
    .limit(BudgetLimit(budgetLimitId: id, agentId: agent, amount: amount, period: period))
}

/// Writes an agent registry entry as the tasks producer does.
func register(_ redis: RedisClient, _ agentId: String, name: String) async throws {
    let json = JSONWriter.string(["agentId": .string(agentId), "name": .string(name), "status": "active", "lastSeen": .int(t0)])
    _ = try await redis.sendChecked(["HSET", RedisKeys.agentRegistry, agentId, json])
}

let alertsChannel = RedisKeys.eventChannel(.budgetAlerts)

extension BudgetProducer {
    @discardableResult
    func apply(_ inputs: [BudgetInput]) async throws -> BudgetApplyOutcome {
        try await apply(inputs, now: t0)
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
}

extension Array {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
