import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// The gateway: WebSocket connections on SwiftNIO, fed by one Redis subscriber.
///
/// Run it as a `Service` in a `ServiceGroup`: it binds, serves until graceful shutdown, then stops
/// accepting, closes every connection with 1001 ("going away") and returns within the grace period.
public final class Gateway: Service, Sendable {
    /// The gateway's shared state.
    public let context: GatewayContext
    private let group: any EventLoopGroup
    private let subscriber: RedisSubscriber
    private let refresher: GatewayRefresher
    /// Socket.IO (Engine.IO `EIO=4`) on the same path as the plain protocol.
    let engineIO: EngineIOServer
    private let metricsBytes: @Sendable () -> [UInt8]
    private let tls: ReloadableTLSContext?
    private let boundAddress = Mutex<SocketAddress?>(nil)
    private let nextConnectionID = Atomic<UInt64>(1)

    /// Creates a gateway.
    ///
    /// - Parameters:
    ///   - configuration: the gateway configuration.
    ///   - redis: where Redis is.
    ///   - hs256Secret: accept HS256 tokens signed with this secret too.
    ///   - group: the event loops connections run on (one hub per loop).
    ///   - logger: the logger.
    ///   - metrics: renders the Prometheus text for `/metrics`.
    public init(
        configuration: GatewayConfiguration, redis: RedisConfiguration, hs256Secret: String?,
        group: MultiThreadedEventLoopGroup, logger: Logger, metrics: @escaping @Sendable () -> [UInt8]
    ) async throws {
        let gatewayMetrics = GatewayMetrics()
        let verifier = try await TokenVerifier(hs256Secret: hs256Secret)
        var redis = redis
        // Resumes read the history: a Redis back from an older snapshot must change its epoch first.
        redis.handshakeCommands.append(EventHistory.incarnationCommand)
        let redisClient = RedisClient(configuration: redis, eventLoopGroup: group, logger: logger)
        let knownTokens = KnownTokens()
        let revocations = RevocationList(subjectRetentionMillis: configuration.security.revocationRetention.milliseconds)
        // The subscriber needs the hubs (through the broadcaster) and the hubs need the registry,
        // which needs the subscriber: break the cycle with a box filled right after.
        let broadcasterBox = Mutex<Broadcaster?>(nil)
        let refresher = GatewayRefresher(
            redis: redisClient, verifier: verifier, knownTokens: knownTokens, revocations: revocations,
            configuration: configuration, logger: logger
        ) {
            // A reload found revocations whose announcement this gateway missed (its subscription was down).
            broadcasterBox.withLock { $0 }?.recheckRevocations()
        }
        let subscriber = RedisSubscriber(configuration: redis, eventLoopGroup: group, logger: logger) { messages in
            broadcasterBox.withLock { $0 }?.handle(messages)
        }
        let registry = RedisChannelRegistry(subscriber: subscriber, metrics: gatewayMetrics)
        let flushInterval = TimeAmount.nanoseconds(Int64(configuration.flushInterval.milliseconds) * 1_000_000)
        let hubs = group.makeIterator().map {
            LoopHub(eventLoop: $0, registry: registry, metrics: gatewayMetrics, flushInterval: flushInterval)
        }
        let broadcaster = Broadcaster(hubs: hubs, metrics: gatewayMetrics, revocations: revocations) {
            refresher.requestReload()
        }
        broadcasterBox.withLock { $0 = broadcaster }

        let context = GatewayContext(
            configuration: configuration, verifier: verifier, redis: redisClient, knownTokens: knownTokens,
            metrics: gatewayMetrics, logger: logger, hubs: hubs, history: HistoryReader(redis: redisClient),
            registry: registry, revocations: revocations)
        self.context = context
        self.engineIO = EngineIOServer(
            path: configuration.path, settings: configuration.engineIO,
            application: SocketIOServerApplication(
                application: CoinDailySocketIOApplication(
                    context: context, connectTimeout: configuration.engineIO.connectTimeout,
                    maxAttachments: configuration.engineIO.maxAttachments)),
            connectionGuard: context.connectionGuard)
        self.tls = try configuration.tls.map { try ReloadableTLSContext(files: $0, logger: logger) }
        self.group = group
        self.subscriber = subscriber
        self.refresher = refresher
        self.metricsBytes = metrics

        let reconnects = gatewayMetrics.redisReconnects
        let wasDown = Atomic<Bool>(false)
        subscriber.onConnectionStateChange = { state in
            switch state {
            case .connected:
                if wasDown.exchange(false, ordering: .relaxed) {
                    reconnects.increment()
                    refresher.requestReload()
                    for hub in hubs { hub.eventLoop.execute { hub.subscriberRestored() } }
                }
            case .disconnected:
                if !wasDown.exchange(true, ordering: .relaxed) {
                    for hub in hubs { hub.eventLoop.execute { hub.subscriberLost() } }
                }
            case .shutdown:
                break
            }
        }
    }

    /// The address the server is bound to, once running (useful with port 0).
    public var localAddress: SocketAddress? { boundAddress.withLock { $0 } }

    /// Whether the gateway can serve: Redis connected (commands and subscriber) and keys loaded.
    public var readiness: (ready: Bool, detail: String) {
        let redisUp = context.redis.isConnected
        let subscriberUp = subscriber.isConnected
        let keys = refresher.hasLoadedKeys
        let ready = redisUp && subscriberUp && keys
        return (
            ready,
            #"{"ready":\#(ready),"redis":\#(redisUp),"subscriber":\#(subscriberUp),"keys":\#(keys)}"#
        )
    }

    public func run() async throws {
        let configuration = context.configuration
        context.redis.start()
        subscriber.subscribe([RedisKeys.keysChannel, RedisKeys.revocationsChannel])
        subscriber.start()
        for hub in context.hubs { hub.startSweeping(every: .milliseconds(250)) }

        let channel = try await bind()
        let address = channel.localAddress
        boundAddress.withLock { $0 = address }
        context.logger.info(
            "listening on \(configuration.host):\(address?.port ?? configuration.port)",
            metadata: ["path": "\(configuration.path)"])

        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await self.refresher.run() }
                tasks.addTask { try await self.heartbeat().run() }
                if let tls = self.tls {
                    tasks.addTask { try await TLSReloadService(context: tls, logger: self.context.logger).run() }
                }
                tasks.addTask { try await channel.closeFuture.get() }
                try await tasks.next()
                // Clients first: the other tasks may be waiting on Redis (up to a command timeout), and the
                // clients should not wait for that to be told to reconnect elsewhere.
                await self.drain()
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        await subscriber.shutdown()
        await context.redis.shutdown()
        context.logger.info("gateway stopped")
    }

    /// `cd:heartbeat:gateway:<instance>` every 5 s with the open connection count (read by the health producer).
    private func heartbeat() -> HeartbeatService {
        let context = self.context
        let instance = context.configuration.instance
        return HeartbeatService(
            redis: context.redis, key: RedisKeys.heartbeat(service: "gateway", instance: instance), logger: context.logger,
            details: {
                let connections = context.openConnections.load(ordering: .relaxed)
                return #"{"service":"gateway","instance":"\#(instance)","connections":\#(connections),"at":\#(context.clock())}"#
            })
    }

    /// Closes every connection with 1001 and waits for them to go, at most the grace period.
    private func drain() async {
        let hubs = context.hubs
        for hub in hubs { hub.eventLoop.execute { hub.goingAway() } }
        // Engine.IO sessions with no socket connected yet are in no hub: they go too.
        engineIO.closeAll()
        let deadline = ContinuousClock.now + context.configuration.shutdownGracePeriod
        while ContinuousClock.now < deadline {
            var open = 0
            for hub in hubs { open += (try? await hub.eventLoop.submit { hub.sessionCount }.get()) ?? 0 }
            if open == 0 { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private func bind() async throws -> any Channel {
        let configuration = context.configuration
        let gatewayContext = context
        let readiness: @Sendable () -> (ready: Bool, detail: String) = { [weak self] in
            self?.readiness ?? (false, #"{"ready":false}"#)
        }
        let nextID = { @Sendable [weak self] () -> UInt64 in
            self?.nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue ?? 0
        }
        return try await GatewayPipeline.bind(
            group: group, host: configuration.host, port: configuration.port,
            maxOutboundBytes: configuration.maxOutboundBytes,
            http: GatewayHTTPHandler.Routes(
                path: configuration.path, engineIO: [engineIO], readiness: readiness, metrics: metricsBytes, dashboard: true,
                connectionGuard: gatewayContext.connectionGuard),
            upgrades: GatewayWebSocketUpgrader.Routes(
                plainPath: configuration.path, maxPlainFrameBytes: configuration.maxFrameBytes,
                makePlainHandler: { ip in PlainConnectionHandler(gateway: gatewayContext, connectionID: nextID(), admittedIP: ip) },
                engineIO: [engineIO], connectionGuard: gatewayContext.connectionGuard),
            tls: tls)
    }

    /// Plain WebSocket upgrades: `GET /ws` (or `/ws/`) without an Engine.IO `EIO` parameter.
    static func acceptsUpgrade(_ head: HTTPRequestHead, path: String) -> Bool {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let requestPath = parts.first.map(String.init) ?? ""
        guard requestPath == path || requestPath == path + "/" else { return false }
        if parts.count > 1, parts[1].split(separator: "&").contains(where: { $0.hasPrefix("EIO=") }) { return false }
        return true
    }
}
