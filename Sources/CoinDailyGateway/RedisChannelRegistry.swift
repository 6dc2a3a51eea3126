import CoinDailyRedis
import NIOCore
import Synchronization

/// Counts, across event loops, how many loops need each Redis channel, and keeps the gateway's
/// Redis subscription to exactly the channels with a count above zero.
///
/// Each ``LoopHub`` counts its own connections per channel without locks and calls here only when
/// its count for a channel goes from 0 to 1 or from 1 to 0.
final class RedisChannelRegistry: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let subscriber: RedisSubscriber
    private let metrics: GatewayMetrics

    init(subscriber: RedisSubscriber, metrics: GatewayMetrics) {
        self.subscriber = subscriber
        self.metrics = metrics
    }

    /// One more loop needs `channel`.
    func retain(_ channel: String) {
        counts.withLock { counts in
            let n = counts[channel, default: 0]
            counts[channel] = n + 1
            if n == 0 {
                subscriber.subscribe([channel])
                metrics.redisChannels.increment()
            }
        }
    }

    /// One loop fewer needs `channel`.
    func release(_ channel: String) {
        counts.withLock { counts in
            guard let n = counts[channel] else { return }
            if n <= 1 {
                counts[channel] = nil
                subscriber.unsubscribe([channel])
                metrics.redisChannels.decrement()
            } else {
                counts[channel] = n - 1
            }
        }
    }

    /// Succeeds once Redis confirmed the subscription of every channel in `channels` that some loop still
    /// needs (a resume reads the history only then, so nothing published in between is missed).
    func whenSubscribed(_ channels: [String]) -> EventLoopFuture<Void> {
        counts.withLock { counts in
            subscriber.subscribe(channels.filter { counts[$0] != nil })
        }
    }

    /// Whether the subscriber is connected with every channel subscribed.
    var isLive: Bool { subscriber.isConnected }

    /// The channels subscribed now.
    var channels: Set<String> { counts.withLock { Set($0.keys) } }
}
