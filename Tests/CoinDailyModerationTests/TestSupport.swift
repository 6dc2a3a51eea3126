import CoinDailyTestSupport
import CoinDailyModeration
import CoinDailyProtocol
import CoinDailyRedis
import Logging
import NIOCore
import NIOPosix
import Synchronization

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

/// A fixed epoch-millisecond origin for tests.
let t0: Int64 = 1_700_000_000_000

/// A report with defaults for the fields a test does not care about.
func report(
    _ id: String, _ severity: Severity, _ confidence: Double, at timestamp: Int64 = t0, user: String = "u-1",
    content: String = "post", type: String = "spam"
) -> ViolationReport {
    ViolationReport(
        violationId: id, userId: user, contentType: content, violationType: type, severity: severity, confidence: confidence,
        timestamp: timestamp)
}

/// `.report(...)` shorthand.
func reported(_ id: String, _ severity: Severity, _ confidence: Double, at timestamp: Int64 = t0) -> ModerationInput {
    .report(report(id, severity, confidence, at: timestamp))
}

/// `.statusChange(...)` shorthand.
func change(_ id: String, _ status: ModerationStatus) -> ModerationInput {
    .statusChange(ModerationStatusChange(violationId: id, status: status))
}

/// What a test reads of one published event.
struct Seen: Equatable, CustomStringConvertible {
    var id: String
    var position: Int
    var status: String
    var description: String { "\(id)@\(position)/\(status)" }
}

/// Collects what is published on the moderation channel.
final class EventCollector: Sendable {
    private let payloads = Mutex<[String]>([])

    var callback: @Sendable ([RedisPubSubMessage]) -> Void {
        { batch in self.payloads.withLock { $0 += batch.map { String(buffer: $0.payload) } } }
    }

    var all: [String] { payloads.withLock { $0 } }
    var count: Int { payloads.withLock { $0.count } }

    /// The envelopes, parsed.
    var envelopes: [EventEnvelope] { all.compactMap { try? EventEnvelope.parse(ByteBuffer(string: $0)) } }

    /// (id, position, status) of every event, in order.
    var seen: [Seen] {
        envelopes.map {
            Seen(
                id: $0.data["violationId"]?.stringValue ?? "?", position: Int($0.data["queuePosition"]?.numberValue ?? -1),
                status: $0.data["status"]?.stringValue ?? "?")
        }
    }

    func clear() { payloads.withLock { $0.removeAll() } }

    func remove(_ payload: String) { payloads.withLock { $0.removeAll { $0 == payload } } }
}

/// A real redis-server, a commands client and a subscriber on the moderation channel.
struct RedisFixture: Sendable {
    let server: RedisServerProcess
    let redis: RedisClient
    let subscriber: RedisSubscriber
    let events: EventCollector

    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    static func logger(_ label: String) -> Logger { quietLogger(label) }

    static func configuration(port: Int) -> RedisConfiguration { redisConfiguration(port: port) }

    /// Starts redis-server and subscribes to the moderation channel.
    static func start() async throws -> RedisFixture {
        let server = try RedisServerProcess()
        try await server.start()
        let events = EventCollector()
        let configuration = configuration(port: server.port)
        let subscriber = RedisSubscriber(
            configuration: configuration, eventLoopGroup: group, logger: logger("subscriber"), onMessages: events.callback)
        subscriber.start()
        try await subscriber.subscribe([RedisKeys.eventChannel(.moderationQueue)]).get()
        let redis = RedisClient(configuration: configuration, eventLoopGroup: group, logger: logger("redis"))
        redis.start()
        return RedisFixture(server: server, redis: redis, subscriber: subscriber, events: events)
    }

    /// Runs `body` with a fresh fixture and stops it afterwards, whether `body` threw or not.
    static func with(_ body: (RedisFixture) async throws -> Void) async throws {
        let fixture = try await start()
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    /// Another commands client on the same server (a second producer instance, or one after a restart).
    func newClient() -> RedisClient {
        let client = RedisClient(configuration: Self.configuration(port: server.port), eventLoopGroup: Self.group, logger: Self.logger("redis"))
        client.start()
        return client
    }

    /// Publishes a marker on the moderation channel and waits until it arrives: every event published
    /// before (the script publishes before it returns) has then been collected. The marker is removed.
    func barrier() async throws {
        let marker = "barrier-\(UInt64.random(in: 0...UInt64.max))"
        _ = try await redis.sendChecked(["PUBLISH", RedisKeys.eventChannel(.moderationQueue), marker])
        let events = self.events
        try await eventually(10, "the barrier message") { events.all.contains(marker) }
        events.remove(marker)
    }

    func stop() async {
        await subscriber.shutdown()
        await redis.shutdown()
        server.kill()
    }
}
