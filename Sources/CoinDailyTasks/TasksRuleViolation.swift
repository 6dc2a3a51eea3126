/// An ingest item that is well-formed but breaks a rule of the task or pipeline state (a terminal
/// status left, progress going back, an owner changing, …). Rejected with 400 (or dead-lettered on
/// the stream path); nothing of its batch is applied.
public struct TasksRuleViolation: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The offending field: `status`, `progress`, `userId`, `articleId`, `totalStages`, `stage.name`,
    /// `stage.status` or `stage.progress`.
    public var field: String
    /// A sentence starting with the field, e.g. `progress cannot go back from 60 to 40 (task t-1)`.
    public var message: String
    /// The item's zero-based index when the body was an array.
    public var index: Int?

    /// Creates a violation.
    public init(field: String, message: String, index: Int? = nil) {
        self.field = field
        self.message = message
        self.index = index
    }

    /// The message, prefixed with `item N: ` inside an array.
    public var description: String { index.map { "item \($0): \(message)" } ?? message }
}
