import CoinDailyProtocol
import CoinDailyRedis
import Metrics
import NIOCore

/// Publishes events into Redis: each on its channel, optionally also stored as the latest value
/// under a key (for snapshots), in one pipelined round trip per batch.
public struct EventPublisher: Sendable {
    /// One event to publish.
    public struct Item: Sendable {
        /// The pub/sub channel(s).
        public var channels: [String]
        /// The envelope.
        public var envelope: EventEnvelope
        /// Where to keep the latest `data` (JSON), if anywhere.
        public var latestKey: String?

        /// Creates an item.
        public init(channels: [String], envelope: EventEnvelope, latestKey: String? = nil) {
            self.channels = channels
            self.envelope = envelope
            self.latestKey = latestKey
        }
    }

    private let redis: RedisClient
    private let published: Counter

    /// Creates a publisher for producer `name`.
    public init(redis: RedisClient, producer name: String) {
        self.redis = redis
        self.published = Counter(label: "coindaily_producer_events_published_total", dimensions: [("producer", name)])
    }

    /// Publishes `items`; throws when Redis did not take all of them.
    public func publish(_ items: [Item]) async throws {
        guard !items.isEmpty else { return }
        var commands: [[String]] = []
        for item in items {
            let json = String(buffer: item.envelope.encoded())
            if let key = item.latestKey {
                commands.append(["SET", key, JSONWriter.string(item.envelope.data)])
            }
            for channel in item.channels {
                commands.append(["PUBLISH", channel, json])
            }
        }
        let replies = try await redis.pipeline(commands)
        if let failure = replies.first(where: { $0.errorMessage != nil }) {
            throw RedisError.server(failure.errorMessage ?? "error")
        }
        published.increment(by: items.count)
    }
}
