import ArgumentParser
import CoinDailyProducer
import CoinDailyRedis
import CoinDailyService
import CoinDailyTrending
import NIOPosix
import ServiceLifecycle

/// `coindaily-trending`: parses flags (each with an environment variable) and runs the trending producer.
@main
struct TrendingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-trending",
        abstract: "Ranks memecoins per timeframe and publishes trending_memecoins_update events through Redis.")

    @Option(help: "Address to bind (TRENDING_HOST).") var host: String = Env.string("TRENDING_HOST", "0.0.0.0")
    @Option(help: "Port (TRENDING_PORT).") var port: Int = Env.int("TRENDING_PORT", 4103)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name, the stream consumer name (TRENDING_INSTANCE).")
    var instance: String = Env.string("TRENDING_INSTANCE", InstanceName.default)
    @Flag(help: "Feed simulated market samples through the ingest stream (TRENDING_SIMULATE=1).")
    var simulate: Bool = Env.bool("TRENDING_SIMULATE", false)
    @Option(help: "Simulator seed (TRENDING_SEED).") var seed: Int = Env.int("TRENDING_SEED", 42)
    @Option(help: "Time between two rankings, ms (TRENDING_INTERVAL_MS).")
    var intervalMs: Int = Env.int("TRENDING_INTERVAL_MS", 300_000)
    @Option(help: "Comma-separated memecoins to rank; default DOGE,SHIB,PEPE,… (TRENDING_TOKENS).")
    var tokens: String = Env.string("TRENDING_TOKENS", TrendingConfiguration.defaultUniverse.joined(separator: ","))
    @Option(help: "Coins listed per timeframe (TRENDING_TOP).") var top: Int = Env.int("TRENDING_TOP", 10)
    @Option(help: "Samples of a coin within this many ms replace each other (TRENDING_SAMPLE_SLOT_MS).")
    var sampleSlotMs: Int = Env.int("TRENDING_SAMPLE_SLOT_MS", 60_000)
    @Option(help: "Simulator: ms between two samples of a coin (TRENDING_SIMULATE_SAMPLE_MS).")
    var simulateSampleMs: Int = Env.int("TRENDING_SIMULATE_SAMPLE_MS", 60_000)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-trending", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        let universe = tokens.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        let model = TrendingConfiguration(
            universe: universe, interval: .milliseconds(intervalMs), top: top, sampleSlot: .milliseconds(sampleSlotMs))
        let engine: TrendingEngine
        do {
            engine = try TrendingEngine(configuration: model)
        } catch {
            throw ValidationError("invalid trending configuration: \(error)")
        }
        let runtime = ProducerRuntime(
            configuration: ProducerConfiguration(name: "trending", host: host, port: port, instance: instance)
                .readingDeliverySettings(from: Env.optional),
            redis: try RedisConfiguration(url: redisURL), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let interval = Duration.milliseconds(intervalMs)
        let producer = TrendingProducer(
            engine: engine, redis: runtime.redis, instance: instance, lease: interval * 0.8, history: runtime.configuration.history,
            logger: logger)
        var services: [any Service] = [
            TrendingTicker(producer: producer, interval: interval, firstDelay: min(interval, .seconds(5)), logger: logger)
        ]
        if simulate {
            services.append(
                TrendingSimulationService(
                    simulator: TrendingSimulator(
                        seed: UInt64(truncatingIfNeeded: seed), universe: universe, sampleInterval: Int64(simulateSampleMs)),
                    redis: runtime.redis, lease: runtime.lease, logger: logger))
        }
        let app = runtime.application(handler: producer, registry: registry, services: services)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
