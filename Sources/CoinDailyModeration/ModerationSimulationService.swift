import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
public import Logging
public import ServiceLifecycle

/// Feeds ``ModerationSimulator`` inputs into the ingest stream (`cd:ingest:moderation`), the path
/// upstream systems use, so `make run` shows a live queue end to end.
///
/// Feeds only while this instance holds the producer's lease (``SimulationFeed``): two instances started
/// with `--simulate` feed the input once, and the other takes over when the holder stops. While paused
/// the simulator does not step (its moderators keep what they hold), and resumes where it stopped.
public struct ModerationSimulationService: Service {
    private let simulator: ModerationSimulator
    private let feed: SimulationFeed
    private let logger: Logger

    /// Creates the service; it ticks every `interval` (default 1 s), while it holds `lease` (`nil`: always).
    public init(
        simulator: ModerationSimulator, redis: RedisClient, interval: Duration = .seconds(1), lease: LeaderLease? = nil, logger: Logger
    ) {
        self.simulator = simulator
        self.feed = SimulationFeed(producer: "moderation", redis: redis, interval: interval, lease: lease, logger: logger)
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let feed = self.feed
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "run": "\(simulator.runId)"])
        await feed.run(simulator) { simulator, now in
            var next = simulator
            let inputs = next.next(now: now)
            if inputs.isEmpty {
                simulator = next
            } else if await feed.queue(.array(inputs.map(\.json))) {
                simulator = next  // only what was queued counts as reported
            }
        }
    }
}
