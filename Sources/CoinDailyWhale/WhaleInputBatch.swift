/// A parsed ingest body: its items, and whether it was an array (errors about an item then carry its index).
public struct WhaleInputBatch: Sendable, Equatable {
    /// The items, in body order.
    public var inputs: [WhaleInput]
    /// Whether the body was a JSON array (rather than one object).
    public var isArray: Bool

    /// Creates a batch.
    public init(inputs: [WhaleInput], isArray: Bool) {
        self.inputs = inputs
        self.isArray = isArray
    }
}
