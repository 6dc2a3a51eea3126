/// Engine.IO (and Socket.IO) settings of a server.
public struct EngineIOSettings: Sendable {
    /// Interval of the server's ping packets (default 25 s).
    public var pingInterval: Duration
    /// Time the client has to answer a ping with a pong (default 20 s).
    public var pingTimeout: Duration
    /// Largest polling request body and WebSocket message, in bytes (default 1 000 000).
    public var maxPayload: Int
    /// Time a new Socket.IO session has to CONNECT to a namespace (default 45 s).
    public var connectTimeout: Duration
    /// Largest number of packets (or bytes) queued for a polling client before it is closed as slow
    /// (default 1 MiB of queued packets).
    public var maxBufferedBytes: Int
    /// Most binary attachments in one Socket.IO packet (default 10).
    public var maxAttachments: Int
    /// How long a WebSocket transport may stay over the outbound limit (the channel's high watermark,
    /// `GATEWAY_MAX_OUTBOUND_BYTES`) before the session is closed as a slow consumer (3008; default 2 s).
    public var slowConsumerGrace: Duration = .seconds(2)

    /// Creates settings; the defaults are Socket.IO's.
    public init(
        pingInterval: Duration = .seconds(25), pingTimeout: Duration = .seconds(20), maxPayload: Int = 1_000_000,
        connectTimeout: Duration = .seconds(45), maxBufferedBytes: Int = 1024 * 1024, maxAttachments: Int = 10
    ) {
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.maxPayload = maxPayload
        self.connectTimeout = connectTimeout
        self.maxBufferedBytes = maxBufferedBytes
        self.maxAttachments = maxAttachments
    }
}
