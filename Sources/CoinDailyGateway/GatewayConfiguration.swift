import CoinDailyProtocol
import CoinDailyService

/// Everything the gateway can be told, with the defaults `make run` uses.
public struct GatewayConfiguration: Sendable {
    /// This gateway's instance name, in its heartbeat key (default `<hostname>-<pid>`).
    public var instance: String
    /// Address to bind (default `0.0.0.0`).
    public var host: String
    /// Port for `/ws`, `/healthz`, `/readyz`, `/metrics` and `/` (default 4000).
    public var port: Int
    /// The WebSocket path (default `/ws`; `/ws/` is served too).
    public var path: String
    /// Time a new connection has to authenticate before `CONNECTION_TIMEOUT` (default 10 s).
    public var authTimeout: Duration
    /// Time without any frame from the client (data, ping or pong) after which it is closed (default 60 s).
    public var idleTimeout: Duration
    /// Interval of the server's WebSocket ping frames (default 25 s).
    public var pingInterval: Duration
    /// Largest client message processed; a bigger one gets `INVALID_MESSAGE_FORMAT` (default 64 KiB).
    public var maxMessageBytes: Int
    /// Largest WebSocket frame (and reassembled message) accepted at all; bigger closes with 1009 (default 1 MiB).
    public var maxFrameBytes: Int
    /// Bytes the gateway queues for one client before cutting it off as a slow consumer (default 1 MiB).
    public var maxOutboundBytes: Int
    /// Coalescing of fan-out flushes: each event loop flushes its connections at most once per this
    /// interval; a loop that has not flushed for that long flushes at once, so a lone event goes out
    /// immediately and a steady stream is written with one system call per connection per interval
    /// (default 30 ms; 0 flushes after every Redis read batch). See `docs/performance.md`.
    public var flushInterval: Duration
    /// Most Redis channels one connection may hold through its subscriptions (default 256).
    public var maxChannelsPerConnection: Int
    /// Most messages buffered while an `auth` is being verified (default 32).
    public var maxPendingMessagesDuringAuth: Int
    /// Time connections get to close after SIGTERM before the gateway exits anyway (default 5 s).
    public var shutdownGracePeriod: Duration
    /// Limits of client request decoding (tokens per request, id length).
    public var requestLimits: ClientRequestLimits
    /// How often the set of known tokens is reloaded from Redis (default 30 s).
    public var tokenRefreshInterval: Duration
    /// How often the JWKS is reloaded from Redis even without an announcement (default 60 s).
    public var keyRefreshInterval: Duration
    /// Engine.IO / Socket.IO settings (heartbeat, payload limit, connect timeout).
    public var engineIO: EngineIOSettings
    /// How long a connection may stay over ``maxOutboundBytes`` (its client reading too slowly) before it is
    /// closed as a slow consumer (3008); at twice the limit it is closed at once (default 2 s; 0: at once).
    public var slowConsumerGrace: Duration = .seconds(2)
    /// Abuse limits, origins and proxies.
    public var security = SecuritySettings()
    /// Resume and Socket.IO connection state recovery.
    public var delivery = DeliverySettings()
    /// Serve TLS with this certificate and key (PEM files; reloaded when they change), or plain TCP.
    public var tls: TLSFiles?

    /// Creates a configuration; every parameter has the documented default.
    public init(
        instance: String = InstanceName.default, host: String = "0.0.0.0", port: Int = 4000, path: String = "/ws",
        authTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
        pingInterval: Duration = .seconds(25), maxMessageBytes: Int = 64 * 1024,
        maxFrameBytes: Int = 1024 * 1024, maxOutboundBytes: Int = 1024 * 1024,
        flushInterval: Duration = .milliseconds(30), maxChannelsPerConnection: Int = 256, maxPendingMessagesDuringAuth: Int = 32,
        shutdownGracePeriod: Duration = .seconds(5), requestLimits: ClientRequestLimits = .init(),
        tokenRefreshInterval: Duration = .seconds(30), keyRefreshInterval: Duration = .seconds(60),
        engineIO: EngineIOSettings = .init()
    ) {
        self.engineIO = engineIO
        self.instance = instance
        self.host = host
        self.port = port
        self.path = path
        self.authTimeout = authTimeout
        self.idleTimeout = idleTimeout
        self.pingInterval = pingInterval
        self.maxMessageBytes = maxMessageBytes
        self.maxFrameBytes = maxFrameBytes
        self.maxOutboundBytes = maxOutboundBytes
        self.flushInterval = flushInterval
        self.maxChannelsPerConnection = maxChannelsPerConnection
        self.maxPendingMessagesDuringAuth = maxPendingMessagesDuringAuth
        self.shutdownGracePeriod = shutdownGracePeriod
        self.requestLimits = requestLimits
        self.tokenRefreshInterval = tokenRefreshInterval
        self.keyRefreshInterval = keyRefreshInterval
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (s, attos) = components
        return s * 1000 + attos / 1_000_000_000_000_000
    }
}
