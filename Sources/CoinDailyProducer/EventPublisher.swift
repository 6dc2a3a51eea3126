import CoinDailyProtocol
import CoinDailyRedis
import Metrics
import NIOCore

/// Publishes events into Redis through ``EventHistory/publishScript``: each event gets the next id, is
/// appended to its channels' histories (trimmed by the kind's ``HistoryPolicy``) and published with
/// `"id"` and `"room"` added, atomically. An item with a latest key also stores its `data` there
/// (`SET`, pipelined just before the script, so the snapshot is never older than what was published).
///
/// One pipelined round trip per batch. The script runs with `EVALSHA`; when Redis answers `NOSCRIPT`
/// (it restarted, or its script cache was flushed) the failed items are sent again with `EVAL`, which
/// also caches the script for the next batch.
public struct EventPublisher: Sendable {
    /// One event to publish.
    public struct Item: Sendable {
        /// The pub/sub channel(s); every channel gets the same id.
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

    /// The shared publish script (its SHA1 is learnt once per process).
    static let script = RedisScript(EventHistory.publishScript)

    private let redis: RedisClient
    private let history: HistoryPolicies
    private let published: Counter

    /// Creates a publisher for producer `name`, keeping history by `history`.
    public init(redis: RedisClient, producer name: String, history: HistoryPolicies = HistoryPolicies()) {
        self.redis = redis
        self.history = history
        self.published = Counter(label: "coindaily_producer_events_published_total", dimensions: [("producer", name)])
    }

    /// Publishes `items` in order; throws when Redis did not take all of them.
    ///
    /// - Returns: the id of each item (`<epoch>:<ms>-<seq>`), in order.
    @discardableResult
    public func publish(_ items: [Item]) async throws -> [String] {
        guard !items.isEmpty else { return [] }
        // Each item's SET latest goes right before its script call: pipelined commands run in order.
        var steps: [RedisScript.Step] = []
        var callIndex: [Int] = []
        for item in items {
            if let key = item.latestKey { steps.append(.command(["SET", key, JSONWriter.string(item.envelope.data)])) }
            callIndex.append(steps.count)
            steps.append(.call(["0"] + arguments(item)))
        }
        let replies = try await Self.script.run(steps, on: redis)
        if let failure = replies.first(where: { $0.errorMessage != nil }) {
            throw RedisError.server(failure.errorMessage ?? "error")
        }
        published.increment(by: items.count)
        return callIndex.map { replies[$0].string ?? "" }
    }

    /// The script's `ARGV`: the JSON, maxlen, max age, the channels.
    private func arguments(_ item: Item) -> [String] {
        let kind = item.envelope.kind ?? item.channels.first.flatMap(Self.kind(ofChannel:)) ?? .marketSentiment
        return [String(buffer: item.envelope.encoded())] + history.arguments(for: kind) + item.channels
    }

    /// The kind of `cd:ev:<kind>[:key]`.
    static func kind(ofChannel channel: String) -> ChannelKind? {
        guard channel.hasPrefix(RedisKeys.eventPrefix) else { return nil }
        let rest = channel.dropFirst(RedisKeys.eventPrefix.count)
        return ChannelKind(rawValue: String(rest.prefix { $0 != ":" }))
    }
}
