/// The score boundaries between the five ``SentimentLabel``s.
///
/// Bullish boundaries are inclusive (`score >= bullish`), bearish ones exclusive for the milder
/// label (`score > bearish` is still neutral), so the defaults label exactly ±0.2 as
/// bullish / bearish and exactly ±0.6 as very bullish / very bearish.
public struct SentimentLabelThresholds: Sendable, Equatable, Hashable {
    /// Scores at or above this are ``SentimentLabel/veryBullish``. Default 0.6.
    public var veryBullish: Double
    /// Scores at or above this (and below ``veryBullish``) are ``SentimentLabel/bullish``. Default 0.2.
    public var bullish: Double
    /// Scores above this (and below ``bullish``) are ``SentimentLabel/neutral``. Default -0.2.
    public var bearish: Double
    /// Scores above this (and at or below ``bearish``) are ``SentimentLabel/bearish``; scores at
    /// or below it are ``SentimentLabel/veryBearish``. Default -0.6.
    public var veryBearish: Double

    /// Creates thresholds; the defaults are 0.6, 0.2, -0.2 and -0.6.
    public init(veryBullish: Double = 0.6, bullish: Double = 0.2, bearish: Double = -0.2, veryBearish: Double = -0.6) {
        self.veryBullish = veryBullish
        self.bullish = bullish
        self.bearish = bearish
        self.veryBearish = veryBearish
    }
}
