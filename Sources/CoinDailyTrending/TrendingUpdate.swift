public import CoinDailyProtocol

/// The data of a `trending_memecoins_update`: `{timeframe, coins, timestamp}`.
public struct TrendingUpdate: Sendable, Equatable {
    /// The timeframe ranked.
    public var timeframe: TrendingTimeframe
    /// The top coins, rank 1 first.
    public var coins: [TrendingCoin]
    /// When the ranking was made (Unix ms).
    public var timestamp: Int64

    /// Creates an update.
    public init(timeframe: TrendingTimeframe, coins: [TrendingCoin], timestamp: Int64) {
        self.timeframe = timeframe
        self.coins = coins
        self.timestamp = timestamp
    }

    /// The event data.
    public var data: JSONValue {
        ["timeframe": .string(timeframe.rawValue), "coins": .array(coins.map(\.json)), "timestamp": .int(timestamp)]
    }
}
