import CoinDailyProtocol

/// A budget limit (set with `PUT /v1/limits/{budgetLimitId}` or an ingest item of kind `limit`).
///
/// ```json
/// {"budgetLimitId": "writer-7-daily", "agentId": "agent-7", "amount": 100, "period": "daily"}
/// ```
/// Without `agentId` the limit covers the spend of all agents together.
public struct BudgetLimit: Sendable, Equatable, Hashable {
    /// The limit's id.
    public var budgetLimitId: String
    /// The agent it limits; `nil` for all agents together.
    public var agentId: String?
    /// The budget per period (> 0).
    public var amount: Double
    /// The period.
    public var period: BudgetPeriod

    /// Creates a limit.
    public init(budgetLimitId: String, agentId: String? = nil, amount: Double, period: BudgetPeriod) {
        self.budgetLimitId = budgetLimitId
        self.agentId = agentId
        self.amount = amount
        self.period = period
    }

    /// The limit's JSON (`budgetLimitId`, `agentId` when set, `amount`, `period`).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "budgetLimitId": .string(budgetLimitId), "amount": .number(amount), "period": .string(period.rawValue),
        ]
        if let agentId { object["agentId"] = .string(agentId) }
        return .object(object)
    }
}
