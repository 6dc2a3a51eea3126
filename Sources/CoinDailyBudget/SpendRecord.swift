/// One spend record (an ingest item of kind `spend`): an agent spent `cost` at `timestamp`.
///
/// ```json
/// {"spendId": "s-1", "agentId": "agent-7", "cost": 0.42, "timestamp": 1700000000000}
/// ```
public struct SpendRecord: Sendable, Equatable, Hashable {
    /// The caller's id of the record, for redelivery safety; without it the record's content identifies it.
    public var spendId: String?
    /// The agent that spent.
    public var agentId: String
    /// The amount (>= 0, in the limits' currency).
    public var cost: Double
    /// When (Unix ms); decides the periods it counts in.
    public var timestamp: Int64

    /// Creates a record.
    public init(spendId: String? = nil, agentId: String, cost: Double, timestamp: Int64) {
        self.spendId = spendId
        self.agentId = agentId
        self.cost = cost
        self.timestamp = timestamp
    }
}
