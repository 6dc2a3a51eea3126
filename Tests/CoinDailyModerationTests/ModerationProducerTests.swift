import CoinDailyModeration
import CoinDailyProducer
import CoinDailyProtocol
import Logging
import NIOCore
import Testing

@Suite("Moderation producer (ingest handler)", .serialized, .timeLimit(.minutes(1)))
struct ModerationProducerTests {
    func outcome(_ producer: ModerationProducer, _ body: String) async -> Result<Int, IngestError> {
        do throws(IngestError) {
            return .success(try await producer.ingest(ByteBuffer(string: body)))
        } catch {
            return .failure(error)
        }
    }

    @Test("ingest: 202 count, 400 naming the field (with the index inside arrays), nothing applied on error")
    func ingest() async throws {
        try await RedisFixture.with { fx in
            let producer = ModerationProducer(store: ModerationQueueStore(redis: fx.redis), logger: RedisFixture.logger("p"))
            let report = #"{"violationId":"v-1","userId":"u","contentType":"post","violationType":"spam","severity":"high","confidence":0.9}"#
            #expect(await outcome(producer, report) == .success(1))
            // A repeat is accepted (and ignored).
            #expect(await outcome(producer, "[\(report),\(report)]") == .success(2))

            #expect(await outcome(producer, #"{"violationId":"nope","status":"confirmed"}"#)
                == .failure(.invalid(message: "violationId nope is not known (no report with this id)", field: "violationId", index: nil)))
            let array = #"[{"violationId":"v-2","userId":"u","contentType":"post","violationType":"spam","severity":"low","confidence":0.1},{"violationId":"nope","status":"confirmed"}]"#
            #expect(await outcome(producer, array)
                == .failure(.invalid(message: "item 1: violationId nope is not known (no report with this id)", field: "violationId", index: 1)))
            #expect(await outcome(producer, #"[{"violationId":"v-1","status":"cancelled"}]"#)
                == .failure(.invalid(message: "item 0: status must be one of under_review, confirmed, false_positive", field: "status", index: 0)))

            #expect(try await ModerationQueueStore(redis: fx.redis).queuedIds() == ["v-1"])
            try await fx.barrier()
            #expect(fx.events.seen.map(\.description) == ["v-1@1/pending"])
        }
    }
}
