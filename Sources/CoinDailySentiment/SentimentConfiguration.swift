/// Tuning of the sentiment model: decay, mixing, labels, emission and price history.
///
/// Every property has a documented default; `SentimentConfiguration()` is the production setup.
/// Check a hand-built value with ``validate()`` (``SentimentEngine/init(configuration:)`` does).
public struct SentimentConfiguration: Sendable, Equatable, Hashable {
    /// The half-life of the exponential decay of each per-source aggregate: a signal's weight
    /// halves every `halfLife`. Default 15 minutes.
    public var halfLife: Duration
    /// How much each source counts in the mixed score. Default social 0.30, news 0.30,
    /// whale 0.20, technical 0.20. Each must be >= 0 and their sum > 0; 0 disables a source.
    public var sourceWeights: SentimentSourceValues
    /// The score boundaries between labels. Default 0.6 / 0.2 / -0.2 / -0.6.
    public var labelThresholds: SentimentLabelThresholds
    /// A token's reading is emitted at least this often while the token is known. Default 30 s.
    public var emitInterval: Duration
    /// A reading is emitted early when its score moved at least this much since the last
    /// emitted one (or its label changed). Default 0.10.
    public var significantScoreChange: Double
    /// Early (change-driven) emissions of one token are at least this far apart. Default 1 s.
    public var minImmediateGap: Duration
    /// A source with no signal for this many half-lives no longer counts. Default 6
    /// (90 minutes with the default half-life, when a signal's weight is down to 1/64).
    public var staleAfterHalfLives: Double
    /// The effective signal weight at which the evidence factor of the confidence reaches
    /// `1 - 1/e` (≈ 0.63): evidence = 1 - exp(-weight / evidenceScale). Default 5.
    public var evidenceScale: Double
    /// The look-back of `priceChange24h`. Default 24 hours.
    public var priceChangeWindow: Duration
    /// Price ticks are kept at most one per this interval (the newest tick of an interval
    /// replaces the previous one). Default 60 s.
    public var priceSampleInterval: Duration
    /// The most price samples kept per token (a ring buffer). Default 1500 (25 hours at one a
    /// minute). `priceHistoryCapacity × priceSampleInterval` must cover ``priceChangeWindow``.
    public var priceHistoryCapacity: Int
    /// The most tokens the engine tracks; inputs for further tokens are dropped. Default 10 000.
    public var maxTokens: Int
    /// The largest ingest array accepted, for ``SentimentInput/parseBatch(_:now:maxItems:)``.
    /// Default 1000.
    public var maxBatchItems: Int

    /// Creates a configuration; every parameter defaults to the production value documented on
    /// its property.
    public init(
        halfLife: Duration = .seconds(15 * 60),
        sourceWeights: SentimentSourceValues = .defaultWeights,
        labelThresholds: SentimentLabelThresholds = SentimentLabelThresholds(),
        emitInterval: Duration = .seconds(30),
        significantScoreChange: Double = 0.10,
        minImmediateGap: Duration = .seconds(1),
        staleAfterHalfLives: Double = 6,
        evidenceScale: Double = 5,
        priceChangeWindow: Duration = .seconds(24 * 3600),
        priceSampleInterval: Duration = .seconds(60),
        priceHistoryCapacity: Int = 1500,
        maxTokens: Int = 10_000,
        maxBatchItems: Int = SentimentInput.defaultMaxBatchItems
    ) {
        self.halfLife = halfLife
        self.sourceWeights = sourceWeights
        self.labelThresholds = labelThresholds
        self.emitInterval = emitInterval
        self.significantScoreChange = significantScoreChange
        self.minImmediateGap = minImmediateGap
        self.staleAfterHalfLives = staleAfterHalfLives
        self.evidenceScale = evidenceScale
        self.priceChangeWindow = priceChangeWindow
        self.priceSampleInterval = priceSampleInterval
        self.priceHistoryCapacity = priceHistoryCapacity
        self.maxTokens = maxTokens
        self.maxBatchItems = maxBatchItems
    }

    /// Checks that every value is usable, throwing the first problem found.
    public func validate() throws(SentimentConfigurationError) {
        func fail(_ field: String, _ reason: String) -> SentimentConfigurationError {
            .invalidValue(field: field, reason: reason)
        }
        guard halfLife > .zero else { throw fail("halfLife", "must be > 0") }
        for source in SentimentSource.allCases {
            let weight = sourceWeights[source]
            guard weight.isFinite, weight >= 0 else {
                throw fail("sourceWeights.\(source.rawValue)", "must be a finite number >= 0")
            }
        }
        guard sourceWeights.total > 0 else { throw fail("sourceWeights", "must not all be 0") }
        let t = labelThresholds
        guard [t.veryBullish, t.bullish, t.bearish, t.veryBearish].allSatisfy(\.isFinite),
              t.veryBearish <= t.bearish, t.bearish < t.bullish, t.bullish <= t.veryBullish
        else {
            throw fail("labelThresholds", "must be finite with veryBearish <= bearish < bullish <= veryBullish")
        }
        guard emitInterval > .zero else { throw fail("emitInterval", "must be > 0") }
        guard significantScoreChange.isFinite, significantScoreChange > 0 else {
            throw fail("significantScoreChange", "must be a finite number > 0")
        }
        guard minImmediateGap >= .zero else { throw fail("minImmediateGap", "must be >= 0") }
        guard staleAfterHalfLives.isFinite, staleAfterHalfLives > 0 else {
            throw fail("staleAfterHalfLives", "must be a finite number > 0")
        }
        guard evidenceScale.isFinite, evidenceScale > 0 else {
            throw fail("evidenceScale", "must be a finite number > 0")
        }
        guard priceChangeWindow > .zero else { throw fail("priceChangeWindow", "must be > 0") }
        guard priceSampleInterval > .zero else { throw fail("priceSampleInterval", "must be > 0") }
        guard priceHistoryCapacity >= 2 else { throw fail("priceHistoryCapacity", "must be >= 2") }
        guard priceSampleInterval * priceHistoryCapacity >= priceChangeWindow else {
            throw fail("priceHistoryCapacity", "times priceSampleInterval must cover priceChangeWindow")
        }
        guard maxTokens >= 1 else { throw fail("maxTokens", "must be >= 1") }
        guard maxBatchItems >= 1 else { throw fail("maxBatchItems", "must be >= 1") }
    }
}
