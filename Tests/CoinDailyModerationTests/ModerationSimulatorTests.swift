import CoinDailyModeration
import CoinDailyProtocol
import NIOCore
import Testing

@Suite("Moderation simulator")
struct ModerationSimulatorTests {
    func run(seed: UInt64, seconds: Int) -> [[ModerationInput]] {
        var simulator = ModerationSimulator(seed: seed, runId: "r1")
        return (0..<seconds).map { simulator.next(now: t0 + Int64($0) * 1000) }
    }

    @Test("the same seed gives the same inputs; another seed does not")
    func deterministic() {
        #expect(run(seed: 7, seconds: 300) == run(seed: 7, seconds: 300))
        #expect(run(seed: 7, seconds: 300) != run(seed: 8, seconds: 300))
    }

    @Test("a believable stream: every severity, decisions only for reported items, never from a final status, a bounded queue")
    func believable() throws {
        var simulator = ModerationSimulator(seed: 42, runId: "r1")
        var status: [String: ModerationStatus] = [:]
        var severities: Set<Severity> = []
        var decisions = 0
        for second in 0..<1800 {
            let now = t0 + Int64(second) * 1000
            for input in simulator.next(now: now) {
                // Each input survives the ingest JSON round trip.
                let parsed = try ModerationInput.parseBatch(ByteBuffer(string: JSONWriter.string(input.json)), now: now, maxItems: 1)
                #expect(parsed.items == [input])
                switch input {
                case .report(let r):
                    #expect(status[r.violationId] == nil)
                    #expect(r.violationId.hasPrefix("sim-r1-"))
                    #expect((0.3...0.999).contains(r.confidence))
                    status[r.violationId] = .pending
                    severities.insert(r.severity)
                case .statusChange(let c):
                    let current = try #require(status[c.violationId])
                    #expect(!current.isFinal)
                    #expect(current != c.status)
                    status[c.violationId] = c.status
                    if c.status.isFinal { decisions += 1 }
                }
            }
            #expect(simulator.openViolationIds.count <= 42)
        }
        #expect(severities == Set(Severity.allCases))
        #expect(status.count > 300)
        #expect(decisions > 200)
    }

    @Test("the simulated stream applies to a real queue without a single rejection")
    func appliesCleanly() async throws {
        try await RedisFixture.with { fx in
            let store = ModerationQueueStore(redis: fx.redis)
            var simulator = ModerationSimulator(seed: 3, runId: "r2")
            for second in 0..<300 {
                let inputs = simulator.next(now: t0 + Int64(second) * 1000)
                if !inputs.isEmpty { try await store.apply(inputs, now: t0 + Int64(second) * 1000) }
            }
            #expect(try await store.queuedIds() == simulator.openViolationIds)
        }
    }
}
