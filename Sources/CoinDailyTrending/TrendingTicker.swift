import CoinDailyService
public import Logging
public import ServiceLifecycle

/// Runs ``TrendingProducer/run(now:)`` every interval (the first run after `firstDelay`). A failed run (Redis
/// away) is logged and retried every ``retryDelay`` until it succeeds: the ranking is computed from state kept
/// in Redis, so there is nothing to hold in an outbox — the run due during an outage goes out as soon as Redis
/// is back, from the current state. Stops promptly on graceful shutdown.
public struct TrendingTicker: Service {
    private let producer: TrendingProducer
    private let interval: Duration
    private let firstDelay: Duration
    private let logger: Logger
    /// How soon a failed run is tried again (at most the interval).
    private let retryDelay: Duration

    /// Creates the ticker.
    public init(
        producer: TrendingProducer, interval: Duration, firstDelay: Duration, logger: Logger, retryDelay: Duration = .seconds(1)
    ) {
        self.producer = producer
        self.interval = interval
        self.firstDelay = firstDelay
        self.logger = logger
        self.retryDelay = min(retryDelay, interval)
    }

    /// Ranks every interval until graceful shutdown.
    public func run() async throws {
        let (producer, interval, firstDelay, logger, retryDelay) =
            (self.producer, self.interval, self.firstDelay, self.logger, self.retryDelay)
        await cancelWhenGracefulShutdown {
            var delay = firstDelay
            var failing = false
            while !Task.isCancelled {
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { break }
                let started = ContinuousClock.now
                do {
                    try await producer.run(now: UnixTime.nowMillis())
                    if failing { logger.info("trending ranking published again") }
                    failing = false
                    // Keep the cadence: the run's own time counts toward the interval.
                    delay = max(.zero, interval - (ContinuousClock.now - started))
                } catch {
                    if !failing {
                        logger.warning("trending ranking not published, retrying", metadata: ["error": "\(error)"])
                    }
                    failing = true
                    delay = retryDelay
                }
            }
        }
    }
}
