import CoinDailyTestSupport
import CoinDailyBudget
import CoinDailyProtocol
import Testing

@Suite("Budget simulator", .timeLimit(.minutes(1)))
struct BudgetSimulatorTests {
    func run(seed: UInt64, steps: Int) -> [[BudgetInput]] {
        var simulator = BudgetSimulator(seed: seed, runId: "r")
        return (0..<steps).map { simulator.next(now: t0 + Int64($0) * 1000) }
    }

    @Test("deterministic for a seed; limits first, then spend with ids")
    func deterministic() {
        let a = run(seed: 5, steps: 100)
        #expect(a == run(seed: 5, steps: 100))
        #expect(a != run(seed: 6, steps: 100))
        #expect(a[0].prefix(BudgetSimulator.limits.count) == ArraySlice(BudgetSimulator.limits.map(BudgetInput.limit)))
        let spends = a.flatMap { $0 }.compactMap { input -> SpendRecord? in if case .spend(let s) = input { s } else { nil } }
        #expect(spends.count > 60 && Set(spends.compactMap(\.spendId)).count == spends.count)
        #expect(spends.allSatisfy { (0.02...0.60).contains($0.cost) })
    }

    @Test("fed through the producer, every agent's daily limit alerts 80, 90, 100 once within an hour of simulated time")
    func alerts() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let producer = makeProducer(redis)
            var simulator = BudgetSimulator(seed: 42, runId: "r")
            var alerts = 0
            for step in 0..<3600 {
                let now = t0 + Int64(step) * 1000
                alerts += try await producer.apply(simulator.next(now: now), now: now).alerts
            }
            try await recorder.wait(alertsChannel, count: alerts)
            let data = recorder.data(alertsChannel)
            for agent in BudgetSimulator.agents {
                let mine = data.filter { $0["budgetLimitId"] == .string("sim-\(agent)-daily") }
                #expect(mine.compactMap { $0["thresholdReached"]?.numberValue } == [80, 90, 100], "\(agent)")
            }
            await recorder.shutdown()
        }
    }
}
