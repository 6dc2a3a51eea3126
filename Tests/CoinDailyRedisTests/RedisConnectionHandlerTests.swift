import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import CoinDailyRedis

/// Drives ``RedisConnectionHandler`` in an `EmbeddedChannel` and compares exact bytes; no sockets, no sleeps.
/// Tests are synchronous because `EmbeddedEventLoop` must be used from the thread that created it.
@Suite("RedisConnectionHandler")
struct RedisConnectionHandlerTests {
    private static let logger: Logger = {
        var logger = Logger(label: "test.handler")
        logger.logLevel = .critical
        return logger
    }()

    /// Records the result of a future (completed synchronously on the embedded loop).
    private final class Outcome {
        var result: Result<RESPValue, any Error>?

        var value: RESPValue? { try? self.result?.get() }

        var error: RedisError? {
            if case .failure(let error) = self.result {
                return error as? RedisError
            }
            return nil
        }
    }

    private func makeChannel(_ mode: RedisConnectionHandler.Mode) throws -> (EmbeddedChannel, RedisConnectionHandler) {
        let handler = RedisConnectionHandler(mode: mode, logger: Self.logger)
        let channel = EmbeddedChannel(handler: handler)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 6379), promise: nil)
        return (channel, handler)
    }

    private func send(_ arguments: [String], on channel: EmbeddedChannel) throws -> Outcome {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let outcome = Outcome()
        promise.futureResult.assumeIsolated().whenComplete { outcome.result = $0 }
        do {
            try channel.writeOutbound(RedisCommand(payload: HiredisReader.formatCommand(arguments), promise: promise))
        } catch RedisError.connectionClosed {
            // The write itself failed (closed connection); the outcome records what happened to the reply.
        }
        return outcome
    }

    private func outbound(_ channel: EmbeddedChannel) throws -> String? {
        try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
    }

    @Test("pipelined commands are written as exact bytes and fulfilled in order from split replies")
    func pipelining() throws {
        let (channel, handler) = try self.makeChannel(.commands)
        let get = try self.send(["GET", "a"], on: channel)
        let set = try self.send(["SET", "b", "1"], on: channel)
        let incr = try self.send(["INCR", "c"], on: channel)
        let missing = try self.send(["GET", "none"], on: channel)

        #expect(try self.outbound(channel) == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        #expect(try self.outbound(channel) == "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1\r\n")
        #expect(try self.outbound(channel) == "*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n")
        #expect(try self.outbound(channel) == "*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n")
        #expect(try self.outbound(channel) == nil)
        #expect(handler.inFlightCount == 4)

        try channel.writeInbound(ByteBuffer(string: "$5\r\nhel"))
        #expect(get.result == nil)
        try channel.writeInbound(ByteBuffer(string: "lo\r\n+OK\r\n:4"))
        #expect(get.value == .bulkString(ByteBuffer(string: "hello")))
        #expect(set.value == .simpleString("OK"))
        #expect(incr.result == nil)
        try channel.writeInbound(ByteBuffer(string: "2\r\n$-1\r\n"))
        #expect(incr.value == .integer(42))
        #expect(missing.value == .bulkString(nil))
        #expect(handler.inFlightCount == 0)
        #expect(try channel.finish().isClean)
    }

    @Test("an error reply fulfils its promise with .error, not a failure")
    func errorReply() throws {
        let (channel, _) = try self.makeChannel(.commands)
        let bad = try self.send(["NOPE"], on: channel)
        _ = try self.outbound(channel)
        try channel.writeInbound(ByteBuffer(string: "-ERR unknown command 'NOPE'\r\n"))
        #expect(bad.value == .error("ERR unknown command 'NOPE'"))
        _ = try channel.finish()
    }

    @Test("commands in flight fail with connectionClosed when the connection closes; later writes fail at once")
    func closeFailsInFlight() throws {
        let (channel, handler) = try self.makeChannel(.commands)
        let first = try self.send(["GET", "a"], on: channel)
        let second = try self.send(["GET", "b"], on: channel)
        try channel.writeInbound(ByteBuffer(string: "+first\r\n"))
        #expect(first.value == .simpleString("first"))
        #expect(second.result == nil)

        channel.pipeline.fireChannelInactive()
        #expect(second.error == .connectionClosed)
        #expect(handler.inFlightCount == 0)

        let late = try self.send(["PING"], on: channel)
        #expect(late.error == .connectionClosed)
        _ = try? channel.finish()
    }

    @Test("garbage from the server fails commands with protocolError and closes the channel")
    func protocolErrorCloses() throws {
        let (channel, _) = try self.makeChannel(.commands)
        let pending = try self.send(["GET", "a"], on: channel)
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "?what\r\n"))
        guard case .protocolError = pending.error else {
            Issue.record("expected protocolError, got \(String(describing: pending.result))")
            return
        }
        #expect(!channel.isActive)
    }

    @Test("a reply nobody asked for closes a command connection")
    func unexpectedReplyCloses() throws {
        let (channel, _) = try self.makeChannel(.commands)
        try channel.writeInbound(ByteBuffer(string: "+surprise\r\n"))
        #expect(!channel.isActive)
    }

    @Test("pub/sub pushes are delivered once per read batch, in order, never empty")
    func pubSubBatches() throws {
        let batches = NIOLockedValueBox<[[RedisPubSubMessage]]>([])
        var events: [RedisConnectionHandler.SubscriptionEvent] = []
        let (channel, _) = try self.makeChannel(
            .pubSub(
                onMessages: { batch in batches.withLockedValue { $0.append(batch) } },
                onSubscriptionEvent: { events.append($0) }
            )
        )
        func message(_ channel: String, _ payload: String) -> String {
            "*3\r\n$7\r\nmessage\r\n$\(channel.utf8.count)\r\n\(channel)\r\n$\(payload.utf8.count)\r\n\(payload)\r\n"
        }

        // One read: a confirmation, two messages, a pattern message, all in one buffer.
        try channel.writeInbound(
            ByteBuffer(
                string: "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" + message("ch", "one") + message("ch", "two")
                    + "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\ncx\r\n$5\r\nthree\r\n"
            )
        )
        #expect(events == [.subscribed("ch", count: 1)])
        #expect(
            batches.withLockedValue { $0 } == [
                [
                    RedisPubSubMessage(channel: "ch", payload: ByteBuffer(string: "one")),
                    RedisPubSubMessage(channel: "ch", payload: ByteBuffer(string: "two")),
                    RedisPubSubMessage(channel: "cx", payload: ByteBuffer(string: "three")),
                ]
            ]
        )

        // Two reads (the second completing a message split across them), one read-complete: one batch.
        let wire = message("ch", "four") + message("other", "five")
        let split = wire.utf8.count - 5
        channel.pipeline.fireChannelRead(ByteBuffer(string: String(wire.prefix(split))))
        channel.pipeline.fireChannelRead(ByteBuffer(string: String(wire.dropFirst(split))))
        #expect(batches.withLockedValue { $0.count } == 1, "nothing is delivered before channelReadComplete")
        channel.pipeline.fireChannelReadComplete()
        #expect(batches.withLockedValue { $0.count } == 2)
        #expect(
            batches.withLockedValue { $0.last } == [
                RedisPubSubMessage(channel: "ch", payload: ByteBuffer(string: "four")),
                RedisPubSubMessage(channel: "other", payload: ByteBuffer(string: "five")),
            ]
        )

        // Reads without messages never produce an empty batch.
        try channel.writeInbound(ByteBuffer(string: "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"))
        channel.pipeline.fireChannelReadComplete()
        #expect(batches.withLockedValue { $0.count } == 2)
        #expect(events == [.subscribed("ch", count: 1), .unsubscribed("ch", count: 0)])
        _ = try channel.finish()
    }

    @Test("on a pub/sub connection, ordinary replies still fulfil the FIFO and SUBSCRIBE has no promise")
    func pubSubOrdinaryReplies() throws {
        let batches = NIOLockedValueBox<[[RedisPubSubMessage]]>([])
        let (channel, handler) = try self.makeChannel(
            .pubSub(onMessages: { batch in batches.withLockedValue { $0.append(batch) } }, onSubscriptionEvent: { _ in })
        )
        let auth = try self.send(["AUTH", "pw"], on: channel)
        try channel.writeOutbound(RedisCommand(payload: HiredisReader.formatCommand(["SUBSCRIBE", "a", "b"]), promise: nil))
        let ping = try self.send(["PING"], on: channel)
        #expect(try self.outbound(channel) == "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n")
        #expect(try self.outbound(channel) == "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n")
        #expect(try self.outbound(channel) == "*1\r\n$4\r\nPING\r\n")
        #expect(handler.inFlightCount == 2)

        try channel.writeInbound(
            ByteBuffer(
                string: "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                    + "*2\r\n$4\r\npong\r\n$0\r\n\r\n"
            )
        )
        #expect(auth.value == .simpleString("OK"))
        #expect(ping.value == .array([.bulkString(ByteBuffer(string: "pong")), .bulkString(ByteBuffer())]))
        #expect(batches.withLockedValue { $0.isEmpty })
        _ = try channel.finish()
    }
}
