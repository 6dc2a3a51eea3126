/// Tuning of the budget producer. Every field has a documented default; ``validate()`` checks them.
public struct BudgetConfiguration: Sendable, Equatable {
    /// Percentages of a limit at which an alert fires, once each per limit (revision) and period
    /// (default 80, 90, 100). Kept sorted ascending.
    public var thresholds: [Int]
    /// Spend records older than this are rejected (default 35 days). State of a period is kept until
    /// its end plus this plus one day, so every accepted record finds its period's sums, markers and
    /// redelivery marker still there.
    public var maxSpendAge: Duration
    /// How far in the future a `timestamp` may lie, in milliseconds (default 300 000).
    public var maxFutureSkewMilliseconds: Int64
    /// The largest ingest array (default 1000).
    public var maxBatchItems: Int

    /// Creates a configuration; defaults as documented on each field.
    public init(
        thresholds: [Int] = [80, 90, 100], maxSpendAge: Duration = .seconds(35 * 86_400),
        maxFutureSkewMilliseconds: Int64 = 300_000, maxBatchItems: Int = BudgetInput.defaultMaxBatchItems
    ) {
        self.thresholds = thresholds.sorted()
        self.maxSpendAge = maxSpendAge
        self.maxFutureSkewMilliseconds = maxFutureSkewMilliseconds
        self.maxBatchItems = maxBatchItems
    }

    /// How long after a period's end its state is kept, in seconds: ``maxSpendAge`` plus one day.
    public var retentionSeconds: Int64 { maxSpendAge.milliseconds / 1000 + 86_400 }

    /// Throws when a value is out of range: no thresholds, a threshold outside 1–1000 or repeated, a
    /// spend age under a minute, a negative skew, a batch limit under 1.
    public func validate() throws(BudgetConfigurationError) {
        if thresholds.isEmpty { throw .invalid("at least one threshold is needed") }
        if thresholds.contains(where: { !(1...1000).contains($0) }) { throw .invalid("thresholds must be percentages from 1 to 1000") }
        if Set(thresholds).count != thresholds.count { throw .invalid("thresholds must be distinct") }
        if maxSpendAge < .seconds(60) { throw .invalid("maxSpendAge must be at least 60 s") }
        if maxFutureSkewMilliseconds < 0 { throw .invalid("maxFutureSkewMilliseconds must be >= 0") }
        if maxBatchItems < 1 { throw .invalid("maxBatchItems must be at least 1") }
    }
}
