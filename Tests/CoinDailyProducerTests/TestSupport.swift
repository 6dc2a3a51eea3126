import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTestSupport
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Polls `condition` until it is true (``TestTimeout/poll(_:_:_:)``).
func eventually(_ seconds: Double = 10, _ what: String, _ condition: () async throws -> Bool) async throws {
    try await TestTimeout.poll(seconds, what, condition)
}

/// Shared helpers for tests against a real Redis.
enum TestRedis {
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: "test.\(label)")
        logger.logLevel = .critical
        return logger
    }

    /// Fast reconnects and a command deadline, so no test waits forever on a dead server.
    static func client(port: Int, _ label: String = "client") -> RedisClient {
        let configuration = RedisConfiguration(
            host: "127.0.0.1", port: port, connectTimeout: .seconds(2), commandTimeout: .seconds(2),
            reconnectBackoffInitial: .milliseconds(20), reconnectBackoffMax: .milliseconds(200))
        let client = RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger(label))
        client.start()
        return client
    }

    /// Runs `body` with a fresh redis-server and a connected client.
    static func withServer(_ body: (RedisServerProcess, RedisClient) async throws -> Void) async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let client = client(port: server.port)
        defer { server.kill() }
        try await eventually(5, "client connected") { client.isConnected }
        try await using(client) { try await body(server, $0) }
    }

    /// Runs `body` with `client`, then shuts it down (also when `body` throws).
    static func using(_ client: RedisClient, _ body: (RedisClient) async throws -> Void) async throws {
        do {
            try await body(client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    /// The history stream of `channel` as (entry id, published JSON), oldest first.
    static func history(_ redis: RedisClient, _ channel: String) async throws -> [(id: String, message: JSONValue)] {
        let reply = try await redis.sendChecked(["XRANGE", RedisKeys.historyStream(channel), "-", "+"])
        return try (reply.array ?? []).map { entry in
            let parts = entry.array ?? []
            let id = parts.first?.string ?? ""
            let fields = parts.count > 1 ? (parts[1].array ?? []).compactMap(\.string) : []
            let index = fields.firstIndex(of: "m").map { $0 + 1 } ?? fields.count
            let text = index < fields.count ? fields[index] : "{}"
            return (id, try JSONValue.parse(text))
        }
    }
}

/// An envelope for tests.
func envelope(_ kind: ChannelKind, _ n: Int) -> EventEnvelope {
    EventEnvelope(type: kind.updateEvent, data: ["n": .number(Double(n))], timestamp: 1_700_000_000_000 + Int64(n))
}
