import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// The sentiment producer: applies validated inputs to the ``SentimentEngine`` and publishes
/// `market_sentiment_update` events (and the latest value per token) through Redis.
///
/// Each batch is applied to a copy of the engine and the copy is kept only once its events are
/// published, so a batch that could not be published (Redis away) leaves no trace and can be
/// retried (HTTP 503, or the stream entry stays pending) without being counted twice. Batches and
/// ticks run one at a time.
public actor SentimentProducer: IngestHandler {
    private var engine: SentimentEngine
    private let publisher: EventPublisher
    private let redis: RedisClient
    private let logger: Logger
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var rankedTokens: Set<String> = []
    /// Periodic updates made while Redis was away, published in order once it answers (run it as a service).
    public nonisolated let outbox: Outbox<EventPublisher.Item>

    /// Creates the producer; `history` sets how much of each token's channel is kept for resume,
    /// `outboxCapacity` how many periodic updates wait while Redis is away.
    public init(
        engine: SentimentEngine, redis: RedisClient, history: HistoryPolicies = HistoryPolicies(), outboxCapacity: Int = 10_000,
        logger: Logger
    ) {
        self.engine = engine
        self.redis = redis
        let publisher = EventPublisher(redis: redis, producer: "sentiment", history: history)
        self.publisher = publisher
        self.logger = logger
        self.outbox = Outbox(producer: "sentiment", name: "events", capacity: outboxCapacity, logger: logger) { items in
            try await Self.send(items, redis: redis, publisher: publisher)
        }
    }

    /// Validates and applies a batch, then publishes what became due. All or nothing.
    public nonisolated func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        let now = Self.nowMillis()
        let inputs: [SentimentInput]
        do {
            inputs = try SentimentInput.parseBatch(Data(buffer: body), now: now)
        } catch {
            throw .invalid(message: error.description, field: error.field, index: error.itemIndex)
        }
        return try await apply(inputs, now: now)
    }

    /// Applies inputs already validated (the simulator's) and publishes what became due.
    public func apply(_ inputs: [SentimentInput], now: Int64) async throws(IngestError) -> Int {
        await acquire()
        defer { release() }
        var next = engine
        let applied = next.apply(contentsOf: inputs)
        let due = next.dueReadings(now: now)
        try await publish(due)
        engine = next
        return applied
    }

    /// Publishes every reading whose periodic interval has elapsed. While Redis is away they wait in
    /// ``outbox`` (with their timestamps) and go out in order once it answers.
    public func tick(now: Int64) async {
        await acquire()
        defer { release() }
        let due = engine.dueReadings(now: now)
        guard !due.isEmpty else { return }
        if await !outbox.submit(items(due)) {
            let waiting = await outbox.count
            logger.debug("periodic sentiment updates kept in the outbox", metadata: ["waiting": "\(waiting)"])
        }
    }

    /// Replaces the trending ranks reported as `trendingRank`: each token of `ranks` gets its rank, tokens
    /// ranked before but absent from `ranks` lose theirs. A rank shows in the token's next update.
    ///
    /// Waits for a batch or tick in progress (they publish from a copy of the engine and keep it only
    /// afterwards), so a rank change is never overwritten and a batch stays all or nothing.
    public func setTrendingRanks(_ ranks: [String: Int]) async {
        await acquire()
        defer { release() }
        let tokens = Set(ranks.keys.map { $0.uppercased() })
        for token in rankedTokens.subtracting(tokens) {
            engine.setTrendingRank(token: token, rank: nil)
        }
        for (token, rank) in ranks {
            engine.setTrendingRank(token: token, rank: rank)
        }
        rankedTokens = tokens
    }

    /// Publishes an ingest batch's readings, after whatever waits in the outbox (so a token's latest value
    /// is never replaced by an older one). Throws ``IngestError/unavailable(_:)`` when Redis is away.
    private func publish(_ readings: [SentimentReading]) async throws(IngestError) {
        guard !readings.isEmpty else { return }
        guard await outbox.drain() else { throw .unavailable("Redis unavailable: periodic updates are still waiting") }
        do {
            try await Self.send(items(readings), redis: redis, publisher: publisher)
        } catch {
            throw .unavailable("Redis unavailable: \(error)")
        }
    }

    private func items(_ readings: [SentimentReading]) -> [EventPublisher.Item] {
        var items: [EventPublisher.Item] = []
        items.reserveCapacity(readings.count)
        for reading in readings {
            let data: JSONValue
            do {
                data = try JSONValue(encoding: reading)
            } catch {
                logger.error("reading not encodable", metadata: ["token": "\(reading.token)"])
                continue
            }
            items.append(
                EventPublisher.Item(
                    channels: [RedisKeys.sentimentChannel(reading.token)],
                    envelope: EventEnvelope(type: ChannelKind.marketSentiment.updateEvent, data: data, timestamp: reading.timestamp),
                    latestKey: RedisKeys.latestSentiment(reading.token)))
        }
        return items
    }

    /// Announces the tokens (idempotent, so a Redis that restarted empty learns them again) and publishes.
    private static func send(_ items: [EventPublisher.Item], redis: RedisClient, publisher: EventPublisher) async throws {
        guard !items.isEmpty else { return }
        let tokens = Set(items.compactMap { $0.envelope.data["token"]?.stringValue }).sorted()
        if !tokens.isEmpty { _ = try await redis.sendChecked(["SADD", RedisKeys.knownTokens] + tokens) }
        try await publisher.publish(items)
    }

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

/// Calls ``SentimentProducer/tick(now:)`` every second, so each token is published at least once
/// per emit interval.
///
/// With a `lease`, only the instance holding it ticks, so two instances do not both publish the
/// periodic updates.
public struct SentimentTicker: Service {
    let producer: SentimentProducer
    let interval: Duration
    let lease: LeaderLease?

    /// Creates the ticker.
    public init(producer: SentimentProducer, interval: Duration = .seconds(1), lease: LeaderLease? = nil) {
        self.producer = producer
        self.interval = interval
        self.lease = lease
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                if let lease, await !lease.isLeader { continue }
                await producer.tick(now: SentimentProducer.nowMillis())
            }
        }
    }
}

/// Makes `trendingRank` come from the trending producer: every few seconds reads its 24 h ranks from the
/// Redis hash `cd:trending:rank` (token → rank) and, when they changed, hands them to
/// ``SentimentProducer/setTrendingRanks(_:)``. A missing hash means no ranks (the field is omitted); while
/// Redis is unreachable the last ranks stay. Stops promptly on graceful shutdown.
public struct SentimentTrendingRankService: Service {
    /// The hash the trending producer writes.
    public static let defaultKey = RedisKeys.trendingRank

    private let producer: SentimentProducer
    private let redis: RedisClient
    private let key: String
    private let interval: Duration
    private let logger: Logger

    /// Creates the service; it reads `key` every `interval` (default 5 s).
    public init(
        producer: SentimentProducer, redis: RedisClient, key: String = defaultKey, interval: Duration = .seconds(5), logger: Logger
    ) {
        self.producer = producer
        self.redis = redis
        self.key = key
        self.interval = interval
        self.logger = logger
    }

    /// Reads and applies the ranks every interval until graceful shutdown.
    public func run() async throws {
        let (producer, redis, key, interval, logger) = (self.producer, self.redis, self.key, self.interval, self.logger)
        await cancelWhenGracefulShutdown {
            var applied: [String: Int]? = nil
            while !Task.isCancelled {
                do {
                    let ranks = try await Self.read(redis, key)
                    if ranks != applied {
                        await producer.setTrendingRanks(ranks)
                        applied = ranks
                        logger.debug("trending ranks updated", metadata: ["ranked": "\(ranks.count)"])
                    }
                } catch {
                    logger.debug("trending ranks not read", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// `HGETALL key` as token → rank; entries that are not a symbol and a positive integer are skipped.
    static func read(_ redis: RedisClient, _ key: String) async throws -> [String: Int] {
        let reply = try await redis.sendChecked(["HGETALL", key])
        let fields = reply.array ?? []
        var ranks: [String: Int] = [:]
        var index = 0
        while index + 1 < fields.count {
            if let token = fields[index].string?.uppercased(), let rank = fields[index + 1].string.flatMap({ Int($0) }), rank > 0 {
                ranks[token] = rank
            }
            index += 2
        }
        return ranks
    }
}

/// Feeds simulated inputs into the ingest stream (`cd:ingest:sentiment`), the same path upstream
/// systems use, so `make run` shows live data end to end.
///
/// Feeds only while this instance holds the producer's lease (``SimulationFeed``): two instances started
/// with `--simulate` feed the input once, and the other takes over when the holder stops. While paused
/// the simulator keeps its clock (its output dropped), so a takeover does not replay the paused minutes.
public struct SentimentSimulationService: Service {
    private let simulator: SentimentSimulator
    private let feed: SimulationFeed
    private let logger: Logger

    /// Creates the service; it ticks every `interval` (default 1 s), while it holds `lease` (`nil`: always).
    public init(
        simulator: SentimentSimulator, redis: RedisClient, interval: Duration = .seconds(1), lease: LeaderLease? = nil, logger: Logger
    ) {
        self.simulator = simulator
        self.feed = SimulationFeed(producer: "sentiment", redis: redis, interval: interval, lease: lease, logger: logger)
        self.logger = logger
    }

    /// Queues simulated inputs until graceful shutdown.
    public func run() async throws {
        let feed = self.feed
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "tokens": "\(simulator.tokens.count)"])
        await feed.run(simulator, whilePaused: { simulator, now in _ = simulator.next(now: now) }) { simulator, now in
            let inputs = simulator.next(now: now)
            if !inputs.isEmpty { await feed.queue(.array(inputs.map(Self.json))) }
        }
    }

    /// The ingest JSON of one input.
    static func json(_ input: SentimentInput) -> JSONValue {
        switch input {
        case .signal(let s):
            return [
                "token": .string(s.token), "source": .string(s.source.rawValue), "score": .number(s.score),
                "weight": .number(s.weight), "timestamp": .int(s.timestamp),
            ]
        case .price(let p):
            var object: [String: JSONValue] = ["token": .string(p.token), "price": .number(p.price), "timestamp": .int(p.timestamp)]
            if let volume = p.volume24h { object["volume24h"] = .number(volume) }
            return .object(object)
        }
    }
}
