public import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
import CoinDailyService
public import Logging
import Metrics
public import NIOCore

/// The trending producer: stores market samples (ingest) and, every interval, ranks the memecoins in
/// each timeframe and publishes `trending_memecoins_update` events.
///
/// Ingest validates the whole batch (400 naming the field, nothing applied), then stores it in one
/// transaction (503 while Redis is unreachable). Redis holds all state, so a restarted producer, or
/// another instance, ranks with the same history. A ranking run reads the histories and the sentiment
/// producer's latest scores, ranks with ``TrendingEngine``, and publishes in one transaction: the four
/// updates, the four snapshots (`cd:latest:trending:<timeframe>`) and the 24 h rank hash (`cd:trending:rank`).
public struct TrendingProducer: IngestHandler {
    /// The model.
    public let engine: TrendingEngine
    private let store: TrendingStore
    private let instance: String
    private let lease: Duration?
    private let logger: Logger
    private let runs: Counter
    private let skipped: Counter
    private let failed: Counter
    private let samples: Counter

    /// Creates the producer.
    ///
    /// - Parameters:
    ///   - lease: when set, a run first takes `cd:trending:lease` for this long (`SET NX PX`) and is skipped
    ///     if another instance holds it, so several instances publish one ranking per interval.
    ///   - history: how much of `cd:ev:trending_memecoins` is kept for resume.
    public init(
        engine: TrendingEngine, redis: RedisClient, instance: String, lease: Duration? = nil,
        history: HistoryPolicies = HistoryPolicies(), logger: Logger
    ) {
        self.engine = engine
        self.store = TrendingStore(
            redis: redis, configuration: engine.configuration, history: history.policy(for: .trendingMemecoins))
        self.instance = instance
        self.lease = lease
        self.logger = logger
        self.runs = Counter(label: "coindaily_trending_rankings_total", dimensions: [("result", "published")])
        self.skipped = Counter(label: "coindaily_trending_rankings_total", dimensions: [("result", "skipped")])
        self.failed = Counter(label: "coindaily_trending_rankings_total", dimensions: [("result", "failed")])
        self.samples = Counter(label: "coindaily_trending_samples_total")
    }

    /// Validates and stores a batch of samples.
    public func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        let now = UnixTime.nowMillis()
        let configuration = engine.configuration
        let parsed: [MarketSample]
        do {
            parsed = try TrendingInput.parseBatch(
                body, now: now, universe: Set(configuration.universe), oldest: now - configuration.retention.wholeMillis,
                maxItems: configuration.maxBatchItems)
        } catch {
            throw .invalid(message: error.description, field: error.field, index: error.itemIndex)
        }
        try await store(parsed, now: now)
        return parsed.count
    }

    /// Stores already validated samples (one transaction).
    public func store(_ batch: [MarketSample], now: Int64) async throws(IngestError) {
        do {
            try await store.write(batch, now: now)
        } catch {
            throw .unavailable("Redis unavailable: \(error)")
        }
        samples.increment(by: batch.count)
    }

    /// Ranks and publishes at time `now`. Returns the ranking, or `nil` when another instance holds the lease.
    @discardableResult
    public func run(now: Int64) async throws(TrendingError) -> TrendingRanking? {
        do {
            if let lease, try await !store.acquireLease(instance: instance, ttl: lease) {
                skipped.increment()
                return nil
            }
            let universe = engine.configuration.universe
            async let history = store.history(of: universe, now: now)
            async let sentiment = store.sentiment(of: universe)
            let ranking = engine.rank(history: try await history, sentiment: try await sentiment, now: now)
            try await store.publish(ranking)
            runs.increment()
            logger.debug(
                "trending ranking published",
                metadata: ["ranked.24h": "\(ranking.ranks24h.count)", "top.1h": "\(ranking.updates.first?.coins.first?.token ?? "-")"])
            return ranking
        } catch {
            failed.increment()
            throw .unavailable("\(error)")
        }
    }
}
