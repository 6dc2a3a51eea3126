/// How much each factor counts in the `trendingScore` (renormalised by their sum).
public struct TrendingWeights: Sendable, Equatable {
    /// The token's sentiment score (default 0.20).
    public var sentiment: Double
    /// Growth of the 24 h volume over the timeframe (default 0.25).
    public var volume: Double
    /// Price change over the timeframe (default 0.25).
    public var price: Double
    /// Mention velocity: the acceleration of social mentions within the timeframe (default 0.30).
    public var mentions: Double

    /// Creates weights; defaults as documented on each property.
    public init(sentiment: Double = 0.20, volume: Double = 0.25, price: Double = 0.25, mentions: Double = 0.30) {
        self.sentiment = sentiment
        self.volume = volume
        self.price = price
        self.mentions = mentions
    }

    /// The sum of the weights.
    public var total: Double { sentiment + volume + price + mentions }

    /// Whether every weight is finite and >= 0 and at least one is > 0.
    public var isValid: Bool {
        [sentiment, volume, price, mentions].allSatisfy { $0.isFinite && $0 >= 0 } && total > 0
    }
}
