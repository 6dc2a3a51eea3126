import ArgumentParser
import CoinDailyBudget
import CoinDailyProducer
import CoinDailyRedis
import CoinDailyService
import NIOPosix
import ServiceLifecycle

/// `coindaily-budget`: parses flags (each with an environment variable) and runs the budget producer.
@main
struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-budget",
        abstract: "Sums AI agents' spend per period and publishes budget alerts through Redis, once per threshold.")

    @Option(help: "Address to bind (BUDGET_HOST).") var host: String = Env.string("BUDGET_HOST", "0.0.0.0")
    @Option(help: "Port (BUDGET_PORT).") var port: Int = Env.int("BUDGET_PORT", 4105)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name, the stream consumer name (BUDGET_INSTANCE).")
    var instance: String = Env.string("BUDGET_INSTANCE", InstanceName.default)
    @Flag(help: "Feed simulated inputs through the ingest stream (BUDGET_SIMULATE=1).")
    var simulate: Bool = Env.bool("BUDGET_SIMULATE", false)
    @Option(help: "Simulator seed (BUDGET_SEED).") var seed: Int = Env.int("BUDGET_SEED", 42)
    @Option(help: "Alert thresholds in percent, comma-separated (BUDGET_THRESHOLDS).")
    var thresholds: String = Env.string("BUDGET_THRESHOLDS", "80,90,100")
    @Option(help: "Reject spend records older than this, days (BUDGET_MAX_SPEND_AGE_DAYS).")
    var maxSpendAgeDays: Int = Env.int("BUDGET_MAX_SPEND_AGE_DAYS", 35)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-budget", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        let parsed = thresholds.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.contains(where: { $0 == nil }) else { throw ValidationError("--thresholds must be integers, e.g. 80,90,100") }
        let model = BudgetConfiguration(thresholds: parsed.compactMap { $0 }, maxSpendAge: .seconds(maxSpendAgeDays * 86_400))
        do {
            try model.validate()
        } catch {
            throw ValidationError("invalid budget configuration: \(error)")
        }
        let runtime = ProducerRuntime(
            configuration: ProducerConfiguration(name: "budget", host: host, port: port, instance: instance)
                .readingDeliverySettings(from: Env.optional),
            redis: try RedisConfiguration(url: redisURL), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let producer = BudgetProducer(configuration: model, redis: runtime.redis, history: runtime.configuration.history, logger: logger)
        var services: [any Service] = []
        if simulate {
            let runId = String(UInt64(UnixTime.nowMillis()), radix: 36)
            services.append(
                BudgetSimulationService(
                    simulator: BudgetSimulator(seed: UInt64(truncatingIfNeeded: seed), runId: runId), redis: runtime.redis,
                    lease: runtime.lease, logger: logger))
        }
        let app = BudgetApplication(
            wrapping: runtime.application(handler: producer, registry: registry, services: services), producer: producer)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
