/// Everything the engine keeps for one token.
struct TokenSentimentState: Sendable {
    /// One aggregate per source, indexed by ``SentimentSource/index``; `nil` until its first signal.
    var aggregates: [DecayingAggregate?] = Array(repeating: nil, count: SentimentSource.allCases.count)
    /// The retained price samples.
    var prices: PriceHistory
    /// The newest timestamp of any input, epoch ms (for idle eviction).
    var lastInputAt: Int64
    /// Whether an input arrived since the last emission (only then can the score have jumped).
    var changedSinceEmission = true
    /// When the last reading of this token was emitted, epoch ms; `nil` before the first.
    var lastEmittedAt: Int64?
    /// The rounded score of the last emitted reading.
    var lastEmittedScore: Double = 0
    /// The label of the last emitted reading.
    var lastEmittedLabel: SentimentLabel = .neutral

    init(prices: PriceHistory, firstInputAt: Int64) {
        self.prices = prices
        self.lastInputAt = firstInputAt
    }
}
