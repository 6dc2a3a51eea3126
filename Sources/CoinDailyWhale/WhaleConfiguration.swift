/// The whale model's tuning. Every field has a documented default; ``validate()`` checks them together.
public struct WhaleConfiguration: Sendable, Equatable {
    /// Transfers worth less than this many USD never alert (default 100 000).
    public var minAlertUSD: Double
    /// How `impact` is decided (defaults: 1 % / 0.1 % of the 24 h volume, else 10 M / 1 M USD).
    public var impact: WhaleImpactThresholds
    /// Transfers older than this when they arrive are accepted but never alert (default 24 h): news that
    /// late is no alert, and it bounds how long a transaction must be remembered.
    public var maxAlertAge: Duration
    /// How long a transaction hash that alerted is remembered (`cd:whale:seen:<txHash>`, default 7 days).
    /// Must exceed ``maxAlertAge`` plus the accepted future skew (5 min), so a hash cannot alert again
    /// while it is still young enough to alert at all.
    public var seenTTL: Duration
    /// How long a token's last price and volume are kept without a new tick (default 7 days).
    public var marketTTL: Duration
    /// Largest ingest array (default 1000).
    public var maxBatchItems: Int

    /// Creates a configuration; defaults as documented on each property.
    public init(
        minAlertUSD: Double = 100_000, impact: WhaleImpactThresholds = WhaleImpactThresholds(),
        maxAlertAge: Duration = .seconds(24 * 3600), seenTTL: Duration = .seconds(7 * 24 * 3600),
        marketTTL: Duration = .seconds(7 * 24 * 3600), maxBatchItems: Int = 1000
    ) {
        self.minAlertUSD = minAlertUSD
        self.impact = impact
        self.maxAlertAge = maxAlertAge
        self.seenTTL = seenTTL
        self.marketTTL = marketTTL
        self.maxBatchItems = maxBatchItems
    }

    /// Throws when a value is unusable.
    public func validate() throws(WhaleConfigurationError) {
        guard minAlertUSD.isFinite, minAlertUSD >= 0 else {
            throw .invalid(field: "minAlertUSD", reason: "must be a finite number >= 0")
        }
        guard impact.isValid else {
            throw .invalid(field: "impact", reason: "thresholds must be finite, > 0, and medium <= high")
        }
        guard maxAlertAge > .zero else { throw .invalid(field: "maxAlertAge", reason: "must be > 0") }
        guard seenTTL > maxAlertAge + .milliseconds(WhaleInput.maxFutureSkewMilliseconds) else {
            throw .invalid(field: "seenTTL", reason: "must exceed maxAlertAge + 5 min, or a transaction could alert twice")
        }
        guard marketTTL >= .seconds(1) else { throw .invalid(field: "marketTTL", reason: "must be at least 1 s") }
        guard maxBatchItems >= 1 else { throw .invalid(field: "maxBatchItems", reason: "must be >= 1") }
    }
}
