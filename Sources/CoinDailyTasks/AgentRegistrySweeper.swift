import Logging
import ServiceLifecycle
import CoinDailyService

/// Every ``TasksConfiguration/agentSweepInterval`` marks agents without a task event in the active
/// window `inactive` (``TasksProducer/sweepAgents(now:)``). Stops promptly on graceful shutdown.
public struct AgentRegistrySweeper: Service {
    private let producer: TasksProducer
    private let interval: Duration
    private let logger: Logger

    /// Creates the sweeper.
    public init(producer: TasksProducer, interval: Duration, logger: Logger) {
        self.producer = producer
        self.interval = interval
        self.logger = logger
    }

    /// Sweeps until cancelled or shut down.
    public func run() async throws {
        let (producer, interval, logger) = (self.producer, self.interval, self.logger)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let changed = try await producer.sweepAgents(now: UnixTime.nowMillis())
                    if changed > 0 { logger.info("agents marked inactive", metadata: ["count": "\(changed)"]) }
                } catch {
                    logger.debug("agent sweep failed, retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
