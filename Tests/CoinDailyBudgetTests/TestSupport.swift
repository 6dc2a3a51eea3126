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

/// Everything published on some channels, in arrival order.
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

    func payloads(_ channel: String) -> [String] {
        log.list.withLock { $0.filter { $0.channel == channel }.map(\.payload) }
    }

    func envelopes(_ channel: String) -> [EventEnvelope] {
        payloads(channel).compactMap { try? EventEnvelope.parse(ByteBuffer(string: $0)) }
    }

    func data(_ channel: String) -> [JSONValue] { envelopes(channel).map(\.data) }

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
