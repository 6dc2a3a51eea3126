import CoinDailyAuthCore
import CoinDailyProtocol
import NIOCore

/// One event loop's sessions and subscription index.
///
/// Confined to its event loop: every method must be called on ``eventLoop`` (checked in debug
/// builds). That is why it needs no locks, and why it is `@unchecked Sendable`: references cross
/// threads only to be used through `eventLoop.execute`.
public final class LoopHub: @unchecked Sendable {
    /// The loop this hub belongs to.
    public let eventLoop: any EventLoop
    private let registry: RedisChannelRegistry
    private let metrics: GatewayMetrics
    private var channels: [String: SubscriberList] = [:]
    private var sessions: [ObjectIdentifier: ClientSession] = [:]
    private var dirty: [ClientSession] = []
    private var sweepTask: RepeatedTask?
    private let flushInterval: TimeAmount
    private var lastFlush = NIODeadline.uptimeNanoseconds(0)
    private var scheduledFlush: Scheduled<Void>?

    init(eventLoop: any EventLoop, registry: RedisChannelRegistry, metrics: GatewayMetrics, flushInterval: TimeAmount = .zero) {
        self.eventLoop = eventLoop
        self.registry = registry
        self.metrics = metrics
        self.flushInterval = flushInterval
    }

    /// Number of sessions on this loop.
    var sessionCount: Int { sessions.count }

    func register(_ session: ClientSession) {
        eventLoop.assertInEventLoop()
        sessions[ObjectIdentifier(session)] = session
    }

    func unregister(_ session: ClientSession) {
        eventLoop.assertInEventLoop()
        sessions[ObjectIdentifier(session)] = nil
    }

    /// Adds `session` to the receivers of `channel`.
    func join(_ session: ClientSession, channel: String) {
        eventLoop.assertInEventLoop()
        let list: SubscriberList
        if let existing = channels[channel] {
            list = existing
        } else {
            list = SubscriberList()
            channels[channel] = list
            registry.retain(channel)
        }
        list.insert(session)
    }

    /// Removes `session` from the receivers of `channel`.
    func leave(_ session: ClientSession, channel: String) {
        eventLoop.assertInEventLoop()
        guard let list = channels[channel], list.remove(session) else { return }
        if list.isEmpty {
            channels[channel] = nil
            registry.release(channel)
        }
    }

    /// Writes each event to every matching session, then flushes each touched session once — now, or,
    /// when this loop flushed less than the flush interval ago, when the interval is up.
    func deliver(_ events: [OutboundEvent]) {
        eventLoop.assertInEventLoop()
        var delivered = 0
        for event in events {
            guard let list = channels[event.channel] else { continue }
            // Market sentiment has one Redis channel per token: being on the channel's list is the filter.
            let filtered = event.kind != .marketSentiment
            for session in list.members where !filtered || session.accepts(event) {
                if session.enqueue(event) {
                    delivered += 1
                    if !session.isDirty {
                        session.isDirty = true
                        dirty.append(session)
                    }
                }
            }
        }
        if delivered > 0 { metrics.messagesOut.increment(by: delivered) }
        guard !dirty.isEmpty, scheduledFlush == nil else { return }
        let now = NIODeadline.now()
        if flushInterval == .zero || now - lastFlush >= flushInterval {
            flushDirty(now: now)
        } else {
            scheduledFlush = eventLoop.scheduleTask(deadline: lastFlush + flushInterval) {
                self.scheduledFlush = nil
                self.flushDirty(now: .now())
            }
        }
    }

    /// Flushes every session written to since the last flush.
    private func flushDirty(now: NIODeadline) {
        lastFlush = now
        metrics.connectionFlushes.increment(by: dirty.count)
        for session in dirty {
            session.isDirty = false
            session.flush()
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// Starts the periodic check of timeouts and heartbeats.
    func startSweeping(every interval: TimeAmount) {
        eventLoop.execute {
            self.sweepTask = self.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                let now = NIODeadline.now()
                for session in Array(self.sessions.values) { session.sweep(now: now) }
            }
        }
    }

    /// Applies a revocation to this loop's sessions (each closes if its token is concerned).
    func revoke(_ revocation: Revocation) {
        eventLoop.assertInEventLoop()
        for session in Array(sessions.values) { session.revoke(revocation) }
    }

    /// Revocations were learnt from Redis rather than announced: every session checks its token again.
    func recheckRevocations() {
        eventLoop.assertInEventLoop()
        for session in Array(sessions.values) { session.recheckRevocation() }
    }

    /// The gateway's Redis subscription dropped: sessions hold their live events until it is back.
    func subscriberLost() {
        eventLoop.assertInEventLoop()
        for session in sessions.values { session.subscriberLost() }
    }

    /// The Redis subscription is back (every channel subscribed again): sessions resume what they missed.
    func subscriberRestored() {
        eventLoop.assertInEventLoop()
        for session in Array(sessions.values) { session.resync() }
    }

    /// Tells every session the gateway is going away (close 1001) and stops sweeping.
    func goingAway() {
        eventLoop.assertInEventLoop()
        sweepTask?.cancel()
        for session in Array(sessions.values) { session.close(code: CloseCode.goingAway, reason: "server shutting down") }
    }
}
