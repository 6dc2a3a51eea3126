import CoinDailyProtocol
import CoinDailyRedis
import Logging
import ServiceLifecycle

/// Publishes the JWKS into Redis (`cd:auth:jwks`) and announces it on `cd:auth:keys`, at start and
/// periodically, so gateways verify locally and pick up new keys without a restart.
struct KeyPublisher: Service {
    let redis: RedisClient
    let jwks: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var announced = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let replies = try await redis.pipeline([
                    ["SET", RedisKeys.jwks, jwks],
                    ["PUBLISH", RedisKeys.keysChannel, jwks],
                ])
                if replies.allSatisfy({ $0.errorMessage == nil }) {
                    if !announced { logger.info("public keys published to Redis") }
                    announced = true
                }
            } catch {
                logger.warning("could not publish public keys", metadata: ["error": "\(error)"])
                announced = false
            }
            try? await Task.sleep(for: announced ? interval : .seconds(1))
        }
    }
}
