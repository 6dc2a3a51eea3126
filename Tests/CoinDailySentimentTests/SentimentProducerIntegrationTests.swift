import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailySentiment
import CoinDailyTestSupport
import Foundation
import NIOPosix
import Testing

/// The sentiment producer against a real Redis: an ingest answers only once published, periodic updates wait in
/// the outbox while Redis is away and go out first when it is back, and only the lease holder's ticker publishes.
@Suite("Sentiment producer and Redis", .serialized, .timeLimit(.minutes(1)))
struct SentimentProducerIntegrationTests {
    /// A fail-fast client, as the producer runtime configures it (no queueing while Redis is away).
    private func client(port: Int) -> RedisClient {
        var configuration = redisConfiguration(port: port, commandTimeout: .milliseconds(500))
        configuration.queueWhileDisconnected = false
        let client = RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger("s"))
        client.start()
        return client
    }

    private func producer(_ redis: RedisClient) throws -> SentimentProducer {
        SentimentProducer(engine: try SentimentEngine(), redis: redis, logger: quietLogger("sentiment"))
    }

    /// The published readings of BTC, oldest first: (timestamp, score).
    private func history(_ redis: RedisClient) async throws -> [Int64] {
        let reply = try await redis.sendChecked(["XRANGE", RedisKeys.historyStream(RedisKeys.sentimentChannel("BTC")), "-", "+"])
        return try (reply.array ?? []).map { entry in
            let fields = entry.array?.last?.array ?? []
            let message = try #require(fields.last?.bytes)
            return Int64(try JSONValue.parse(message)["timestamp"]?.numberValue ?? -1)
        }
    }

    /// A social signal for BTC; a heavy opposite one moves the score enough to be published at once.
    /// The published scores of BTC, oldest first.
    private func scores(_ redis: RedisClient) async throws -> [Double] {
        let reply = try await redis.sendChecked(["XRANGE", RedisKeys.historyStream(RedisKeys.sentimentChannel("BTC")), "-", "+"])
        return try (reply.array ?? []).map { entry in
            let message = try #require(entry.array?.last?.array?.last?.bytes)
            return try JSONValue.parse(message)["data"]?["score"]?.numberValue ?? .nan
        }
    }

    private func signalAt(_ now: Int64, score: Double = 0.8, weight: Double = 1) -> [SentimentInput] {
        [.signal(SentimentSignal(token: "BTC", source: .social, score: score, weight: weight, timestamp: now))]
    }

    @Test("Redis away: ingest is unavailable and applies nothing, periodic updates wait in the outbox; back: they go out first, in order, then ingest publishes")
    func outage() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let redis = client(port: server.port)
        defer { Task { await redis.shutdown() } }
        try await TestTimeout.poll(5, "connected") { redis.isConnected }
        let sentiment = try producer(redis)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(try await sentiment.apply(signalAt(now), now: now) == 1)
        #expect(try await history(redis) == [now])

        server.kill()
        try await TestTimeout.poll(5, "disconnected") { !redis.isConnected }
        do {
            _ = try await sentiment.apply(signalAt(now + 1_000, score: -0.9, weight: 10), now: now + 1_000)
            Issue.record("ingest succeeded while Redis was away")
        } catch {
            guard case .unavailable = error else { throw error }
        }
        // Two periodic updates (every 30 s of producer time) wait in the outbox.
        await sentiment.tick(now: now + 31_000)
        await sentiment.tick(now: now + 62_000)
        #expect(await sentiment.outbox.count == 2)
        // An ingest now would overtake them: refused as unavailable until they are out.
        do {
            _ = try await sentiment.apply(signalAt(now + 63_000, score: -0.9, weight: 10), now: now + 63_000)
            Issue.record("ingest published ahead of the waiting periodic updates")
        } catch {
            guard case .unavailable = error else { throw error }
        }

        try await server.start()  // empty: the history starts again
        try await TestTimeout.poll(10, "reconnected") { redis.isConnected }
        try await TestTimeout.poll(10, "the outbox drained") { await sentiment.outbox.drain() }
        #expect(try await sentiment.apply(signalAt(now + 64_000, score: -0.9, weight: 10), now: now + 64_000) == 1)
        let published = try await history(redis)
        #expect(published.count == 3, "\(published)")
        #expect(published.prefix(2) == [now + 31_000, now + 62_000], "the outbox first, in order: \(published)")
        // The refused ingests left no trace: the periodic updates carry the first signal's score alone.
        let scores = try await scores(redis)
        #expect(scores.prefix(2).allSatisfy { $0 > 0.5 } && (scores.last ?? 1) < 0, "\(scores)")
    }

    @Test("the ticker publishes only while its instance holds the lease")
    func tickerFollowsTheLease() async throws {
        try await withRedis { server, redis in
            let client = client(port: server.port)
            defer { Task { await client.shutdown() } }
            try await TestTimeout.poll(5, "connected") { client.isConnected }
            let sentiment = try producer(client)
            let now = Int64(Date().timeIntervalSince1970 * 1000) - 60_000  // its periodic update is due at once
            #expect(try await sentiment.apply(signalAt(now), now: now) == 1)
            let holder = LeaderLease(redis: redis, producer: "sentiment", instance: "other", ttl: .seconds(30), logger: quietLogger("o"))
            let mine = LeaderLease(redis: client, producer: "sentiment", instance: "me", ttl: .seconds(30), logger: quietLogger("m"))
            #expect(await holder.refresh())
            #expect(await !mine.refresh())
            let ticker = Task { try await SentimentTicker(producer: sentiment, interval: .milliseconds(50), lease: mine).run() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await history(client).count == 1, "a ticker without the lease published")
            await holder.release()
            #expect(await mine.refresh())
            try await TestTimeout.poll(5, "the periodic update of the lease holder") { try await history(client).count == 2 }
            ticker.cancel()
        }
    }
}
