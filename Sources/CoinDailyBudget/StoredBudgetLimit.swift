import CoinDailyProtocol

/// A limit as stored in `cd:budget:limits`: the limit, its revision and when it was last changed.
///
/// The revision starts at 1 and grows by one whenever `agentId`, `amount` or `period` change (setting
/// the same values again changes nothing). Threshold markers are kept per revision, so a changed limit
/// starts its thresholds afresh.
public struct StoredBudgetLimit: Sendable, Equatable, Hashable {
    /// The limit.
    public var limit: BudgetLimit
    /// The revision.
    public var revision: Int
    /// When it last changed (Unix ms).
    public var updatedAt: Int64

    /// Creates a stored limit.
    public init(limit: BudgetLimit, revision: Int, updatedAt: Int64) {
        self.limit = limit
        self.revision = revision
        self.updatedAt = updatedAt
    }

    /// Reads the stored JSON; `nil` when it is not a valid limit.
    public init?(json text: String) {
        guard let value = try? JSONValue.parse(text), let id = value["budgetLimitId"]?.stringValue,
            let amount = value["amount"]?.numberValue, let periodName = value["period"]?.stringValue,
            let period = BudgetPeriod(rawValue: periodName), let revision = value["revision"]?.numberValue
        else { return nil }
        self.init(
            limit: BudgetLimit(budgetLimitId: id, agentId: value["agentId"]?.stringValue, amount: amount, period: period),
            revision: Int(revision), updatedAt: Int64(value["updatedAt"]?.numberValue ?? 0))
    }

    /// The JSON the API returns: the limit's fields plus `revision` and `updatedAt`.
    public var json: JSONValue {
        guard case .object(var object) = limit.json else { return limit.json }
        object["revision"] = .number(Double(revision))
        object["updatedAt"] = .int(updatedAt)
        return .object(object)
    }
}
