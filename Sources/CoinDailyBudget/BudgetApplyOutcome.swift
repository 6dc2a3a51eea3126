/// What applying one batch did.
public struct BudgetApplyOutcome: Sendable, Equatable {
    /// Items in the batch.
    public var accepted: Int
    /// Spend records seen before (not counted again) and limits set to the values they already had.
    public var duplicates: Int
    /// `budget_alert` events published.
    public var alerts: Int

    /// Creates an outcome.
    public init(accepted: Int, duplicates: Int, alerts: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.alerts = alerts
    }
}
