/// One price observation of a token, used for `priceChange24h`.
public struct PriceTick: Sendable, Equatable, Hashable {
    /// The token symbol, uppercase, matching `^[A-Z0-9]{1,15}$` (e.g. `"BTC"`).
    public var token: String
    /// The price (in the quote currency, normally USD); finite and > 0.
    public var price: Double
    /// When the price was observed, in Unix epoch milliseconds.
    public var timestamp: Int64
    /// The traded volume over the last 24 hours, when the feed supplies it; finite and >= 0.
    public var volume24h: Double?

    /// Creates a price tick.
    public init(token: String, price: Double, timestamp: Int64, volume24h: Double? = nil) {
        self.token = token
        self.price = price
        self.timestamp = timestamp
        self.volume24h = volume24h
    }
}
