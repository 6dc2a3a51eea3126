import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Records every payload it is given (an ``IngestHandler`` that always succeeds).
private final class RecordingHandler: IngestHandler {
    let payloads = Mutex<[String]>([])

    func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        payloads.withLock { $0.append(String(buffer: body)) }
        return 1
    }
}

@Suite("StreamConsumer takes over what a crashed instance left pending", .timeLimit(.minutes(1)))
struct StreamConsumerReclaimTests {
    @Test("entries read but never acknowledged by a dead consumer are reclaimed, every page of them, and acknowledged")
    func reclaimsEveryPage() async throws {
        try await withRedis { server, redis in
            let stream = RedisKeys.ingestStream("reclaim")
            _ = try await redis.sendChecked(["XGROUP", "CREATE", stream, "reclaim", "0", "MKSTREAM"])
            for n in 0..<7 { _ = try await redis.sendChecked(["XADD", stream, "*", "payload", #"{"n":\#(n)}"#]) }
            // The crashed instance: it read all seven, acknowledged none.
            let taken = try await redis.sendChecked(["XREADGROUP", "GROUP", "reclaim", "dead", "COUNT", "100", "STREAMS", stream, ">"])
            #expect(taken.array?.first?.array?.last?.array?.count == 7)

            let streamRedis = RedisClient(
                configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: quietLogger("stream"))
            let handler = RecordingHandler()
            // Pages of two: one claim round must follow XAUTOCLAIM's cursor to the end. The entries are idle
            // long enough when the consumer starts (it claims at once); the next round would be 3 s later, so
            // seeing all seven well before that shows the first round took every page.
            try await Task.sleep(for: .milliseconds(3_100))
            let consumer = StreamConsumer(
                redis: streamRedis, handler: handler,
                configuration: ProducerConfiguration(
                    name: "reclaim", port: 0, instance: "alive", streamBatchSize: 2, streamBlock: .milliseconds(100),
                    claimMinIdle: .seconds(3)),
                logger: quietLogger("consumer"))
            let running = Task { try await consumer.run() }
            try await TestTimeout.poll(2.5, "all seven reclaimed in the first claim round") {
                handler.payloads.withLock { $0.count } >= 7
            }
            try await TestTimeout.poll(10, "all acknowledged") {
                try await redis.sendChecked(["XPENDING", stream, "reclaim"]).array?.first?.int == 0
            }
            #expect(Set(handler.payloads.withLock { $0 }) == Set((0..<7).map { #"{"n":\#($0)}"# }))
            running.cancel()
            _ = try? await running.value
            await streamRedis.shutdown()
        }
    }
}
