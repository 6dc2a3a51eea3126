public import Logging
public import NIOCore

/// An asynchronous, non-blocking Redis client on SwiftNIO for ordinary commands.
///
/// - One TCP connection, on one event loop taken from the group; many commands may be in flight on it
///   at once (pipelining), and replies come back in order.
/// - Connects lazily on the first command, or at ``start()``. After the connection drops it reconnects
///   by itself with exponential backoff and jitter, sending `AUTH`/`SELECT` again when configured.
/// - Commands issued while disconnected wait in a queue bounded by ``RedisConfiguration/maxPendingCommands``
///   until the next connection, or fail with ``RedisError/timeout`` after ``RedisConfiguration/commandTimeout``
///   (if set), or at once with ``RedisError/notConnected`` when ``RedisConfiguration/queueWhileDisconnected``
///   is `false`.
/// - Commands in flight when the connection drops fail with ``RedisError/connectionClosed``; they are
///   never resent, because most commands are not idempotent.
/// - Blocking commands (`XREADGROUP ... BLOCK`, `BLPOP`) hold the connection and delay every command queued
///   behind them: use a dedicated `RedisClient` for blocking reads.
///
/// Thread-safe: every method may be called from any thread, including an event loop; no method ever blocks.
/// All connection state lives on ``eventLoop``. Call ``shutdown()`` when done.
public final class RedisClient: Sendable {
    /// The configuration this client was created with.
    public let configuration: RedisConfiguration
    /// The event loop that owns the connection; futures returned by the client complete on it.
    public let eventLoop: any EventLoop
    private let monitor: RedisConnectionMonitor
    private let core: NIOLoopBoundBox<RedisClientCore>

    /// Creates a client. Nothing connects until ``start()`` or the first command.
    ///
    /// - Parameters:
    ///   - configuration: Server address, credentials, timeouts and reconnect policy.
    ///   - eventLoopGroup: The group to take the connection's event loop from.
    ///   - logger: Logger for connection events; `redis.endpoint` metadata is added.
    public init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        var logger = logger
        logger[metadataKey: "redis.endpoint"] = "\(configuration.host):\(configuration.port)"
        let eventLoop = eventLoopGroup.next()
        let monitor = RedisConnectionMonitor()
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.monitor = monitor
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            RedisClientCore(
                driver: RedisConnectionDriver(
                    eventLoop: eventLoop,
                    configuration: configuration,
                    logger: logger,
                    monitor: monitor,
                    selectsDatabase: true
                )
            ),
            eventLoop: eventLoop
        )
    }

    // MARK: State

    /// `true` while connected and past the `AUTH`/`SELECT` handshake.
    public var isConnected: Bool {
        self.monitor.state == .connected
    }

    /// The current connection state.
    public var connectionState: RedisConnectionState {
        self.monitor.state
    }

    /// How many times the client has re-established its connection after losing it (export as a metric).
    public var reconnectCount: Int {
        self.monitor.reconnectCount
    }

    /// Called on ``eventLoop`` after every change of ``connectionState``, in order. It must not block.
    ///
    /// Set it before ``start()`` to see the first `.connected`.
    public var onConnectionStateChange: (@Sendable (RedisConnectionState) -> Void)? {
        get { self.monitor.hook }
        set { self.monitor.hook = newValue }
    }

    /// Starts connecting now instead of on the first command. Returns at once; does nothing if already started.
    public func start() {
        self.onLoop { core in core.driver.start() }
    }

    /// Closes the connection and stops reconnecting. Queued commands fail with ``RedisError/clientShutdown``,
    /// commands in flight with ``RedisError/connectionClosed``, and later commands with
    /// ``RedisError/clientShutdown``. Returns when the connection is closed. Safe to call more than once.
    public func shutdown() async {
        let core = self.core
        let closed = self.eventLoop.flatSubmit { core.value.shutdown() }
        try? await closed.get()
    }

    // MARK: Sending

    /// Sends one command and returns its reply; an error reply is returned as ``RESPValue/error(_:)``.
    ///
    /// - Throws: ``RedisError`` for transport problems (closed connection, timeout, queue full, shutdown).
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await self.sendFuture(arguments).get()
    }

    /// Sends one command with binary-safe arguments.
    public func send(_ arguments: [ByteBuffer]) async throws -> RESPValue {
        try await self.sendFuture(arguments).get()
    }

    /// Sends one command with binary-safe arguments given as byte arrays.
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        try await self.sendFuture(arguments).get()
    }

    /// Sends one command and throws ``RedisError/server(_:)`` if Redis answers with an error reply.
    public func sendChecked(_ arguments: [String]) async throws -> RESPValue {
        try Self.checked(try await self.send(arguments))
    }

    /// Binary-safe variant of `sendChecked` with `ByteBuffer` arguments.
    public func sendChecked(_ arguments: [ByteBuffer]) async throws -> RESPValue {
        try Self.checked(try await self.send(arguments))
    }

    /// Sends one command without `async`, e.g. from a channel handler. The future completes on ``eventLoop``.
    public func sendFuture(_ arguments: [String]) -> EventLoopFuture<RESPValue> {
        guard !arguments.isEmpty else {
            return self.eventLoop.makeFailedFuture(RedisError.invalidCommand("empty argument list"))
        }
        return self.submit(HiredisReader.formatCommand(arguments))
    }

    /// Binary-safe variant of `sendFuture` with `ByteBuffer` arguments.
    public func sendFuture(_ arguments: [ByteBuffer]) -> EventLoopFuture<RESPValue> {
        guard !arguments.isEmpty else {
            return self.eventLoop.makeFailedFuture(RedisError.invalidCommand("empty argument list"))
        }
        return self.submit(HiredisReader.formatCommand(arguments))
    }

    /// Binary-safe variant of `sendFuture` with byte-array arguments.
    public func sendFuture(_ arguments: [[UInt8]]) -> EventLoopFuture<RESPValue> {
        guard !arguments.isEmpty else {
            return self.eventLoop.makeFailedFuture(RedisError.invalidCommand("empty argument list"))
        }
        return self.submit(HiredisReader.formatCommand(arguments))
    }

    /// Writes all `commands` back to back with a single flush and returns their replies in order
    /// (error replies as ``RESPValue/error(_:)``).
    ///
    /// - Throws: the first ``RedisError`` of any command that got no reply (e.g. the connection closed).
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        try await self.pipelineFuture(commands).get()
    }

    /// Future-based variant of ``pipeline(_:)``.
    public func pipelineFuture(_ commands: [[String]]) -> EventLoopFuture<[RESPValue]> {
        guard !commands.isEmpty else {
            return self.eventLoop.makeSucceededFuture([])
        }
        guard !commands.contains(where: \.isEmpty) else {
            return self.eventLoop.makeFailedFuture(RedisError.invalidCommand("empty argument list in pipeline"))
        }
        let eventLoop = self.eventLoop
        let batch = commands.map { command in
            (payload: HiredisReader.formatCommand(command), promise: eventLoop.makePromise(of: RESPValue.self))
        }
        let futures = batch.map { $0.promise.futureResult }
        self.onLoop { core in core.submit(batch) }
        return EventLoopFuture.whenAllSucceed(futures, on: self.eventLoop)
    }

    // MARK: Private

    private func submit(_ payload: ByteBuffer) -> EventLoopFuture<RESPValue> {
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        self.onLoop { core in core.submit([(payload, promise)]) }
        return promise.futureResult
    }

    /// Runs `body` on the client's event loop: directly when already there (keeping the caller's order),
    /// otherwise via `execute`, which keeps the order of calls made from one thread.
    private func onLoop(_ body: @escaping @Sendable (RedisClientCore) -> Void) {
        let core = self.core
        if self.eventLoop.inEventLoop {
            body(core.value)
        } else {
            self.eventLoop.execute { body(core.value) }
        }
    }

    private static func checked(_ value: RESPValue) throws -> RESPValue {
        if case .error(let message) = value {
            throw RedisError.server(message)
        }
        return value
    }
}
