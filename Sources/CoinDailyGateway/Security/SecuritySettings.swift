/// The gateway's abuse limits, origin policy and proxy trust (see `docs/security.md`). Every limit
/// has a default and a flag / environment variable in `coindaily-gateway`.
public struct SecuritySettings: Sendable {
    /// Client messages per second a connection may send on average (token bucket refill; default 20).
    public var messagesPerSecond: Double = 20
    /// Messages a connection may send in a burst (bucket size; default 40).
    public var messageBurst: Double = 40
    /// Messages refused for the rate within ``rateLimitWindow`` after which the connection is closed
    /// (`4029`; default 40).
    public var rateLimitStrikes: Int = 40
    /// The window ``rateLimitStrikes`` counts in (default 10 s).
    public var rateLimitWindow: Duration = .seconds(10)
    /// Open connections (WebSocket or Engine.IO sessions) per client IP (default 1000).
    public var maxConnectionsPerIP: Int = 1000
    /// Authenticated connections per user (`sub`; default 100).
    public var maxConnectionsPerUser: Int = 100
    /// New connections per client IP per second, on average (default 100; bursts of twice that).
    public var connectionAttemptsPerIPPerSecond: Double = 100
    /// Socket.IO CONNECT packets one Engine.IO session may send at once (default 5): each makes a new socket
    /// with a fresh message bucket, so disconnecting and connecting again must not reset the rate limit.
    public var socketIOConnectBurst: Double = 5
    /// Socket.IO CONNECT packets per session per minute after the burst, on average (default 6).
    public var socketIOConnectsPerMinute: Double = 6
    /// Allowed browser origins: `*` (any), an exact origin (`https://app.coindaily.io`), a port wildcard
    /// (`http://localhost:*`) or a subdomain wildcard (`https://*.coindaily.io`). Requests without an
    /// `Origin` header (non-browser clients) are not affected. Default: any.
    public var allowedOrigins: [String] = ["*"]
    /// Peers whose `X-Forwarded-For` is believed (load balancers): addresses or CIDR ranges. Default none.
    public var trustedProxies: [String] = []
    /// How long before `exp` a connection is told its token expires (`token_expiring`; default 60 s).
    public var tokenExpiryWarning: Duration = .seconds(60)
    /// How long a user (`sub`) revocation is kept after it was made: the longest token lifetime (the auth
    /// service's `AUTH_MAX_TTL`, default 24 h), after which every token it could cover has expired.
    public var revocationRetention: Duration = .seconds(86_400)

    /// The defaults.
    public init() {}
}
