/// The result of `XAUTOCLAIM`.
public struct RedisAutoClaimResult: Sendable, Equatable {
    /// The ID to pass as `start` to continue scanning; `"0-0"` when the scan is complete.
    public var nextStart: String
    /// The entries now owned by the claiming consumer.
    public var entries: [RedisStreamEntry]
    /// IDs that were pending but no longer exist in the stream (Redis 7+; empty on 6.2). Redis removes them
    /// from the pending list.
    public var deletedIDs: [String]

    /// Creates a result.
    public init(nextStart: String, entries: [RedisStreamEntry], deletedIDs: [String]) {
        self.nextStart = nextStart
        self.entries = entries
        self.deletedIDs = deletedIDs
    }
}
