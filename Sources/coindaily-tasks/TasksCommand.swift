import ArgumentParser
import CoinDailyProducer
import CoinDailyRedis
import CoinDailyService
import CoinDailyTasks
import NIOPosix
import ServiceLifecycle

/// `coindaily-tasks`: parses flags (each with an environment variable) and runs the tasks producer.
@main
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-tasks",
        abstract: "Enforces the AI task and content pipeline state rules and publishes their updates through Redis.")

    @Option(help: "Address to bind (TASKS_HOST).") var host: String = Env.string("TASKS_HOST", "0.0.0.0")
    @Option(help: "Port (TASKS_PORT).") var port: Int = Env.int("TASKS_PORT", 4104)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(help: "Instance name, the stream consumer name (TASKS_INSTANCE).")
    var instance: String = Env.string("TASKS_INSTANCE", InstanceName.default)
    @Flag(help: "Feed simulated inputs through the ingest stream (TASKS_SIMULATE=1).")
    var simulate: Bool = Env.bool("TASKS_SIMULATE", false)
    @Option(help: "Simulator seed (TASKS_SEED).") var seed: Int = Env.int("TASKS_SEED", 42)
    @Option(help: "An agent is active this long after its last task event, seconds (TASKS_AGENT_ACTIVE_WINDOW_S).")
    var agentActiveWindowS: Int = Env.int("TASKS_AGENT_ACTIVE_WINDOW_S", 600)
    @Option(help: "How often idle agents are marked inactive, seconds (TASKS_AGENT_SWEEP_INTERVAL_S).")
    var agentSweepIntervalS: Int = Env.int("TASKS_AGENT_SWEEP_INTERVAL_S", 30)
    @Option(help: "Name of an agent no event named; {id} is the agent id (TASKS_DEFAULT_AGENT_NAME).")
    var defaultAgentName: String = Env.string("TASKS_DEFAULT_AGENT_NAME", "agent-{id}")
    @Option(help: "Keep a task's or pipeline's state this long after its last event, seconds (TASKS_STATE_TTL_S).")
    var stateTTLS: Int = Env.int("TASKS_STATE_TTL_S", 7 * 24 * 3600)
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-tasks", level: logLevel)
        let registry = MetricsBootstrap.bootstrap()
        let model = TasksConfiguration(
            stateTTL: .seconds(stateTTLS), agentActiveWindow: .seconds(agentActiveWindowS),
            agentSweepInterval: .seconds(agentSweepIntervalS), defaultAgentName: defaultAgentName)
        do {
            try model.validate()
        } catch {
            throw ValidationError("invalid tasks configuration: \(error)")
        }
        let runtime = ProducerRuntime(
            configuration: ProducerConfiguration(name: "tasks", host: host, port: port, instance: instance)
                .readingDeliverySettings(from: Env.optional),
            redis: try RedisConfiguration(url: redisURL), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let producer = TasksProducer(configuration: model, redis: runtime.redis, history: runtime.configuration.history, logger: logger)
        var services: [any Service] = [
            AgentRegistrySweeper(producer: producer, interval: model.agentSweepInterval, logger: logger)
        ]
        if simulate {
            let runId = String(UInt64(UnixTime.nowMillis()), radix: 36)
            services.append(
                TasksSimulationService(
                    simulator: TasksSimulator(seed: UInt64(truncatingIfNeeded: seed), runId: runId), redis: runtime.redis,
                    lease: runtime.lease, logger: logger))
        }
        let app = runtime.application(handler: producer, registry: registry, services: services)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
