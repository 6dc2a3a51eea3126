import ArgumentParser
import Foundation
import CoinDailyHealth
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `coindaily-health`: parses flags (each with an environment variable) and runs the health producer.
@main
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-health",
        abstract: "Probes Redis, heartbeats and the agent registry, and publishes system_health_update events.")

    @Option(help: "Address to bind (HEALTH_HOST).") var host: String = Env.string("HEALTH_HOST", "0.0.0.0")
    @Option(help: "Port (HEALTH_PORT).") var port: Int = Env.int("HEALTH_PORT", 4107)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name in the heartbeat key (HEALTH_INSTANCE).")
    var instance: String = Env.string("HEALTH_INSTANCE", InstanceName.default)
    @Flag(help: "Accepted for uniformity with the other producers; the health producer has nothing to simulate (HEALTH_SIMULATE).")
    var simulate: Bool = Env.bool("HEALTH_SIMULATE", false)
    @Option(help: "Comma-separated services whose heartbeat is expected (HEALTH_EXPECTED_SERVICES).")
    var expectedServices: String = Env.string(
        "HEALTH_EXPECTED_SERVICES", HealthConfiguration.defaultExpectedServices.joined(separator: ","))
    @Option(help: "Time between probes, ms (HEALTH_PROBE_INTERVAL_MS).")
    var probeIntervalMs: Int = Env.int("HEALTH_PROBE_INTERVAL_MS", 5000)
    @Option(help: "Publish at least this often, ms (HEALTH_PUBLISH_INTERVAL_MS).")
    var publishIntervalMs: Int = Env.int("HEALTH_PUBLISH_INTERVAL_MS", 30_000)
    @Option(help: "A service is down after its heartbeat keys are missing this long, ms (HEALTH_MISSING_AFTER_MS).")
    var missingAfterMs: Int = Env.int("HEALTH_MISSING_AFTER_MS", 5000)
    @Option(help: "Redis is slow above this PING round trip, ms (HEALTH_SLOW_REDIS_MS).")
    var slowRedisMs: Int = Env.int("HEALTH_SLOW_REDIS_MS", 100)
    @Option(help: "A probe command slower than this counts as Redis unreachable, ms (HEALTH_PROBE_TIMEOUT_MS).")
    var probeTimeoutMs: Int = Env.int("HEALTH_PROBE_TIMEOUT_MS", 2000)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-health", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        let model = HealthConfiguration(
            expectedServices: expectedServices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            probeInterval: .milliseconds(probeIntervalMs), publishInterval: .milliseconds(publishIntervalMs),
            missingAfter: .milliseconds(missingAfterMs), slowRedisThreshold: .milliseconds(slowRedisMs),
            probeTimeout: .milliseconds(probeTimeoutMs))
        do {
            try model.validate()
        } catch {
            throw ValidationError("invalid health configuration: \(error)")
        }
        if simulate { logger.info("--simulate has no effect: the health producer probes the running system") }
        var redisConfiguration = try RedisConfiguration(url: redisURL)
        // Fail fast while Redis is away: an unanswered probe means "unreachable", not "wait".
        redisConfiguration.queueWhileDisconnected = false
        redisConfiguration.commandTimeout = .milliseconds(Int64(probeTimeoutMs))
        // It publishes into the history: a Redis back from an older snapshot must change its epoch first.
        redisConfiguration.handshakeCommands += EventHistory.publisherHandshake
        let redis = RedisClient(configuration: redisConfiguration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        redis.start()
        let lease = LeaderLease(
            redis: redis, producer: "health", instance: instance, ttl: .milliseconds(Env.int("LEASE_TTL_MS", 10_000)), logger: logger)
        let monitor = HealthMonitor(
            redis: redis, configuration: model, logger: logger, history: HistoryPolicies(environment: Env.optional), lease: lease)
        let app = HealthApplication.make(
            host: host, port: port, instance: instance, redis: redis, monitor: monitor, registry: registry, lease: lease,
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
