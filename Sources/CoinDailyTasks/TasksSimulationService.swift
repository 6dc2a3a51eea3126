import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import ServiceLifecycle

/// Feeds the simulator's inputs into the ingest stream (`cd:ingest:tasks`), the same path upstream
/// systems use, once per `interval`. Stops promptly on graceful shutdown.
public struct TasksSimulationService: Service {
    private let simulator: TasksSimulator
    private let redis: RedisClient
    private let interval: Duration
    private let logger: Logger

    /// Creates the service.
    public init(simulator: TasksSimulator, redis: RedisClient, interval: Duration = .seconds(1), logger: Logger) {
        self.simulator = simulator
        self.redis = redis
        self.interval = interval
        self.logger = logger
    }

    /// Queues simulated inputs until cancelled or shut down.
    public func run() async throws {
        let (simulator, redis, interval, logger) = (self.simulator, self.redis, self.interval, self.logger)
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "run": "\(simulator.runId)"])
        await cancelWhenGracefulShutdown {
            var simulator = simulator
            while !Task.isCancelled {
                let inputs = simulator.next(now: UnixTime.nowMillis())
                if !inputs.isEmpty {
                    let payload = JSONWriter.string(.array(inputs.map(\.json)))
                    do {
                        _ = try await redis.sendChecked([
                            "XADD", RedisKeys.ingestStream("tasks"), "MAXLEN", "~", "100000", "*", "payload", payload,
                        ])
                    } catch {
                        logger.debug("simulated inputs not queued", metadata: ["error": "\(error)"])
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
