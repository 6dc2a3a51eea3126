/// One concrete period: `daily:2026-11-27`, `weekly:2026-W48`, `monthly:2026-11`.
public struct PeriodWindow: Sendable, Equatable, Hashable {
    /// The kind of period.
    public var period: BudgetPeriod
    /// Its key in Redis key names (`daily:YYYY-MM-DD`, `weekly:GGGG-Www` with the ISO week-year, `monthly:YYYY-MM`).
    public var key: String
    /// First millisecond (Unix ms, inclusive).
    public var start: Int64
    /// End (Unix ms, exclusive).
    public var end: Int64

    /// Creates a window.
    public init(period: BudgetPeriod, key: String, start: Int64, end: Int64) {
        self.period = period
        self.key = key
        self.start = start
        self.end = end
    }
}
