import CoinDailyTestSupport
import CoinDailyBudget
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import NIOPosix
import Testing

@Suite("Budget alerts through Redis", .timeLimit(.minutes(1)))
struct BudgetAlertTests {
    @Test("each threshold alerts once, with the exact payload and message, and the agent's name")
    func onceEach() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            try await register(redis, "agent-7", name: "Writer-7")
            let producer = makeProducer(redis)
            try await producer.apply([limit("w7", agent: "agent-7", 100)])
            #expect(try await producer.apply([spend("agent-7", 79.99)]).alerts == 0)
            #expect(try await producer.apply([spend("agent-7", 0.01, at: t0 + 1)]).alerts == 1)
            #expect(try await producer.apply([spend("agent-7", 5, at: t0 + 2)]).alerts == 0)
            #expect(try await producer.apply([spend("agent-7", 5, at: t0 + 3)]).alerts == 1)
            #expect(try await producer.apply([spend("agent-7", 10, at: t0 + 4)]).alerts == 1)
            #expect(try await producer.apply([spend("agent-7", 50, at: t0 + 5)]).alerts == 0)
            try await recorder.wait(alertsChannel, count: 3)
            let envelopes = recorder.envelopes(alertsChannel)
            #expect(envelopes.map(\.type) == ["budget_alert", "budget_alert", "budget_alert"])
            #expect(envelopes.map { $0.data["thresholdReached"] } == [80, 90, 100])
            #expect(
                envelopes[1].data == [
                    "budgetLimitId": "w7", "agentId": "agent-7", "agentName": "Writer-7", "amount": 100, "currentSpend": 90,
                    "remainingBudget": 10, "thresholdReached": 90, "period": "daily",
                    "message": "Agent Writer-7 has used 90% of its daily budget ($90.00 of $100.00)", "timestamp": .int(t0),
                ])
            #expect(envelopes[1].timestamp == t0)
            #expect(envelopes[2].data["remainingBudget"] == 0 && envelopes[2].data["currentSpend"] == 100)
            await recorder.shutdown()
        }
    }

    @Test("crossing several thresholds at once emits each, in order; global limits and unknown agents")
    func multiCrossing() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let producer = makeProducer(redis)
            try await producer.apply([limit("all", 1000, .weekly), limit("x", agent: "agent-x", 10)])
            try await producer.apply([spend("agent-x", 7), spend("agent-y", 790)])
            #expect(try await producer.apply([spend("agent-x", 3.5, at: t0 + 1)]).alerts == 4)
            try await recorder.wait(alertsChannel, count: 4)
            let data = recorder.data(alertsChannel)
            // Limits are evaluated in id order ("all" < "x"), thresholds ascending.
            #expect(data.map { $0["budgetLimitId"] } == ["all", "x", "x", "x"])
            #expect(data.map { $0["thresholdReached"] } == [80, 80, 90, 100])
            #expect(
                data[0] == [
                    "budgetLimitId": "all", "amount": 1000, "currentSpend": 800.5, "remainingBudget": 199.5, "thresholdReached": 80,
                    "period": "weekly", "message": "All agents have used 80% of the weekly budget ($800.50 of $1,000.00)",
                    "timestamp": .int(t0),
                ])
            #expect(data[1]["agentName"] == nil && data[1]["agentId"] == "agent-x")
            #expect(data[1]["message"] == "Agent agent-x has used 80% of its daily budget ($10.50 of $10.00)")
            #expect(data[1]["remainingBudget"] == 0)
            await recorder.shutdown()
        }
    }

    @Test("a redelivered record (same spendId, or same content without one) is counted and alerted once")
    func redelivery() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let producer = makeProducer(redis)
            try await producer.apply([limit("l", agent: "a", 10)])
            #expect(try await producer.apply([spend("a", 8, id: "s-1")]) == BudgetApplyOutcome(accepted: 1, duplicates: 0, alerts: 1))
            #expect(try await producer.apply([spend("a", 8, id: "s-1")]) == BudgetApplyOutcome(accepted: 1, duplicates: 1, alerts: 0))
            // Without spendId the content identifies the record: the same agent, cost and timestamp is a repeat …
            #expect(try await producer.apply([spend("a", 0.5, at: t0 + 7), spend("a", 0.5, at: t0 + 7)]).duplicates == 1)
            // … a different timestamp is a new record.
            #expect(try await producer.apply([spend("a", 0.5, at: t0 + 8)]).alerts == 1)
            let sum = try await redis.sendChecked(["GET", BudgetKeys.agentSpend("a", BudgetPeriod.daily.window(containing: t0))])
            #expect(sum.string == "9")
            try await recorder.wait(alertsChannel, count: 2)
            #expect(recorder.data(alertsChannel).map { $0["thresholdReached"] } == [80, 90])
            await recorder.shutdown()
        }
    }

    @Test("no repeated alert across a producer restart; the next threshold still fires")
    func restart() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            try await makeProducer(redis).apply([limit("l", agent: "a", 100), spend("a", 85, id: "s-1")])
            // A new process: a new client and producer, and the same record redelivered plus more spend.
            let other = RedisClient(
                configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: quietLogger("other"))
            let restarted = makeProducer(other)
            #expect(try await restarted.apply([spend("a", 85, id: "s-1"), spend("a", 1, id: "s-2")]).alerts == 0)
            #expect(try await restarted.apply([spend("a", 4, id: "s-3")]).alerts == 1)
            try await recorder.wait(alertsChannel, count: 2)
            #expect(recorder.data(alertsChannel).map { $0["thresholdReached"] } == [80, 90])
            #expect(recorder.data(alertsChannel).last?["currentSpend"] == 90)
            await other.shutdown()
            await recorder.shutdown()
        }
    }

    @Test("a new period starts from zero; spend counts in the period of its timestamp")
    func periods() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let producer = makeProducer(redis)
            let today = BudgetPeriod.daily.window(containing: t0)
            try await producer.apply([limit("d", agent: "a", 10), limit("m", agent: "a", 100, .monthly)])
            try await producer.apply([spend("a", 9, at: today.end - 1)])
            try await producer.apply([spend("a", 9, at: today.end)])
            try await recorder.wait(alertsChannel, count: 4)
            let data = recorder.data(alertsChannel)
            #expect(data.map { $0["budgetLimitId"] } == ["d", "d", "d", "d"])
            #expect(data.map { $0["thresholdReached"] } == [80, 90, 80, 90])
            for period in [BudgetPeriod.weekly, .monthly] {
                let (before, after) = (period.window(containing: today.end - 1), period.window(containing: today.end))
                let sums = try await [before, after].asyncMap { try await redis.sendChecked(["GET", BudgetKeys.totalSpend($0)]).string }
                #expect(before == after ? sums == ["18", "18"] : sums == ["9", "9"], "\(period)")
                let agent = try await redis.sendChecked(["GET", BudgetKeys.agentSpend("a", before)]).string
                #expect(agent == (before == after ? "18" : "9"))
            }
            await recorder.shutdown()
        }
    }

    @Test("setting a limit below the current spend alerts at once; the same values again do not; a change starts afresh")
    func limitChanges() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let producer = makeProducer(redis)
            try await producer.apply([spend("a", 45)])
            let first = try await producer.setLimit(BudgetLimit(budgetLimitId: "l", agentId: "a", amount: 50, period: .daily), now: t0)
            #expect(first.revision == 1)
            try await recorder.wait(alertsChannel, count: 2)
            #expect(try await producer.apply([limit("l", agent: "a", 50)]) == BudgetApplyOutcome(accepted: 1, duplicates: 1, alerts: 0))
            let second = try await producer.setLimit(BudgetLimit(budgetLimitId: "l", agentId: "a", amount: 56, period: .daily), now: t0)
            #expect(second.revision == 2)
            try await recorder.wait(alertsChannel, count: 3)
            #expect(recorder.data(alertsChannel).map { $0["thresholdReached"] } == [80, 90, 80])
            #expect(recorder.data(alertsChannel).last?["amount"] == 56)
            #expect(try await producer.limits().map(\.limit.budgetLimitId) == ["l"])
            #expect(try await producer.currentSpend(of: second.limit, now: t0) == 45)
            #expect(try await producer.deleteLimit("l"))
            #expect(try await producer.apply([spend("a", 100, at: t0 + 1)]).alerts == 0)
            await recorder.shutdown()
        }
    }

    @Test("configured thresholds; alerts fire in one step with the spend (nothing published for a failed batch)")
    func thresholds() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let producer = makeProducer(redis, BudgetConfiguration(thresholds: [50, 150]))
            try await producer.apply([limit("l", agent: "a", 10), spend("a", 20)])
            try await recorder.wait(alertsChannel, count: 2)
            #expect(recorder.data(alertsChannel).map { $0["thresholdReached"] } == [50, 150])
            #expect(recorder.data(alertsChannel).last?["message"] == "Agent a has used 150% of its daily budget ($20.00 of $10.00)")
            await recorder.shutdown()
        }
    }

    @Test("through ingest: 400 naming the field, nothing applied; 503 without Redis")
    func ingest() async throws {
        try await withRedis { server, redis in
            let producer = makeProducer(redis)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let bad = await producer.ingestError(#"[{"budgetLimitId":"l","amount":10,"period":"daily"},{"agentId":"a","cost":-1,"timestamp":\#(now)}]"#)
            #expect(bad == .invalid(message: "item 1: cost must be a finite number >= 0", field: "cost", index: 1))
            #expect(try await producer.limits().isEmpty)
            #expect(await producer.ingestError(#"{"agentId":"a","cost":1,"timestamp":\#(now)}"#) == nil)
            var configuration = redisConfiguration(port: server.port)
            configuration.queueWhileDisconnected = false
            let offline = RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger("o"))
            offline.start()
            try await eventually(10, "connected") { offline.isConnected }
            server.kill()
            try await eventually(10, "disconnected") { !offline.isConnected }
            let error = await makeProducer(offline).ingestError(#"{"agentId":"a","cost":1,"timestamp":\#(now)}"#)
            if case .unavailable? = error {} else { Issue.record("expected unavailable, got \(String(describing: error))") }
            await offline.shutdown()
        }
    }
}
