import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyTasks
import NIOCore
import Testing

@Suite("Tasks simulator", .timeLimit(.minutes(1)))
struct TasksSimulatorTests {
    func run(seed: UInt64, steps: Int) -> [[TasksInput]] {
        var simulator = TasksSimulator(seed: seed, runId: "r1")
        return (0..<steps).map { simulator.next(now: t0 + Int64($0) * 1000) }
    }

    @Test("the same seed gives the same inputs; another seed differs")
    func deterministic() {
        #expect(run(seed: 7, steps: 200) == run(seed: 7, steps: 200))
        #expect(run(seed: 7, steps: 200) != run(seed: 8, steps: 200))
    }

    @Test("a believable feed: every task status and stage outcome appears, for several users and agents")
    func believable() {
        let inputs = run(seed: 42, steps: 600).flatMap { $0 }
        var statuses = Set<TaskStatus>()
        var stageStatuses = Set<StageStatus>()
        var users = Set<String>()
        var agents = Set<String>()
        for input in inputs {
            switch input {
            case .task(let e):
                statuses.insert(e.status)
                users.insert(e.userId)
                agents.insert(e.agentId)
            case .pipeline(let e): stageStatuses.insert(e.stage.status)
            }
        }
        #expect(statuses == Set(TaskStatus.allCases))
        #expect(stageStatuses.isSuperset(of: [.pending, .processing, .completed]))
        #expect(users.contains("dev") && users.count == TasksSimulator.users.count)
        #expect(agents.count == TasksSimulator.agents.count)
        #expect(inputs.count > 600)
    }

    @Test("the producer accepts every simulated batch through the ingest path")
    func accepted() async throws {
        try await withRedis { _, redis in
            let producer = makeProducer(redis)
            for (step, inputs) in run(seed: 3, steps: 300).enumerated() where !inputs.isEmpty {
                let body = JSONWriter.string(.array(inputs.map(\.json)))
                do {
                    _ = try await producer.ingest(json: body)
                } catch {
                    Issue.record("step \(step) rejected: \(error)")
                    return
                }
            }
            let names = try await agents(redis).values.map(\.name).sorted()
            #expect(names == TasksSimulator.agents.map(\.name).sorted())
        }
    }
}
