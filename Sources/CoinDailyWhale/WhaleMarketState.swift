/// What the producer knows about a token's market: the newest price tick and the last volume seen.
///
/// Stored in Redis as the hash `cd:whale:market:<TOKEN>` (fields `price`, `timestamp`, `volume24h`);
/// the commit script applies ticks with exactly the rule of ``apply(_:)``.
public struct WhaleMarketState: Sendable, Equatable {
    /// The newest price in USD.
    public var price: Double?
    /// When ``price`` was observed (Unix ms).
    public var timestamp: Int64?
    /// The 24 h volume in USD from the newest tick that carried one.
    public var volume24h: Double?

    /// Creates a state.
    public init(price: Double? = nil, timestamp: Int64? = nil, volume24h: Double? = nil) {
        self.price = price
        self.timestamp = timestamp
        self.volume24h = volume24h
    }

    /// Applies a tick if it is not older than the current price (ties: the later tick wins); a tick
    /// without `volume24h` keeps the previous volume. Returns whether it was applied.
    @discardableResult
    public mutating func apply(_ tick: WhalePriceTick) -> Bool {
        if let timestamp, tick.timestamp < timestamp { return false }
        price = tick.price
        timestamp = tick.timestamp
        if let volume = tick.volume24h { volume24h = volume }
        return true
    }
}
