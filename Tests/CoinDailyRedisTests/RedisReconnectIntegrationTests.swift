import CoinDailyTestSupport
import NIOCore
import Testing

@testable import CoinDailyRedis

/// Kills the real `redis-server` under a live client and subscriber, restarts it on the same port, and
/// checks that both recover by themselves.
@Suite("Redis reconnect integration", .timeLimit(.minutes(1)))
struct RedisReconnectIntegrationTests {
    @Test("client and subscriber reconnect after redis-server is killed and restarted")
    func killAndRestart() async throws {
        let server = try RedisServerProcess(extraArguments: ["--requirepass", "pw"])
        try await server.start()
        defer { server.kill() }
        var base = TestRedis.configuration(port: server.port)
        base.password = "pw"
        base.database = 3
        let configuration = base

        let client = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("client"))
        let clientStates = StateRecorder()
        client.onConnectionStateChange = clientStates.hook

        var timeoutConfiguration = configuration
        timeoutConfiguration.commandTimeout = .milliseconds(400)
        let impatient = RedisClient(
            configuration: timeoutConfiguration,
            eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("impatient")
        )

        let collector = MessageCollector()
        let subscriber = RedisSubscriber(
            configuration: configuration,
            eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("subscriber"),
            onMessages: collector.callback
        )
        let subscriberStates = StateRecorder()
        subscriber.onConnectionStateChange = subscriberStates.hook

        try await withTimeout(45, "kill and restart") {
            // Healthy: commands work, the subscriber receives.
            try await client.set("before", to: "1")
            #expect(try await impatient.ping() == "PONG")
            try await subscriber.subscribe(["ticks"]).get()
            #expect(try await client.publish("t1", to: "ticks") == 1)
            try await eventually(10, "t1") { collector.payloads(on: "ticks") == ["t1"] }

            // A blocking command in flight when the server dies fails with connectionClosed (never resent).
            let blocker = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("blocker"))
            #expect(try await blocker.ping() == "PONG")
            let inFlight = blocker.sendFuture(["BLPOP", "never-filled", "0"])
            try await Task.sleep(for: .milliseconds(100))

            server.kill()
            try await eventually(10, "everyone notices the drop") {
                !client.isConnected && !subscriber.isConnected && !impatient.isConnected
            }
            await #expect(throws: RedisError.connectionClosed) { try await inFlight.get() }
            await blocker.shutdown()

            // While Redis is down: with a commandTimeout the command fails in time instead of hanging...
            let started = ContinuousClock.now
            await #expect(throws: RedisError.timeout) { try await impatient.send(["PING"]) }
            #expect(ContinuousClock.now - started < .seconds(3))
            // ...and without one it waits in the queue and runs once Redis is back.
            let queued = client.sendFuture(["SET", "queued-while-down", "yes"])

            try await Task.sleep(for: .milliseconds(300))
            try await server.start()

            #expect(try await queued.get() == .simpleString("OK"))
            try await eventually(15, "client reconnects") { client.isConnected }
            try await eventually(15, "subscriber reconnects and re-subscribes") { subscriber.isConnected }

            // Same client objects, no re-creation: AUTH and SELECT were sent again.
            #expect(try await client.getString("queued-while-down") == "yes")
            #expect(try await client.get("before") == nil, "the restarted server has no data")
            let info = try await client.send(["CLIENT", "INFO"]).string ?? ""
            #expect(info.contains(" db=3 "))
            try await eventually(15, "impatient client reconnects") { impatient.isConnected }
            #expect(try await impatient.ping() == "PONG")
            #expect(client.reconnectCount >= 1)
            #expect(subscriber.reconnectCount >= 1)

            // The subscriber is subscribed again on the new server and gets messages published after the restart.
            let receivers = try await client.publish("t2", to: "ticks")
            #expect(receivers == 1)
            try await eventually(10, "t2 after restart") { collector.payloads(on: "ticks") == ["t1", "t2"] }
            #expect(clientStates.recorded.prefix(3) == [.connected, .disconnected, .connected])
            #expect(subscriberStates.recorded.prefix(3) == [.connected, .disconnected, .connected])
        }
        await client.shutdown()
        await impatient.shutdown()
        await subscriber.shutdown()
    }
}
