/// Where a violation stands. `pending` and `under_review` items are in the queue; `confirmed` and
/// `false_positive` are final and leave it.
public enum ModerationStatus: String, Sendable, CaseIterable, Hashable {
    /// Reported, waiting for a moderator (every report enters with this status).
    case pending
    /// A moderator is looking at it; it keeps its place in the queue.
    case underReview = "under_review"
    /// The violation was confirmed; final, out of the queue.
    case confirmed
    /// The report was wrong; final, out of the queue.
    case falsePositive = "false_positive"

    /// Whether an item with this status is in the queue.
    public var isQueued: Bool { self == .pending || self == .underReview }

    /// Whether no later status change may move the item away from this status.
    public var isFinal: Bool { !isQueued }

    /// The statuses a status change may set (every one but `pending`).
    public static let settable: [ModerationStatus] = [.underReview, .confirmed, .falsePositive]
}
