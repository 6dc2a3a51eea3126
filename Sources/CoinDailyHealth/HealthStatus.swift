/// The overall state reported in `system_health_update`, from best to worst.
public enum HealthStatus: String, Sendable, CaseIterable, Comparable {
    /// Everything expected is there and Redis answers quickly.
    case healthy
    /// A producer is missing or Redis is slow: clients are served, some data may be stale.
    case degraded
    /// No gateway is running, or Redis is unreachable: clients are not served.
    case down

    private var rank: Int {
        switch self {
        case .healthy: 0
        case .degraded: 1
        case .down: 2
        }
    }

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool { lhs.rank < rhs.rank }
}
