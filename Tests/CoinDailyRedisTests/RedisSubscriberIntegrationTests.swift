import CoinDailyTestSupport
import NIOCore
import Testing

@testable import CoinDailyRedis

@Suite("RedisSubscriber integration", .timeLimit(.minutes(1)))
struct RedisSubscriberIntegrationTests {
    /// A subscriber collecting what it receives (not started) and a publisher, for the server on `port`.
    static func clients(port: Int) -> (RedisSubscriber, RedisClient, MessageCollector) {
        let configuration = TestRedis.configuration(port: port)
        let collector = MessageCollector()
        let subscriber = RedisSubscriber(
            configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("subscriber"),
            onMessages: collector.callback)
        let publisher = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("publisher"))
        return (subscriber, publisher, collector)
    }

    @Test("subscribe at run time, receive, unsubscribe at run time and stop receiving")
    func runtimeSubscriptions() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let (subscriber, publisher, collector) = Self.clients(port: server.port)
        let states = StateRecorder()
        subscriber.onConnectionStateChange = states.hook
        try await withTimeout(30, "pub/sub") {
            subscriber.start()
            try await eventually(10, "subscriber connects") { subscriber.isConnected }
            #expect(try await publisher.publish("before", to: "prices") == 0)

            try await subscriber.subscribe(["prices", "news"]).get()
            #expect(await subscriber.desiredChannels() == ["prices", "news"])
            #expect(try await publisher.publish("p1", to: "prices") == 1)
            #expect(try await publisher.publish("n1", to: "news") == 1)
            var binary = ByteBuffer(bytes: [0, 1, 13, 10, 200])
            #expect(try await publisher.publish(binary, to: "prices") == 1)
            try await eventually(10, "three messages") { collector.messages.count == 3 }
            #expect(collector.payloads(on: "prices") == ["p1", String(buffer: binary)])
            #expect(collector.messages.last?.payload == binary)
            #expect(collector.payloads(on: "news") == ["n1"])

            // Subscribing again to a confirmed channel completes at once and does not duplicate delivery.
            try await subscriber.subscribe(["prices"]).get()
            #expect(try await publisher.publish("p2", to: "prices") == 1)
            try await eventually(10, "p2") { collector.payloads(on: "prices").count == 3 }

            try await subscriber.unsubscribe(["prices"]).get()
            #expect(await subscriber.desiredChannels() == ["news"])
            #expect(try await publisher.publish("p3", to: "prices") == 0)
            #expect(try await publisher.publish("n2", to: "news") == 1)
            try await eventually(10, "n2") { collector.payloads(on: "news") == ["n1", "n2"] }
            #expect(collector.payloads(on: "prices") == ["p1", String(buffer: binary), "p2"])
            binary.clear()

            // Many publishes: every batch is non-empty and nothing is lost or reordered.
            let published = (0..<500).map { "m\($0)" }
            _ = try await publisher.pipeline(published.map { ["PUBLISH", "news", $0] })
            try await eventually(10, "500 messages") { collector.payloads(on: "news").count == 502 }
            #expect(collector.payloads(on: "news") == ["n1", "n2"] + published)
            #expect(collector.allBatches.allSatisfy { !$0.isEmpty })
            #expect(subscriber.reconnectCount == 0)
        }
        await subscriber.shutdown()
        #expect(states.recorded == [.connected, .shutdown])
        await #expect(throws: RedisError.clientShutdown) { try await subscriber.subscribe(["late"]).get() }
        await publisher.shutdown()
    }

    @Test("unsubscribing and at once subscribing again: the subscription completes only when Redis confirmed it again, and delivers")
    func resubscribeRightAfterUnsubscribe() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let (subscriber, publisher, collector) = Self.clients(port: server.port)
        try await withTimeout(30, "re-subscriptions") {
            subscriber.start()
            try await subscriber.subscribe(["ticks"]).get()
            // Redis answers nothing for 500 ms: the UNSUBSCRIBE and the SUBSCRIBE wait in it. The old confirmation
            // must not count for the new subscription: if it did, the second future would complete at once, before
            // Redis has even seen the UNSUBSCRIBE, and a publish right after could find nobody.
            _ = try await publisher.send(["CLIENT", "PAUSE", "500", "ALL"])
            let gone = subscriber.unsubscribe(["ticks"])
            let again = subscriber.subscribe(["ticks"])
            let completed = TestFlag()
            again.whenComplete { _ in completed.set() }
            try await Task.sleep(for: .milliseconds(200))
            #expect(!completed.isSet, "the subscription completed before Redis confirmed it")
            try await again.get()
            try await gone.get()
            #expect(try await publisher.publish("after", to: "ticks") == 1)
            try await eventually(10, "the message") { collector.payloads(on: "ticks") == ["after"] }
            #expect(await subscriber.desiredChannels() == ["ticks"])
        }
        await subscriber.shutdown()
        await publisher.shutdown()
    }
}
