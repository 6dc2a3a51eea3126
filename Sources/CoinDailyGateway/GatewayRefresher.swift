import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the gateway's shared view of Redis state current: the auth service's public keys (JWKS)
/// and the set of known token symbols.
///
/// Reloads at start, periodically, when the auth service announces new keys, and after the Redis
/// connection comes back (Redis may have restarted empty and been refilled).
final class GatewayRefresher: Service, Sendable {
    private let redis: RedisClient
    private let verifier: TokenVerifier
    private let knownTokens: KnownTokens
    private let revocations: RevocationList
    private let configuration: GatewayConfiguration
    private let logger: Logger
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let loadedKeys = Atomic<Bool>(false)
    /// Called after a reload learnt revocations the gateway had not heard announced (open connections
    /// must be checked against them).
    private let onMissedRevocations: @Sendable () -> Void

    init(
        redis: RedisClient, verifier: TokenVerifier, knownTokens: KnownTokens, revocations: RevocationList,
        configuration: GatewayConfiguration, logger: Logger, onMissedRevocations: @escaping @Sendable () -> Void
    ) {
        self.onMissedRevocations = onMissedRevocations
        self.redis = redis
        self.verifier = verifier
        self.knownTokens = knownTokens
        self.revocations = revocations
        self.configuration = configuration
        self.logger = logger
        (self.wakes, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether keys were loaded at least once (for `/readyz`).
    var hasLoadedKeys: Bool { loadedKeys.load(ordering: .relaxed) || verifier.hasKeys }

    /// Asks for a reload soon (never blocks).
    func requestReload() { wake.yield() }

    func run() async throws {
        let interval = min(configuration.keyRefreshInterval, configuration.tokenRefreshInterval)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wake] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    wake.yield()
                }
            }
            group.addTask {
                await self.reload()
                for await _ in self.wakes.cancelOnGracefulShutdown() {
                    await self.reload()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func reload() async {
        do {
            let reply = try await redis.send(["HGETALL", RedisKeys.jwks])
            let fields = (reply.array ?? []).compactMap(\.string)
            if !fields.isEmpty {
                let jwks = JWKSet.merging(JWKSet(keys: []), hashReply: fields)
                let kids = await verifier.replaceKeys(with: jwks)
                if !kids.isEmpty {
                    if !loadedKeys.exchange(true, ordering: .relaxed) {
                        logger.info("verification keys loaded", metadata: ["kids": "\(kids.sorted())"])
                    }
                }
            } else {
                logger.warning("no verification keys in Redis yet (is coindaily-auth running?)")
            }
        } catch {
            logger.warning("could not load verification keys", metadata: ["error": "\(error)"])
        }
        do {
            let replies = try await redis.pipeline([["HGETALL", RedisKeys.revokedTokenIDs], ["HGETALL", RedisKeys.revokedSubjects]])
            if replies.count == 2, replies.allSatisfy({ $0.errorMessage == nil }) {
                let learned = revocations.replace(
                    tokenHash: (replies[0].array ?? []).compactMap(\.string),
                    subjectHash: (replies[1].array ?? []).compactMap(\.string), nowMillis: UnixTime.nowMillis())
                if learned > 0 {
                    logger.info("revocations learnt from Redis", metadata: ["count": "\(learned)"])
                    onMissedRevocations()
                }
            }
        } catch {
            logger.warning("could not load revocations", metadata: ["error": "\(error)"])
        }
        do {
            let reply = try await redis.send(["SMEMBERS", RedisKeys.knownTokens])
            let symbols = (reply.array ?? []).compactMap(\.string)
            knownTokens.add(symbols)
        } catch {
            logger.debug("could not load known tokens", metadata: ["error": "\(error)"])
        }
    }
}
