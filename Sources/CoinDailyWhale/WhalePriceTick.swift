/// A price observation of a token, `{token, price, volume24h?, timestamp}`: the whale producer keeps the
/// newest per token in Redis to value transfers sent without `priceUSD` and to judge their impact.
public struct WhalePriceTick: Sendable, Equatable, Hashable {
    /// Token symbol, `^[A-Z0-9]{1,15}$`.
    public var token: String
    /// Price of one token in USD (> 0).
    public var price: Double
    /// Traded volume of the last 24 hours in USD (>= 0), when known.
    public var volume24h: Double?
    /// When the price was observed, Unix epoch milliseconds.
    public var timestamp: Int64

    /// Creates a tick.
    public init(token: String, price: Double, volume24h: Double? = nil, timestamp: Int64) {
        self.token = token
        self.price = price
        self.volume24h = volume24h
        self.timestamp = timestamp
    }
}
