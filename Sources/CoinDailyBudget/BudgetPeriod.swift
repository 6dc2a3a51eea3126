/// The period a budget limit covers: a UTC calendar day, an ISO week (Monday to Sunday) or a calendar month.
public enum BudgetPeriod: String, Sendable, CaseIterable, Hashable, Codable {
    /// 00:00 to 24:00 UTC.
    case daily
    /// Monday 00:00 UTC to the next Monday (ISO 8601 weeks).
    case weekly
    /// The first of the month 00:00 UTC to the first of the next.
    case monthly

    /// The accepted names, for error messages.
    public static var acceptedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The window of this period containing `timestamp` (Unix ms).
    public func window(containing timestamp: Int64) -> PeriodWindow {
        let msPerDay: Int64 = 86_400_000
        let day = Self.floorDiv(timestamp, msPerDay)
        switch self {
        case .daily:
            let date = CivilDate(daysSinceEpoch: day)
            return PeriodWindow(period: self, key: "daily:" + date.isoString, start: day * msPerDay, end: (day + 1) * msPerDay)
        case .weekly:
            // 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7.
            let monday = day - Self.floorMod(day + 3, 7)
            let thursday = CivilDate(daysSinceEpoch: monday + 3)
            let week = (thursday.dayOfYear - 1) / 7 + 1
            let key = "weekly:" + Self.pad(thursday.year, 4) + "-W" + Self.pad(week, 2)
            return PeriodWindow(period: self, key: key, start: monday * msPerDay, end: (monday + 7) * msPerDay)
        case .monthly:
            let date = CivilDate(daysSinceEpoch: day)
            let first = CivilDate(year: date.year, month: date.month, day: 1)
            let next = date.month == 12
                ? CivilDate(year: date.year + 1, month: 1, day: 1) : CivilDate(year: date.year, month: date.month + 1, day: 1)
            let key = "monthly:" + Self.pad(date.year, 4) + "-" + Self.pad(date.month, 2)
            return PeriodWindow(period: self, key: key, start: first.daysSinceEpoch * msPerDay, end: next.daysSinceEpoch * msPerDay)
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
