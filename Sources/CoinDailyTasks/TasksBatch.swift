/// A parsed ingest body: its items, and whether it was a JSON array (errors then name the item index).
public struct TasksBatch: Sendable, Equatable {
    /// The items, in body order.
    public var inputs: [TasksInput]
    /// Whether the body was an array rather than one object.
    public var isArray: Bool

    /// Creates a batch.
    public init(inputs: [TasksInput], isArray: Bool) {
        self.inputs = inputs
        self.isArray = isArray
    }
}
