public import Logging
public import NIOCore

/// A dedicated Redis pub/sub connection that keeps a desired set of channels subscribed across reconnects.
///
/// Messages are delivered to `onMessages` on the subscriber's ``eventLoop``, once per socket read batch
/// (all messages parsed from one read, in order), and never with an empty array. This is a hot path: the
/// callback must return quickly and never wait on anything (Redis drops a subscriber whose output buffer
/// grows past its limit), e.g. hand the batch to other event loops and return.
///
/// ``subscribe(_:)`` and ``unsubscribe(_:)`` may be called from any thread at any time. The subscriber
/// connects on ``start()`` or the first ``subscribe(_:)``; after the connection drops it reconnects by itself
/// with the same exponential backoff as ``RedisClient`` and re-subscribes every desired channel; only then
/// does ``connectionState`` become `.connected` again. Messages published while disconnected are lost
/// (that is pub/sub): use ``onConnectionStateChange`` to reload state after a reconnect.
public final class RedisSubscriber: Sendable {
    /// The configuration this subscriber was created with (``RedisConfiguration/database`` is not used).
    public let configuration: RedisConfiguration
    /// The event loop that owns the connection and runs `onMessages` and the state-change hook.
    public let eventLoop: any EventLoop
    private let monitor: RedisConnectionMonitor
    private let core: NIOLoopBoundBox<RedisSubscriberCore>

    /// Creates a subscriber; nothing connects until ``start()`` or the first ``subscribe(_:)``.
    ///
    /// - Parameters:
    ///   - configuration: Server address, credentials and reconnect policy.
    ///   - eventLoopGroup: The group to take the connection's event loop from.
    ///   - logger: Logger for connection events; `redis.endpoint` and `redis.role` metadata are added.
    ///   - onMessages: Called on ``eventLoop`` with the messages of one read batch (never empty). Must not block.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onMessages: @escaping @Sendable ([RedisPubSubMessage]) -> Void
    ) {
        var logger = logger
        logger[metadataKey: "redis.endpoint"] = "\(configuration.host):\(configuration.port)"
        logger[metadataKey: "redis.role"] = "subscriber"
        let eventLoop = eventLoopGroup.next()
        let monitor = RedisConnectionMonitor()
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.monitor = monitor
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            RedisSubscriberCore(
                driver: RedisConnectionDriver(
                    eventLoop: eventLoop,
                    configuration: configuration,
                    logger: logger,
                    monitor: monitor,
                    selectsDatabase: false
                ),
                onMessages: onMessages
            ),
            eventLoop: eventLoop
        )
    }

    // MARK: State

    /// `true` while connected with every desired channel subscribed.
    public var isConnected: Bool {
        self.monitor.state == .connected
    }

    /// The current connection state.
    public var connectionState: RedisConnectionState {
        self.monitor.state
    }

    /// How many times the subscriber has re-established its connection after losing it (export as a metric).
    public var reconnectCount: Int {
        self.monitor.reconnectCount
    }

    /// Called on ``eventLoop`` after every change of ``connectionState``, in order; `.connected` after a
    /// reconnect means every desired channel is subscribed again. It must not block.
    public var onConnectionStateChange: (@Sendable (RedisConnectionState) -> Void)? {
        get { self.monitor.hook }
        set { self.monitor.hook = newValue }
    }

    /// Starts connecting now. Returns at once; does nothing if already started.
    public func start() {
        self.onLoop { core in core.driver.start() }
    }

    // MARK: Subscriptions

    /// Adds `channels` to the desired set and subscribes to them (at once if connected, otherwise on connect).
    ///
    /// The returned future (on ``eventLoop``) succeeds when Redis has confirmed every channel, which may be
    /// after a reconnect; it fails with ``RedisError/clientShutdown`` if the subscriber is shut down first.
    /// From `async` code: `try await subscriber.subscribe(["a"]).get()`.
    @discardableResult
    public func subscribe(_ channels: [String]) -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.onLoop { core in core.subscribe(channels, promise: promise) }
        return promise.futureResult
    }

    /// Removes `channels` from the desired set and unsubscribes from them if connected.
    ///
    /// The returned future succeeds when Redis has confirmed (or at once when not connected). Messages
    /// already in flight on the connection may still be delivered for a short while.
    @discardableResult
    public func unsubscribe(_ channels: [String]) -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.onLoop { core in core.unsubscribe(channels, promise: promise) }
        return promise.futureResult
    }

    /// The desired set of channels (what is, or will be after reconnecting, subscribed).
    public func desiredChannels() async -> Set<String> {
        let core = self.core
        return (try? await self.eventLoop.submit { core.value.desired }.get()) ?? []
    }

    /// Closes the connection and stops reconnecting; pending `subscribe` futures fail with
    /// ``RedisError/clientShutdown``. Returns when the connection is closed. Safe to call more than once.
    public func shutdown() async {
        let core = self.core
        let closed = self.eventLoop.flatSubmit { core.value.shutdown() }
        try? await closed.get()
    }

    // MARK: Private

    private func onLoop(_ body: @escaping @Sendable (RedisSubscriberCore) -> Void) {
        let core = self.core
        if self.eventLoop.inEventLoop {
            body(core.value)
        } else {
            self.eventLoop.execute { body(core.value) }
        }
    }
}
