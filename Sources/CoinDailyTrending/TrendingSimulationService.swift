import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
public import Logging
public import ServiceLifecycle

/// Feeds ``TrendingSimulator`` samples into the ingest stream (`cd:ingest:trending`), the path upstream
/// systems use, in entries of at most 500 samples.
///
/// Feeds only while this instance holds the producer's lease (``SimulationFeed``): two instances started
/// with `--simulate` feed the samples once, and the other takes over when the holder stops. While paused
/// the simulator keeps its clock (its samples dropped), so a takeover neither back-fills nor replays
/// history the other instance already fed.
public struct TrendingSimulationService: Service {
    private let simulator: TrendingSimulator
    private let feed: SimulationFeed
    private let logger: Logger

    /// Creates the service; it looks for due samples every `interval` (default 1 s), while it holds
    /// `lease` (`nil`: always).
    public init(simulator: TrendingSimulator, redis: RedisClient, interval: Duration = .seconds(1), lease: LeaderLease? = nil, logger: Logger) {
        self.simulator = simulator
        self.feed = SimulationFeed(producer: "trending", redis: redis, interval: interval, lease: lease, logger: logger)
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let feed = self.feed
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "tokens": "\(simulator.universe.count)"])
        let paused: @Sendable (inout (TrendingSimulator, [MarketSample]), Int64) -> Void = { state, now in
            _ = state.0.next(now: now)
            state.1.removeAll()
        }
        await feed.run((simulator, [MarketSample]()), whilePaused: paused) { state, now in
            state.1 += state.0.next(now: now)
            while !state.1.isEmpty, !Task.isCancelled {
                let chunk = state.1.prefix(500)
                guard await feed.queue(.array(chunk.map(TrendingInput.json))) else { break }
                state.1.removeFirst(chunk.count)
            }
            // Never hoard more than a day of samples while Redis is away.
            if state.1.count > 100_000 { state.1.removeFirst(state.1.count - 100_000) }
        }
    }
}
