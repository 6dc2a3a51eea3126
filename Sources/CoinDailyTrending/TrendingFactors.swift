/// What the score of one coin in one timeframe is made of (see ``TrendingEngine``).
public struct TrendingFactors: Sendable, Equatable {
    /// The coin's sentiment score in [-1, 1] (0 when the sentiment producer has none).
    public var sentiment: Double
    /// Price change over the timeframe, percent.
    public var priceChange: Double
    /// Growth of the 24 h volume over the timeframe, percent (0 when the reference volume is 0).
    public var volumeGrowth: Double
    /// `ln((m_late + k) / (m_early + k))`: mentions of the later half of the covered window against the
    /// earlier half, smoothed by `k`; 0 with fewer than two samples.
    public var mentionVelocity: Double
    /// Price change over 24 h, percent (reported as `priceChange24h` whatever the timeframe).
    public var priceChange24h: Double
    /// The newest sample's 24 h volume.
    public var volume24h: Double

    /// Creates factors.
    public init(
        sentiment: Double, priceChange: Double, volumeGrowth: Double, mentionVelocity: Double, priceChange24h: Double,
        volume24h: Double
    ) {
        self.sentiment = sentiment
        self.priceChange = priceChange
        self.volumeGrowth = volumeGrowth
        self.mentionVelocity = mentionVelocity
        self.priceChange24h = priceChange24h
        self.volume24h = volume24h
    }
}
