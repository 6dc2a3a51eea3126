import CoinDailyService
import Foundation

/// The auth service's configuration.
public struct AuthServiceConfiguration: Sendable {
    /// Address to bind (default `0.0.0.0`).
    public var host: String
    /// Port (default 4001).
    public var port: Int
    /// The admin or service API key `POST /v1/tokens` requires as a Bearer token. Required outside dev mode.
    public var adminKey: String
    /// Where the signing keys are persisted (default `./run/auth-keys`).
    public var keyDirectory: URL
    /// Token lifetime when the request names none (default 3600 s).
    public var defaultTTL: Int
    /// Longest token lifetime a request may ask for (default 86400 s).
    public var maxTTL: Int
    /// Lifetime of refresh tokens (default 30 days).
    public var refreshTTL: Int
    /// How often the JWKS is re-published into Redis (default 30 s), so a Redis that restarted empty
    /// gets the keys back.
    public var publishInterval: Duration
    /// Seconds between automatic key rotations; 0 (the default) rotates only on `POST /v1/keys/rotate`.
    public var keyRotateEvery: Int
    /// Seconds a key is kept for verification after it stopped signing; `nil` (the default) means
    /// ``maxTTL``, after which every token it signed has expired.
    public var keyRetireAfter: Int?
    /// Serve HTTPS with these PEM files (reloaded when they change or on SIGHUP); `nil` (the default): plain HTTP.
    public var tls: TLSFiles?
    /// How often the TLS files' modification times are checked (default 5 s).
    public var tlsPollInterval: Duration

    /// Creates a configuration; every parameter but `adminKey` has the documented default.
    public init(
        host: String = "0.0.0.0", port: Int = 4001, adminKey: String,
        keyDirectory: URL = URL(fileURLWithPath: "run/auth-keys"), defaultTTL: Int = 3600, maxTTL: Int = 86400,
        refreshTTL: Int = 30 * 86400, publishInterval: Duration = .seconds(30), keyRotateEvery: Int = 0,
        keyRetireAfter: Int? = nil, tls: TLSFiles? = nil, tlsPollInterval: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.adminKey = adminKey
        self.keyDirectory = keyDirectory
        self.defaultTTL = defaultTTL
        self.maxTTL = maxTTL
        self.refreshTTL = refreshTTL
        self.publishInterval = publishInterval
        self.keyRotateEvery = keyRotateEvery
        self.keyRetireAfter = keyRetireAfter
        self.tls = tls
        self.tlsPollInterval = tlsPollInterval
    }
}
