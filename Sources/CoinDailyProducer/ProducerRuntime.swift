import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Wires a producer: the HTTP API (`/v1/ingest`, `/healthz`, `/readyz`, `/metrics`), the stream
/// consumer, the heartbeat, and the producer's own services, as one Hummingbird application.
public struct ProducerRuntime: Sendable {
    /// The configuration.
    public let configuration: ProducerConfiguration
    /// Commands client (publishing, state).
    public let redis: RedisClient
    /// Dedicated client for blocking stream reads.
    public let streamRedis: RedisClient
    /// Logger.
    public let logger: Logger
    /// The leader lease (`cd:lease:<name>`): periodic and simulated events are emitted only while this
    /// instance holds it. Refreshed by the application's services.
    public let lease: LeaderLease
    /// Publishes events with ids and history (``EventPublisher``) by ``ProducerConfiguration/history``.
    public let publisher: EventPublisher

    /// Creates the runtime; the Redis clients start connecting at once.
    ///
    /// A `redis` configuration without a command timeout gets one (`REDIS_COMMAND_TIMEOUT_MS`, default
    /// 3 s, at least twice the stream block time), so ingest answers 503 instead of hanging while
    /// Redis is away.
    public init(configuration: ProducerConfiguration, redis: RedisConfiguration, group: any EventLoopGroup, logger: Logger) {
        var redis = redis
        // Every publish appends to the history: a Redis back from an older snapshot must change its epoch first.
        redis.handshakeCommands += EventHistory.publisherHandshake
        if redis.commandTimeout == nil {
            let fallback = Int64(Env.int("REDIS_COMMAND_TIMEOUT_MS", 3000))
            let floor = configuration.streamBlock.wholeMilliseconds * 2
            redis.commandTimeout = .milliseconds(max(fallback, floor))
        }
        self.configuration = configuration
        self.redis = RedisClient(configuration: redis, eventLoopGroup: group, logger: logger)
        self.streamRedis = RedisClient(configuration: redis, eventLoopGroup: group, logger: logger)
        self.logger = logger
        self.lease = LeaderLease(
            redis: self.redis, producer: configuration.name, instance: configuration.instance, ttl: configuration.leaseTTL,
            logger: logger)
        self.publisher = EventPublisher(redis: self.redis, producer: configuration.name, history: configuration.history)
        self.redis.start()
        self.streamRedis.start()
    }

    /// The application to run: serves HTTP and runs the consumer, heartbeat, leader lease and `services`.
    public func application(
        handler: any IngestHandler, registry: PrometheusCollectorRegistry, services: [any Service]
    ) -> some ApplicationProtocol {
        let router = Router()
        let redis = self.redis
        ControlRoutes.add(to: router, registry: registry, isReady: { redis.isConnected })
        IngestRoutes.add(to: router, handler: handler, producer: configuration.name, maxBytes: configuration.maxIngestBytes)
        let consumer = StreamConsumer(redis: streamRedis, handler: handler, configuration: configuration, logger: logger)
        let name = configuration.name
        let instance = configuration.instance
        let heartbeat = HeartbeatService(
            redis: redis, key: RedisKeys.heartbeat(service: name, instance: instance), logger: logger,
            details: { #"{"service":"\#(name)","instance":"\#(instance)","at":\#(UnixTime.nowMillis())}"# })
        let logger = self.logger
        let configuration = self.configuration
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "coindaily-\(name)"),
            services: [consumer, heartbeat, lease] + services,
            onServerRunning: { channel in
                logger.info("listening on \(configuration.host):\(channel.localAddress?.port ?? configuration.port)")
            },
            logger: logger)
    }
}
