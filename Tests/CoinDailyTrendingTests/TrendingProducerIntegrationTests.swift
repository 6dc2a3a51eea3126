import CoinDailyTestSupport
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailySentiment
import NIOCore
import Testing

@testable import CoinDailyTrending

/// The producer against a real `redis-server`: stored history (idempotent, trimmed, surviving a restart),
/// the published updates, snapshots and rank hash, the lease, errors, and the rank feed into the sentiment producer.
@Suite("Trending producer with Redis", .timeLimit(.minutes(1)), .serialized)
struct TrendingProducerIntegrationTests {
    static let channel = RedisKeys.eventChannel(.trendingMemecoins)

    func withServer(_ body: (RedisServerProcess, RedisClient) async throws -> Void) async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let redis = TestRedis.client(port: server.port, "producer")
        do {
            try await body(server, redis)
        } catch {
            await redis.shutdown()
            throw error
        }
        await redis.shutdown()
    }

    func producer(_ redis: RedisClient, lease: Duration? = nil, instance: String = "test") -> TrendingProducer {
        TrendingProducer(engine: try! TrendingEngine(), redis: redis, instance: instance, lease: lease, logger: TestRedis.logger("trending"))
    }

    func ingest(_ producer: TrendingProducer, _ samples: [MarketSample]) async -> Result<Int, IngestError> {
        await ingestBody(producer, body(samples))
    }

    func ingestBody(_ producer: TrendingProducer, _ bytes: ByteBuffer) async -> Result<Int, IngestError> {
        do throws(IngestError) {
            return .success(try await producer.ingest(bytes))
        } catch {
            return .failure(error)
        }
    }

    /// PEPE rising, WIF flat, BONK falling, over the last 50 minutes.
    func market(now: Int64) -> [MarketSample] {
        [
            sample("PEPE", price: 1, volume: 1e6, mentions: 5, at: now - 50 * minute),
            sample("PEPE", price: 1.3, volume: 3e6, mentions: 80, at: now - 5 * minute),
            sample("WIF", price: 2, volume: 5e6, mentions: 10, at: now - 50 * minute),
            sample("WIF", price: 2, volume: 5e6, mentions: 10, at: now - 5 * minute),
            sample("BONK", price: 1, volume: 2e6, mentions: 40, at: now - 50 * minute),
            sample("BONK", price: 0.7, volume: 1e6, mentions: 2, at: now - 5 * minute),
        ]
    }

    @Test("a run publishes one update per timeframe, keeps the snapshots and replaces the rank hash, in one go")
    func publishes() async throws {
        try await withServer { server, redis in
            let listener = ChannelListener(port: server.port, channel: Self.channel)
            try await listener.start()
            let trending = producer(redis)
            let now = nowMillis()
            #expect(await ingest(trending, market(now: now)) == .success(6))
            _ = try await redis.sendChecked(["HSET", TrendingKeys.rank, "DOGE", "1"])  // stale: must disappear
            _ = try await redis.sendChecked(["SET", RedisKeys.latestSentiment("WIF"), #"{"token":"WIF","score":0.9}"#])
            let ranking = try #require(try await trending.run(now: now))
            try await listener.sync("end")

            let envelopes = listener.envelopes
            #expect(envelopes.count == 4)
            #expect(envelopes.compactMap { $0["data"]?["timeframe"]?.stringValue } == ["1h", "4h", "24h", "7d"])
            for (envelope, update) in zip(envelopes, ranking.updates) {
                #expect(envelope["type"] == "trending_memecoins_update")
                #expect(envelope["timestamp"] == .int(now))
                #expect(envelope["data"] == update.data)
                let stored = try await redis.getString(TrendingKeys.latest(update.timeframe))
                #expect(stored.flatMap { try? JSONValue.parse($0) } == update.data)
            }
            let hour = ranking.updates[0]
            #expect(hour.coins.map(\.token) == ["PEPE", "WIF", "BONK"])
            #expect(hour.coins[0] == TrendingCoin(
                token: "PEPE", rank: 1, sentimentScore: 0, volume24h: 3e6, priceChange24h: 30, trendingScore: hour.coins[0].trendingScore))
            #expect(hour.coins[1].sentimentScore == 0.9, "read from cd:latest:market_sentiment:WIF")
            let fields: [String] = try await redis.sendChecked(["HGETALL", TrendingKeys.rank]).array?.compactMap(\.string) ?? []
            var ranks: [String: String] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { ranks[fields[index]] = fields[index + 1] }
            #expect(ranks == ["PEPE": "1", "WIF": "2", "BONK": "3"])
            #expect(Set(try await redis.smembers(RedisKeys.knownTokens)) == ["PEPE", "WIF", "BONK"])
            await listener.stop()
        }
    }

    @Test("samples: a redelivered batch changes nothing, the same slot replaces, the history is trimmed and expires")
    func history() async throws {
        try await withServer { _, redis in
            let trending = producer(redis)
            let store = TrendingStore(redis: redis, configuration: trending.engine.configuration)
            let now = nowMillis()
            let slot = now - now % 60_000
            let batch = [sample("PEPE", price: 1, mentions: 5, at: slot + 1000), sample("PEPE", price: 2, mentions: 7, at: slot - 60_000)]
            #expect(await ingest(trending, batch) == .success(2))
            #expect(await ingest(trending, batch) == .success(2))
            #expect(try await store.history(of: ["PEPE"], now: now)["PEPE"] == batch.reversed(), "redelivery: no double count")
            let replacement = sample("PEPE", price: 3, mentions: 9, at: slot + 30_000)
            #expect(await ingest(trending, [replacement]) == .success(1))
            #expect(try await store.history(of: ["PEPE"], now: now)["PEPE"] == [batch[1], replacement], "same minute: replaced")

            let retention = trending.engine.configuration.retention.wholeMillis
            try await trending.store([sample("WIF", at: now - retention + 1000)], now: now)
            #expect(try await store.history(of: ["WIF"], now: now)["WIF"]?.count == 1)
            try await trending.store([sample("WIF", at: now)], now: now + 2000)
            #expect(try await store.history(of: ["WIF"], now: now + 2000)["WIF"] == [sample("WIF", at: now)], "trimmed")
            let ttl = try await redis.sendChecked(["PTTL", TrendingKeys.samples("WIF")]).int ?? -1
            #expect(ttl > retention - 10_000 && ttl <= retention)
        }
    }

    @Test("after a restart a new producer ranks from the same history")
    func restart() async throws {
        try await withServer { server, redis in
            let now = nowMillis()
            let before = try #require(try await {
                let trending = producer(redis)
                #expect(await ingest(trending, market(now: now)) == .success(6))
                return try await trending.run(now: now)
            }())
            let client = TestRedis.client(port: server.port, "restarted")
            let after = try #require(try await producer(client).run(now: now))
            #expect(after == before)
            #expect(after.updates[0].coins.map(\.token) == ["PEPE", "WIF", "BONK"])
            await client.shutdown()
        }
    }

    @Test("bad input: 400 naming the field and the item, nothing stored; Redis away: 503, and a failed run")
    func errors() async throws {
        try await withServer { server, redis in
            let trending = producer(redis)
            let now = nowMillis()
            let bad = ByteBuffer(string: JSONWriter.string([
                TrendingInput.json(sample("PEPE", at: now)),
                ["token": "PEPE", "price": 1, "volume24h": 1, "mentions": -3, "timestamp": .int(now)],
            ]))
            let rejected = await ingestBody(trending, bad)
            #expect(rejected == .failure(.invalid(message: "item 1: mentions must be an integer >= 0", field: "mentions", index: 1)))
            let exists = try await redis.send(["EXISTS", TrendingKeys.samples("PEPE")])
            #expect(exists == .integer(0))
            let unknown = await ingest(trending, [sample("BTC", at: now)])
            #expect(unknown == .failure(.invalid(message: "item 0: token BTC is not one of the tracked memecoins", field: "token", index: 0)))

            server.kill()
            guard case .failure(.unavailable) = await ingest(trending, [sample("PEPE", at: now)]) else {
                Issue.record("expected unavailable while Redis is down")
                return
            }
            await #expect(throws: TrendingError.self) { try await trending.run(now: now) }
        }
    }

    @Test("with a lease, two instances running at once publish one ranking")
    func lease() async throws {
        try await withServer { server, redis in
            let other = TestRedis.client(port: server.port, "other")
            let a = producer(redis, lease: .seconds(30), instance: "a")
            let b = producer(other, lease: .seconds(30), instance: "b")
            let now = nowMillis()
            async let left = a.run(now: now)
            async let right = b.run(now: now)
            let results = try await [left, right]
            #expect(results.compactMap { $0 }.count == 1)
            #expect(try await redis.getString(TrendingKeys.lease).map { ["a", "b"].contains($0) } == true)
            await other.shutdown()
        }
    }

    @Test("the sentiment producer's trendingRank comes from the 24 h ranks, and goes when the coin is no longer ranked")
    func sentimentRank() async throws {
        try await withServer { _, redis in
            let trending = producer(redis)
            let sentiment = SentimentProducer(
                engine: try SentimentEngine(configuration: SentimentConfiguration(emitInterval: .seconds(1))), redis: redis,
                logger: TestRedis.logger("sentiment"))
            let service = SentimentTrendingRankService(
                producer: sentiment, redis: redis, interval: .milliseconds(50), logger: TestRedis.logger("ranks"))
            let task = Task { try await service.run() }
            defer { task.cancel() }
            let now = nowMillis()
            _ = try await sentiment.apply([.signal(SentimentSignal(token: "WIF", source: .social, score: 0.4, weight: 1, timestamp: now))], now: now)
            #expect(await ingest(trending, market(now: now)) == .success(6))
            let ranking = try #require(try await trending.run(now: now))
            let wifRank = try #require(ranking.ranks24h["WIF"])

            func latestRank(after time: inout Int64) async throws -> JSONValue? {
                time += 1000
                await sentiment.tick(now: time)
                let stored = try await redis.getString(RedisKeys.latestSentiment("WIF"))
                return stored.flatMap { try? JSONValue.parse($0) }?["trendingRank"]
            }
            var clock = now
            try await eventually(10, "trendingRank of WIF") { try await latestRank(after: &clock) == .number(Double(wifRank)) }

            // WIF drops out of the ranking (its samples are gone): the next updates omit trendingRank.
            _ = try await redis.sendChecked(["DEL", TrendingKeys.samples("WIF")])
            let next = try #require(try await trending.run(now: now))
            #expect(next.ranks24h["WIF"] == nil)
            try await eventually(10, "trendingRank of WIF removed") { try await latestRank(after: &clock) == nil }
            task.cancel()
            _ = try? await task.value
        }
    }

    @Test("a run due while Redis is away goes out as soon as Redis is back, not an interval later")
    func tickerRetriesWhenRedisReturns() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let redis = TestRedis.client(port: server.port, "producer")
        redis.start()
        let trending = producer(redis)
        server.kill()  // away when the first run is due
        let ticker = TrendingTicker(
            producer: trending, interval: .seconds(60), firstDelay: .zero, logger: TestRedis.logger("ticker"),
            retryDelay: .milliseconds(200))
        let task = Task { try await ticker.run() }
        // Longer than the client's 3 s command timeout: the due run fails (instead of waiting for Redis).
        try await Task.sleep(for: .milliseconds(3_500))
        try await server.start()
        let back = ContinuousClock.now
        // The ranking is stored with every run: its key appears within a few retries of Redis coming back.
        try await eventually(5, "a ranking published after Redis came back") {
            (try? await redis.sendChecked(["EXISTS", TrendingKeys.latest(.oneHour)]).int) == 1
        }
        #expect(ContinuousClock.now - back < .seconds(5))
        task.cancel()
        _ = try? await task.value
        await redis.shutdown()
    }
}
