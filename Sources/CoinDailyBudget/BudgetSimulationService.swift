import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
public import Logging
public import ServiceLifecycle

/// Feeds the simulator's inputs into the ingest stream (`cd:ingest:budget`), the same path upstream
/// systems use, once per `interval`.
///
/// Feeds only while this instance holds the producer's lease (``SimulationFeed``): two instances started
/// with `--simulate` feed the input once, and the other takes over when the holder stops. While paused
/// the simulator does not step, and resumes where it stopped.
public struct BudgetSimulationService: Service {
    private let simulator: BudgetSimulator
    private let feed: SimulationFeed
    private let logger: Logger

    /// Creates the service; it ticks every `interval` (default 1 s), while it holds `lease` (`nil`: always).
    public init(
        simulator: BudgetSimulator, redis: RedisClient, interval: Duration = .seconds(1), lease: LeaderLease? = nil, logger: Logger
    ) {
        self.simulator = simulator
        self.feed = SimulationFeed(producer: "budget", redis: redis, interval: interval, lease: lease, logger: logger)
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
