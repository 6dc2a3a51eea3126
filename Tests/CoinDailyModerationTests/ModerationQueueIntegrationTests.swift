import CoinDailyModeration
import CoinDailyProtocol
import CoinDailyRedis
import NIOCore
import Testing

@Suite("Moderation queue in Redis", .serialized, .timeLimit(.minutes(1)))
struct ModerationQueueIntegrationTests {
    @Test("inserts and removals publish the changed item and every shifted item with real positions")
    func insertsAndRemovals() async throws {
        try await RedisFixture.with { fx in
            let store = ModerationQueueStore(redis: fx.redis)

            try await store.apply([reported("a", .low, 0.5, at: t0)], now: t0 + 1)
            try await fx.barrier()
            #expect(fx.events.seen == [Seen(id: "a", position: 1, status: "pending")])

            fx.events.clear()
            try await store.apply([reported("b", .high, 0.8, at: t0 + 1)], now: t0 + 2)
            try await fx.barrier()
            #expect(fx.events.seen == [Seen(id: "b", position: 1, status: "pending"), Seen(id: "a", position: 2, status: "pending")])

            fx.events.clear()
            try await store.apply([reported("c", .critical, 0.9, at: t0 + 2)], now: t0 + 3)
            // d: same severity as b, higher confidence -> before b.
            try await store.apply([reported("d", .high, 0.95, at: t0 + 3)], now: t0 + 4)
            // e: same severity and confidence as d, newer -> after d.
            try await store.apply([reported("e", .high, 0.95, at: t0 + 4)], now: t0 + 5)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == [
                "c@1/pending", "b@2/pending", "a@3/pending",
                "d@2/pending", "b@3/pending", "a@4/pending",
                "e@3/pending", "b@4/pending", "a@5/pending",
            ])
            #expect(try await store.queuedIds() == ["c", "d", "e", "b", "a"])

            // under_review keeps the place: only the item itself.
            fx.events.clear()
            try await store.apply([change("d", .underReview)], now: t0 + 6)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["d@2/under_review"])

            // A decision removes it: position 0, and everything behind moves up.
            fx.events.clear()
            try await store.apply([change("c", .confirmed)], now: t0 + 7)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["c@0/confirmed", "d@1/under_review", "e@2/pending", "b@3/pending", "a@4/pending"])

            // Removing the last item shifts nothing.
            fx.events.clear()
            try await store.apply([change("a", .falsePositive)], now: t0 + 8)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["a@0/false_positive"])
            #expect(try await store.queuedIds() == ["d", "e", "b"])

            // Exact bytes of one event, and the stored state.
            fx.events.clear()
            try await store.apply([change("b", .underReview)], now: t0 + 9)
            try await fx.barrier()
            let expected = ModerationEventTemplate(report: report("b", .high, 0.8, at: t0 + 1))
                .render(queueLength: 3, queuePosition: 3, status: .underReview, timestamp: t0 + 9)
            // cd_publish appends the history id and the room to the envelope (docs/delivery.md).
            let published = fx.events.all
            #expect(published.count == 1)
            #expect(published.first.map { $0.hasPrefix(String(expected.dropLast()) + #","id":""#) } == true)
            #expect(published.first?.hasSuffix(#"","room":"moderation_queue"}"#) == true)
            #expect(try await store.item("b") == ModerationQueueItem(report: report("b", .high, 0.8, at: t0 + 1), status: .underReview, queuePosition: 3))
            #expect(try await store.item("c")?.queuePosition == 0)
            #expect(try await store.item("c")?.status == .confirmed)
            #expect(try await store.item("zz") == nil)
            // Decided items expire after the retention; queued ones do not.
            #expect(try await fx.redis.sendChecked(["TTL", ModerationKeys.item("c")]).int ?? 0 > 600_000)
            #expect(try await fx.redis.sendChecked(["TTL", ModerationKeys.item("b")]).int == -1)
        }
    }

    @Test("a repeated report and a repeated status change change nothing and publish nothing")
    func idempotency() async throws {
        try await RedisFixture.with { fx in
            let store = ModerationQueueStore(redis: fx.redis)
            try await store.apply([reported("a", .medium, 0.5), reported("b", .medium, 0.4)], now: t0)
            try await fx.barrier()
            fx.events.clear()

            // The same id again, even with other content: ignored.
            var outcome = try await store.apply([reported("a", .critical, 1.0), reported("b", .medium, 0.4)], now: t0 + 1)
            #expect(outcome == ModerationApplyOutcome(applied: 0, ignored: 2, published: 0))
            try await store.apply([change("a", .underReview)], now: t0 + 2)
            outcome = try await store.apply([change("a", .underReview)], now: t0 + 3)
            #expect(outcome == ModerationApplyOutcome(applied: 0, ignored: 1, published: 0))
            try await store.apply([change("b", .confirmed)], now: t0 + 4)
            outcome = try await store.apply([change("b", .confirmed), reported("b", .low, 0.1)], now: t0 + 5)
            #expect(outcome == ModerationApplyOutcome(applied: 0, ignored: 2, published: 0))
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["a@1/under_review", "b@0/confirmed"])
            #expect(try await store.queuedIds() == ["a"])
            #expect(try await store.item("a")?.report.severity == .medium)
        }
    }

    @Test("a status change for an unknown violation is rejected naming violationId, and nothing of the batch is applied")
    func unknownViolation() async throws {
        try await RedisFixture.with { fx in
            let store = ModerationQueueStore(redis: fx.redis)
            try await store.apply([reported("a", .low, 0.5)], now: t0)
            try await fx.barrier()
            fx.events.clear()

            await #expect(throws: ModerationApplyError.rejected(index: 2, .unknownViolation(violationId: "ghost"))) {
                try await store.apply([reported("new", .critical, 0.9), change("a", .underReview), change("ghost", .confirmed)], now: t0 + 1)
            }
            // A report and its status change in one batch are fine.
            try await store.apply([reported("x", .low, 0.1), change("x", .underReview)], now: t0 + 2)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["x@2/pending", "x@2/under_review"])
            #expect(try await store.queuedIds() == ["a", "x"])
            #expect(try await store.item("new") == nil)
            #expect(try await store.item("a")?.status == .pending)
        }
    }

    @Test("a final status cannot change")
    func finalStatus() async throws {
        try await RedisFixture.with { fx in
            let store = ModerationQueueStore(redis: fx.redis)
            try await store.apply([reported("a", .low, 0.5), change("a", .falsePositive)], now: t0)
            await #expect(throws: ModerationApplyError.rejected(index: 0, .finalStatus(violationId: "a", status: .falsePositive))) {
                try await store.apply([change("a", .confirmed)], now: t0 + 1)
            }
            await #expect(throws: ModerationApplyError.rejected(index: 2, .finalStatus(violationId: "b", status: .confirmed))) {
                try await store.apply([reported("b", .low, 0.5), change("b", .confirmed), change("b", .underReview)], now: t0 + 1)
            }
            #expect(try await store.item("a")?.status == .falsePositive)
            #expect(try await store.item("b") == nil)
        }
    }

    @Test("at most maxShiftEvents shifted items get an event per change")
    func shiftCap() async throws {
        try await RedisFixture.with { fx in
            let store = ModerationQueueStore(redis: fx.redis, configuration: ModerationConfiguration(maxShiftEvents: 2))
            try await store.apply((1...5).map { reported("q\($0)", .low, 0.5, at: t0 + Int64($0)) }, now: t0)
            try await fx.barrier()
            fx.events.clear()
            try await store.apply([reported("top", .critical, 0.5)], now: t0 + 10)
            try await store.apply([change("q2", .confirmed)], now: t0 + 11)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["top@1/pending", "q1@2/pending", "q2@3/pending", "q2@0/confirmed", "q3@3/pending", "q4@4/pending"])
            let lengths = fx.events.envelopes.map { Int($0.data["queueLength"]?.numberValue ?? -1) }
            #expect(lengths == [6, 6, 6, 5, 5, 5])

            let none = ModerationQueueStore(redis: fx.redis, configuration: ModerationConfiguration(maxShiftEvents: 0))
            fx.events.clear()
            try await none.apply([reported("top2", .critical, 0.9)], now: t0 + 12)
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["top2@1/pending"])
        }
    }

    @Test("a restarted producer (new client, same Redis) carries on: duplicates stay ignored, positions continue")
    func restart() async throws {
        try await RedisFixture.with { fx in
            let first = fx.newClient()
            try await ModerationQueueStore(redis: first).apply([reported("a", .high, 0.5), reported("b", .low, 0.5)], now: t0)
            await first.shutdown()
            try await fx.barrier()
            fx.events.clear()

            let second = fx.newClient()
            defer { Task { await second.shutdown() } }
            let store = ModerationQueueStore(redis: second)
            let outcome = try await store.apply([reported("a", .high, 0.5), reported("m", .medium, 0.5), change("a", .confirmed)], now: t0 + 1)
            #expect(outcome == ModerationApplyOutcome(applied: 2, ignored: 1, published: 5))
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["m@2/pending", "b@3/pending", "a@0/confirmed", "m@1/pending", "b@2/pending"])
        }
    }

    @Test("Redis away: the batch fails as unavailable and nothing is applied")
    func unavailable() async throws {
        try await RedisFixture.with { fx in
            var configuration = RedisFixture.configuration(port: fx.server.port)
            configuration.commandTimeout = .milliseconds(500)
            let client = RedisClient(configuration: configuration, eventLoopGroup: RedisFixture.group, logger: RedisFixture.logger("r"))
            defer { Task { await client.shutdown() } }
            let store = ModerationQueueStore(redis: client)
            try await store.apply([reported("a", .low, 0.5)], now: t0)
            fx.server.kill()
            var failure: ModerationApplyError?
            do throws(ModerationApplyError) {
                try await store.apply([reported("b", .low, 0.5)], now: t0 + 1)
            } catch {
                failure = error
            }
            guard case .unavailable = failure else {
                Issue.record("expected unavailable, got \(String(describing: failure))")
                return
            }
        }
    }

    @Test("two instances applying at once keep the order and publish positions consistent with it")
    func concurrentInstances() async throws {
        try await RedisFixture.with { fx in
            let clients = [fx.newClient(), fx.newClient()]
            defer { Task { for c in clients { await c.shutdown() } } }
            let configuration = ModerationConfiguration(maxShiftEvents: 1000)
            var generator = SystemRandomNumberGenerator()
            let reports = (0..<120).map { i in
                report(
                    "c\(i)", Severity.allCases[Int.random(in: 0..<4, using: &generator)], Double(Int.random(in: 0...4, using: &generator)) / 4,
                    at: t0 + Int64.random(in: 0...20, using: &generator))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, client) in clients.enumerated() {
                    let store = ModerationQueueStore(redis: client, configuration: configuration)
                    let mine = reports.enumerated().filter { $0.offset % 2 == n }.map(\.element)
                    group.addTask {
                        for chunk in stride(from: 0, to: mine.count, by: 3) {
                            try await store.apply(mine[chunk..<min(chunk + 3, mine.count)].map { .report($0) }, now: t0)
                            if chunk % 9 == 0 {
                                // Decide one of our own as we go.
                                try await store.apply([.statusChange(ModerationStatusChange(violationId: mine[chunk].violationId, status: .confirmed))], now: t0)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let store = ModerationQueueStore(redis: fx.redis)
            let queued = try await store.queuedIds()
            let decided = Set(reports.indices.filter { i in (i / 2) % 9 == 0 }.map { "c\($0)" })
            let expected = reports.filter { !decided.contains($0.violationId) }.sorted { a, b in
                if a.severity != b.severity { return a.severity > b.severity }
                if a.confidence != b.confidence { return a.confidence > b.confidence }
                if a.timestamp != b.timestamp { return a.timestamp < b.timestamp }
                return a.violationId < b.violationId
            }
            #expect(queued == expected.map(\.violationId))
            // Replaying the events in the order they were published gives every item its real position.
            try await fx.barrier()
            var last: [String: Int] = [:]
            for seen in fx.events.seen { last[seen.id] = seen.position }
            for (index, id) in queued.enumerated() {
                #expect(last[id] == index + 1, "\(id)")
            }
            for id in decided { #expect(last[id] == 0) }
        }
    }
}
