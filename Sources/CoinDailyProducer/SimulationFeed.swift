import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import ServiceLifecycle

/// The loop of a producer's `--simulate` feeder: every `interval` one step that queues simulated inputs
/// into the producer's ingest stream (`cd:ingest:<producer>`, the path upstream systems use), but only
/// while this instance holds the producer's ``LeaderLease``, so two instances started with `--simulate`
/// do not feed twice the input (and raise every alert twice).
///
/// Each tick asks the lease's ``LeaderLease/leadership``: holding it, the feeder runs `step`; another
/// instance holding it, it runs `whilePaused` instead (a time-driven simulator advances its clock there
/// and drops the output, so that taking over later neither replays the paused interval nor back-fills
/// history the other instance already fed; a stateful one does nothing there and resumes where it
/// stopped); before the lease's first answer from Redis it waits. It thus pauses within a tick of the
/// lease's refresh that lost the lease and resumes within a tick of the one that took it. Without a
/// lease every tick runs `step` (a single instance). Stops promptly on graceful shutdown.
public struct SimulationFeed: Sendable {
    /// The producer whose ingest stream is fed.
    public let producer: String
    /// Time between two ticks.
    public let interval: Duration
    private let redis: RedisClient
    private let lease: LeaderLease?
    private let logger: Logger

    /// Creates the loop; `lease` `nil` means always feed.
    public init(producer: String, redis: RedisClient, interval: Duration, lease: LeaderLease?, logger: Logger) {
        self.producer = producer
        self.redis = redis
        self.interval = interval
        self.lease = lease
        self.logger = logger
    }

    /// Queues `payload` (a JSON array of inputs) as one entry of the ingest stream (`MAXLEN ~ 100000`).
    /// Returns whether Redis took it; a failure is logged at debug level.
    @discardableResult
    public func queue(_ payload: JSONValue) async -> Bool {
        do {
            _ = try await redis.sendChecked([
                "XADD", RedisKeys.ingestStream(producer), "MAXLEN", "~", "100000", "*", "payload", JSONWriter.string(payload),
            ])
            return true
        } catch {
            logger.debug("simulated inputs not queued", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Ticks until graceful shutdown or cancellation, starting from `initial` (the simulator's state);
    /// both closures get the state and the tick's time (Unix ms).
    public func run<State: Sendable>(
        _ initial: State,
        whilePaused: @escaping @Sendable (inout State, Int64) -> Void = { _, _ in },
        step: @escaping @Sendable (inout State, Int64) async -> Void
    ) async {
        let (lease, interval, logger) = (self.lease, self.interval, self.logger)
        await cancelWhenGracefulShutdown {
            var state = initial
            var leading: Bool? = nil
            while !Task.isCancelled {
                let holds: Bool? = if let lease { await lease.leadership } else { true }
                if let holds, holds != leading {
                    logger.info(
                        holds ? "simulator feeding: this instance holds the lease" : "simulator paused: another instance holds the lease",
                        metadata: ["lease": "\(lease?.key ?? "none")"])
                    leading = holds
                }
                switch holds {
                case true?: await step(&state, UnixTime.nowMillis())
                case false?: whilePaused(&state, UnixTime.nowMillis())
                case nil: break
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
