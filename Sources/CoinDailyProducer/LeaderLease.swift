import CoinDailyProtocol
import CoinDailyRedis
import Logging
import ServiceLifecycle

/// Decides which of several instances of a producer emits its periodic events (timers, simulators,
/// aggregations), so two instances side by side do not emit them twice.
///
/// The lease is the key `cd:lease:<producer>` holding the holder's instance name with a TTL. ``refresh()``
/// extends it when this instance holds it (a compare-and-extend script, so a lease another instance
/// took over is never extended) and otherwise tries `SET … NX PX <ttl>`, which succeeds once the
/// holder stopped renewing and the key expired. ``run()`` refreshes every third of the TTL and releases
/// the lease (compare-and-delete) on graceful shutdown, so another instance takes over at its next
/// refresh instead of after the TTL.
///
/// ``leadership`` is ``isLeader`` once a refresh had an answer and `nil` before, for callers (the
/// `--simulate` feeders, see ``SimulationFeed``) that must tell "not yet known" from "another instance
/// holds it". While Redis does not answer, ``isLeader`` keeps its last value: a holder cut off from Redis goes on
/// producing into its outbox (see ``Outbox``) and the others cannot take over anyway. If Redis itself
/// was reachable for the others (a partition), their periods may overlap for up to one TTL.
public actor LeaderLease: Service {
    /// Extends the lease when `ARGV[1]` holds it: `KEYS[1]` the lease, `ARGV[2]` the TTL in ms. Returns 1 or 0.
    public static let extendScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """

    /// Deletes the lease when `ARGV[1]` holds it. Returns 1 or 0.
    public static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// The lease key.
    public nonisolated let key: String
    /// This instance's name (the lease's value while it holds it).
    public nonisolated let instance: String
    /// How long the lease lasts without a refresh.
    public nonisolated let ttl: Duration
    private let redis: RedisClient
    private let logger: Logger
    /// Whether this instance held the lease at its last refresh.
    public private(set) var isLeader = false
    /// Whether a refresh ever had an answer from Redis.
    private var answered = false

    /// ``isLeader`` once a refresh had an answer from Redis; `nil` before (just started, or Redis not
    /// reachable yet), when this instance cannot tell whether another one holds the lease.
    public var leadership: Bool? { answered ? isLeader : nil }

    /// Creates the lease of `producer` for `instance`; nothing is taken before ``refresh()`` or ``run()``.
    public init(redis: RedisClient, producer: String, instance: String, ttl: Duration = .seconds(10), logger: Logger) {
        self.redis = redis
        self.key = RedisKeys.lease(producer)
        self.instance = instance
        self.ttl = max(ttl, .milliseconds(30))
        self.logger = logger
    }

    /// Extends or takes the lease; returns whether this instance holds it. Keeps the previous answer
    /// when Redis does not answer.
    @discardableResult
    public func refresh() async -> Bool {
        let ttlMs = String(ttl.wholeMilliseconds)
        do {
            var held = try await redis.sendChecked(["EVAL", Self.extendScript, "1", key, instance, ttlMs]).int == 1
            if !held {
                held = try await !redis.sendChecked(["SET", key, instance, "NX", "PX", ttlMs]).isNull
            }
            if held != isLeader {
                logger.info(held ? "lease taken: this instance emits the periodic events" : "lease lost to another instance",
                            metadata: ["lease": "\(key)", "instance": "\(instance)"])
            }
            isLeader = held
            answered = true
        } catch {
            logger.debug("lease not refreshed, keeping the last state", metadata: ["lease": "\(key)", "error": "\(error)"])
        }
        return isLeader
    }

    /// Gives the lease up if this instance holds it.
    public func release() async {
        guard isLeader else { return }
        isLeader = false
        _ = try? await redis.send(["EVAL", Self.releaseScript, "1", key, instance])
        logger.info("lease released", metadata: ["lease": "\(key)"])
    }

    /// Refreshes every third of the TTL until graceful shutdown, then releases.
    public func run() async throws {
        let interval = ttl / 3
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh()
                try? await Task.sleep(for: interval)
            }
        }
        await release()
    }
}
