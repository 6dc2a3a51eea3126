import CoinDailyTestSupport
import CoinDailyBudget
import CoinDailyProtocol
import NIOCore
import Testing

@Suite("Budget input parsing")
struct BudgetInputParsingTests {
    func parse(_ json: String, now: Int64 = t0) throws(BudgetInputError) -> [BudgetInput] {
        try BudgetInput.parseBatch(ByteBuffer(string: json), now: now)
    }

    func error(_ json: String, now: Int64 = t0) -> BudgetInputError? {
        do {
            _ = try parse(json, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("spend records and limits; budgetLimitId or kind tells them apart")
    func kinds() throws {
        #expect(try parse(#"{"agentId":"a","cost":1.5,"timestamp":\#(t0),"spendId":"s"}"#) == [.spend(SpendRecord(spendId: "s", agentId: "a", cost: 1.5, timestamp: t0))])
        #expect(try parse(#"{"budgetLimitId":"l","amount":100,"period":"weekly"}"#) == [.limit(BudgetLimit(budgetLimitId: "l", amount: 100, period: .weekly))])
        #expect(try parse(#"{"kind":"LIMIT","budgetLimitId":"l","agentId":"a","amount":5,"period":"monthly"}"#) == [.limit(BudgetLimit(budgetLimitId: "l", agentId: "a", amount: 5, period: .monthly))])
        #expect(error(#"{"kind":"spend","budgetLimitId":"l"}"#) == .missingField(field: "agentId"))
        #expect(error(#"{"kind":"refund"}"#)?.field == "kind")
    }

    @Test(
        "bad fields are named",
        arguments: [
            (#"{"cost":1,"timestamp":\#(t0)}"#, "agentId"),
            (#"{"agentId":"a","timestamp":\#(t0)}"#, "cost"),
            (#"{"agentId":"a","cost":-1,"timestamp":\#(t0)}"#, "cost"),
            (#"{"agentId":"a","cost":"1","timestamp":\#(t0)}"#, "cost"),
            (#"{"agentId":"a","cost":true,"timestamp":\#(t0)}"#, "cost"),
            (#"{"agentId":"a","cost":1}"#, "timestamp"),
            (#"{"agentId":"a","cost":1,"timestamp":\#(t0 + 600_000)}"#, "timestamp"),
            (#"{"agentId":"a","cost":1,"timestamp":\#(t0 - 36 * day)}"#, "timestamp"),
            (#"{"agentId":"a","cost":1,"timestamp":\#(t0),"spendId":""}"#, "spendId"),
            (#"{"budgetLimitId":"","amount":1,"period":"daily"}"#, "budgetLimitId"),
            (#"{"budgetLimitId":"l","amount":0,"period":"daily"}"#, "amount"),
            (#"{"budgetLimitId":"l","period":"daily"}"#, "amount"),
            (#"{"budgetLimitId":"l","amount":1,"period":"hourly"}"#, "period"),
            (#"{"budgetLimitId":"l","amount":1}"#, "period"),
            (#"{"budgetLimitId":"l","agentId":7,"amount":1,"period":"daily"}"#, "agentId"),
        ])
    func badField(json: String, field: String) {
        let failure = error(json)
        #expect(failure?.field == field, "\(json) -> \(String(describing: failure))")
        #expect(failure?.description.hasPrefix(field) == true)
    }

    @Test("array errors carry the index; batch-level errors")
    func batch() {
        let bad = error(#"[{"agentId":"a","cost":1,"timestamp":\#(t0)},{"budgetLimitId":"l","amount":1,"period":"yearly"}]"#)
        #expect(bad?.itemIndex == 1 && bad?.field == "period")
        #expect(bad?.description.hasPrefix("item 1: period must be one of daily, weekly, monthly") == true)
        #expect(error("[]") == .emptyBatch)
        #expect(error("{") == .malformedJSON)
        #expect(error("[1]") == .item(index: 0, .notAnObject(field: nil)))
    }

    @Test("PUT bodies: the path gives the id, a body id must match it")
    func limitBody() throws {
        #expect(try BudgetInput.parseLimitBody(ByteBuffer(string: #"{"amount":100,"period":"daily","agentId":"a"}"#), budgetLimitId: "x") == BudgetLimit(budgetLimitId: "x", agentId: "a", amount: 100, period: .daily))
        #expect(throws: BudgetInputError.self) { try BudgetInput.parseLimitBody(ByteBuffer(string: #"{"budgetLimitId":"y","amount":1,"period":"daily"}"#), budgetLimitId: "x") }
        #expect(throws: BudgetInputError.self) { try BudgetInput.parseLimitBody(ByteBuffer(string: "[]"), budgetLimitId: "x") }
    }

    @Test("the JSON an input writes parses back to it")
    func roundTrip() throws {
        let inputs: [BudgetInput] = [
            .spend(SpendRecord(spendId: "s", agentId: "a", cost: 0.25, timestamp: t0)),
            .spend(SpendRecord(agentId: "a", cost: 3, timestamp: t0)),
            .limit(BudgetLimit(budgetLimitId: "l", agentId: "a", amount: 12.5, period: .weekly)),
            .limit(BudgetLimit(budgetLimitId: "g", amount: 100, period: .monthly)),
        ]
        for input in inputs { #expect(try parse(JSONWriter.string(input.json)) == [input]) }
    }

    @Test("configuration validation")
    func configuration() {
        #expect(throws: BudgetConfigurationError.self) { try BudgetConfiguration(thresholds: []).validate() }
        #expect(throws: BudgetConfigurationError.self) { try BudgetConfiguration(thresholds: [80, 80]).validate() }
        #expect(throws: BudgetConfigurationError.self) { try BudgetConfiguration(thresholds: [0]).validate() }
        #expect(BudgetConfiguration(thresholds: [100, 50, 75]).thresholds == [50, 75, 100])
    }
}
