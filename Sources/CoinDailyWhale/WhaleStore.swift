import CoinDailyProtocol
import CoinDailyRedis
import NIOCore

/// The whale producer's Redis state: reads the market of tokens and commits a batch atomically.
///
/// ``commit(ticks:alerts:tokens:now:)`` runs one Lua script (``script``), so Redis executes all of it
/// or none of it, with no other command in between:
///
/// 1. every price tick is applied to `cd:whale:market:<TOKEN>` by the rule of ``WhaleMarketState/apply(_:)``;
/// 2. for every alert, `SET cd:whale:seen:<txHash> <now> NX EX <seenTTL>`, and only when that set the
///    key, `cd_publish` on `cd:ev:whale_activity` (``EventHistory``: id, history, `PUBLISH`);
/// 3. `SADD cd:tokens` with the batch's tokens (for the gateways' symbol check).
///
/// The marker and the publication are therefore one step: a producer that crashes before the script
/// ran has published nothing and marked nothing (the retry alerts); one that crashes after it (before
/// answering or `XACK`ing) has done both, and the redelivered batch finds the marker and publishes
/// nothing. The same holds for concurrent instances, and for a reply lost on a dropped connection.
struct WhaleStore: Sendable {
    let redis: RedisClient
    let configuration: WhaleConfiguration
    var history: HistoryPolicy = .defaultPolicy(for: .whaleActivity)

    /// The commit script. KEYS: the `n` market keys, then the `m` seen keys, then `cd:tokens`.
    /// ARGV: `n`, `m`, market TTL (s), seen TTL (s), channel, now (ms), history maxlen, history max age (ms), then per tick `price`,
    /// `volume24h` (empty: none), `timestamp`, then per alert the envelope, then the tokens.
    /// Returns one integer per alert: 1 published, 0 already seen.
    static let script = EventHistory.publishFunction + """
        local n = tonumber(ARGV[1])
        local m = tonumber(ARGV[2])
        local marketTTL = ARGV[3]
        local seenTTL = ARGV[4]
        local channel = ARGV[5]
        local now = ARGV[6]
        local maxlen, maxage = tonumber(ARGV[7]), tonumber(ARGV[8])
        local a = 9
        for i = 1, n do
          local key = KEYS[i]
          local price, volume, ts = ARGV[a], ARGV[a + 1], ARGV[a + 2]
          a = a + 3
          local current = redis.call('HGET', key, 'timestamp')
          if (not current) or tonumber(current) <= tonumber(ts) then
            redis.call('HSET', key, 'price', price, 'timestamp', ts)
            if volume ~= '' then redis.call('HSET', key, 'volume24h', volume) end
            redis.call('EXPIRE', key, marketTTL)
          end
        end
        local published = {}
        for i = 1, m do
          if redis.call('SET', KEYS[n + i], now, 'NX', 'EX', seenTTL) then
            cd_publish({channel}, ARGV[a], maxlen, maxage)
            published[i] = 1
          else
            published[i] = 0
          end
          a = a + 1
        end
        local tokens = {}
        for i = a, #ARGV do tokens[#tokens + 1] = ARGV[i] end
        if #tokens > 0 then redis.call('SADD', KEYS[n + m + 1], unpack(tokens)) end
        return published
        """

    /// The stored market of each token (absent tokens get an empty state).
    func markets(for tokens: Set<String>) async throws -> [String: WhaleMarketState] {
        let ordered = tokens.sorted()
        guard !ordered.isEmpty else { return [:] }
        let replies = try await redis.pipeline(ordered.map { ["HMGET", WhaleKeys.market($0), "price", "timestamp", "volume24h"] })
        var result: [String: WhaleMarketState] = [:]
        for (token, reply) in zip(ordered, replies) {
            if let message = reply.errorMessage { throw RedisError.server(message) }
            let fields = reply.array ?? []
            func field(_ i: Int) -> String? { i < fields.count ? fields[i].string : nil }
            result[token] = WhaleMarketState(
                price: field(0).flatMap(Double.init), timestamp: field(1).flatMap { Int64($0) },
                volume24h: field(2).flatMap(Double.init))
        }
        return result
    }

    /// Applies `ticks` and publishes each alert whose hash has not alerted before, atomically.
    /// Returns, per alert, whether it was published.
    func commit(ticks: [WhalePriceTick], alerts: [WhaleAlert], tokens: Set<String>, now: Int64) async throws -> [Bool] {
        var keys = ticks.map { WhaleKeys.market($0.token) }
        keys += alerts.map { WhaleKeys.seen($0.txHash) }
        keys.append(RedisKeys.knownTokens)
        var arguments = [
            String(ticks.count), String(alerts.count), String(Self.seconds(configuration.marketTTL)),
            String(Self.seconds(configuration.seenTTL)), RedisKeys.eventChannel(.whaleActivity), String(now),
            String(history.maxLength), String(history.maxAgeMillis),
        ]
        for tick in ticks {
            arguments += [Self.number(tick.price), tick.volume24h.map(Self.number) ?? "", String(tick.timestamp)]
        }
        for alert in alerts {
            let envelope = EventEnvelope(type: ChannelKind.whaleActivity.updateEvent, data: alert.data, timestamp: now)
            arguments.append(String(buffer: envelope.encoded()))
        }
        arguments += tokens.sorted()
        let reply = try await redis.sendChecked(["EVAL", Self.script, String(keys.count)] + keys + arguments)
        guard let flags = reply.array, flags.count == alerts.count else {
            throw RedisError.unexpectedReply("whale commit: \(reply)")
        }
        return flags.map { $0.int == 1 }
    }

    /// A Double as Redis and Lua read it back exactly (Swift's shortest round-trip form).
    static func number(_ value: Double) -> String { "\(value)" }

    /// Whole seconds, at least 1.
    static func seconds(_ duration: Duration) -> Int64 { max(1, duration.components.seconds) }
}
