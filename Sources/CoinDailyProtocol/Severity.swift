/// Moderation severities, in increasing order.
public enum Severity: String, Sendable, CaseIterable, Comparable {
    case low, medium, high, critical

    /// 0 for `low` up to 3 for `critical`.
    public var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
