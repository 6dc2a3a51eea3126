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

    /// Creates the producer.
    public init(engine: SentimentEngine, redis: RedisClient, logger: Logger) {
        self.engine = engine
        self.redis = redis
        self.publisher = EventPublisher(redis: redis, producer: "sentiment")
        self.logger = logger
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

    /// Publishes every reading whose periodic interval has elapsed.
    public func tick(now: Int64) async {
        await acquire()
        defer { release() }
        var next = engine
        let due = next.dueReadings(now: now)
        guard !due.isEmpty else { return }
        do {
            try await publish(due)
            engine = next
        } catch {
            logger.warning("periodic sentiment updates not published, retrying", metadata: ["error": "\(error.message)"])
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

    private func publish(_ readings: [SentimentReading]) async throws(IngestError) {
        guard !readings.isEmpty else { return }
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
        do {
            // Announced with every batch (idempotent), so a Redis that restarted empty learns them again.
            _ = try await redis.sendChecked(["SADD", RedisKeys.knownTokens] + Set(readings.map(\.token)).sorted())
            try await publisher.publish(items)
        } catch {
            throw .unavailable("Redis unavailable: \(error)")
        }
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
public struct SentimentTicker: Service {
    let producer: SentimentProducer
    let interval: Duration

    /// Creates the ticker.
    public init(producer: SentimentProducer, interval: Duration = .seconds(1)) {
        self.producer = producer
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
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
public struct SentimentSimulationService: Service {
    private let simulator: SentimentSimulator
    private let redis: RedisClient
    private let interval: Duration
    private let logger: Logger

    /// Creates the service.
    public init(simulator: SentimentSimulator, redis: RedisClient, interval: Duration = .seconds(1), logger: Logger) {
        self.simulator = simulator
        self.redis = redis
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let (simulator, redis, interval, logger) = (self.simulator, self.redis, self.interval, self.logger)
        logger.info("simulator on", metadata: ["seed": "\(simulator.seed)", "tokens": "\(simulator.tokens.count)"])
        await cancelWhenGracefulShutdown { await Self.loop(simulator, redis, interval, logger) }
    }

    private static func loop(_ initial: SentimentSimulator, _ redis: RedisClient, _ interval: Duration, _ logger: Logger) async {
        var simulator = initial
        while !Task.isCancelled {
            let inputs = simulator.next(now: SentimentProducer.nowMillis())
            if !inputs.isEmpty {
                let payload = JSONWriter.string(.array(inputs.map(Self.json)))
                do {
                    _ = try await redis.sendChecked([
                        "XADD", RedisKeys.ingestStream("sentiment"), "MAXLEN", "~", "100000", "*", "payload", payload,
                    ])
                } catch {
                    logger.debug("simulated inputs not queued", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
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
