import CoinDailyTestSupport
import CoinDailyHealth
import Foundation
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

/// Collects the data of what is published on the health channel.
final class HealthEvents: Sendable {
    private let payloads = Mutex<[String]>([])

    var callback: @Sendable ([RedisPubSubMessage]) -> Void {
        { batch in self.payloads.withLock { $0 += batch.map { String(buffer: $0.payload) } } }
    }

    var all: [String] { payloads.withLock { $0 } }

    /// The `data` of every event, in order.
    var data: [JSONValue] {
        all.compactMap { try? EventEnvelope.parse(ByteBuffer(string: $0)) }.filter { $0.type == "system_health_update" }.map(\.data)
    }

    var statuses: [String] { data.compactMap { $0["status"]?.stringValue } }

    func clear() { payloads.withLock { $0.removeAll() } }
    func remove(_ payload: String) { payloads.withLock { $0.removeAll { $0 == payload } } }
}

/// A real redis-server, a test client and a subscriber on the health channel.
struct HealthFixture: Sendable {
    let server: RedisServerProcess
    let redis: RedisClient
    let subscriber: RedisSubscriber
    let events: HealthEvents

    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    static func logger(_ label: String) -> Logger { quietLogger(label) }

    static func configuration(port: Int) -> RedisConfiguration { redisConfiguration(port: port) }

    /// The fail-fast client the health producer uses.
    func monitorClient() -> RedisClient {
        var configuration = Self.configuration(port: server.port)
        configuration.queueWhileDisconnected = false
        configuration.commandTimeout = .milliseconds(500)
        let client = RedisClient(configuration: configuration, eventLoopGroup: Self.group, logger: Self.logger("monitor"))
        client.start()
        return client
    }

    static func with(_ body: (HealthFixture) async throws -> Void) async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let events = HealthEvents()
        let configuration = configuration(port: server.port)
        let subscriber = RedisSubscriber(configuration: configuration, eventLoopGroup: group, logger: logger("sub"), onMessages: events.callback)
        subscriber.start()
        let redis = RedisClient(configuration: configuration, eventLoopGroup: group, logger: logger("redis"))
        redis.start()
        let fixture = HealthFixture(server: server, redis: redis, subscriber: subscriber, events: events)
        do {
            try await subscriber.subscribe([HealthKeys.channel]).get()
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    /// Publishes a marker and waits for it: everything published before has been collected.
    func barrier() async throws {
        let marker = "barrier-\(UInt64.random(in: 0...UInt64.max))"
        _ = try await redis.sendChecked(["PUBLISH", HealthKeys.channel, marker])
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

/// A heartbeat sighting with a plausible `at`.
func beat(_ service: String, _ instance: String = "i1", at: Int64, connections: Int? = nil) -> HeartbeatSighting {
    HeartbeatSighting(service: service, instance: instance, at: at, connections: connections)
}

/// Now, in Unix ms.
func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
