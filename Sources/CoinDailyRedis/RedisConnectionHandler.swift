import DequeModule
import Logging
import NIOCore

/// The channel handler of one Redis connection: encodes nothing itself (commands arrive already in RESP),
/// parses replies with ``HiredisReader`` and fulfils a FIFO of promises, so any number of commands may be
/// in flight at once (pipelining).
///
/// In pub/sub mode, `message` and `pmessage` pushes are collected during a read and handed to the
/// `onMessages` callback once per read batch, in `channelReadComplete`, never with an empty array;
/// `subscribe`/`unsubscribe` confirmations go to `onSubscriptionEvent`. Every other reply (to `AUTH`,
/// `PING`, ...) still fulfils the FIFO.
///
/// When the connection closes, every command in flight fails with ``RedisError/connectionClosed``; commands
/// are never resent. A protocol error fails them with ``RedisError/protocolError(_:)`` and closes the channel.
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    /// A subscription confirmation from the server.
    enum SubscriptionEvent: Equatable, Sendable {
        /// `subscribe` or `psubscribe` confirmation: the channel (or pattern) and the connection's new count.
        case subscribed(String, count: Int64)
        /// `unsubscribe` or `punsubscribe` confirmation.
        case unsubscribed(String, count: Int64)
    }

    /// What the connection is for.
    enum Mode {
        /// Ordinary request/response commands.
        case commands
        /// A subscriber connection.
        case pubSub(
            onMessages: @Sendable ([RedisPubSubMessage]) -> Void,
            onSubscriptionEvent: (SubscriptionEvent) -> Void
        )
    }

    private let mode: Mode
    private let reader: HiredisReader
    private let logger: Logger
    /// Promises of the commands in flight, oldest first.
    private var inFlight: Deque<EventLoopPromise<RESPValue>> = []
    /// Messages parsed during the current read batch.
    private var batch: [RedisPubSubMessage] = []
    /// Set once the channel went inactive, the handler was removed, or the input was unusable.
    private var isClosed = false

    /// Creates a handler.
    init(mode: Mode, logger: Logger, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.mode = mode
        self.logger = logger
        self.reader = HiredisReader(allocator: allocator)
    }

    /// Number of commands waiting for their reply (for tests and diagnostics).
    var inFlightCount: Int {
        self.inFlight.count
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = self.unwrapOutboundIn(data)
        guard !self.isClosed else {
            command.promise?.fail(RedisError.connectionClosed)
            promise?.fail(RedisError.connectionClosed)
            return
        }
        if let reply = command.promise {
            self.inFlight.append(reply)
        }
        context.write(self.wrapOutboundOut(command.payload), promise: promise)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isClosed else {
            return
        }
        let buffer = self.unwrapInboundIn(data)
        do {
            try self.reader.feed(buffer)
            if case .pubSub = self.mode {
                while !self.isClosed, let reply = try self.reader.nextPubSub() {
                    switch reply {
                    case .message(let message):
                        self.batch.append(message)
                    case .other(let value):
                        self.handle(value, context: context)
                    }
                }
            } else {
                while !self.isClosed, let value = try self.reader.next() {
                    self.handle(value, context: context)
                }
            }
        } catch {
            self.logger.error("Redis protocol error, closing connection", metadata: ["error": "\(error)"])
            self.closeAndFailAll(context: context, error: error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.deliverBatch()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.deliverBatch()
        self.isClosed = true
        self.failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deliverBatch()
        self.isClosed = true
        self.failAll(RedisError.connectionClosed)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("Redis connection error, closing", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Private

    private func handle(_ value: RESPValue, context: ChannelHandlerContext) {
        if case .pubSub(_, let onSubscriptionEvent) = self.mode, case .array(let items?) = value, items.count >= 3,
            self.handlePush(items, onSubscriptionEvent: onSubscriptionEvent)
        {
            return
        }
        guard let promise = self.inFlight.popFirst() else {
            if case .commands = self.mode {
                self.logger.error("Redis reply without a pending command, closing", metadata: ["reply": "\(value)"])
                self.closeAndFailAll(context: context, error: RedisError.protocolError("reply without a pending command"))
            } else {
                self.logger.error("unexpected reply on Redis pub/sub connection", metadata: ["reply": "\(value)"])
            }
            return
        }
        promise.succeed(value)
    }

    /// Handles a pub/sub push; returns `false` if `items` is not one (it is then an ordinary reply).
    private func handlePush(_ items: [RESPValue], onSubscriptionEvent: (SubscriptionEvent) -> Void) -> Bool {
        guard case .bulkString(let kindBytes?) = items[0] else {
            return false
        }
        switch (String(buffer: kindBytes), items.count) {
        case ("message", 3):
            guard let channel = items[1].string else {
                return false
            }
            self.batch.append(RedisPubSubMessage(channel: channel, payload: items[2].bytes ?? ByteBuffer()))
        case ("pmessage", 4):
            guard let channel = items[2].string else {
                return false
            }
            self.batch.append(RedisPubSubMessage(channel: channel, payload: items[3].bytes ?? ByteBuffer()))
        case ("subscribe", 3), ("psubscribe", 3):
            if let channel = items[1].string, case .integer(let count) = items[2] {
                onSubscriptionEvent(.subscribed(channel, count: count))
            }
        case ("unsubscribe", 3), ("punsubscribe", 3):
            // The channel is null when unsubscribing from everything while subscribed to nothing.
            if let channel = items[1].string, case .integer(let count) = items[2] {
                onSubscriptionEvent(.unsubscribed(channel, count: count))
            }
        default:
            return false
        }
        return true
    }

    private func deliverBatch() {
        guard !self.batch.isEmpty, case .pubSub(let onMessages, _) = self.mode else {
            return
        }
        let messages = self.batch
        self.batch.removeAll(keepingCapacity: true)
        onMessages(messages)
    }

    private func closeAndFailAll(context: ChannelHandlerContext, error: any Error) {
        self.deliverBatch()
        self.isClosed = true
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = self.inFlight.popFirst() {
            promise.fail(error)
        }
    }
}
