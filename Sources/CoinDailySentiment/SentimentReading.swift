/// A token's market sentiment at one moment: the payload of a `market_sentiment_update`.
///
/// Encodes to exactly the protocol's fields:
///
/// ```json
/// {"token": "BTC", "sentiment": "bullish", "score": 0.3125, "confidence": 0.4711,
///  "sources": {"social": 0.41, "news": 0.2, "whale": 0.35, "technical": 0.25},
///  "trendingRank": 3, "priceChange24h": 2.1834, "timestamp": 1700000000000}
/// ```
///
/// `trendingRank` is omitted while `nil`. The engine rounds every `Double` to 4 decimal places.
public struct SentimentReading: Sendable, Equatable, Hashable, Codable {
    /// The token symbol, e.g. `"BTC"`.
    public var token: String
    /// The label of ``score`` (encoded as `"very_bullish"`, `"bullish"`, …).
    public var sentiment: SentimentLabel
    /// The mixed sentiment score in [-1, 1].
    public var score: Double
    /// How much to trust ``score``, in [0, 1].
    public var confidence: Double
    /// Each source's current score in [-1, 1]; 0 for a source with no live signal.
    public var sources: SentimentSourceValues
    /// The token's rank among trending tokens (1 = hottest), when a trending producer set one.
    public var trendingRank: Int?
    /// The price change over the last 24 hours, in percent (2.5 means +2.5 %).
    public var priceChange24h: Double
    /// When the reading was computed, in Unix epoch milliseconds.
    public var timestamp: Int64

    /// Creates a reading.
    public init(
        token: String,
        sentiment: SentimentLabel,
        score: Double,
        confidence: Double,
        sources: SentimentSourceValues,
        trendingRank: Int? = nil,
        priceChange24h: Double,
        timestamp: Int64
    ) {
        self.token = token
        self.sentiment = sentiment
        self.score = score
        self.confidence = confidence
        self.sources = sources
        self.trendingRank = trendingRank
        self.priceChange24h = priceChange24h
        self.timestamp = timestamp
    }
}
