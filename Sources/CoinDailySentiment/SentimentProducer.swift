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
