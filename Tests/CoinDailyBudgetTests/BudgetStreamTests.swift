import CoinDailyTestSupport
import CoinDailyBudget
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import NIOPosix
import Testing

@Suite("Budget through the ingest stream", .timeLimit(.minutes(1)))
struct BudgetStreamTests {
    @Test("stream entries are applied; a redelivered entry does not alert again; bad entries are dead-lettered")
    func stream() async throws {
        try await withRedis { server, redis in
            let recorder = try await ChannelRecorder(port: server.port, channels: [alertsChannel])
            let streamRedis = RedisClient(
                configuration: redisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: quietLogger("stream"))
            let consumer = StreamConsumer(
                redis: streamRedis, handler: makeProducer(redis),
                configuration: ProducerConfiguration(name: "budget", port: 0, instance: "test", streamBlock: .milliseconds(100)),
                logger: quietLogger("consumer"))
            let running = Task { try await consumer.run() }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let stream = RedisKeys.ingestStream("budget")
            for payload in [
                #"{"budgetLimitId":"l","agentId":"a","amount":10,"period":"daily"}"#,
                #"{"agentId":"a","cost":8.5,"timestamp":\#(now)}"#,
                #"{"agentId":"a","cost":8.5,"timestamp":\#(now)}"#,
                #"{"agentId":"a","cost":"lots","timestamp":\#(now)}"#,
                #"{"agentId":"a","cost":0.5,"timestamp":\#(now + 1)}"#,
            ] {
                _ = try await redis.sendChecked(["XADD", stream, "*", "payload", payload])
            }
            try await recorder.wait(alertsChannel, count: 2)
            try await eventually(10, "a dead letter") {
                (try await redis.sendChecked(["XLEN", RedisKeys.deadLetterStream("budget")]).int ?? 0) == 1
            }
            try await eventually(10, "all acknowledged") {
                try await redis.sendChecked(["XPENDING", stream, "budget"]).array?.first?.int == 0
            }
            #expect(recorder.data(alertsChannel).map { $0["thresholdReached"] } == [80, 90])
            #expect(recorder.data(alertsChannel).last?["currentSpend"] == 9)
            running.cancel()
            _ = try? await running.value
            await streamRedis.shutdown()
            await recorder.shutdown()
        }
    }
}
