import CoinDailyTestSupport
import NIOCore
import Testing

@testable import CoinDailyRedis

/// What commands do while no Redis is reachable (nothing listens on the port).
@Suite("RedisClient without a server", .timeLimit(.minutes(1)))
struct RedisClientOfflineTests {
    @Test("queued commands time out after commandTimeout; the queue bound fails fast")
    func timeoutAndQueueBound() async throws {
        let closed = try ClosedPort()  // nothing answers there, and no other test's redis-server can take it
        var configuration = TestRedis.configuration(port: closed.port)
        configuration.commandTimeout = .milliseconds(300)
        configuration.maxPendingCommands = 2
        let client = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("offline"))
        try await withTimeout(10, "offline") {
            let first = client.sendFuture(["PING"])
            let second = client.sendFuture(["PING"])
            let started = ContinuousClock.now
            await #expect(throws: RedisError.tooManyPendingCommands(limit: 2)) { try await client.send(["PING"]) }
            #expect(ContinuousClock.now - started < .milliseconds(200), "the third command must fail fast")
            await #expect(throws: RedisError.timeout) { try await first.get() }
            await #expect(throws: RedisError.timeout) { try await second.get() }
            // The timed-out commands left the queue, so there is room again.
            await #expect(throws: RedisError.timeout) { try await client.send(["PING"]) }
            #expect(!client.isConnected)
        }
        await client.shutdown()
        withExtendedLifetime(closed) {}  // the port stays reserved until here
    }

    @Test("queueWhileDisconnected = false fails at once with notConnected")
    func failFast() async throws {
        let closed = try ClosedPort()  // nothing answers there, and no other test's redis-server can take it
        var configuration = TestRedis.configuration(port: closed.port)
        configuration.queueWhileDisconnected = false
        let client = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("failfast"))
        try await withTimeout(10, "fail fast") {
            await #expect(throws: RedisError.notConnected) { try await client.send(["PING"]) }
        }
        await client.shutdown()
        withExtendedLifetime(closed) {}  // the port stays reserved until here
    }

    @Test("shutdown fails queued commands with clientShutdown")
    func shutdownFailsQueued() async throws {
        let closed = try ClosedPort()
        let client = RedisClient(
            configuration: TestRedis.configuration(port: closed.port),
            eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("shutdown")
        )
        try await withTimeout(10, "shutdown") {
            let queued = client.sendFuture(["PING"])
            await client.shutdown()
            await #expect(throws: RedisError.clientShutdown) { try await queued.get() }
            #expect(client.connectionState == .shutdown)
        }
        withExtendedLifetime(closed) {}
    }
}
