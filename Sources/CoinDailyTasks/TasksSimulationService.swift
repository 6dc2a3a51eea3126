import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
public import Logging
public import ServiceLifecycle

/// Feeds the simulator's inputs into the ingest stream (`cd:ingest:tasks`), the same path upstream
/// systems use, once per `interval`.
///
/// Feeds only while this instance holds the producer's lease (``SimulationFeed``): two instances started
/// with `--simulate` feed the input once, and the other takes over when the holder stops. While paused
/// the simulator does not step (its tasks and pipelines wait), and resumes where it stopped.
public struct TasksSimulationService: Service {
    private let simulator: TasksSimulator
    private let feed: SimulationFeed
    private let logger: Logger

    /// Creates the service; it ticks every `interval` (default 1 s), while it holds `lease` (`nil`: always).
    public init(
        simulator: TasksSimulator, redis: RedisClient, interval: Duration = .seconds(1), lease: LeaderLease? = nil, logger: Logger
    ) {
        self.simulator = simulator
        self.feed = SimulationFeed(producer: "tasks", redis: redis, interval: interval, lease: lease, logger: logger)
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let feed = self.feed
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "run": "\(simulator.runId)"])
        await feed.run(simulator) { simulator, now in
            let inputs = simulator.next(now: now)
            if !inputs.isEmpty { await feed.queue(.array(inputs.map(\.json))) }
        }
    }
}
