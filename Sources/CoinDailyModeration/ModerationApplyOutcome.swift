/// What one applied batch did.
public struct ModerationApplyOutcome: Sendable, Equatable {
    /// Items that changed the queue (new reports, status changes).
    public var applied: Int
    /// Items that changed nothing: repeated reports, status changes to the current status.
    public var ignored: Int
    /// Events published.
    public var published: Int

    /// Creates an outcome.
    public init(applied: Int, ignored: Int, published: Int) {
        self.applied = applied
        self.ignored = ignored
        self.published = published
    }
}
