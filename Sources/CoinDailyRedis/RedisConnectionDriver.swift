import Logging
import NIOCore
import NIOPosix

/// Keeps one Redis connection up: connects, authenticates, selects the database, and reconnects with
/// ``RedisReconnectBackoff`` whenever the connection drops or an attempt fails, until ``shutdown()``.
///
/// Confined to `eventLoop`: every method must be called on it, and every callback runs on it. The channel
/// is created on the same loop, so writes from the owner are direct calls into the pipeline.
final class RedisConnectionDriver {
    private enum State {
        case idle
        case connecting(generation: UInt64, channel: (any Channel)?)
        case connected(generation: UInt64, channel: any Channel)
        case waitingToReconnect(Scheduled<Void>)
        case shutdown
    }

    let eventLoop: any EventLoop
    let configuration: RedisConfiguration
    let logger: Logger
    let monitor: RedisConnectionMonitor
    /// Whether `SELECT database` and the configured handshake commands are part of the handshake (not for pub/sub).
    private let selectsDatabase: Bool
    private let backoff: RedisReconnectBackoff
    weak var delegate: (any RedisConnectionDriverDelegate)?

    private var state: State = .idle
    private var generation: UInt64 = 0
    private var failedAttempts = 0
    private var hasConnectedBefore = false

    init(
        eventLoop: any EventLoop,
        configuration: RedisConfiguration,
        logger: Logger,
        monitor: RedisConnectionMonitor,
        selectsDatabase: Bool
    ) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.monitor = monitor
        self.selectsDatabase = selectsDatabase
        self.backoff = RedisReconnectBackoff(
            initial: configuration.reconnectBackoffInitial,
            maximum: configuration.reconnectBackoffMax
        )
    }

    /// The channel when connected and ready for commands (handshake done), otherwise `nil`.
    var readyChannel: (any Channel)? {
        if case .connected(_, let channel) = self.state, channel.isActive {
            return channel
        }
        return nil
    }

    /// `true` once ``shutdown()`` was called.
    var isShutdown: Bool {
        if case .shutdown = self.state {
            return true
        }
        return false
    }

    /// Starts connecting if nothing has been started yet; otherwise does nothing.
    func start() {
        self.eventLoop.preconditionInEventLoop()
        if case .idle = self.state {
            self.connect()
        }
    }

    /// Stops reconnecting and closes the connection; the future completes once the channel is closed.
    func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        var channel: (any Channel)?
        switch self.state {
        case .shutdown:
            return self.eventLoop.makeSucceededVoidFuture()
        case .idle:
            break
        case .waitingToReconnect(let scheduled):
            scheduled.cancel()
        case .connecting(_, let connecting):
            channel = connecting
        case .connected(_, let connected):
            channel = connected
        }
        self.state = .shutdown
        self.monitor.transition(to: .shutdown)
        guard let channel else {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        channel.close(promise: nil)
        return channel.closeFuture
    }

    // MARK: Connecting

    private func connect() {
        self.generation &+= 1
        let generation = self.generation
        self.state = .connecting(generation: generation, channel: nil)
        self.logger.debug("connecting to Redis")
        guard let delegate = self.delegate else {
            // The owner is gone; nobody can use a connection.
            self.state = .idle
            return
        }
        let handler = NIOLoopBound(delegate.makeHandler(), eventLoop: self.eventLoop)
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            .connect(host: self.configuration.host, port: self.configuration.port)
            .assumeIsolated()
            .whenComplete { result in
                self.connectCompleted(generation: generation, result: result)
            }
    }

    private func connectCompleted(generation: UInt64, result: Result<any Channel, any Error>) {
        guard case .connecting(let current, _) = self.state, current == generation else {
            // Shut down (or superseded) while connecting: drop the new connection.
            if case .success(let channel) = result {
                channel.close(promise: nil)
            }
            return
        }
        switch result {
        case .failure(let error):
            self.logger.debug("connecting to Redis failed", metadata: ["error": "\(error)"])
            self.scheduleReconnect()
        case .success(let channel):
            self.state = .connecting(generation: generation, channel: channel)
            channel.closeFuture.assumeIsolated().whenComplete { _ in
                self.channelClosed(generation: generation)
            }
            // If the channel was already closed, the callback above has just scheduled the reconnect.
            guard case .connecting(let stillCurrent, _) = self.state, stillCurrent == generation else {
                return
            }
            guard channel.isActive else {
                channel.close(promise: nil)
                return
            }
            self.handshake(channel: channel, generation: generation)
        }
    }

    private func handshake(channel: any Channel, generation: UInt64) {
        var commands: [[String]] = []
        if let password = self.configuration.password {
            if let username = self.configuration.username {
                commands.append(["AUTH", username, password])
            } else {
                commands.append(["AUTH", password])
            }
        }
        if self.selectsDatabase {
            if self.configuration.database != 0 { commands.append(["SELECT", String(self.configuration.database)]) }
            commands += self.configuration.handshakeCommands
        }
        guard !commands.isEmpty else {
            self.handshakeSucceeded(channel: channel, generation: generation)
            return
        }
        var replies: [EventLoopFuture<RESPValue>] = []
        for command in commands {
            let promise = self.eventLoop.makePromise(of: RESPValue.self)
            replies.append(promise.futureResult)
            channel.write(RedisCommand(payload: HiredisReader.formatCommand(command), promise: promise), promise: nil)
        }
        channel.flush()
        let timeout = self.eventLoop.assumeIsolated().scheduleTask(in: self.configuration.connectTimeout) {
            self.logger.warning("Redis handshake timed out, closing connection")
            channel.close(promise: nil)
        }
        EventLoopFuture.whenAllComplete(replies, on: self.eventLoop).assumeIsolated().whenSuccess { results in
            timeout.cancel()
            guard case .connecting(let current, _) = self.state, current == generation else {
                return
            }
            for (command, result) in zip(commands, results) {
                switch result {
                case .success(.error(let message)):
                    // LOADING: Redis is reading its data after a restart; the reconnect waits for it.
                    self.logger.log(
                        level: message.hasPrefix("LOADING") ? .notice : .error,
                        "Redis rejected handshake command, closing connection",
                        metadata: ["redis.command": "\(command[0])", "error": "\(message)"]
                    )
                    channel.close(promise: nil)
                    return
                case .failure:
                    // The channel is closing; channelClosed schedules the reconnect.
                    channel.close(promise: nil)
                    return
                case .success:
                    continue
                }
            }
            self.handshakeSucceeded(channel: channel, generation: generation)
        }
    }

    private func handshakeSucceeded(channel: any Channel, generation: UInt64) {
        guard channel.isActive else {
            // Closing: its close callback schedules the reconnect. Never write to a closed channel, as the
            // promises of commands written there would not be completed by the (removed) handler.
            channel.close(promise: nil)
            return
        }
        self.state = .connected(generation: generation, channel: channel)
        self.failedAttempts = 0
        if self.hasConnectedBefore {
            self.monitor.recordReconnect()
        }
        self.hasConnectedBefore = true
        self.logger.debug("connected to Redis")
        let ready = self.delegate?.connectionEstablished(channel) ?? self.eventLoop.makeSucceededVoidFuture()
        ready.assumeIsolated().whenSuccess {
            if case .connected(let current, _) = self.state, current == generation {
                self.monitor.transition(to: .connected)
            }
        }
    }

    // MARK: Losing the connection

    private func channelClosed(generation: UInt64) {
        switch self.state {
        case .connecting(let current, _) where current == generation,
            .connected(let current, _) where current == generation:
            let wasConnected = self.monitor.state == .connected
            if wasConnected {
                self.logger.warning("Redis connection lost, reconnecting")
            }
            self.monitor.transition(to: .disconnected)
            self.delegate?.connectionLost()
            self.scheduleReconnect()
        default:
            return
        }
    }

    private func scheduleReconnect() {
        self.failedAttempts += 1
        let delay = self.backoff.delay(attempt: self.failedAttempts)
        self.logger.debug(
            "reconnecting to Redis after delay",
            metadata: ["redis.attempt": "\(self.failedAttempts)", "redis.delay_ms": "\(delay.nanoseconds / 1_000_000)"]
        )
        let scheduled = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            if case .waitingToReconnect = self.state {
                self.connect()
            }
        }
        self.state = .waitingToReconnect(scheduled)
    }
}
