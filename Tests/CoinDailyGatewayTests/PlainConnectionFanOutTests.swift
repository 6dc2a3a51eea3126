import CoinDailyProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import CoinDailyGateway

@Suite("PlainConnectionHandler: subscriptions and fan-out")
struct PlainConnectionFanOutTests {
    static let btcChannel = "cd:ev:market_sentiment:BTC"
    static let ethChannel = "cd:ev:market_sentiment:ETH"

    static func sentiment(_ token: String, score: Double = 0.75) throws -> OutboundEvent {
        try publishedEvent(
            channel: "cd:ev:market_sentiment:" + token, type: "market_sentiment_update",
            data: ["token": .string(token), "score": .number(score), "sentiment": "bullish"])
    }

    /// An authenticated connection.
    static func connected(
        _ harness: GatewayHarness, _ sub: String = "alice", roles: [String] = ["user"]
    ) async throws -> NIOAsyncTestingChannel {
        let channel = try await harness.connect()
        let (token, _) = try await harness.token(sub, roles: roles)
        let reply = try await channel.authenticate(token)
        try #require(reply.hasPrefix(#"{"type":"auth_success""#), "\(reply)")
        return channel
    }

    @Test("subscribe, receive the published frame byte for byte, nothing from other channels, nothing after unsubscribe")
    func marketSentiment() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","id":"s1","data":{"tokens":["btc"]}}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"subscription_confirmed","data":{"channel":"market_sentiment","tokens":["BTC"]},"id":"s1","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == [Self.btcChannel])

        let btc = try Self.sentiment("BTC")
        let eth = try Self.sentiment("ETH")
        #expect(
            String(buffer: btc.plainFrame.getSlice(at: 2, length: btc.plainFrame.readableBytes - 2)!)
                == #"{"type":"market_sentiment_update","data":{"score":0.75,"sentiment":"bullish","token":"BTC"},"timestamp":1700000000123}"#
        )
        try await harness.deliver([btc])
        let written = try #require(try await channel.readOutbound(as: ByteBuffer.self))
        #expect(written == btc.plainFrame)
        #expect(written.storageAddress == btc.plainFrame.storageAddress)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)

        try await harness.deliver([eth])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)

        try await channel.send(#"{"type":"unsubscribe_market_sentiment","id":"u1"}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"unsubscription_confirmed","data":{"channel":"market_sentiment"},"id":"u1","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == [])
        try await harness.deliver([btc])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("one batch: each matching event written once, in order, as one write for the flush")
    func batch() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC","ETH"]}}"#)
        _ = try await channel.nextText()
        #expect(harness.registry.channels == [Self.btcChannel, Self.ethChannel])
        let events = [try Self.sentiment("ETH", score: 0.1), try Self.sentiment("SOL"), try Self.sentiment("BTC", score: 0.2)]
        try await harness.deliver(events)
        var expected = events[0].plainFrame
        expected.writeImmutableBuffer(events[2].plainFrame)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == expected)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("frames written but not yet flushed still go out before the close frame of a graceful close")
    func pendingFramesBeforeClose() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        let event = try Self.sentiment("BTC")
        let written = try await harness.loop.executeInContext { () -> Bool in
            let handler = try channel.pipeline.syncOperations.handler(type: PlainConnectionHandler.self)
            let accepted = handler.writeEvent(event)  // queued for the next flush, not flushed
            handler.close(code: .goingAway, reason: "server shutting down")
            return accepted
        }
        #expect(written)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == event.plainFrame)
        var close = try #require(try await channel.readOutbound(as: ByteBuffer.self))
        #expect(close.readInteger(as: UInt8.self) == 0x88)  // FIN + close opcode
        _ = close.readInteger(as: UInt8.self)
        #expect(close.readInteger(as: UInt16.self) == 1001)
        try await harness.shutdown()
    }

    @Test("unsubscribing one token keeps the others")
    func partialUnsubscribe() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC","ETH"]}}"#)
        _ = try await channel.nextText()
        try await channel.send(#"{"type":"unsubscribe_market_sentiment","id":"u","data":{"tokens":["btc"]}}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"unsubscription_confirmed","data":{"channel":"market_sentiment","tokens":["BTC"]},"id":"u","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == [Self.ethChannel])
        let btc = try Self.sentiment("BTC")
        let eth = try Self.sentiment("ETH")
        try await harness.deliver([btc, eth])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == eth.plainFrame)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("whale minAmount holds back a smaller transfer and passes a larger one")
    func whaleMinAmount() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_whale_activity","id":"w1","data":{"minAmount":1000000}}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"subscription_confirmed","data":{"channel":"whale_activity","minAmount":1000000},"id":"w1","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == ["cd:ev:whale_activity"])
        let small = try publishedEvent(
            channel: "cd:ev:whale_activity", type: "whale_activity_alert", data: ["token": "BTC", "amountUSD": 500_000])
        let large = try publishedEvent(
            channel: "cd:ev:whale_activity", type: "whale_activity_alert", data: ["token": "ETH", "amountUSD": 2_500_000])
        try await harness.deliver([small, large])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == large.plainFrame)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("a user may not subscribe to system health: SUBSCRIPTION_FAILED, forbidden, nothing joined")
    func forbidden() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_system_health","id":"h1"}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"SUBSCRIPTION_FAILED","message":"forbidden: system_health requires the role admin"},"id":"h1","timestamp":1700000000000}"#
        )
        try await channel.send(#"{"type":"subscribe_pipeline_updates","id":"p1"}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"SUBSCRIPTION_FAILED","message":"forbidden: pipeline_updates requires the role admin or editor"},"id":"p1","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == [])
        let health = try publishedEvent(channel: "cd:ev:system_health", type: "system_health_update", data: ["status": "ok"])
        try await harness.deliver([health])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("an admin may subscribe to system health and receives it")
    func adminSystemHealth() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness, "root", roles: ["admin"])
        try await channel.send(#"{"type":"subscribe_system_health","id":"h1"}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"subscription_confirmed","data":{"channel":"system_health"},"id":"h1","timestamp":1700000000000}"#
        )
        let health = try publishedEvent(channel: "cd:ev:system_health", type: "system_health_update", data: ["status": "ok"])
        try await harness.deliver([health])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == health.plainFrame)
        try await harness.shutdown()
    }

    @Test("task updates: a user joins only their own channel, an admin the all-channel")
    func taskUpdates() async throws {
        let harness = try await GatewayHarness.make()
        let alice = try await Self.connected(harness, "alice")
        try await alice.send(#"{"type":"subscribe_task_updates"}"#)
        _ = try await alice.nextText()
        #expect(harness.registry.channels == ["cd:ev:task_updates:user:alice"])
        let admin = try await Self.connected(harness, "root", roles: ["admin", "user"])
        try await admin.send(#"{"type":"subscribe_task_updates"}"#)
        _ = try await admin.nextText()
        #expect(harness.registry.channels == ["cd:ev:task_updates:user:alice", "cd:ev:task_updates"])

        let own = try publishedEvent(
            channel: "cd:ev:task_updates:user:alice", type: "task_status_update", data: ["taskId": "t1", "userId": "alice"])
        let all = try publishedEvent(
            channel: "cd:ev:task_updates", type: "task_status_update", data: ["taskId": "t2", "userId": "bob"])
        try await harness.deliver([own, all])
        #expect(try await alice.readOutbound(as: ByteBuffer.self) == own.plainFrame)
        #expect(try await alice.readOutbound(as: ByteBuffer.self) == nil)
        #expect(try await admin.readOutbound(as: ByteBuffer.self) == all.plainFrame)
        #expect(try await admin.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("two sessions on one hub get the very same buffer; the Redis channel is held once and released with the last")
    func twoSessionsShareFrames() async throws {
        let harness = try await GatewayHarness.make()
        let first = try await Self.connected(harness, "alice")
        let second = try await Self.connected(harness, "bob")
        for channel in [first, second] {
            try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC"]}}"#)
            _ = try await channel.nextText()
        }
        #expect(harness.registry.channels == [Self.btcChannel])
        #expect(await harness.subscriber.desiredChannels() == [Self.btcChannel])

        let btc = try Self.sentiment("BTC")
        try await harness.deliver([btc])
        let a = try #require(try await first.readOutbound(as: ByteBuffer.self))
        let b = try #require(try await second.readOutbound(as: ByteBuffer.self))
        #expect(a == btc.plainFrame)
        #expect(b == btc.plainFrame)
        #expect(a.storageAddress == btc.plainFrame.storageAddress)
        #expect(b.storageAddress == btc.plainFrame.storageAddress)

        try await first.close()
        #expect(harness.registry.channels == [Self.btcChannel])
        try await harness.deliver([btc])
        #expect(try await second.readOutbound(as: ByteBuffer.self) == btc.plainFrame)

        try await second.send(#"{"type":"unsubscribe_market_sentiment"}"#)
        _ = try await second.nextText()
        #expect(harness.registry.channels == [])
        #expect(await harness.subscriber.desiredChannels() == [])
        #expect(try await harness.loop.executeInContext { harness.hub.sessionCount } == 1)
        try await second.close()
        #expect(try await harness.loop.executeInContext { harness.hub.sessionCount } == 0)
        try await harness.shutdown()
    }

    @Test("closing a subscribed connection releases its channels")
    func closeReleases() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC","ETH"]}}"#)
        _ = try await channel.nextText()
        try await channel.send(#"{"type":"subscribe_whale_activity"}"#)
        _ = try await channel.nextText()
        #expect(harness.registry.channels == [Self.btcChannel, Self.ethChannel, "cd:ev:whale_activity"])
        try await channel.close()
        #expect(harness.registry.channels == [])
        try await harness.shutdown()
    }

    @Test("too many channels for one connection is SUBSCRIPTION_FAILED and joins nothing")
    func tooManyChannels() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(maxChannelsPerConnection: 2))
        let channel = try await Self.connected(harness)
        try await channel.send(#"{"type":"subscribe_market_sentiment","id":"m","data":{"tokens":["BTC","ETH","SOL"]}}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"SUBSCRIPTION_FAILED","message":"too many subscriptions: at most 2 channels per connection"},"id":"m","timestamp":1700000000000}"#
        )
        #expect(harness.registry.channels == [])
        try await harness.shutdown()
    }
}
