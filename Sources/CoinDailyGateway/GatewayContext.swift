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
    /// Connection admission: origins, per-IP and per-user limits.
    public let connectionGuard: ConnectionGuard
    /// Revoked tokens and users.
    public let revocations: RevocationList
    /// The event history, for resumes; `nil` when there is no Redis subscription to resume against (tests).
    let history: HistoryReader?
    /// Which Redis channels are subscribed.
    let registry: RedisChannelRegistry?
    /// The kept state of Socket.IO sockets (connection state recovery).
    let socketIOStates: SocketIOStateStore
    /// Open WebSocket connections on this gateway (for the heartbeat and the drain on shutdown).
    let openConnections = Atomic<Int>(0)

    init(
        configuration: GatewayConfiguration, verifier: TokenVerifier, redis: RedisClient, knownTokens: KnownTokens,
        metrics: GatewayMetrics, logger: Logger, hubs: [LoopHub], history: HistoryReader? = nil,
        registry: RedisChannelRegistry? = nil, revocations: RevocationList = RevocationList(),
        clock: @escaping @Sendable () -> Int64 = { UnixTime.nowMillis() }
    ) {
        self.connectionGuard = ConnectionGuard(settings: configuration.security, metrics: metrics, logger: logger)
        self.revocations = revocations
        self.history = history
        self.registry = registry
        self.socketIOStates = SocketIOStateStore(redis: redis)
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
