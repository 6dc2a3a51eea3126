/// The windows trending memecoins are ranked over: `1h`, `4h`, `24h`, `7d`.
public enum TrendingTimeframe: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    /// The last hour.
    case oneHour = "1h"
    /// The last four hours.
    case fourHours = "4h"
    /// The last 24 hours.
    case oneDay = "24h"
    /// The last seven days.
    case sevenDays = "7d"

    /// The window's length in milliseconds.
    public var milliseconds: Int64 {
        switch self {
        case .oneHour: 3_600_000
        case .fourHours: 4 * 3_600_000
        case .oneDay: 24 * 3_600_000
        case .sevenDays: 7 * 24 * 3_600_000
        }
    }

    /// Shorter windows sort first.
    public static func < (lhs: TrendingTimeframe, rhs: TrendingTimeframe) -> Bool { lhs.milliseconds < rhs.milliseconds }
}
