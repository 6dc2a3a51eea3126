public import CoinDailyRedis
public import Logging
public import NIOCore
import NIOPosix

/// A logger that stays silent (critical only), for clients and producers under test.
public func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: "test.\(label)")
    logger.logLevel = .critical
    return logger
}

/// The client settings tests use against a local `redis-server`: quick connect, patient commands, fast
/// reconnects (tests kill and restart Redis); the command deadline keeps a test from waiting forever on a dead server.
public func redisConfiguration(port: Int, commandTimeout: TimeAmount = .seconds(10)) -> RedisConfiguration {
    RedisConfiguration(
        host: "127.0.0.1", port: port, connectTimeout: .seconds(2), commandTimeout: commandTimeout,
        reconnectBackoffInitial: .milliseconds(20), reconnectBackoffMax: .milliseconds(300))
}

/// A real `redis-server` and a started client for one test; both are torn down after `body`, also when it throws.
public func withRedis<T: Sendable>(
    _ body: @Sendable (_ server: RedisServerProcess, _ redis: RedisClient) async throws -> T
) async throws -> T {
    let server = try RedisServerProcess()
    try await server.start()
    let redis = RedisClient(
        configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
        logger: quietLogger("redis"))
    redis.start()
    do {
        let result = try await body(server, redis)
        await redis.shutdown()
        server.kill()
        return result
    } catch {
        await redis.shutdown()
        server.kill()
        throw error
    }
}
