import CoinDailyProtocol

/// A reported violation: the moderation producer's main input. Validated by ``ModerationInput``.
public struct ViolationReport: Sendable, Hashable {
    /// The violation's id (1–128 characters); a second report with the same id is ignored.
    public var violationId: String
    /// The user whose content is concerned (1–128 characters).
    public var userId: String
    /// What kind of content (`post`, `comment`, …; 1–64 characters).
    public var contentType: String
    /// What kind of violation (`spam`, `harassment`, …; 1–64 characters).
    public var violationType: String
    /// How bad it is; the first key of the queue order.
    public var severity: Severity
    /// How sure the detector is, in [0, 1]; the second key of the queue order.
    public var confidence: Double
    /// When it was reported (Unix ms); the third key of the queue order (older first).
    public var timestamp: Int64

    /// Creates a report.
    public init(
        violationId: String, userId: String, contentType: String, violationType: String, severity: Severity,
        confidence: Double, timestamp: Int64
    ) {
        self.violationId = violationId
        self.userId = userId
        self.contentType = contentType
        self.violationType = violationType
        self.severity = severity
        self.confidence = confidence
        self.timestamp = timestamp
    }
}
