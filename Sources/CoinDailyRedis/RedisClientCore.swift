import DequeModule
import Logging
import NIOCore

/// The event-loop-confined part of ``RedisClient``: the connection driver and the queue of commands
/// waiting for a connection. Every method runs on `driver.eventLoop`.
final class RedisClientCore: RedisConnectionDriverDelegate {
    /// A command not yet written to a connection.
    struct Pending: Sendable {
        var payload: ByteBuffer
        var promise: EventLoopPromise<RESPValue>
        /// When the command times out; `nil` without a command timeout.
        var deadline: NIODeadline?
    }

    let driver: RedisConnectionDriver
    private var configuration: RedisConfiguration { self.driver.configuration }
    private var eventLoop: any EventLoop { self.driver.eventLoop }
    /// Commands waiting for a connection, oldest first. Because every command gets the same timeout,
    /// deadlines are non-decreasing from front to back, so expired commands are always at the front.
    private var queue: Deque<Pending> = []

    init(driver: RedisConnectionDriver) {
        self.driver = driver
        driver.delegate = self
    }

    /// Sends `commands` (one flush for all of them) or queues them until the next connection.
    func submit(_ commands: [(payload: ByteBuffer, promise: EventLoopPromise<RESPValue>)]) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.driver.isShutdown else {
            for command in commands {
                command.promise.fail(RedisError.clientShutdown)
            }
            return
        }
        var deadline: NIODeadline?
        if let timeout = self.configuration.commandTimeout {
            let expiry = NIODeadline.now() + timeout
            deadline = expiry
            self.scheduleTimeout(for: commands.map(\.promise), at: expiry)
        }
        if let channel = self.driver.readyChannel {
            for command in commands {
                channel.write(RedisCommand(payload: command.payload, promise: command.promise), promise: nil)
            }
            channel.flush()
            return
        }
        guard self.configuration.queueWhileDisconnected else {
            for command in commands {
                command.promise.fail(RedisError.notConnected)
            }
            self.driver.start()
            return
        }
        guard self.queue.count + commands.count <= self.configuration.maxPendingCommands else {
            for command in commands {
                command.promise.fail(RedisError.tooManyPendingCommands(limit: self.configuration.maxPendingCommands))
            }
            return
        }
        for command in commands {
            self.queue.append(Pending(payload: command.payload, promise: command.promise, deadline: deadline))
        }
        self.driver.start()
    }

    /// Shuts the client down: queued commands fail with ``RedisError/clientShutdown``.
    func shutdown() -> EventLoopFuture<Void> {
        while let pending = self.queue.popFirst() {
            pending.promise.fail(RedisError.clientShutdown)
        }
        return self.driver.shutdown()
    }

    // MARK: RedisConnectionDriverDelegate

    func makeHandler() -> RedisConnectionHandler {
        RedisConnectionHandler(mode: .commands, logger: self.driver.logger)
    }

    func connectionEstablished(_ channel: any Channel) -> EventLoopFuture<Void> {
        if !self.queue.isEmpty {
            self.driver.logger.debug("writing queued Redis commands", metadata: ["redis.queued": "\(self.queue.count)"])
            while let pending = self.queue.popFirst() {
                channel.write(RedisCommand(payload: pending.payload, promise: pending.promise), promise: nil)
            }
            channel.flush()
        }
        return self.eventLoop.makeSucceededVoidFuture()
    }

    func connectionLost() {
        // In-flight commands are failed by the handler; queued ones keep waiting.
    }

    // MARK: Timeouts

    private func scheduleTimeout(for promises: [EventLoopPromise<RESPValue>], at deadline: NIODeadline) {
        let scheduled = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            for promise in promises {
                // Failing an already completed promise is a no-op.
                promise.fail(RedisError.timeout)
            }
            self.dropExpiredQueuedCommands()
        }
        let allDone: EventLoopFuture<Void>
        if promises.count == 1 {
            allDone = promises[0].futureResult.map { _ in }
        } else {
            allDone = EventLoopFuture.andAllComplete(promises.map(\.futureResult), on: self.eventLoop)
        }
        allDone.assumeIsolated().whenComplete { _ in
            scheduled.cancel()
        }
    }

    /// Removes (and fails) queued commands whose deadline has passed, so they are never sent later.
    private func dropExpiredQueuedCommands() {
        let now = NIODeadline.now()
        while let first = self.queue.first, let deadline = first.deadline, deadline <= now {
            self.queue.removeFirst()
            first.promise.fail(RedisError.timeout)
        }
    }
}
