/// Resume and connection state recovery (see `docs/delivery.md`).
public struct DeliverySettings: Sendable {
    /// Whether subscriptions read the history (positions, `since`, Socket.IO recovery). Default on.
    public var historyEnabled: Bool = true
    /// Most events one resume replays; more than that is answered `recovered: false` (default 5000).
    public var maxReplay: Int = 5000
    /// How long a resume waits for Redis before it gives up with `recovered: false` (default 5 s).
    public var resumeTimeout: Duration = .seconds(5)
    /// Live events one connection may hold back while its history is read; past it, it is closed as a
    /// slow consumer (default 10 000).
    public var maxHeldEvents: Int = 10_000
    /// Socket.IO connection state recovery: a `pid` in the CONNECT reply, offsets on events (default on).
    public var socketIORecovery: Bool = true
    /// How long a disconnected Socket.IO session can be recovered (default 120 s, as Socket.IO's
    /// `maxDisconnectionDuration`).
    public var socketIORecoveryWindow: Duration = .seconds(120)

    /// The defaults.
    public init() {}
}
