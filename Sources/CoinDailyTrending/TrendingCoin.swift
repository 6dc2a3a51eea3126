public import CoinDailyProtocol

/// One entry of a `trending_memecoins_update`: `{token, rank, sentimentScore, volume24h, priceChange24h, trendingScore}`.
public struct TrendingCoin: Sendable, Equatable {
    /// Token symbol.
    public var token: String
    /// 1 for the top coin.
    public var rank: Int
    /// Sentiment score in [-1, 1], 4 decimals.
    public var sentimentScore: Double
    /// 24 h volume in USD (newest sample), 2 decimals.
    public var volume24h: Double
    /// Price change over 24 h, percent, 4 decimals.
    public var priceChange24h: Double
    /// Score in [-100, 100], 2 decimals.
    public var trendingScore: Double

    /// Creates an entry.
    public init(token: String, rank: Int, sentimentScore: Double, volume24h: Double, priceChange24h: Double, trendingScore: Double) {
        self.token = token
        self.rank = rank
        self.sentimentScore = sentimentScore
        self.volume24h = volume24h
        self.priceChange24h = priceChange24h
        self.trendingScore = trendingScore
    }

    /// The JSON entry.
    public var json: JSONValue {
        [
            "token": .string(token), "rank": .number(Double(rank)), "sentimentScore": .number(sentimentScore),
            "volume24h": .number(volume24h), "priceChange24h": .number(priceChange24h), "trendingScore": .number(trendingScore),
        ]
    }
}
