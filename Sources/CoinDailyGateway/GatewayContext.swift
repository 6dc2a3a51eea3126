import CoinDailyAuthCore
import CoinDailyRedis
import CoinDailyService
import Logging
import NIOCore
import Synchronization

/// What every connection of a gateway shares: configuration, key material, Redis and metrics.
public final class GatewayContext: Sendable {
    /// The configuration.
    public let configuration: GatewayConfiguration
    /// Verifies tokens locally.
    public let verifier: TokenVerifier
    /// Commands client (snapshots, key and token reloads).
    public let redis: RedisClient
    /// Known token symbols.
    public let knownTokens: KnownTokens
    /// Metrics.
    public let metrics: GatewayMetrics
    /// Logger.
    public let logger: Logger
    /// Wall clock in Unix milliseconds (message timestamps, token expiry); replaceable in tests.
    public let clock: @Sendable () -> Int64
    let hubs: [LoopHub]
    /// Open WebSocket connections on this gateway (for the heartbeat and the drain on shutdown).
    let openConnections = Atomic<Int>(0)

    init(
        configuration: GatewayConfiguration, verifier: TokenVerifier, redis: RedisClient, knownTokens: KnownTokens,
        metrics: GatewayMetrics, logger: Logger, hubs: [LoopHub],
        clock: @escaping @Sendable () -> Int64 = { UnixTime.nowMillis() }
    ) {
        self.clock = clock
        self.configuration = configuration
        self.verifier = verifier
        self.redis = redis
        self.knownTokens = knownTokens
        self.metrics = metrics
        self.logger = logger
        self.hubs = hubs
    }

    /// The hub of `eventLoop`.
    func hub(for eventLoop: any EventLoop) -> LoopHub {
        for hub in hubs where hub.eventLoop === eventLoop { return hub }
        preconditionFailure("no hub for event loop \(eventLoop)")
    }
}
