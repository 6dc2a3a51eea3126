import Logging
import NIOCore

/// The event-loop-confined part of ``RedisSubscriber``: the desired set of channels, what the server has
/// confirmed on the current connection, and the promises waiting for confirmations.
final class RedisSubscriberCore: RedisConnectionDriverDelegate {
    /// A caller (or the reconnect logic) waiting until every channel in `remaining` is confirmed.
    private final class Waiter {
        var remaining: Set<String>
        let promise: EventLoopPromise<Void>

        init(remaining: Set<String>, promise: EventLoopPromise<Void>) {
            self.remaining = remaining
            self.promise = promise
        }
    }

    /// Channels per `SUBSCRIBE`/`UNSUBSCRIBE` command, so one call with many channels stays a sane size.
    static let channelsPerCommand = 1000

    let driver: RedisConnectionDriver
    private let onMessages: @Sendable ([RedisPubSubMessage]) -> Void
    private var eventLoop: any EventLoop { self.driver.eventLoop }
    /// The channels the user wants; re-subscribed after every reconnect.
    private(set) var desired: Set<String> = []
    /// Channels the server confirmed on the current connection.
    private var confirmed: Set<String> = []
    private var subscribeWaiters: [Waiter] = []
    private var unsubscribeWaiters: [Waiter] = []

    init(driver: RedisConnectionDriver, onMessages: @escaping @Sendable ([RedisPubSubMessage]) -> Void) {
        self.driver = driver
        self.onMessages = onMessages
        driver.delegate = self
    }

    /// Adds `channels` to the desired set and subscribes to the new ones if connected (connecting first if
    /// needed). `promise` succeeds once the server confirmed every channel in `channels`.
    func subscribe(_ channels: [String], promise: EventLoopPromise<Void>) {
        guard !self.driver.isShutdown else {
            promise.fail(RedisError.clientShutdown)
            return
        }
        let requested = Set(channels)
        let new = requested.subtracting(self.desired)
        self.desired.formUnion(new)
        self.addWaiter(to: &self.subscribeWaiters, for: requested.subtracting(self.confirmed), promise: promise)
        if let channel = self.driver.readyChannel {
            self.write("SUBSCRIBE", channels: channels.filter { new.contains($0) }, to: channel)
        } else {
            self.driver.start()
        }
    }

    /// Removes `channels` from the desired set and unsubscribes if connected. `promise` succeeds once the
    /// server confirmed, or at once when not connected.
    func unsubscribe(_ channels: [String], promise: EventLoopPromise<Void>) {
        guard !self.driver.isShutdown else {
            promise.fail(RedisError.clientShutdown)
            return
        }
        let requested = Set(channels)
        let removed = requested.intersection(self.desired)
        self.desired.subtract(removed)
        // Nobody needs to wait for a subscription that is no longer wanted.
        self.resolve(&self.subscribeWaiters, removing: removed)
        guard let channel = self.driver.readyChannel, !removed.isEmpty else {
            promise.succeed()
            return
        }
        // No longer confirmed from here on: a SUBSCRIBE to the same channel before Redis answered this one
        // must wait for its own confirmation, not count the old one.
        self.confirmed.subtract(removed)
        self.addWaiter(to: &self.unsubscribeWaiters, for: removed, promise: promise)
        self.write("UNSUBSCRIBE", channels: channels.filter { removed.contains($0) }, to: channel)
    }

    /// Fails every waiter and shuts the connection down.
    func shutdown() -> EventLoopFuture<Void> {
        for waiter in self.subscribeWaiters + self.unsubscribeWaiters {
            waiter.promise.fail(RedisError.clientShutdown)
        }
        self.subscribeWaiters = []
        self.unsubscribeWaiters = []
        return self.driver.shutdown()
    }

    // MARK: RedisConnectionDriverDelegate

    func makeHandler() -> RedisConnectionHandler {
        RedisConnectionHandler(
            mode: .pubSub(
                onMessages: self.onMessages,
                onSubscriptionEvent: { [weak self] event in self?.handle(event) }
            ),
            logger: self.driver.logger
        )
    }

    func connectionEstablished(_ channel: any Channel) -> EventLoopFuture<Void> {
        self.confirmed = []
        guard !self.desired.isEmpty else {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        self.driver.logger.debug("re-subscribing to Redis channels", metadata: ["redis.channels": "\(self.desired.count)"])
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.addWaiter(to: &self.subscribeWaiters, for: self.desired, promise: promise)
        self.write("SUBSCRIBE", channels: Array(self.desired), to: channel)
        return promise.futureResult
    }

    func connectionLost() {
        self.confirmed = []
        // Not connected means not subscribed: pending unsubscriptions are done.
        for waiter in self.unsubscribeWaiters {
            waiter.promise.succeed()
        }
        self.unsubscribeWaiters = []
    }

    // MARK: Private

    private func handle(_ event: RedisConnectionHandler.SubscriptionEvent) {
        switch event {
        case .subscribed(let channel, _):
            self.confirmed.insert(channel)
            self.resolve(&self.subscribeWaiters, removing: [channel])
        case .unsubscribed(let channel, _):
            // A re-subscription written after the UNSUBSCRIBE is confirmed by its own reply, which Redis sends
            // after this one: only drop the channel if it is not wanted again.
            if !self.desired.contains(channel) { self.confirmed.remove(channel) }
            self.resolve(&self.unsubscribeWaiters, removing: [channel])
        }
    }

    private func addWaiter(to waiters: inout [Waiter], for channels: Set<String>, promise: EventLoopPromise<Void>) {
        if channels.isEmpty {
            promise.succeed()
        } else {
            waiters.append(Waiter(remaining: channels, promise: promise))
        }
    }

    private func resolve(_ waiters: inout [Waiter], removing channels: Set<String>) {
        guard !channels.isEmpty, !waiters.isEmpty else {
            return
        }
        var done: [Waiter] = []
        waiters.removeAll { waiter in
            waiter.remaining.subtract(channels)
            if waiter.remaining.isEmpty {
                done.append(waiter)
                return true
            }
            return false
        }
        for waiter in done {
            waiter.promise.succeed()
        }
    }

    private func write(_ command: String, channels: [String], to channel: any Channel) {
        guard !channels.isEmpty else {
            return
        }
        var start = 0
        while start < channels.count {
            let end = min(start + Self.channelsPerCommand, channels.count)
            let payload = HiredisReader.formatCommand([command] + channels[start..<end])
            // No promise: the server answers with one push per channel, handled in `handle(_:)`.
            channel.write(RedisCommand(payload: payload, promise: nil), promise: nil)
            start = end
        }
        channel.flush()
    }
}
