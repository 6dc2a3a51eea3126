import Synchronization

/// The last report assessed, shared between the monitor and the HTTP route `GET /v1/status`
/// (which keeps answering while Redis is away).
public final class LatestHealthReport: Sendable {
    private let value = Mutex<HealthReport?>(nil)

    /// Creates an empty holder.
    public init() {}

    /// The last report, if any probe ran yet.
    public var report: HealthReport? { value.withLock { $0 } }

    /// Replaces the report.
    public func set(_ report: HealthReport) { value.withLock { $0 = report } }
}
