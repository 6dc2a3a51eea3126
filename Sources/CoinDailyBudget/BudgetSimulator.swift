/// A deterministic synthetic feed for the budget producer: a few limits, then spend records.
///
/// The first step sets the ``limits`` (a $25 daily limit for each of ``agents`` — the tasks simulator's
/// agents, so alerts carry their names from the registry —, $120 daily and $600 weekly for all agents
/// together, $300 monthly for `agent-3`). Each step (about a second) every agent spends with probability
/// 0.2, $0.02–0.60; at that pace the first 80 % alerts arrive within minutes. Spend records carry a
/// `spendId` (`sim-<run>-<n>`). The same seed, run id and `now` values always give the same inputs.
public struct BudgetSimulator: Sendable {
    /// The agents that spend.
    public static let agents = ["agent-1", "agent-2", "agent-3", "agent-4", "agent-5", "agent-6"]

    /// The limits set at the start.
    public static var limits: [BudgetLimit] {
        agents.map { BudgetLimit(budgetLimitId: "sim-\($0)-daily", agentId: $0, amount: 25, period: .daily) } + [
            BudgetLimit(budgetLimitId: "sim-all-daily", amount: 120, period: .daily),
            BudgetLimit(budgetLimitId: "sim-all-weekly", amount: 600, period: .weekly),
            BudgetLimit(budgetLimitId: "sim-agent-3-monthly", agentId: "agent-3", amount: 300, period: .monthly),
        ]
    }

    /// The seed.
    public let seed: UInt64
    /// The run id embedded in spend ids.
    public let runId: String
    private var random: SplitMix64
    private var counter = 0
    private var limitsSent = false

    /// Creates a simulator.
    public init(seed: UInt64, runId: String) {
        self.seed = seed
        self.runId = runId
        self.random = SplitMix64(seed: seed)
    }

    /// The inputs of one step at `now` (Unix ms).
    public mutating func next(now: Int64) -> [BudgetInput] {
        var out: [BudgetInput] = []
        if !limitsSent {
            limitsSent = true
            out += Self.limits.map(BudgetInput.limit)
        }
        for agent in Self.agents where random.unit() < 0.2 {
            counter += 1
            let cost = (random.uniform(0.02, 0.60) * 100).rounded() / 100
            out.append(.spend(SpendRecord(spendId: "sim-\(runId)-\(counter)", agentId: agent, cost: cost, timestamp: now)))
        }
        return out
    }
}
