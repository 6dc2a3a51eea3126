/// What applying one accepted batch did.
public struct TasksApplyOutcome: Sendable, Equatable {
    /// Items accepted (published or duplicates).
    public var accepted: Int
    /// Events published (each task event on two channels counts once).
    public var published: Int
    /// Repeats of a final status, accepted without effect.
    public var duplicates: Int

    /// Creates an outcome.
    public init(accepted: Int, published: Int, duplicates: Int) {
        self.accepted = accepted
        self.published = published
        self.duplicates = duplicates
    }
}
