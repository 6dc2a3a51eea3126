import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyWhale
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A fixed epoch-millisecond origin for model tests.
let t0: Int64 = 1_700_000_000_000
let minute: Int64 = 60_000
let hour: Int64 = 3_600_000

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

/// Collects what a ``RedisSubscriber`` delivers, for assertions from the test.
final class MessageCollector: Sendable {
    private let messages = Mutex<[RedisPubSubMessage]>([])

    var callback: @Sendable ([RedisPubSubMessage]) -> Void {
        { batch in self.messages.withLock { $0.append(contentsOf: batch) } }
    }

    func payloads(on channel: String) -> [String] {
        messages.withLock { $0.filter { $0.channel == channel }.map { String(buffer: $0.payload) } }
    }
}

/// A subscriber on `cd:ev:whale_activity` with a way to tell "everything published so far has arrived":
/// ``sync(_:)`` publishes a sentinel on the channel and waits for it, so a missing alert is a real absence.
final class AlertListener: Sendable {
    let subscriber: RedisSubscriber
    let publisher: RedisClient
    let collector = MessageCollector()
    static let channel = RedisKeys.eventChannel(.whaleActivity)

    init(port: Int) {
        let configuration = TestRedis.configuration(port: port)
        let collector = self.collector
        subscriber = RedisSubscriber(
            configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("subscriber"),
            onMessages: collector.callback)
        publisher = TestRedis.client(port: port, "sentinel")
    }

    func start() async throws {
        subscriber.start()
        try await eventually(10, "subscriber connects") { subscriber.isConnected }
        try await subscriber.subscribe([Self.channel]).get()
    }

    /// Every alert envelope received so far (sentinels left out), parsed.
    var alerts: [JSONValue] {
        collector.payloads(on: Self.channel).compactMap { try? JSONValue.parse($0) }.filter { $0["type"] != "sentinel" }
    }

    /// Publishes a sentinel and waits until it arrives: every earlier publication has arrived too.
    func sync(_ label: String) async throws {
        let payload = #"{"type":"sentinel","label":"\#(label)"}"#
        _ = try await publisher.publish(payload, to: Self.channel)
        try await eventually(10, "sentinel \(label)") { collector.payloads(on: Self.channel).contains(payload) }
    }

    func stop() async {
        await subscriber.shutdown()
        await publisher.shutdown()
    }
}

/// Builds an ingest body.
func body(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: JSONWriter.string(value)) }

func transferJSON(
    token: String = "PEPE", amount: Double, from: String = "0x1111111111111111111111111111111111111111",
    to: String = "0x2222222222222222222222222222222222222222", txHash: String, priceUSD: Double? = nil, timestamp: Int64
) -> JSONValue {
    var object: [String: JSONValue] = [
        "token": .string(token), "amount": .number(amount), "from": .string(from), "to": .string(to),
        "txHash": .string(txHash), "timestamp": .int(timestamp),
    ]
    if let priceUSD { object["priceUSD"] = .number(priceUSD) }
    return .object(object)
}

func tickJSON(token: String = "PEPE", price: Double, volume24h: Double? = nil, timestamp: Int64) -> JSONValue {
    var object: [String: JSONValue] = ["token": .string(token), "price": .number(price), "timestamp": .int(timestamp)]
    if let volume24h { object["volume24h"] = .number(volume24h) }
    return .object(object)
}

func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
