import CoinDailyProtocol
import Testing

@Suite("SubscriptionFilter")
struct SubscriptionFilterTests {
    @Test("market sentiment passes only the tokens taken")
    func marketSentiment() {
        let filter = SubscriptionFilter(kind: .marketSentiment, request: .init(tokens: ["BTC", "ETH"]))
        #expect(filter.keys == ["BTC", "ETH"])
        #expect(filter.matches(.init(token: "BTC")))
        #expect(filter.matches(.init(token: "ETH")))
        #expect(!filter.matches(.init(token: "SOL")))
        #expect(!filter.matches(.init()))
    }

    @Test("whale activity without tokens: any token at or above minAmount")
    func whaleMinAmount() {
        let filter = SubscriptionFilter(kind: .whaleActivity, request: .init(minAmount: 1_000_000))
        #expect(filter.keys == nil)
        #expect(filter.minAmount == 1_000_000)
        #expect(!filter.matches(.init(token: "BTC", amountUSD: 999_999.99)))
        #expect(filter.matches(.init(token: "BTC", amountUSD: 1_000_000)))
        #expect(filter.matches(.init(token: "SOL", amountUSD: 5_000_000)))
        #expect(!filter.matches(.init(token: "SOL")))
    }

    @Test("whale activity with tokens and minAmount needs both")
    func whaleTokensAndAmount() {
        let filter = SubscriptionFilter(kind: .whaleActivity, request: .init(tokens: ["SOL"], minAmount: 100))
        #expect(filter.matches(.init(token: "SOL", amountUSD: 100)))
        #expect(!filter.matches(.init(token: "SOL", amountUSD: 99)))
        #expect(!filter.matches(.init(token: "BTC", amountUSD: 1_000)))
        #expect(!filter.matches(.init(amountUSD: 1_000)))
    }

    @Test("whale activity without parameters passes everything, even without an amount")
    func whaleAll() {
        let filter = SubscriptionFilter(kind: .whaleActivity, request: .init())
        #expect(filter.matches(.init(token: "DOGE", amountUSD: 1)))
        #expect(filter.matches(.init()))
    }

    @Test("moderation: the severity taken and above; an event without severity counts as low")
    func moderation() {
        let filter = SubscriptionFilter(kind: .moderationQueue, request: .init(severity: .high))
        #expect(filter.keys == nil)
        #expect(!filter.matches(.init(severity: .low)))
        #expect(!filter.matches(.init(severity: .medium)))
        #expect(filter.matches(.init(severity: .high)))
        #expect(filter.matches(.init(severity: .critical)))
        #expect(!filter.matches(.init()))
        let all = SubscriptionFilter(kind: .moderationQueue, request: .init())
        #expect(all.matches(.init(severity: .low)))
        #expect(all.matches(.init()))
    }

    @Test("task, pipeline and budget filters pass their one id, or everything without one")
    func identifiers() {
        let task = SubscriptionFilter(kind: .taskUpdates, request: .init(taskId: "t-1"))
        #expect(task.matches(.init(taskId: "t-1")))
        #expect(!task.matches(.init(taskId: "t-2")))
        #expect(!task.matches(.init()))
        #expect(SubscriptionFilter(kind: .taskUpdates, request: .init()).matches(.init(taskId: "t-2")))

        let pipeline = SubscriptionFilter(kind: .pipelineUpdates, request: .init(pipelineId: "p"))
        #expect(pipeline.matches(.init(pipelineId: "p")))
        #expect(!pipeline.matches(.init(pipelineId: "q")))

        let budget = SubscriptionFilter(kind: .budgetAlerts, request: .init(agentId: "a"))
        #expect(budget.matches(.init(agentId: "a")))
        #expect(!budget.matches(.init(agentId: "b")))
        #expect(!budget.matches(.init(pipelineId: "a")))
    }

    @Test("trending passes the timeframes taken")
    func trending() {
        let filter = SubscriptionFilter(kind: .trendingMemecoins, request: .init(timeframes: ["1h", "7d"]))
        #expect(filter.matches(.init(timeframe: "1h")))
        #expect(filter.matches(.init(timeframe: "7d")))
        #expect(!filter.matches(.init(timeframe: "24h")))
        #expect(!filter.matches(.init()))
        #expect(SubscriptionFilter(kind: .trendingMemecoins, request: .init()).matches(.init(timeframe: "4h")))
    }

    @Test("system health passes everything")
    func systemHealth() {
        #expect(SubscriptionFilter(kind: .systemHealth, request: .init()).matches(.init()))
    }

    @Test("merge widens the keys")
    func mergeWidens() {
        var filter = SubscriptionFilter(kind: .marketSentiment, request: .init(tokens: ["BTC"]))
        filter.merge(.init(tokens: ["ETH", "BTC"]))
        #expect(filter.keys == ["BTC", "ETH"])
        #expect(filter.matches(.init(token: "ETH")))
    }

    @Test("merging a request for all keys makes the filter take all; specific keys never narrow it again")
    func mergeAll() {
        var filter = SubscriptionFilter(kind: .whaleActivity, request: .init(tokens: ["BTC"]))
        filter.merge(.init())
        #expect(filter.keys == nil)
        filter.merge(.init(tokens: ["SOL"]))
        #expect(filter.keys == nil)
        #expect(filter.matches(.init(token: "DOGE", amountUSD: 1)))
    }

    @Test("merge replaces thresholds: minAmount and severity")
    func mergeReplacesThresholds() {
        var whale = SubscriptionFilter(kind: .whaleActivity, request: .init(minAmount: 1_000_000))
        whale.merge(.init(minAmount: 10))
        #expect(whale.minAmount == 10)
        #expect(whale.matches(.init(token: "BTC", amountUSD: 10)))
        whale.merge(.init())
        #expect(whale.minAmount == nil)

        var moderation = SubscriptionFilter(kind: .moderationQueue, request: .init(severity: .critical))
        moderation.merge(.init(severity: .medium))
        #expect(moderation.minSeverity == .medium)
        #expect(moderation.matches(.init(severity: .medium)))
        #expect(!moderation.matches(.init(severity: .low)))
    }

    @Test("remove drops keys and says whether any are left")
    func remove() {
        var filter = SubscriptionFilter(kind: .marketSentiment, request: .init(tokens: ["BTC", "ETH"]))
        let left = filter.remove(.init(tokens: ["BTC", "SOL"]))
        #expect(left)
        #expect(filter.keys == ["ETH"])
        #expect(!filter.matches(.init(token: "BTC")))
        let leftAfterLast = filter.remove(.init(tokens: ["ETH"]))
        #expect(!leftAfterLast)
        #expect(filter.keys == Set<String>())
    }

    @Test("remove on a filter that takes all keys keeps it; a request without keys removes everything")
    func removeFromAll() {
        var all = SubscriptionFilter(kind: .whaleActivity, request: .init())
        let keptAll = all.remove(.init(tokens: ["BTC"]))
        #expect(keptAll)
        #expect(all.keys == nil)
        let leftAfterAll = all.remove(.init())
        #expect(!leftAfterAll)
        var moderation = SubscriptionFilter(kind: .moderationQueue, request: .init(severity: .low))
        let moderationLeft = moderation.remove(.init(severity: .low))
        #expect(!moderationLeft)
    }
}

@Suite("EventAttributes")
struct EventAttributesTests {
    @Test("reads the filtered fields of an event's data and ignores the rest")
    func fromData() {
        let data: JSONValue = [
            "token": "BTC", "amountUSD": 2_500_000, "taskId": "t", "userId": "alice", "pipelineId": "p",
            "agentId": "a", "severity": "critical", "timeframe": "24h", "other": 1,
        ]
        #expect(
            EventAttributes(data: data)
                == EventAttributes(
                    token: "BTC", amountUSD: 2_500_000, taskId: "t", userId: "alice", pipelineId: "p", agentId: "a",
                    severity: .critical, timeframe: "24h"))
    }

    @Test("fields of the wrong type or an unknown severity are absent")
    func wrongTypes() {
        let data: JSONValue = ["token": 1, "amountUSD": "100", "severity": "urgent"]
        #expect(EventAttributes(data: data) == EventAttributes())
    }
}
