import CoinDailyProtocol
public import CoinDailyRedis
import CoinDailyService
public import Logging
public import ServiceLifecycle

/// Feeds ``TrendingSimulator`` samples into the ingest stream (`cd:ingest:trending`), the path upstream
/// systems use, in entries of at most 500 samples. Stops promptly on graceful shutdown.
public struct TrendingSimulationService: Service {
    private let simulator: TrendingSimulator
    private let redis: RedisClient
    private let interval: Duration
    private let logger: Logger

    /// Creates the service; it looks for due samples every `interval` (default 1 s).
    public init(simulator: TrendingSimulator, redis: RedisClient, interval: Duration = .seconds(1), logger: Logger) {
        self.simulator = simulator
        self.redis = redis
        self.interval = interval
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let (simulator, redis, interval, logger) = (self.simulator, self.redis, self.interval, self.logger)
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "tokens": "\(simulator.universe.count)"])
        await cancelWhenGracefulShutdown { await Self.loop(simulator, redis, interval, logger) }
    }

    private static func loop(_ initial: TrendingSimulator, _ redis: RedisClient, _ interval: Duration, _ logger: Logger) async {
        var simulator = initial
        var pending: [MarketSample] = []
        while !Task.isCancelled {
            pending += simulator.next(now: UnixTime.nowMillis())
            while !pending.isEmpty, !Task.isCancelled {
                let chunk = pending.prefix(500)
                let payload = JSONWriter.string(.array(chunk.map(TrendingInput.json)))
                do {
                    _ = try await redis.sendChecked([
                        "XADD", RedisKeys.ingestStream("trending"), "MAXLEN", "~", "100000", "*", "payload", payload,
                    ])
                    pending.removeFirst(chunk.count)
                } catch {
                    logger.debug("simulated samples not queued", metadata: ["error": "\(error)"])
                    break
                }
            }
            // Never hoard more than a day of samples while Redis is away.
            if pending.count > 100_000 { pending.removeFirst(pending.count - 100_000) }
            try? await Task.sleep(for: interval)
        }
    }
}
