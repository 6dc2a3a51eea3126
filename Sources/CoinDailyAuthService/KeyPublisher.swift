import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import Logging
import ServiceLifecycle

/// Publishes this instance's public keys into Redis (`HSET cd:auth:jwks <kid> <jwks>`) and announces
/// them on `cd:auth:keys`, at start and periodically, so gateways verify locally, pick up new keys
/// without a restart, and get the keys back after Redis restarted empty. Adding by `kid` lets several
/// auth instances (or key generations) coexist.
struct KeyPublisher: Service {
    let redis: RedisClient
    let jwks: JWKSet
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var announced = false
            while !Task.isCancelled {
                let published = await publish(firstTime: !announced)
                announced = announced || published
                try? await Task.sleep(for: published ? interval : .seconds(1))
            }
        }
    }

    /// One publication; returns whether Redis took it.
    private func publish(firstTime: Bool) async -> Bool {
        var hset = ["HSET", RedisKeys.jwks]
        for key in jwks.keys {
            hset += [key.kid, JWKSet(keys: [key]).json()]
        }
        let announce = ["PUBLISH", RedisKeys.keysChannel, jwks.keys.map(\.kid).joined(separator: ",")]
        do {
            var replies = try await redis.pipeline([hset, announce])
            if let message = replies.first?.errorMessage, message.hasPrefix("WRONGTYPE") {
                // A string left by an older version: replace it with the hash.
                replies = try await redis.pipeline([["DEL", RedisKeys.jwks], hset, announce])
            }
            guard replies.allSatisfy({ $0.errorMessage == nil }) else {
                logger.warning("Redis refused the public keys", metadata: ["reply": "\(replies)"])
                return false
            }
            if firstTime { logger.info("public keys published to Redis", metadata: ["kids": "\(jwks.keys.map(\.kid))"]) }
            return true
        } catch {
            logger.warning("could not publish public keys", metadata: ["error": "\(error)"])
            return false
        }
    }
}
