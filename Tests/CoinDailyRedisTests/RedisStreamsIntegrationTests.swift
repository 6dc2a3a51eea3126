import CoinDailyTestSupport
import NIOCore
import Testing

@testable import CoinDailyRedis

@Suite("Redis streams integration", .timeLimit(.minutes(1)))
struct RedisStreamsIntegrationTests {
    @Test("group create, xadd, xreadgroup, xack, xautoclaim of an unacked entry")
    func streams() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let client = RedisClient(
            configuration: TestRedis.configuration(port: server.port),
            eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("streams")
        )
        try await withTimeout(30, "streams") {
            #expect(try await client.xgroupCreate(stream: "ingest", group: "workers", id: "$", mkstream: true))
            #expect(try await client.xgroupCreate(stream: "ingest", group: "workers") == false, "BUSYGROUP is success")

            // Nothing to read yet: a short blocking read returns the null reply, i.e. no entries.
            let empty = try await client.xreadgroup(
                group: "workers", consumer: "c1", streams: [("ingest", ">")], count: 10, block: .milliseconds(50)
            )
            #expect(empty.isEmpty)

            var binary = ByteBuffer(bytes: [0, 13, 10, 255])
            let id1 = try await client.xadd(stream: "ingest", fields: [("symbol", "BTC"), ("price", "65000.5")], maxLen: 1000)
            let id2 = try await client.xadd(stream: "ingest", fields: [("z", ByteBuffer(string: "last")), ("a", binary)], maxLen: 1000)
            let id3 = try await client.xadd(stream: "ingest", fields: [("symbol", "ETH")])
            #expect(Set([id1, id2, id3]).count == 3)
            #expect(try await client.send(["XLEN", "ingest"]) == .integer(3))

            let read = try await client.xreadgroup(group: "workers", consumer: "c1", streams: [("ingest", ">")], count: 10)
            #expect(read.map(\.id) == [id1, id2, id3])
            #expect(read.allSatisfy { $0.stream == "ingest" })
            #expect(read[0].fields.map(\.name) == ["symbol", "price"])
            #expect(read[0][field: "price"] == ByteBuffer(string: "65000.5"))
            #expect(read[1].fields.map(\.name) == ["z", "a"], "field order is kept")
            #expect(read[1][field: "a"] == binary)
            binary.moveReaderIndex(forwardBy: 1)
            #expect(read[1][field: "a"] != binary)

            // Nothing new for the group.
            #expect(try await client.xreadgroup(group: "workers", consumer: "c1", streams: [("ingest", ">")]).isEmpty)

            #expect(try await client.xack(stream: "ingest", group: "workers", ids: [id1]) == 1)
            #expect(try await client.xack(stream: "ingest", group: "workers", ids: [id1]) == 0)

            // c1's pending history now holds id2 and id3 only.
            let pending = try await client.xreadgroup(group: "workers", consumer: "c1", streams: [("ingest", "0")])
            #expect(pending.map(\.id) == [id2, id3])

            // Too early: nothing idle for 10 s.
            let tooEarly = try await client.xautoclaim(
                stream: "ingest", group: "workers", consumer: "c2", minIdle: .seconds(10)
            )
            #expect(tooEarly.entries.isEmpty)

            try await Task.sleep(for: .milliseconds(150))
            let claimed = try await client.xautoclaim(
                stream: "ingest", group: "workers", consumer: "c2", minIdle: .milliseconds(100), start: "0-0", count: 10
            )
            #expect(claimed.nextStart == "0-0")
            #expect(claimed.entries.map(\.id) == [id2, id3])
            #expect(claimed.entries.first?[field: "z"] == ByteBuffer(string: "last"))
            #expect(claimed.deletedIDs.isEmpty)

            // An entry deleted while pending is reported in deletedIDs (Redis 7 reply shape).
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await client.send(["XDEL", "ingest", id3]) == .integer(1))
            let afterDelete = try await client.xautoclaim(
                stream: "ingest", group: "workers", consumer: "c1", minIdle: .milliseconds(100)
            )
            #expect(afterDelete.entries.map(\.id) == [id2])
            #expect(afterDelete.deletedIDs == [id3])

            #expect(try await client.xack(stream: "ingest", group: "workers", ids: [id2, id3]) == 1)
            let summary = try await client.send(["XPENDING", "ingest", "workers"])
            #expect(summary.array?.first == .integer(0))

            // MAXLEN ~ trims (approximately) a long stream.
            for index in 0..<300 {
                try await client.xadd(stream: "capped", fields: [("n", String(index))], maxLen: 10)
            }
            let length = try await client.send(["XLEN", "capped"]).int ?? 0
            #expect(length < 300 && length >= 10)
        }
        await client.shutdown()
    }
}
