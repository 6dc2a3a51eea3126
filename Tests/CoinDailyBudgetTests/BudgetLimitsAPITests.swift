import CoinDailyTestSupport
import CoinDailyBudget
import CoinDailyProtocol
import NIOCore
import Testing

@Suite("Limits API", .timeLimit(.minutes(1)))
struct BudgetLimitsAPITests {
    @Test("PUT, GET, list, DELETE, and the errors")
    func crud() async throws {
        try await withRedis { _, redis in
            let api = BudgetLimitsAPI(producer: makeProducer(redis))
            let put = await api.handle(method: "PUT", path: "/v1/limits/w%207", body: ByteBuffer(string: #"{"agentId":"a","amount":100,"period":"daily"}"#))
            #expect(put.status == 200)
            #expect(put.body?["budgetLimitId"] == "w 7" && put.body?["revision"] == 1 && put.body?["currentSpend"] == 0)
            #expect(put.body?["amount"] == 100 && put.body?["agentId"] == "a" && put.body?["period"] == "daily")
            let again = await api.handle(method: "PUT", path: "/v1/limits/w%207", body: ByteBuffer(string: #"{"agentId":"a","amount":120,"period":"daily"}"#))
            #expect(again.body?["revision"] == 2)
            _ = await api.handle(method: "PUT", path: "/v1/limits/all", body: ByteBuffer(string: #"{"amount":5,"period":"monthly"}"#))
            let list = await api.handle(method: "GET", path: "/v1/limits", body: nil)
            #expect(list.status == 200)
            #expect(list.body?["limits"]?.arrayValue?.map { $0["budgetLimitId"] } == ["all", "w 7"])
            #expect(list.body?["limits"]?.arrayValue?.first?["agentId"] == nil)
            #expect(await api.handle(method: "GET", path: "/v1/limits/all", body: nil).body?["amount"] == 5)
            #expect(await api.handle(method: "GET", path: "/v1/limits/none", body: nil).status == 404)
            let bad = await api.handle(method: "PUT", path: "/v1/limits/x", body: ByteBuffer(string: #"{"amount":-1,"period":"daily"}"#))
            #expect(bad.status == 400 && bad.body?["error"]?["field"] == "amount" && bad.body?["error"]?["code"] == "INVALID_INPUT")
            #expect(await api.handle(method: "PUT", path: "/v1/limits/x", body: ByteBuffer(string: "nope")).status == 400)
            #expect(await api.handle(method: "PUT", path: "/v1/limits", body: nil).status == 405)
            #expect(await api.handle(method: "POST", path: "/v1/limits/x", body: nil).status == 405)
            #expect(await api.handle(method: "DELETE", path: "/v1/limits/all", body: nil).status == 204)
            #expect(await api.handle(method: "DELETE", path: "/v1/limits/all", body: nil).status == 404)
            #expect(await api.handle(method: "GET", path: "/v1/limits/a/b", body: nil).status == 404)
            #expect(BudgetLimitsAPI.serves("/v1/limits") && BudgetLimitsAPI.serves("/v1/limits/x") && !BudgetLimitsAPI.serves("/v1/limitsx"))
        }
    }
}
