import CoinDailyTestSupport
import Testing

@testable import CoinDailyRedis

@Suite("RedisClient handshake commands", .timeLimit(.minutes(1)))
struct RedisHandshakeIntegrationTests {
    @Test("they run on every (re)connect before any other command")
    func everyConnect() async throws {
        try await withRedis { server, _ in
            var configuration = TestRedis.configuration(port: server.port)
            configuration.handshakeCommands = [["INCR", "handshakes"]]
            let client = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("hs"))
            #expect(try await client.send(["GET", "handshakes"]).string == "1")  // connects on first use
            _ = try? await client.send(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"])
            try await eventually(10, "reconnected") { client.reconnectCount == 1 && client.isConnected }
            #expect(try await client.send(["GET", "handshakes"]).string == "2")
            await client.shutdown()
        }
    }

    @Test("an error reply closes the connection and it is tried again; commands wait for a successful handshake")
    func errorRetried() async throws {
        try await withRedis { server, redis in
            var configuration = TestRedis.configuration(port: server.port)
            configuration.handshakeCommands = [
                ["EVAL", "if redis.call('EXISTS', 'ready') == 1 then return 1 end return redis.error_reply('ERR not yet')", "0"]
            ]
            let client = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("hs"))
            client.start()
            let waiting = Task { try await client.send(["PING"]) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!client.isConnected, "connected although its handshake failed")
            _ = try await redis.send(["SET", "ready", "1"])
            #expect(try await waiting.value.string == "PONG")
            #expect(client.isConnected)
            await client.shutdown()
        }
    }
}
