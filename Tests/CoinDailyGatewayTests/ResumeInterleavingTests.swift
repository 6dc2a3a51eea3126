import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import CoinDailyGateway

/// Interleavings of a resume with the events around it, forced step by step: the connection's event loop
/// only moves when the test moves it, the history is a real `redis-server`.
@Suite("Resume interleavings", .serialized, .timeLimit(.minutes(1)))
struct ResumeInterleavingTests {
    static let channelName = "cd:ev:market_sentiment:BTC"

    /// Publishes event `n` with the producers' script (history and pub/sub in one step); returns it as the
    /// broadcaster would build it from the published message.
    static func publish(_ redis: RedisClient, _ n: Int) async throws -> OutboundEvent {
        let json = #"{"type":"market_sentiment_update","data":{"token":"BTC","n":\#(n)},"timestamp":\#(fixedNow + Int64(n))}"#
        let id = try #require(
            try await redis.sendChecked(["EVAL", EventHistory.publishScript, "0", json, "100", "0", channelName]).string)
        let position = String(try #require(id.split(separator: ":").last))
        let entries = try await redis.sendChecked(["XRANGE", "cd:hist:" + channelName, position, position])
        let message = try #require(entries.array?.first?.array?.last?.array?.last?.bytes, "entry \(position)")
        return try #require(OutboundEvent.decode(channel: channelName, payload: message, allocator: ByteBufferAllocator()))
    }

    /// The `n` of every market sentiment event among `frames`, in order, and the close code if one came.
    static func numbers(_ frames: [ServerFrame]) throws -> (numbers: [Int], close: UInt16?) {
        var numbers: [Int] = []
        var close: UInt16?
        for frame in frames {
            if let code = frame.close?.code { close = code }
            guard frame.opcode == 0x1 else { continue }
            let message = try JSONValue.parse(frame.text)
            guard message["type"]?.stringValue == "market_sentiment_update" else { continue }
            numbers.append(Int(try #require(message["data"]?["n"]?.numberValue)))
        }
        return (numbers, close)
    }

    static func setWritable(_ channel: NIOAsyncTestingChannel, _ writable: Bool) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
    }

    @Test("the Redis subscription drops and comes back while a resume's replay is still being written: what was published meanwhile follows the replay, in order, once each")
    func resyncWhileReplaying() async throws {
        try await withRedis { server, redis in
            let harness = try await GatewayHarness.make(redisPort: server.port)
            let first = try await Self.publish(redis, 1)
            _ = try await Self.publish(redis, 2)
            _ = try await Self.publish(redis, 3)
            let subscriber = harness.subscriber
            try await withTimeout(10, "the gateway's subscriber connects") {
                while !subscriber.isConnected { try await Task.sleep(for: .milliseconds(20)) }
            }
            let channel = try await PlainConnectionFanOutTests.connected(harness)
            let since = try #require(first.id).description
            // The client reads nothing for now: the replay (2, 3) waits in the gateway, the resume is under way.
            Self.setWritable(channel, false)
            try await channel.send(#"{"type":"subscribe_market_sentiment","id":"s","data":{"tokens":["BTC"],"since":"\#(since)"}}"#)
            let confirmed = try JSONValue.parse(try await channel.nextText())
            #expect(confirmed["data"]?["recovered"] == .bool(true))
            #expect(confirmed["data"]?["replayed"] == .int(2))

            // The gateway's Redis subscription drops; 4 and 5 are published meanwhile and never arrive live.
            let hub = harness.hub
            try await harness.loop.executeInContext { hub.subscriberLost() }
            _ = try await Self.publish(redis, 4)
            let fifth = try await Self.publish(redis, 5)
            // Redis answers nothing for a second: a resync started now would still be reading the history when
            // the client has read the replay (the interleaving that used to lift the hold too early, so that 5
            // came before 4 and twice).
            _ = try await redis.sendChecked(["CLIENT", "PAUSE", "1000", "ALL"])
            // Back: the session must not resync now (its replay is not written) nor let the replay's end
            // release what it holds. 5 arrives live (as if published again after the subscription is back) and is held.
            try await harness.loop.executeInContext { hub.subscriberRestored() }
            try await harness.deliver([fifth])
            #expect(try Self.numbers(try await channel.drainFrames()).numbers == [], "nothing before the client reads")

            // The client reads: the replay, then the resync from 3 (4, 5), and 5 held is not sent again.
            Self.setWritable(channel, true)
            var received: [Int] = []
            var close: UInt16?
            let deadline = ContinuousClock.now + .seconds(10)
            while received.count < 4, close == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                await harness.loop.advanceTime(by: .milliseconds(10))
                let (numbers, code) = try Self.numbers(try await channel.drainFrames())
                received += numbers
                close = code
            }
            // Anything sent twice would follow at once.
            try await Task.sleep(for: .milliseconds(100))
            await harness.loop.advanceTime(by: .milliseconds(100))
            received += try Self.numbers(try await channel.drainFrames()).numbers
            #expect(received == [2, 3, 4, 5])
            #expect(close == nil)
            try await harness.shutdown()
        }
    }

    @Test("the Redis subscription drops while a replay is written and the replay ends before it is back: live events arriving first stay held, the resync delivers the outage in order")
    func replayEndsWhileSubscriptionIsDown() async throws {
        try await withRedis { server, redis in
            let harness = try await GatewayHarness.make(redisPort: server.port)
            let first = try await Self.publish(redis, 1)
            _ = try await Self.publish(redis, 2)
            _ = try await Self.publish(redis, 3)
            let subscriber = harness.subscriber
            try await withTimeout(10, "the gateway's subscriber connects") {
                while !subscriber.isConnected { try await Task.sleep(for: .milliseconds(20)) }
            }
            let channel = try await PlainConnectionFanOutTests.connected(harness)
            Self.setWritable(channel, false)
            let since = try #require(first.id).description
            try await channel.send(#"{"type":"subscribe_market_sentiment","id":"s","data":{"tokens":["BTC"],"since":"\#(since)"}}"#)
            _ = try await channel.nextText()  // confirmed; the replay (2, 3) waits for the client to read

            let hub = harness.hub
            try await harness.loop.executeInContext { hub.subscriberLost() }
            _ = try await Self.publish(redis, 4)  // the outage: never arrives live
            let fifth = try await Self.publish(redis, 5)
            Self.setWritable(channel, true)  // the replay is written and ends while the subscription is down
            await harness.loop.advanceTime(by: .milliseconds(50))
            // Its channel subscribed again first, 5 arrives live before the subscription is reported back.
            try await harness.deliver([fifth])
            await harness.loop.advanceTime(by: .milliseconds(50))
            var received = try Self.numbers(try await channel.drainFrames()).numbers
            #expect(received == [2, 3], "before the resync")

            try await harness.loop.executeInContext { hub.subscriberRestored() }
            let deadline = ContinuousClock.now + .seconds(10)
            while received.count < 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                await harness.loop.advanceTime(by: .milliseconds(10))
                received += try Self.numbers(try await channel.drainFrames()).numbers
            }
            try await Task.sleep(for: .milliseconds(100))
            await harness.loop.advanceTime(by: .milliseconds(100))
            received += try Self.numbers(try await channel.drainFrames()).numbers
            #expect(received == [2, 3, 4, 5])
            try await harness.shutdown()
        }
    }

    @Test("a slow-consumer grace period that began before a replay ends when the client catches up during it: no 3008")
    func graceEndsDuringReplay() async throws {
        let (harness, channel) = try await PlainConnectionSessionTests.subscribedThenUnwritable()
        let event = try publishedEvent(channel: Self.channelName, type: "market_sentiment_update", data: ["token": "BTC", "n": 7])
        let done = TestFlag()
        try await harness.loop.executeInContext {
            let handler = try channel.pipeline.syncOperations.handler(type: PlainConnectionHandler.self)
            handler.writeReplay([event]) { done.set() }
        }
        await harness.loop.advanceTime(by: .milliseconds(harness.context.configuration.slowConsumerGrace.milliseconds / 2))
        Self.setWritable(channel, true)
        await harness.loop.advanceTime(by: .seconds(10))
        let (numbers, close) = try Self.numbers(try await channel.drainFrames())
        #expect(numbers == [7])
        #expect(close == nil, "the client read everything and was cut off as slow")
        #expect(done.isSet, "the replay's completion ran")
        try await harness.shutdown()
    }
}
