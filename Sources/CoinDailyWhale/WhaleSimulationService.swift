import CoinDailyProtocol
public import CoinDailyRedis
import CoinDailyService
public import Logging
public import ServiceLifecycle

/// Feeds ``WhaleSimulator`` items into the ingest stream (`cd:ingest:whale`), the same path upstream
/// systems use, so `make run` shows live alerts end to end. Stops promptly on graceful shutdown.
public struct WhaleSimulationService: Service {
    private let simulator: WhaleSimulator
    private let redis: RedisClient
    private let interval: Duration
    private let logger: Logger

    /// Creates the service; one batch is queued every `interval` (default 1 s).
    public init(simulator: WhaleSimulator, redis: RedisClient, interval: Duration = .seconds(1), logger: Logger) {
        self.simulator = simulator
        self.redis = redis
        self.interval = interval
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let (simulator, redis, interval, logger) = (self.simulator, self.redis, self.interval, self.logger)
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "tokens": "\(simulator.tokens.count)"])
        await cancelWhenGracefulShutdown { await Self.loop(simulator, redis, interval, logger) }
    }

    private static func loop(_ initial: WhaleSimulator, _ redis: RedisClient, _ interval: Duration, _ logger: Logger) async {
        var simulator = initial
        while !Task.isCancelled {
            let items = simulator.next(now: UnixTime.nowMillis())
            if !items.isEmpty {
                let payload = JSONWriter.string(.array(items.map(\.json)))
                do {
                    _ = try await redis.sendChecked([
                        "XADD", RedisKeys.ingestStream("whale"), "MAXLEN", "~", "100000", "*", "payload", payload,
                    ])
                } catch {
                    logger.debug("simulated inputs not queued", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
