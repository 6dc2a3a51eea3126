import ArgumentParser
import CoinDailyModeration
import CoinDailyProducer
import CoinDailyRedis
import CoinDailyService
import NIOPosix
import ServiceLifecycle

/// `coindaily-moderation`: parses flags (each with an environment variable) and runs the producer.
@main
struct ModerationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-moderation",
        abstract: "Keeps the moderation queue in Redis and publishes moderation_queue_update events.")

    @Option(help: "Address to bind (MODERATION_HOST).") var host: String = Env.string("MODERATION_HOST", "0.0.0.0")
    @Option(help: "Port (MODERATION_PORT).") var port: Int = Env.int("MODERATION_PORT", 4106)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name, the stream consumer name (MODERATION_INSTANCE).")
    var instance: String = Env.string("MODERATION_INSTANCE", InstanceName.default)
    @Flag(help: "Feed simulated reports and decisions through the ingest stream (MODERATION_SIMULATE=1).")
    var simulate: Bool = Env.bool("MODERATION_SIMULATE", false)
    @Option(help: "Simulator seed (MODERATION_SEED).") var seed: Int = Env.int("MODERATION_SEED", 42)
    @Option(help: "Most events for shifted items per change (MODERATION_MAX_SHIFT_EVENTS).")
    var maxShiftEvents: Int = Env.int("MODERATION_MAX_SHIFT_EVENTS", 100)
    @Option(help: "Largest ingest array (MODERATION_MAX_BATCH_ITEMS).")
    var maxBatchItems: Int = Env.int("MODERATION_MAX_BATCH_ITEMS", 100)
    @Option(help: "Keep decided violations this long, seconds (MODERATION_RETENTION_S).")
    var retentionS: Int = Env.int("MODERATION_RETENTION_S", 7 * 24 * 3600)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-moderation", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        let model = ModerationConfiguration(
            maxShiftEvents: maxShiftEvents, maxBatchItems: maxBatchItems, decidedRetention: .seconds(retentionS))
        do {
            try model.validate()
        } catch {
            throw ValidationError("invalid moderation configuration: \(error)")
        }
        let runtime = ProducerRuntime(
            configuration: ProducerConfiguration(name: "moderation", host: host, port: port, instance: instance)
                .readingDeliverySettings(from: Env.optional),
            redis: try RedisConfiguration(url: redisURL), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let producer = ModerationProducer(
            store: ModerationQueueStore(
                redis: runtime.redis, configuration: model, history: runtime.configuration.history.policy(for: .moderationQueue)), configuration: model, logger: logger)
        var services: [any Service] = []
        if simulate {
            let runId = String(UInt64(UnixTime.nowMillis()), radix: 36)
            services.append(
                ModerationSimulationService(
                    simulator: ModerationSimulator(seed: UInt64(seed), runId: runId), redis: runtime.redis,
                    lease: runtime.lease, logger: logger))
        }
        let app = runtime.application(handler: producer, registry: registry, services: services)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
