import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import NIOCore

/// Turns each batch the Redis subscriber read into shared, pre-encoded events and hands the batch
/// to every event loop's hub in one hop.
///
/// Runs on the subscriber's event loop and never waits: decoding and encoding happen once per
/// message, whatever the number of subscribers, and the hubs write without blocking.
final class Broadcaster: Sendable {
    private let hubs: [LoopHub]
    private let metrics: GatewayMetrics
    private let onKeysAnnounced: @Sendable () -> Void
    private let revocations: RevocationList

    init(
        hubs: [LoopHub], metrics: GatewayMetrics, revocations: RevocationList,
        onKeysAnnounced: @escaping @Sendable () -> Void
    ) {
        self.hubs = hubs
        self.metrics = metrics
        self.revocations = revocations
        self.onKeysAnnounced = onKeysAnnounced
    }

    /// A revocation announcement: remembered for later authentications, and applied to open connections
    /// on every loop at once.
    private func revoke(_ payload: ByteBuffer) {
        guard let revocation = Revocation(json: String(buffer: payload)) else {
            metrics.redisMessagesDropped.increment()
            return
        }
        revocations.add(revocation)
        for hub in hubs { hub.eventLoop.execute { hub.revoke(revocation) } }
    }

    /// Revocations were learnt from Redis rather than announced (``GatewayRefresher``): every loop checks
    /// its open connections against the list.
    func recheckRevocations() {
        for hub in hubs { hub.eventLoop.execute { hub.recheckRevocations() } }
    }

    /// Handles one read batch from Redis.
    func handle(_ messages: [RedisPubSubMessage]) {
        var events: [OutboundEvent] = []
        events.reserveCapacity(messages.count)
        let allocator = ByteBufferAllocator()
        var dropped = 0
        for message in messages {
            if message.channel == RedisKeys.keysChannel {
                onKeysAnnounced()
                continue
            }
            if message.channel == RedisKeys.revocationsChannel {
                revoke(message.payload)
                continue
            }
            guard let event = OutboundEvent.decode(channel: message.channel, payload: message.payload, allocator: allocator)
            else {
                dropped += 1
                continue
            }
            events.append(event)
        }
        if dropped > 0 { metrics.redisMessagesDropped.increment(by: dropped) }
        guard !events.isEmpty else { return }
        metrics.redisMessages.increment(by: events.count)
        let batch = events
        for hub in hubs {
            if hub.eventLoop.inEventLoop {
                hub.deliver(batch)
            } else {
                hub.eventLoop.execute { hub.deliver(batch) }
            }
        }
    }
}
