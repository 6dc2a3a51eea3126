/// One observation of a token's sentiment from one source.
///
/// Parsed from ingest JSON by ``SentimentInput/parse(json:now:)``, which guarantees the documented
/// ranges. Values built in code are not checked here; ``SentimentEngine/apply(_:)`` clamps the
/// score to [-1, 1] and drops signals whose weight is not a finite positive number.
public struct SentimentSignal: Sendable, Equatable, Hashable {
    /// The token symbol, uppercase, matching `^[A-Z0-9]{1,15}$` (e.g. `"BTC"`).
    public var token: String
    /// Which source observed it.
    public var source: SentimentSource
    /// The observed sentiment in [-1, 1]: -1 fully bearish, 0 neutral, 1 fully bullish.
    public var score: Double
    /// How much this observation counts relative to others of the same source; finite and > 0.
    /// Default 1.
    public var weight: Double
    /// When it was observed, in Unix epoch milliseconds.
    public var timestamp: Int64

    /// Creates a signal.
    public init(token: String, source: SentimentSource, score: Double, weight: Double = 1, timestamp: Int64) {
        self.token = token
        self.source = source
        self.score = score
        self.weight = weight
        self.timestamp = timestamp
    }
}
