/// How much a transfer may move the market: the `impact` of a whale alert.
public enum WhaleImpact: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    /// Below the medium threshold.
    case low
    /// At least the medium threshold (default 0.1 % of the 24 h volume, or 1 M USD without a volume).
    case medium
    /// At least the high threshold (default 1 % of the 24 h volume, or 10 M USD without a volume).
    case high

    private var order: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        }
    }

    /// `low < medium < high`.
    public static func < (lhs: WhaleImpact, rhs: WhaleImpact) -> Bool { lhs.order < rhs.order }
}
