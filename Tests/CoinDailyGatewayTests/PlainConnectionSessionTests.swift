import CoinDailyProtocol
import CoinDailyRedis
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing

@testable import CoinDailyGateway

@Suite("PlainConnectionHandler: session life")
struct PlainConnectionSessionTests {
    @Test("re-authenticating with fewer roles drops what the new token does not allow and re-routes task updates")
    func reauthFewerRoles() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await PlainConnectionFanOutTests.connected(harness, "alice", roles: ["admin", "user"])
        try await channel.send(#"{"type":"subscribe_system_health"}"#)
        _ = try await channel.nextText()
        try await channel.send(#"{"type":"subscribe_task_updates"}"#)
        _ = try await channel.nextText()
        #expect(harness.registry.channels == ["cd:ev:system_health", "cd:ev:task_updates"])

        let (token, expiresAt) = try await harness.token("alice", roles: ["user"])
        #expect(
            try await channel.authenticate(token, id: "re")
                == #"{"type":"auth_success","data":{"expiresAt":\#(expiresAt),"roles":["user"],"userId":"alice"},"id":"re","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == ["cd:ev:task_updates:user:alice"])
        let health = try publishedEvent(channel: "cd:ev:system_health", type: "system_health_update", data: ["status": "ok"])
        try await harness.deliver([health])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("re-authenticating as another user is refused and keeps the first identity")
    func reauthOtherUser() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await PlainConnectionFanOutTests.connected(harness, "alice")
        let (token, _) = try await harness.token("mallory", roles: ["admin"])
        #expect(
            try await channel.authenticate(token, id: "x")
                == #"{"type":"auth_error","error":{"code":"AUTH_FAILED","message":"Authentication failed: token belongs to another user than this connection"},"id":"x","timestamp":1700000000000}"#
        )
        #expect(try await harness.withSession(channel) { $0.identity?.userId } == "alice")
        try await channel.send(#"{"type":"subscribe_system_health","id":"h"}"#)
        #expect(try await channel.nextText().contains("forbidden"))
        try await harness.shutdown()
    }

    @Test("after the ping interval the server sends a WebSocket ping")
    func keepAlive() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(pingInterval: .seconds(25)))
        let channel = try await PlainConnectionFanOutTests.connected(harness)
        try await harness.withSession(channel) { $0.sweep(now: .now() + .seconds(20)) }
        #expect(try await channel.drainFrames() == [])
        try await harness.withSession(channel) { $0.sweep(now: .now() + .seconds(26)) }
        #expect(try await channel.drainFrames() == [ServerFrame(fin: true, opcode: 0x9, payload: [])])
        try await harness.shutdown()
    }

    @Test("a frame-length error from the decoder closes with 1009; another WebSocket error with 1002")
    func decoderErrors() async throws {
        let harness = try await GatewayHarness.make()
        let tooBig = try await harness.connect()
        tooBig.pipeline.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
        let frames = try await tooBig.drainFrames()
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames.first?.close?.code == 1009)
        #expect(frames.first?.close?.reason == "frame too large")

        let broken = try await harness.connect()
        broken.pipeline.fireErrorCaught(NIOWebSocketError.fragmentedControlFrame)
        let brokenFrames = try await broken.drainFrames()
        #expect(brokenFrames.first?.close?.code == 1002)
        #expect(brokenFrames.first?.close?.reason == "protocol error")
        try await harness.shutdown()
    }

    @Test("a connection that stops being writable is closed as a slow consumer (3008) and gets no more events")
    func slowConsumer() async throws {
        let (harness, channel) = try await Self.subscribedThenUnwritable()
        #expect(try await channel.drainFrames().isEmpty, "closed before the grace period")
        await harness.loop.advanceTime(by: .milliseconds(harness.context.configuration.slowConsumerGrace.milliseconds))
        let frames = try await channel.drainFrames()
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames.first?.close?.code == 3008)
        #expect(frames.first?.close?.reason == "slow")
        #expect(harness.registry.channels == [])
        try await harness.shutdown()
    }

    /// A connection subscribed to BTC whose socket just stopped being writable.
    static func subscribedThenUnwritable() async throws -> (GatewayHarness, NIOAsyncTestingChannel) {
        let harness = try await GatewayHarness.make()
        let channel = try await PlainConnectionFanOutTests.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC"]}}"#)
        _ = try await channel.nextText()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        return (harness, channel)
    }

    @Test("a connection writable again within the grace period is kept")
    func slowConsumerCatchesUp() async throws {
        let (harness, channel) = try await Self.subscribedThenUnwritable()
        await harness.loop.advanceTime(by: .milliseconds(harness.context.configuration.slowConsumerGrace.milliseconds / 2))
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        await harness.loop.advanceTime(by: .seconds(10))
        #expect(try await channel.drainFrames().isEmpty)
        #expect(harness.registry.channels == ["cd:ev:market_sentiment:BTC"])
        try await harness.shutdown()
    }

    @Test("a snapshot while Redis is unreachable is SERVER_ERROR")
    func snapshotUnavailable() async throws {
        let harness = try await GatewayHarness.make(queueRedisCommands: false)
        let channel = try await PlainConnectionFanOutTests.connected(harness)
        try await channel.send(#"{"type":"get_market_sentiment","id":"g","data":{"tokens":["btc"]}}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"SERVER_ERROR","message":"snapshot unavailable, retry later"},"id":"g","timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }
}

@Suite("Broadcaster")
struct BroadcasterTests {
    @Test("published bytes reach subscribers as one frame around the very same payload; key announcements and junk are not sent")
    func publishedToFrames() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await PlainConnectionFanOutTests.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["SOL"]}}"#)
        _ = try await channel.nextText()

        let announced = Atomic<Int>(0)
        let broadcaster = Broadcaster(hubs: [harness.hub], metrics: harness.context.metrics, revocations: harness.context.revocations) {
            announced.add(1, ordering: .relaxed)
        }
        let payload = ByteBuffer(
            string: #"{"type":"market_sentiment_update","data":{"token":"SOL","score":-0.25},"timestamp":1700000000999}"#)
        let messages = [
            RedisPubSubMessage(channel: RedisKeys.keysChannel, payload: ByteBuffer(string: "{}")),
            RedisPubSubMessage(channel: "cd:ev:market_sentiment:SOL", payload: ByteBuffer(string: "not json")),
            RedisPubSubMessage(
                channel: "cd:ev:market_sentiment:SOL", payload: ByteBuffer(string: #"{"type":"mystery","data":{}}"#)),
            RedisPubSubMessage(channel: "cd:ev:market_sentiment:SOL", payload: payload),
        ]
        try await harness.loop.executeInContext { broadcaster.handle(messages) }
        #expect(announced.load(ordering: .relaxed) == 1)
        let written = try #require(try await channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(written.readableBytesView) == [0x81, UInt8(payload.readableBytes)] + Array(payload.readableBytesView))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }
}
