import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
public import Logging
public import ServiceLifecycle

/// Feeds ``WhaleSimulator`` items into the ingest stream (`cd:ingest:whale`), the same path upstream
/// systems use, so `make run` shows live alerts end to end.
///
/// Feeds only while this instance holds the producer's lease (``SimulationFeed``): two instances started
/// with `--simulate` feed the input once, and the other takes over when the holder stops. While paused
/// the simulator keeps its clock (its output dropped), so a takeover does not replay the paused minute.
public struct WhaleSimulationService: Service {
    private let simulator: WhaleSimulator
    private let feed: SimulationFeed
    private let logger: Logger

    /// Creates the service; it ticks every `interval` (default 1 s), while it holds `lease` (`nil`: always).
    public init(
        simulator: WhaleSimulator, redis: RedisClient, interval: Duration = .seconds(1), lease: LeaderLease? = nil, logger: Logger
    ) {
        self.simulator = simulator
        self.feed = SimulationFeed(producer: "whale", redis: redis, interval: interval, lease: lease, logger: logger)
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let feed = self.feed
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "tokens": "\(simulator.tokens.count)"])
        await feed.run(simulator, whilePaused: { simulator, now in _ = simulator.next(now: now) }) { simulator, now in
            let inputs = simulator.next(now: now)
            if !inputs.isEmpty { await feed.queue(.array(inputs.map(\.json))) }
        }
    }
}
