import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTrending
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A fixed epoch-millisecond origin for model tests.
let t0: Int64 = 1_700_000_000_000
let minute: Int64 = 60_000
let hour: Int64 = 3_600_000
let day: Int64 = 24 * hour

/// Thrown when a test waited too long; the test fails instead of hanging.
struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Polls `condition` every 20 ms until it is true, or throws ``TestTimeout`` after `seconds`.
func eventually(_ seconds: Double = 10, _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestTimeout(what: what)
}

/// Shared helpers for tests against a real Redis.
enum TestRedis {
    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    static func logger(_ label: String) -> Logger { quietLogger(label) }

    /// Fast reconnects, and a short command deadline.
    static func configuration(port: Int) -> RedisConfiguration { redisConfiguration(port: port, commandTimeout: .seconds(3)) }

    static func client(port: Int, _ label: String = "client") -> RedisClient {
        RedisClient(configuration: configuration(port: port), eventLoopGroup: group, logger: logger(label))
    }
}

/// Collects what a ``RedisSubscriber`` delivers on one channel, with a sentinel to tell "all published so far arrived".
final class ChannelListener: Sendable {
    let channel: String
    let subscriber: RedisSubscriber
    let publisher: RedisClient
    private let box = Box()

    final class Box: Sendable {
        let messages = Mutex<[String]>([])
    }

    init(port: Int, channel: String) {
        self.channel = channel
        let box = self.box
        subscriber = RedisSubscriber(
            configuration: TestRedis.configuration(port: port), eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("subscriber"),
            onMessages: { batch in
                let payloads = batch.filter { $0.channel == channel }.map { String(buffer: $0.payload) }
                box.messages.withLock { $0 += payloads }
            })
        publisher = TestRedis.client(port: port, "sentinel")
    }

    func start() async throws {
        subscriber.start()
        try await eventually(10, "subscriber connects") { subscriber.isConnected }
        try await subscriber.subscribe([channel]).get()
    }

    /// Every envelope received so far (sentinels left out), parsed.
    var envelopes: [JSONValue] {
        box.messages.withLock { $0 }.compactMap { try? JSONValue.parse($0) }.filter { $0["type"] != "sentinel" }
    }

    /// Publishes a sentinel and waits until it arrives.
    func sync(_ label: String) async throws {
        let payload = #"{"type":"sentinel","label":"\#(label)"}"#
        _ = try await publisher.publish(payload, to: channel)
        try await eventually(10, "sentinel \(label)") { box.messages.withLock { $0.contains(payload) } }
    }

    func stop() async {
        await subscriber.shutdown()
        await publisher.shutdown()
    }
}

func sample(_ token: String = "PEPE", price: Double = 1, volume: Double = 1_000_000, mentions: Int = 0, at timestamp: Int64)
    -> MarketSample
{
    MarketSample(token: token, price: price, volume24h: volume, mentions: mentions, timestamp: timestamp)
}

func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

func body(_ samples: [MarketSample]) -> ByteBuffer {
    ByteBuffer(string: JSONWriter.string(.array(samples.map(TrendingInput.json))))
}
