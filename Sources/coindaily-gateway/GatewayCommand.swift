import ArgumentParser
import CoinDailyGateway
import CoinDailyRedis
import CoinDailyService
import Foundation
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `coindaily-gateway`: parses flags (each with an environment variable) and runs the gateway.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-gateway",
        abstract: "The CoinDaily Realtime WebSocket gateway (plain JSON protocol on /ws).")

    @Option(help: "Instance name in the heartbeat key (GATEWAY_INSTANCE).")
    var instance: String = Env.string("GATEWAY_INSTANCE", InstanceName.default)
    @Option(help: "Address to bind (GATEWAY_HOST).") var host: String = Env.string("GATEWAY_HOST", "0.0.0.0")
    @Option(help: "Port (GATEWAY_PORT).") var port: Int = Env.int("GATEWAY_PORT", 4000)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Time to authenticate, ms (GATEWAY_AUTH_TIMEOUT_MS).")
    var authTimeoutMs: Int = Env.int("GATEWAY_AUTH_TIMEOUT_MS", 10_000)
    @Option(help: "Close connections silent this long, ms (GATEWAY_IDLE_TIMEOUT_MS).")
    var idleTimeoutMs: Int = Env.int("GATEWAY_IDLE_TIMEOUT_MS", 60_000)
    @Option(help: "WebSocket ping interval, ms (GATEWAY_PING_INTERVAL_MS).")
    var pingIntervalMs: Int = Env.int("GATEWAY_PING_INTERVAL_MS", 25_000)
    @Option(help: "Largest client message; bigger gets INVALID_MESSAGE_FORMAT (GATEWAY_MAX_MESSAGE_BYTES).")
    var maxMessageBytes: Int = Env.int("GATEWAY_MAX_MESSAGE_BYTES", 65_536)
    @Option(help: "Largest frame accepted at all; bigger closes with 1009 (GATEWAY_MAX_FRAME_BYTES).")
    var maxFrameBytes: Int = Env.int("GATEWAY_MAX_FRAME_BYTES", 1_048_576)
    @Option(help: "Outbound buffer per connection before it is cut off as slow, 3008 (GATEWAY_MAX_OUTBOUND_BYTES).")
    var maxOutboundBytes: Int = Env.int("GATEWAY_MAX_OUTBOUND_BYTES", 1_048_576)
    @Option(help: "Time a connection may stay over --max-outbound-bytes before it is closed as slow, ms; at twice the limit at once (GATEWAY_SLOW_CONSUMER_GRACE_MS).")
    var slowConsumerGraceMs: Int = Env.int("GATEWAY_SLOW_CONSUMER_GRACE_MS", 2000)
    @Option(help: "Flush each event loop's connections at most once per this interval, ms; 0 = after every Redis batch (GATEWAY_FLUSH_INTERVAL_MS).")
    var flushIntervalMs: Int = Env.int("GATEWAY_FLUSH_INTERVAL_MS", 30)
    @Option(help: "Most Redis channels one connection may hold (GATEWAY_MAX_CHANNELS_PER_CONNECTION).")
    var maxChannelsPerConnection: Int = Env.int("GATEWAY_MAX_CHANNELS_PER_CONNECTION", 256)
    @Option(help: "Most tokens in one request (GATEWAY_MAX_TOKENS_PER_REQUEST).")
    var maxTokensPerRequest: Int = Env.int("GATEWAY_MAX_TOKENS_PER_REQUEST", 100)
    @Option(help: "Grace period on SIGTERM, ms (GATEWAY_SHUTDOWN_GRACE_MS).")
    var shutdownGraceMs: Int = Env.int("GATEWAY_SHUTDOWN_GRACE_MS", 5_000)
    // Optional flags read their environment variable when used, not as a default: `--help` prints
    // defaults, and must never print a secret.
    @Option(name: .customLong("jwt-secret"), help: "Also accept HS256 tokens signed with this secret (JWT_SECRET).")
    var jwtSecretFlag: String?
    /// The HS256 secret: `--jwt-secret`, else `JWT_SECRET`.
    var jwtSecret: String? { jwtSecretFlag ?? Env.optional("JWT_SECRET") }
    @Option(help: "Event loop threads; 0 = one per core (GATEWAY_THREADS).")
    var threads: Int = Env.int("GATEWAY_THREADS", 0)
    @Option(help: "Engine.IO ping interval, ms (ENGINEIO_PING_INTERVAL_MS).")
    var eioPingIntervalMs: Int = Env.int("ENGINEIO_PING_INTERVAL_MS", 25_000)
    @Option(help: "Engine.IO ping timeout, ms (ENGINEIO_PING_TIMEOUT_MS).")
    var eioPingTimeoutMs: Int = Env.int("ENGINEIO_PING_TIMEOUT_MS", 20_000)
    @Option(help: "Engine.IO maxPayload, bytes (ENGINEIO_MAX_PAYLOAD).")
    var eioMaxPayload: Int = Env.int("ENGINEIO_MAX_PAYLOAD", 1_000_000)
    @Option(help: "Socket.IO connect timeout, ms (SOCKETIO_CONNECT_TIMEOUT_MS).")
    var sioConnectTimeoutMs: Int = Env.int("SOCKETIO_CONNECT_TIMEOUT_MS", 45_000)
    @Option(help: "Reload verification keys, revocations and known token symbols from Redis this often, ms; announcements apply at once, this catches what was missed (GATEWAY_REFRESH_INTERVAL_MS).")
    var refreshIntervalMs: Int = Env.int("GATEWAY_REFRESH_INTERVAL_MS", 30_000)
    @OptionGroup var security: SecurityOptions
    @OptionGroup var delivery: DeliveryOptions
    @Flag(help: "Serve the official Engine.IO/Socket.IO test-suite applications instead (/engine.io/, /socket.io/); no Redis.")
    var conformance = false
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func validate() throws {
        for (name, value) in [
            ("auth-timeout-ms", authTimeoutMs), ("idle-timeout-ms", idleTimeoutMs), ("ping-interval-ms", pingIntervalMs),
            ("max-message-bytes", maxMessageBytes), ("max-frame-bytes", maxFrameBytes),
            ("max-outbound-bytes", maxOutboundBytes), ("max-channels-per-connection", maxChannelsPerConnection),
            ("max-tokens-per-request", maxTokensPerRequest), ("eio-ping-interval-ms", eioPingIntervalMs),
            ("eio-ping-timeout-ms", eioPingTimeoutMs), ("eio-max-payload", eioMaxPayload),
            ("sio-connect-timeout-ms", sioConnectTimeoutMs), ("refresh-interval-ms", refreshIntervalMs),
        ] where value <= 0 {
            throw ValidationError("--\(name) must be positive")
        }
        guard flushIntervalMs >= 0, flushIntervalMs <= 1000 else { throw ValidationError("--flush-interval-ms must be 0...1000") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        if let jwtSecret, !jwtSecret.isEmpty, jwtSecret.utf8.count < 32 {
            throw ValidationError("--jwt-secret (JWT_SECRET) must be at least 32 bytes")
        }
    }

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-gateway", level: logLevel)
        if conformance {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads > 0 ? threads : System.coreCount)
            let server = ConformanceServer(host: host, port: port, group: group, logger: logger)
            try await ServiceGroup(
                configuration: .init(services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
            try await group.shutdownGracefully()
            return
        }
        let registry = MetricsBootstrap.bootstrap()
        let redis = try RedisSettings.configuration(url: redisURL)
        var configuration = GatewayConfiguration(
            instance: instance, host: host, port: port, authTimeout: .milliseconds(authTimeoutMs), idleTimeout: .milliseconds(idleTimeoutMs),
            pingInterval: .milliseconds(pingIntervalMs), maxMessageBytes: maxMessageBytes, maxFrameBytes: maxFrameBytes,
            maxOutboundBytes: maxOutboundBytes, flushInterval: .milliseconds(flushIntervalMs),
            maxChannelsPerConnection: maxChannelsPerConnection,
            shutdownGracePeriod: .milliseconds(shutdownGraceMs),
            requestLimits: .init(maxTokensPerRequest: maxTokensPerRequest),
            engineIO: EngineIOSettings(
                pingInterval: .milliseconds(eioPingIntervalMs), pingTimeout: .milliseconds(eioPingTimeoutMs),
                maxPayload: eioMaxPayload, connectTimeout: .milliseconds(sioConnectTimeoutMs),
                maxBufferedBytes: maxOutboundBytes))
        configuration.slowConsumerGrace = .milliseconds(slowConsumerGraceMs)
        configuration.tokenRefreshInterval = .milliseconds(refreshIntervalMs)
        configuration.keyRefreshInterval = .milliseconds(refreshIntervalMs)
        configuration.engineIO.slowConsumerGrace = .milliseconds(slowConsumerGraceMs)
        configuration.security = security.settings
        configuration.delivery = delivery.settings
        configuration.tls = security.tls
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads > 0 ? threads : System.coreCount)
        let gateway = try await Gateway(
            configuration: configuration, redis: redis, hs256Secret: jwtSecret, group: group, logger: logger,
            metrics: { registry.emitToBuffer() })
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [.init(service: gateway)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        try await group.shutdownGracefully()
    }
}
