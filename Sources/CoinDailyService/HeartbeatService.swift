import CoinDailyRedis
import Foundation
import Logging
import ServiceLifecycle

/// Writes `cd:heartbeat:<service>:<instance>` every few seconds with a short expiry, so the health
/// producer (and operators) can see which processes are alive.
public struct HeartbeatService: Service {
    private let redis: RedisClient
    private let key: String
    private let interval: Duration
    private let ttlSeconds: Int
    private let details: @Sendable () -> String
    private let logger: Logger

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - redis: the commands client.
    ///   - key: the heartbeat key (see `RedisKeys.heartbeat`).
    ///   - interval: time between writes (default 5 s).
    ///   - ttlSeconds: expiry of each write (default 15 s): three missed beats and the key is gone.
    ///   - details: the JSON value written (for example connection counts).
    public init(
        redis: RedisClient, key: String, interval: Duration = .seconds(5), ttlSeconds: Int = 15,
        logger: Logger, details: @escaping @Sendable () -> String
    ) {
        self.redis = redis
        self.key = key
        self.interval = interval
        self.ttlSeconds = ttlSeconds
        self.details = details
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await redis.send(["SET", key, details(), "EX", String(ttlSeconds)])
                } catch {
                    logger.debug("heartbeat not written", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
        _ = try? await redis.send(["DEL", key])
    }
}
