/// A moderator's decision about a reported violation: `under_review`, `confirmed` or `false_positive`.
public struct ModerationStatusChange: Sendable, Hashable {
    /// The violation concerned; it must have been reported (otherwise 400 naming `violationId`).
    public var violationId: String
    /// The new status (never `pending`).
    public var status: ModerationStatus

    /// Creates a status change.
    public init(violationId: String, status: ModerationStatus) {
        self.violationId = violationId
        self.status = status
    }
}
