/// One market observation of a memecoin: `{token, price, volume24h, mentions, timestamp}`.
///
/// `mentions` counts the social mentions seen in the sample's period (the time since the token's
/// previous sample). Stored in Redis as the member `"<timestamp>|<price>|<volume24h>|<mentions>"` of
/// the sorted set `cd:trending:samples:<TOKEN>` (score: the timestamp).
public struct MarketSample: Sendable, Equatable, Hashable {
    /// Token symbol, `^[A-Z0-9]{1,15}$`.
    public var token: String
    /// Price in USD (> 0).
    public var price: Double
    /// Traded volume of the last 24 hours in USD (>= 0).
    public var volume24h: Double
    /// Social mentions in the sample period (>= 0).
    public var mentions: Int
    /// When the sample was taken, Unix epoch milliseconds.
    public var timestamp: Int64

    /// Creates a sample.
    public init(token: String, price: Double, volume24h: Double, mentions: Int, timestamp: Int64) {
        self.token = token
        self.price = price
        self.volume24h = volume24h
        self.mentions = mentions
        self.timestamp = timestamp
    }

    /// The stored form (without the token, which names the key).
    public var member: String { "\(timestamp)|\(price)|\(volume24h)|\(mentions)" }

    /// Parses a stored member of `token`'s history; `nil` when it is not one.
    public init?(token: String, member: String) {
        let parts = member.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, let timestamp = Int64(parts[0]), let price = Double(parts[1]),
            let volume = Double(parts[2]), let mentions = Int(parts[3])
        else { return nil }
        self.init(token: token, price: price, volume24h: volume, mentions: mentions, timestamp: timestamp)
    }
}
