import ArgumentParser
import CoinDailyProducer
import CoinDailyRedis
import CoinDailyService
import CoinDailyWhale
import NIOPosix
import ServiceLifecycle

/// `coindaily-whale`: parses flags (each with an environment variable) and runs the whale producer.
@main
struct WhaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-whale",
        abstract: "Turns large transfers into whale_activity_alert events, each transaction once, through Redis.")

    @Option(help: "Address to bind (WHALE_HOST).") var host: String = Env.string("WHALE_HOST", "0.0.0.0")
    @Option(help: "Port (WHALE_PORT).") var port: Int = Env.int("WHALE_PORT", 4102)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name, the stream consumer name (WHALE_INSTANCE).")
    var instance: String = Env.string("WHALE_INSTANCE", InstanceName.default)
    @Flag(help: "Feed simulated transfers and price ticks through the ingest stream (WHALE_SIMULATE=1).")
    var simulate: Bool = Env.bool("WHALE_SIMULATE", false)
    @Option(help: "Simulator seed (WHALE_SEED).") var seed: Int = Env.int("WHALE_SEED", 42)
    @Option(help: "JSON file of exchange wallets {\"exchanges\":{\"Binance\":[\"0x…\"]}}; default: the built-in book (WHALE_ADDRESS_BOOK).")
    var addressBook: String = Env.string("WHALE_ADDRESS_BOOK", "")
    @Option(help: "Alert only from this many USD (WHALE_MIN_ALERT_USD).")
    var minAlertUsd: Double = Self.double("WHALE_MIN_ALERT_USD", 100_000)
    @Option(help: "Impact high from this percentage of the 24 h volume (WHALE_IMPACT_HIGH_PCT).")
    var impactHighPct: Double = Self.double("WHALE_IMPACT_HIGH_PCT", 1)
    @Option(help: "Impact medium from this percentage of the 24 h volume (WHALE_IMPACT_MEDIUM_PCT).")
    var impactMediumPct: Double = Self.double("WHALE_IMPACT_MEDIUM_PCT", 0.1)
    @Option(help: "Without a known volume: impact high from this many USD (WHALE_IMPACT_HIGH_USD).")
    var impactHighUsd: Double = Self.double("WHALE_IMPACT_HIGH_USD", 10_000_000)
    @Option(help: "Without a known volume: impact medium from this many USD (WHALE_IMPACT_MEDIUM_USD).")
    var impactMediumUsd: Double = Self.double("WHALE_IMPACT_MEDIUM_USD", 1_000_000)
    @Option(help: "Transfers older than this many seconds on arrival never alert (WHALE_MAX_ALERT_AGE_S).")
    var maxAlertAgeS: Int = Env.int("WHALE_MAX_ALERT_AGE_S", 86_400)
    @Option(help: "Seconds a transaction hash that alerted is remembered (WHALE_SEEN_TTL_S).")
    var seenTtlS: Int = Env.int("WHALE_SEEN_TTL_S", 7 * 86_400)
    @Option(help: "Seconds a token's last price is kept without a new tick (WHALE_MARKET_TTL_S).")
    var marketTtlS: Int = Env.int("WHALE_MARKET_TTL_S", 7 * 86_400)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-whale", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        let model = WhaleConfiguration(
            minAlertUSD: minAlertUsd,
            impact: WhaleImpactThresholds(
                highVolumeShare: impactHighPct / 100, mediumVolumeShare: impactMediumPct / 100,
                fallbackHighUSD: impactHighUsd, fallbackMediumUSD: impactMediumUsd),
            maxAlertAge: .seconds(maxAlertAgeS), seenTTL: .seconds(seenTtlS), marketTTL: .seconds(marketTtlS))
        do {
            try model.validate()
        } catch {
            throw ValidationError("invalid whale configuration: \(error)")
        }
        let book: WhaleAddressBook
        do {
            book = addressBook.isEmpty ? .builtIn : try WhaleAddressBook.load(path: addressBook)
        } catch {
            throw ValidationError("\(error)")
        }
        logger.info("address book loaded", metadata: ["addresses": "\(book.count)", "source": "\(addressBook.isEmpty ? "built-in" : addressBook)"])
        let runtime = ProducerRuntime(
            configuration: ProducerConfiguration(name: "whale", host: host, port: port, instance: instance)
                .readingDeliverySettings(from: Env.optional),
            redis: try RedisConfiguration(url: redisURL), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let producer = WhaleProducer(
            configuration: model, addressBook: book, redis: runtime.redis, history: runtime.configuration.history, logger: logger)
        var services: [any Service] = []
        if simulate {
            services.append(
                WhaleSimulationService(
                    simulator: WhaleSimulator(seed: UInt64(truncatingIfNeeded: seed), addressBook: book), redis: runtime.redis,
                    lease: runtime.lease, logger: logger))
        }
        let app = runtime.application(handler: producer, registry: registry, services: services)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// A Double from the environment, or `fallback` when unset or not a number.
    static func double(_ name: String, _ fallback: Double) -> Double {
        Env.optional(name).flatMap(Double.init) ?? fallback
    }
}
