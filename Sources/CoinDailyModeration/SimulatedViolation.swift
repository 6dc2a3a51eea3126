import CoinDailyProtocol

/// What ``ModerationSimulator`` remembers of an open violation.
struct SimulatedViolation: Sendable, Equatable {
    var id: String
    var severity: Severity
    var confidence: Double
    var reportedAt: Int64

    /// The queue order: severity (critical first), confidence (higher first), age (older first), id.
    static func queueOrder(_ a: SimulatedViolation, _ b: SimulatedViolation) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.confidence != b.confidence { return a.confidence > b.confidence }
        if a.reportedAt != b.reportedAt { return a.reportedAt < b.reportedAt }
        return a.id < b.id
    }
}
