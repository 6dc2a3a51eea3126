import CoinDailyProtocol
import CoinDailyRedis
import NIOCore

/// The trending producer's Redis state. Writes are `MULTI`/`EXEC` transactions, so a batch of samples,
/// or a ranking with its snapshots and rank hash, is applied entirely or not at all.
struct TrendingStore: Sendable {
    let redis: RedisClient
    let configuration: TrendingConfiguration
    var history: HistoryPolicy = .defaultPolicy(for: .trendingMemecoins)

    private var retentionMilliseconds: Int64 { configuration.retention.wholeMillis }
    private var slotMilliseconds: Int64 { max(1, configuration.sampleSlot.wholeMillis) }

    /// Stores `samples`: a sample replaces any of the same coin in the same slot (so a retried or redelivered
    /// batch changes nothing), histories are trimmed to the retention, tokens announced; one transaction.
    func write(_ samples: [MarketSample], now: Int64) async throws {
        var commands: [[String]] = [["MULTI"]]
        for sample in samples {
            let key = TrendingKeys.samples(sample.token)
            let slot = sample.timestamp - sample.timestamp % slotMilliseconds
            commands.append(["ZREMRANGEBYSCORE", key, String(slot), "(" + String(slot + slotMilliseconds)])
            commands.append(["ZADD", key, String(sample.timestamp), sample.member])
        }
        let tokens = Set(samples.map(\.token)).sorted()
        for token in tokens {
            let key = TrendingKeys.samples(token)
            commands.append(["ZREMRANGEBYSCORE", key, "-inf", "(" + String(now - retentionMilliseconds)])
            commands.append(["PEXPIRE", key, String(retentionMilliseconds)])
        }
        commands.append(["SADD", RedisKeys.knownTokens] + tokens)
        commands.append(["EXEC"])
        try Self.checkTransaction(try await redis.pipeline(commands))
    }

    /// Every coin's kept samples, oldest first.
    func history(of tokens: [String], now: Int64) async throws -> [String: [MarketSample]] {
        guard !tokens.isEmpty else { return [:] }
        let cutoff = "(" + String(now - retentionMilliseconds)
        let replies = try await redis.pipeline(tokens.map { ["ZRANGEBYSCORE", TrendingKeys.samples($0), cutoff, "+inf"] })
        var history: [String: [MarketSample]] = [:]
        for (token, reply) in zip(tokens, replies) {
            if let message = reply.errorMessage { throw RedisError.server(message) }
            let samples = (reply.array ?? []).compactMap { $0.string.flatMap { MarketSample(token: token, member: $0) } }
            if !samples.isEmpty { history[token] = samples.sorted { $0.timestamp < $1.timestamp } }
        }
        return history
    }

    /// The sentiment producer's latest `score` per coin (`cd:latest:market_sentiment:<TOKEN>`), where present.
    func sentiment(of tokens: [String]) async throws -> [String: Double] {
        let values = try await redis.mget(tokens.map(RedisKeys.latestSentiment))
        var result: [String: Double] = [:]
        for (token, value) in zip(tokens, values) {
            guard let value, let score = (try? JSONValue.parse(value))?["score"]?.numberValue, score.isFinite else { continue }
            result[token] = score
        }
        return result
    }

    /// Publishes every update on `cd:ev:trending_memecoins` (with ``EventHistory/publishScript``: id and
    /// history; `EVAL` inside the transaction, as `EVALSHA` could fail there after a Redis restart), keeps each as `cd:latest:trending:<timeframe>`,
    /// and replaces the rank hash; one transaction.
    func publish(_ ranking: TrendingRanking) async throws {
        var commands: [[String]] = [["MULTI"]]
        for update in ranking.updates {
            let envelope = EventEnvelope(
                type: ChannelKind.trendingMemecoins.updateEvent, data: update.data, timestamp: update.timestamp)
            commands.append(["SET", TrendingKeys.latest(update.timeframe), JSONWriter.string(update.data)])
            commands.append(
                ["EVAL", EventHistory.publishScript, "0", String(buffer: envelope.encoded()), String(history.maxLength),
                 String(history.maxAgeMillis), RedisKeys.eventChannel(.trendingMemecoins)])
        }
        commands.append(["DEL", TrendingKeys.rank])
        if !ranking.ranks24h.isEmpty {
            commands.append(["HSET", TrendingKeys.rank] + ranking.ranks24h.sorted { $0.key < $1.key }.flatMap { [$0.key, String($0.value)] })
        }
        commands.append(["EXEC"])
        try Self.checkTransaction(try await redis.pipeline(commands))
    }

    /// `SET cd:trending:lease <instance> NX PX <ttl>`: whether this instance ranks now.
    func acquireLease(instance: String, ttl: Duration) async throws -> Bool {
        let reply = try await redis.send(["SET", TrendingKeys.lease, instance, "NX", "PX", String(max(1, ttl.wholeMillis))])
        if let message = reply.errorMessage { throw RedisError.server(message) }
        return !reply.isNull
    }

    /// Throws unless every command was queued and `EXEC` ran them all without an error.
    static func checkTransaction(_ replies: [RESPValue]) throws {
        if let failure = replies.first(where: { $0.errorMessage != nil }) {
            throw RedisError.server(failure.errorMessage ?? "error")
        }
        guard let exec = replies.last?.array else { throw RedisError.unexpectedReply("EXEC: \(replies.last?.description ?? "nothing")") }
        if let failure = exec.first(where: { $0.errorMessage != nil }) {
            throw RedisError.server(failure.errorMessage ?? "error")
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var wholeMillis: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
