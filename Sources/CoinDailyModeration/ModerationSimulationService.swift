import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import ServiceLifecycle

/// Feeds ``ModerationSimulator`` inputs into the ingest stream (`cd:ingest:moderation`), the path
/// upstream systems use, so `make run` shows a live queue end to end.
public struct ModerationSimulationService: Service {
    private let simulator: ModerationSimulator
    private let redis: RedisClient
    private let interval: Duration
    private let logger: Logger

    /// Creates the service.
    public init(simulator: ModerationSimulator, redis: RedisClient, interval: Duration = .seconds(1), logger: Logger) {
        self.simulator = simulator
        self.redis = redis
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let (simulator, redis, interval, logger) = (self.simulator, self.redis, self.interval, self.logger)
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "run": "\(simulator.runId)"])
        await cancelWhenGracefulShutdown { await Self.loop(simulator, redis, interval, logger) }
    }

    private static func loop(_ initial: ModerationSimulator, _ redis: RedisClient, _ interval: Duration, _ logger: Logger) async {
        var simulator = initial
        while !Task.isCancelled {
            var next = simulator
            let inputs = next.next(now: UnixTime.nowMillis())
            if inputs.isEmpty {
                simulator = next
            } else {
                let payload = JSONWriter.string(.array(inputs.map(\.json)))
                do {
                    _ = try await redis.sendChecked([
                        "XADD", RedisKeys.ingestStream("moderation"), "MAXLEN", "~", "100000", "*", "payload", payload,
                    ])
                    simulator = next  // only what was queued counts as reported
                } catch {
                    logger.debug("simulated inputs not queued", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
