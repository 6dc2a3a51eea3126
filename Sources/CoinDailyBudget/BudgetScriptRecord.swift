import CoinDailyProtocol

/// The JSON record the apply script reads for one item (one `ARGV` each).
///
/// Spend: `{"kind":"spend","agentId","cost","dedupe","windows":{"daily"|"weekly"|"monthly":{"key","expireAt"}}}`,
/// where `cost` is the number as text (for `INCRBYFLOAT`), `dedupe` is `id:<spendId>` or
/// `hash:<agentId>\n<cost>\n<timestamp>` (the script keys it by its SHA1), and `expireAt` is the period's
/// end plus the retention (Unix s). Limit: `{"kind":"limit","budgetLimitId","agentId"?,"amount","period",
/// "window":{"key","expireAt"}}` with the window of its period containing `now`.
struct BudgetScriptRecord {
    let json: String

    init(_ input: BudgetInput, now: Int64, retentionSeconds: Int64) {
        func window(_ w: PeriodWindow) -> JSONValue {
            ["key": .string(w.key), "expireAt": .int(w.end / 1000 + retentionSeconds)]
        }
        switch input {
        case .spend(let spend):
            let cost = JSONWriter.string(.number(spend.cost))
            var windows: [String: JSONValue] = [:]
            for period in BudgetPeriod.allCases { windows[period.rawValue] = window(period.window(containing: spend.timestamp)) }
            let dedupe = spend.spendId.map { "id:" + $0 } ?? "hash:\(spend.agentId)\n\(cost)\n\(spend.timestamp)"
            json = JSONWriter.string([
                "kind": "spend", "agentId": .string(spend.agentId), "cost": .string(cost), "dedupe": .string(dedupe),
                "windows": .object(windows),
            ])
        case .limit(let limit):
            var record: [String: JSONValue] = [
                "kind": "limit", "budgetLimitId": .string(limit.budgetLimitId), "amount": .number(limit.amount),
                "period": .string(limit.period.rawValue), "window": window(limit.period.window(containing: now)),
            ]
            if let agentId = limit.agentId { record["agentId"] = .string(agentId) }
            json = JSONWriter.string(.object(record))
        }
    }
}
