/// The label of a sentiment score, as sent in the `sentiment` field of a market sentiment update.
///
/// Encodes as its raw value (`"very_bullish"`, `"bullish"`, `"neutral"`, `"bearish"`,
/// `"very_bearish"`).
public enum SentimentLabel: String, Sendable, Hashable, Codable, CaseIterable {
    /// Score at or above ``SentimentLabelThresholds/veryBullish`` (default 0.6).
    case veryBullish = "very_bullish"
    /// Score at or above ``SentimentLabelThresholds/bullish`` (default 0.2).
    case bullish
    /// Score strictly between ``SentimentLabelThresholds/bearish`` and
    /// ``SentimentLabelThresholds/bullish`` (default -0.2 < score < 0.2).
    case neutral
    /// Score strictly above ``SentimentLabelThresholds/veryBearish`` (default -0.6) and at or
    /// below ``SentimentLabelThresholds/bearish``.
    case bearish
    /// Score at or below ``SentimentLabelThresholds/veryBearish`` (default -0.6).
    case veryBearish = "very_bearish"

    /// Labels `score` with the given thresholds.
    ///
    /// - `score >= veryBullish` → ``veryBullish``
    /// - `score >= bullish` → ``bullish``
    /// - `score > bearish` → ``neutral``
    /// - `score > veryBearish` → ``bearish``
    /// - otherwise → ``veryBearish`` (NaN also lands here; the engine never produces NaN).
    public init(score: Double, thresholds: SentimentLabelThresholds = SentimentLabelThresholds()) {
        if score >= thresholds.veryBullish {
            self = .veryBullish
        } else if score >= thresholds.bullish {
            self = .bullish
        } else if score > thresholds.bearish {
            self = .neutral
        } else if score > thresholds.veryBearish {
            self = .bearish
        } else {
            self = .veryBearish
        }
    }
}
