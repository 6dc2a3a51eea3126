import CoinDailyService
public import Logging
public import ServiceLifecycle

/// Runs ``TrendingProducer/run(now:)`` every interval (the first run after `firstDelay`); a failed run is
/// logged and retried at the next interval. Stops promptly on graceful shutdown.
public struct TrendingTicker: Service {
    private let producer: TrendingProducer
    private let interval: Duration
    private let firstDelay: Duration
    private let logger: Logger

    /// Creates the ticker.
    public init(producer: TrendingProducer, interval: Duration, firstDelay: Duration, logger: Logger) {
        self.producer = producer
        self.interval = interval
        self.firstDelay = firstDelay
        self.logger = logger
    }

    /// Ranks every interval until graceful shutdown.
    public func run() async throws {
        let (producer, interval, firstDelay, logger) = (self.producer, self.interval, self.firstDelay, self.logger)
        await cancelWhenGracefulShutdown {
            var delay = firstDelay
            while !Task.isCancelled {
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { break }
                let started = ContinuousClock.now
                do {
                    try await producer.run(now: UnixTime.nowMillis())
                } catch {
                    logger.warning("trending ranking not published, retrying next interval", metadata: ["error": "\(error)"])
                }
                // Keep the cadence: the run's own time counts toward the interval.
                delay = max(.zero, interval - (ContinuousClock.now - started))
            }
        }
    }
}
