import CoinDailyTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import CoinDailyRedis

/// `RedisClient` against a real `redis-server`; every test starts its own server on its own port.
@Suite("RedisClient integration", .timeLimit(.minutes(1)))
struct RedisClientIntegrationTests {
    @Test("set/get/mget/del/sadd/smembers/publish/ping against a real server")
    func commands() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let client = RedisClient(
            configuration: TestRedis.configuration(port: server.port),
            eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("commands")
        )
        try await withTimeout(20, "commands") {
            #expect(try await client.ping() == "PONG")
            #expect(try await client.set("greeting", to: "hello"))
            #expect(try await client.getString("greeting") == "hello")
            #expect(try await client.get("missing") == nil)

            var binary = ByteBuffer(string: "a\r\nb")
            binary.writeInteger(UInt8(0))
            binary.writeString("end")
            try await client.set("binary", to: binary)
            #expect(try await client.get("binary") == binary)

            #expect(try await client.mget(["greeting", "missing", "binary"]) == [ByteBuffer(string: "hello"), nil, binary])

            #expect(try await client.set("greeting", to: "other", onlyIfNotExists: true) == false)
            #expect(try await client.getString("greeting") == "hello")

            try await client.set("ttl-s", to: "x", expiration: .seconds(100))
            let ttl = try await client.send(["TTL", "ttl-s"]).int ?? -1
            #expect((90...100).contains(ttl))
            try await client.set("ttl-ms", to: "x", expiration: .milliseconds(100_500))
            let pttl = try await client.send(["PTTL", "ttl-ms"]).int ?? -1
            #expect((90_000...100_500).contains(pttl))

            #expect(try await client.sadd("set", members: ["a", "b", "c", "a"]) == 3)
            #expect(Set(try await client.smembers("set")) == ["a", "b", "c"])
            #expect(try await client.del(["greeting", "set", "nope"]) == 2)
            #expect(try await client.get("greeting") == nil)
            #expect(try await client.publish("nobody listens", to: "news") == 0)

            // Error replies: returned by send, thrown by sendChecked.
            let reply = try await client.send(["NOSUCHCOMMAND", "x"])
            #expect(reply.errorMessage?.hasPrefix("ERR unknown command") == true)
            await #expect(throws: RedisError.self) { try await client.sendChecked(["NOSUCHCOMMAND"]) }
            do {
                _ = try await client.sendChecked(["INCR", "binary"])
                Issue.record("INCR on a non-integer must fail")
            } catch let error as RedisError {
                guard case .server(let message) = error else {
                    Issue.record("expected .server, got \(error)")
                    return
                }
                #expect(message.contains("not an integer"))
            }
            await #expect(throws: RedisError.invalidCommand("empty argument list")) { try await client.send([String]()) }
            #expect(client.isConnected)
            #expect(client.reconnectCount == 0)
        }
        await client.shutdown()
        #expect(client.connectionState == .shutdown)
        await #expect(throws: RedisError.clientShutdown) { try await client.send(["PING"]) }
    }

    @Test("pipeline of 1000 commands is answered in order; concurrent sends all complete")
    func pipelining() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let client = RedisClient(
            configuration: TestRedis.configuration(port: server.port),
            eventLoopGroup: TestRedis.group,
            logger: TestRedis.logger("pipeline")
        )
        try await withTimeout(30, "pipelining") {
            let commands = Array(repeating: ["INCR", "counter"], count: 1000)
            let replies = try await client.pipeline(commands)
            #expect(replies.count == 1000)
            #expect(replies.map(\.int) == (1...1000).map { Int64($0) })

            // Mixed pipeline keeps each reply with its command.
            let mixed = try await client.pipeline([["SET", "p", "1"], ["GET", "p"], ["BOGUS"], ["INCR", "p"]])
            #expect(mixed[0] == .simpleString("OK"))
            #expect(mixed[1] == .bulkString(ByteBuffer(string: "1")))
            #expect(mixed[2].errorMessage != nil)
            #expect(mixed[3] == .integer(2))

            // 200 concurrent callers on one connection: every INCR result appears exactly once.
            let results = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await client.send(["INCR", "concurrent"]).int ?? -1 }
                }
                var all: [Int64] = []
                for try await value in group {
                    all.append(value)
                }
                return all
            }
            #expect(results.sorted() == (1...200).map { Int64($0) })

            // sendFuture from the event loop itself, chained without async.
            let chained = try await client.eventLoop.flatSubmit {
                client.sendFuture(["SET", "chain", "7"]).flatMap { _ in client.sendFuture(["GET", "chain"]) }
            }.get()
            #expect(chained.string == "7")
        }
        await client.shutdown()
    }

    @Test("AUTH and SELECT are sent on connect")
    func authAndSelect() async throws {
        let server = try RedisServerProcess(extraArguments: ["--requirepass", "s3cret"])
        try await server.start()
        defer { server.kill() }
        var configuration = TestRedis.configuration(port: server.port)
        configuration.password = "s3cret"
        configuration.database = 2
        let client = RedisClient(configuration: configuration, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("auth"))
        var wrong = TestRedis.configuration(port: server.port)
        wrong.password = "wrong"
        wrong.commandTimeout = .milliseconds(500)
        let rejected = RedisClient(configuration: wrong, eventLoopGroup: TestRedis.group, logger: TestRedis.logger("auth-wrong"))
        try await withTimeout(20, "auth") {
            try await client.set("in-db-2", to: "yes")
            let info = try await client.send(["CLIENT", "INFO"]).string ?? ""
            #expect(info.contains(" db=2 "))
            #expect(try await client.send(["SELECT", "0"]) == .simpleString("OK"))
            #expect(try await client.get("in-db-2") == nil)

            // A wrong password never gets a usable connection; the command times out instead of hanging.
            await #expect(throws: RedisError.timeout) { try await rejected.send(["PING"]) }
            #expect(!rejected.isConnected)
        }
        await client.shutdown()
        await rejected.shutdown()
    }
}
