/// The Redis keys the budget producer owns (all under `cd:budget:`). The agent registry and the alerts
/// channel are in `RedisKeys`.
public enum BudgetKeys {
    /// Prefix of every key of this producer.
    public static let prefix = "cd:budget:"
    /// The limits: hash budgetLimitId → JSON `{"budgetLimitId","agentId"?,"amount","period","revision","updatedAt"}`.
    public static let limits = prefix + "limits"

    /// One agent's spend in a period (a float, `INCRBYFLOAT`): `cd:budget:spend:agent:<agentId>:daily:2026-11-27`.
    public static func agentSpend(_ agentId: String, _ window: PeriodWindow) -> String {
        prefix + "spend:agent:" + agentId + ":" + window.key
    }

    /// All agents' spend in a period: `cd:budget:spend:all:weekly:2026-W48`.
    public static func totalSpend(_ window: PeriodWindow) -> String { prefix + "spend:all:" + window.key }

    /// The thresholds already alerted for a limit revision and period (a set of percentages).
    public static func alerted(_ budgetLimitId: String, revision: Int, _ window: PeriodWindow) -> String {
        prefix + "alerted:" + budgetLimitId + ":r" + String(revision) + ":" + window.key
    }

    /// The redelivery marker of a spend record with a `spendId`.
    public static func seen(spendId: String) -> String { prefix + "seen:id:" + spendId }
}
