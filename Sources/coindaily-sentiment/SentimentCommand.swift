import ArgumentParser
import CoinDailyProducer
import CoinDailyRedis
import CoinDailySentiment
import CoinDailyService
import NIOPosix
import ServiceLifecycle

/// `coindaily-sentiment`: parses flags (each with an environment variable) and runs the producer.
@main
struct SentimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-sentiment", abstract: "Computes market sentiment per token and publishes it through Redis.")

    @Option(help: "Address to bind (SENTIMENT_HOST).") var host: String = Env.string("SENTIMENT_HOST", "0.0.0.0")
    @Option(help: "Port (SENTIMENT_PORT).") var port: Int = Env.int("SENTIMENT_PORT", 4101)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name, the stream consumer name (SENTIMENT_INSTANCE).")
    var instance: String = Env.string("SENTIMENT_INSTANCE", InstanceName.default)
    @Flag(help: "Feed simulated inputs through the ingest stream (SENTIMENT_SIMULATE=1).")
    var simulate: Bool = Env.bool("SENTIMENT_SIMULATE", false)
    @Option(help: "Simulator seed (SENTIMENT_SEED).") var seed: Int = Env.int("SENTIMENT_SEED", 42)
    @Option(help: "Publish each token at least this often, ms (SENTIMENT_EMIT_INTERVAL_MS).")
    var emitIntervalMs: Int = Env.int("SENTIMENT_EMIT_INTERVAL_MS", 30_000)
    @Option(help: "Half-life of the per-source aggregates, seconds (SENTIMENT_HALF_LIFE_S).")
    var halfLifeS: Int = Env.int("SENTIMENT_HALF_LIFE_S", 900)
    @Option(help: "Read trendingRank from the trending producer (cd:trending:rank) every this many ms; 0: never (SENTIMENT_TRENDING_RANK_INTERVAL_MS).")
    var trendingRankIntervalMs: Int = Env.int("SENTIMENT_TRENDING_RANK_INTERVAL_MS", 5000)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-sentiment", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        var model = SentimentConfiguration()
        model.emitInterval = .milliseconds(emitIntervalMs)
        model.halfLife = .seconds(halfLifeS)
        let engine: SentimentEngine
        do {
            engine = try SentimentEngine(configuration: model)
        } catch {
            throw ValidationError("invalid sentiment configuration: \(error)")
        }
        let runtime = ProducerRuntime(
            configuration: ProducerConfiguration(name: "sentiment", host: host, port: port, instance: instance)
                .readingDeliverySettings(from: Env.optional),
            redis: try RedisConfiguration(url: redisURL), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let producer = SentimentProducer(
            engine: engine, redis: runtime.redis, history: runtime.configuration.history,
            outboxCapacity: runtime.configuration.outboxCapacity, logger: logger)
        var services: [any Service] = [SentimentTicker(producer: producer, lease: runtime.lease), producer.outbox]
        if trendingRankIntervalMs > 0 {
            services.append(
                SentimentTrendingRankService(
                    producer: producer, redis: runtime.redis, interval: .milliseconds(trendingRankIntervalMs), logger: logger))
        }
        if simulate {
            services.append(
                SentimentSimulationService(
                    simulator: SentimentSimulator(seed: UInt64(seed)), redis: runtime.redis, lease: runtime.lease, logger: logger))
        }
        let app = runtime.application(handler: producer, registry: registry, services: services)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
