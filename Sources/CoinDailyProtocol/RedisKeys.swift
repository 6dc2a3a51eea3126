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

    /// The refresh token record for a token hash: a hash with `sub`, `roles` (JSON array), `ttl`, `fam` (family
    /// id) and `used` (`0`, or the Unix ms it was exchanged; kept until the record's own expiry so reuse is seen).
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

    // MARK: Revocation and refresh (auth service writes, gateways read)

    /// Revoked token ids: a hash from `jti` to the token's `exp` in Unix ms (the entry may be pruned after it).
    public static let revokedTokenIDs = "cd:auth:revoked:jti"

    /// Revoked users: a hash from `sub` to a Unix-ms instant; every token of that user with `iat` (seconds)
    /// at or before that instant's second is revoked. Pruned after the longest token lifetime.
    public static let revokedSubjects = "cd:auth:revoked:sub"

    /// Channel announcing each revocation as it happens (payload: ``Revocation`` JSON,
    /// `{"jti":"…","exp":ms}` or `{"sub":"…","before":ms}`).
    public static let revocationsChannel = "cd:auth:revocations"

    /// A refresh-token family (every refresh token rotated from one `POST /v1/tokens`): a hash with `sub` and
    /// `revoked` (`0` while usable, else the Unix ms it was revoked); expires with its newest refresh token.
    public static func refreshFamily(_ family: String) -> String { refreshFamilyPrefix + family }

    /// The access tokens issued in a refresh-token family: a hash from `jti` to the token's `exp` in Unix ms,
    /// so that reuse of a refresh token can revoke every one of them.
    public static func refreshFamilyTokens(_ family: String) -> String { refreshFamilyPrefix + family + ":jti" }

    /// The refresh-token families of one user (a set of family ids), so revoking the user ends them all.
    /// The user id comes last, so a Lua script can build the key from ``userRefreshFamiliesPrefix``.
    public static func userRefreshFamilies(_ sub: String) -> String { userRefreshFamiliesPrefix + sub }

    /// Prefix of ``userRefreshFamilies(_:)``.
    public static let userRefreshFamiliesPrefix = "cd:auth:families:"

    /// Prefix of ``refreshFamily(_:)``, for Lua scripts that build the key from a family id.
    public static let refreshFamilyPrefix = "cd:auth:family:"

    /// A producer's leader lease: `cd:lease:trending` holds the instance that emits the producer's periodic
    /// events (`SET NX PX`, extended by its holder, taken over when it expires).
    public static func lease(_ producer: String) -> String { "cd:lease:" + producer }

    // MARK: Event history (producers write, gateways read)

    /// The history clock: a hash with `epoch` (changes when the history is lost), `ms` and `seq`
    /// (the last event id handed out, `<ms>-<seq>`).
    public static let historyClock = "cd:hist:clock"

    /// The position (`<ms>-<seq>`) of the last event published on `channel`, expiring
    /// ``EventHistory/lastPositionTTLMillis`` after it: `cd:hist:last:cd:ev:whale_activity`.
    public static func historyLast(_ channel: String) -> String { "cd:hist:last:" + channel }

    /// Prefix of the per-channel history streams.
    public static let historyPrefix = "cd:hist:"

    /// The bounded history stream of one event channel: `cd:hist:cd:ev:whale_activity`.
    public static func historyStream(_ channel: String) -> String { historyPrefix + channel }

    /// A Socket.IO session kept for connection state recovery, by its private id (`pid`).
    public static func socketIOSession(_ pid: String) -> String { "cd:sio:pid:" + pid }
}
