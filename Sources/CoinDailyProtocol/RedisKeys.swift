/// Every Redis channel and key the services share, in one place. All start with `cd:`.
///
/// See `docs/architecture.md` for who writes and who reads each.
public enum RedisKeys {
    /// Prefix of every event channel.
    public static let eventPrefix = "cd:ev:"

    /// The pub/sub channel carrying `kind`'s events, optionally narrowed by a key
    /// (a token symbol for market sentiment, a user id for task updates).
    public static func eventChannel(_ kind: ChannelKind, key: String? = nil) -> String {
        if let key { return eventPrefix + kind.rawValue + ":" + key }
        return eventPrefix + kind.rawValue
    }

    /// Market sentiment for one token: `cd:ev:market_sentiment:BTC`.
    public static func sentimentChannel(_ token: String) -> String { eventChannel(.marketSentiment, key: token) }

    /// Task updates of one user: `cd:ev:task_updates:user:alice`; admins use ``eventChannel(_:key:)`` without key.
    public static func userTaskChannel(_ userId: String) -> String { eventChannel(.taskUpdates, key: "user:" + userId) }

    /// The latest `market_sentiment_update` data for a token (a JSON string), for snapshots.
    public static func latestSentiment(_ token: String) -> String { "cd:latest:market_sentiment:" + token }

    /// The latest `system_health_update` data (JSON), for the snapshot sent on subscribe.
    public static let latestSystemHealth = "cd:latest:system_health"

    /// The latest `trending_memecoins_update` data of a timeframe (JSON), for the snapshot sent on subscribe.
    public static func latestTrending(_ timeframe: String) -> String { "cd:latest:trending:" + timeframe }

    /// The 24 h trending rank per token (hash token → rank), written by trending, read by sentiment.
    public static let trendingRank = "cd:trending:rank"

    /// The set of token symbols any producer has seen (SADD by producers, read by gateways).
    public static let knownTokens = "cd:tokens"

    /// The auth services' public keys: a hash from `kid` to a JWKS document holding that one key. Every
    /// auth instance adds its keys (HSET), so instances with different keys do not replace each other's.
    public static let jwks = "cd:auth:jwks"

    /// Channel on which an auth service announces its keys (payload: the key ids, comma-separated).
    public static let keysChannel = "cd:auth:keys"

    /// The refresh token record for a token hash.
    public static func refreshToken(_ hash: String) -> String { "cd:auth:refresh:" + hash }

    /// The ingest stream of a producer: `cd:ingest:sentiment`.
    public static func ingestStream(_ producer: String) -> String { "cd:ingest:" + producer }

    /// Where a producer puts stream entries it could not accept: `cd:ingest:sentiment:dead`.
    public static func deadLetterStream(_ producer: String) -> String { "cd:ingest:" + producer + ":dead" }

    /// The AI agent registry: a hash from agent id to JSON `{"agentId","name","status":"active"|"inactive",
    /// "lastSeen": unix ms}`. The tasks producer maintains it; budget (names) and health (counts) read it.
    public static let agentRegistry = "cd:agents"

    /// A process's heartbeat key: `cd:heartbeat:sentiment:host-1234` (expires if not refreshed).
    public static func heartbeat(service: String, instance: String) -> String {
        "cd:heartbeat:" + service + ":" + instance
    }
}
