public import CoinDailyProtocol
public import CoinDailyRedis
import NIOCore
import NIOPosix
import Synchronization

/// Everything published on some Redis channels, in arrival order, through its own subscriber.
public final class ChannelRecorder: Sendable {
    private let log: Log
    /// The subscriber (subscribed to the channels before the initializer returns).
    public let subscriber: RedisSubscriber

    private final class Log: Sendable {
        let list = Mutex<[(channel: String, payload: String)]>([])
    }

    /// Subscribes to `channels` on the Redis at `port` and returns once Redis confirmed them.
    public init(port: Int, channels: [String]) async throws {
        let log = Log()
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
    public func payloads(_ channel: String) -> [String] {
        log.list.withLock { $0.filter { $0.channel == channel }.map(\.payload) }
    }

    /// The envelopes received on `channel` (payloads that are not one are left out).
    public func envelopes(_ channel: String) -> [EventEnvelope] {
        payloads(channel).compactMap { try? EventEnvelope.parse(ByteBuffer(string: $0)) }
    }

    /// The `data` of every envelope received on `channel`.
    public func data(_ channel: String) -> [JSONValue] { envelopes(channel).map(\.data) }

    /// Waits until `channel` has at least `count` messages (``TestTimeout`` after 10 s).
    public func wait(_ channel: String, count: Int) async throws {
        try await TestTimeout.poll(10, "\(count) messages on \(channel)") { self.payloads(channel).count >= count }
    }

    /// Stops the subscriber.
    public func shutdown() async { await subscriber.shutdown() }
}
