import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyTestSupport
import Foundation
import NIOPosix
import Testing

/// ``EventHistory/incarnationScript`` run as a handshake command: a Redis restarted from an older snapshot
/// changes the history's epoch before anything is published or resumed, so a resume across the restart
/// says `epoch` instead of looking complete; a Redis restarted from its append-only file keeps it.
@Suite("History epoch across Redis restarts", .serialized, .timeLimit(.minutes(1)))
struct HistoryIncarnationTests {
    private let channel = "cd:ev:whale_activity"

    /// A server with its own data directory (`SAVE`, AOF), and a client that runs the incarnation check on
    /// every (re)connect.
    private func withRestartableServer(
        appendOnly: Bool, _ body: (RedisServerProcess, RedisClient) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cd-incarnation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try RedisServerProcess(extraArguments: ["--dir", directory.path, "--appendonly", appendOnly ? "yes" : "no"])
        try await server.start()
        defer { server.kill() }
        var configuration = redisConfiguration(port: server.port)
        configuration.handshakeCommands = [EventHistory.incarnationCommand]
        let client = RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger("r"))
        client.start()
        try await TestRedis.using(client) { try await body(server, $0) }
    }

    private func publish(_ redis: RedisClient) async throws -> EventID {
        let json = #"{"type":"whale_activity_alert","data":{},"timestamp":0}"#
        let reply = try await redis.sendChecked(["EVAL", EventHistory.publishScript, "0", json, "100", "0", channel])
        return try #require(reply.string.flatMap(EventID.init), "\(reply)")
    }

    private func resume(_ redis: RedisClient, since: EventID) async throws -> (status: String, positions: [String]) {
        let reply = try await redis.sendChecked(
            ["EVAL", EventHistory.resumeScript, "0", since.epoch, since.position.description, "100", channel])
        let parts = reply.array ?? []
        let status = parts.first?.string ?? "?"
        return (status, status == "ok" ? stride(from: 3, to: parts.count, by: 2).compactMap { parts[$0].string } : [])
    }

    @Test("restarted from an older RDB snapshot: the first command after the restart already has a new epoch; a resume across it is 'epoch', also once new events outnumber the lost ones")
    func olderSnapshot() async throws {
        try await withRestartableServer(appendOnly: false) { server, redis in
            let first = try await publish(redis)
            _ = try await redis.sendChecked(["SAVE"])
            // Published after the snapshot: the restart loses them. A client saw the last one.
            var seen = first
            for _ in 0..<3 { seen = try await publish(redis) }
            server.kill()
            try await server.start()
            // Sent at once: it waits for the reconnect, whose handshake runs the check first.
            let next = try await publish(redis)
            #expect(next.epoch != first.epoch, "a publish after the restart kept the old epoch")
            for _ in 0..<5 { _ = try await publish(redis) }  // more than were lost: positions alone cannot tell
            #expect(try await resume(redis, since: seen).status == "epoch")
            // Later reconnects to the same Redis process change nothing.
            let reconnects = redis.reconnectCount
            _ = try? await redis.send(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"])  // its own connection
            try await TestTimeout.poll(10, "the client reconnected") { redis.reconnectCount > reconnects && redis.isConnected }
            let after = try await publish(redis)
            #expect(after.epoch == next.epoch)
        }
    }

    @Test("restarted from its append-only file: the same epoch, and a resume across the restart replays exactly what came after")
    func appendOnlyFile() async throws {
        try await withRestartableServer(appendOnly: true) { server, redis in
            let first = try await publish(redis)
            let seen = try await publish(redis)
            server.kill()  // SIGKILL: the AOF has every write the process made
            try await server.start()
            let next = try await publish(redis)
            #expect(next.epoch == first.epoch)
            let replay = try await resume(redis, since: seen)
            #expect(replay.status == "ok" && replay.positions == [next.position.description])
        }
    }

    @Test("the script: the same run_id changes nothing; another one changes the epoch only without AOF; no clock yet is recorded")
    func script() async throws {
        try await withRestartableServer(appendOnly: false) { _, redis in
            let check = { try await redis.sendChecked(EventHistory.incarnationCommand).int }
            #expect(try await check() == 0)  // the client's handshake recorded this process
            _ = try await redis.sendChecked(["DEL", RedisKeys.historyClock])
            #expect(try await check() == 1)  // no clock yet: the run_id is recorded
            let first = try await publish(redis)
            #expect(try await check() == 0)
            _ = try await redis.sendChecked(["HSET", RedisKeys.historyClock, "run", "0123abcd"])  // an earlier process
            _ = try await redis.sendChecked(["CONFIG", "SET", "appendonly", "yes"])
            #expect(try await check() == 1)
            #expect(try await publish(redis).epoch == first.epoch)
            _ = try await redis.sendChecked(["HSET", RedisKeys.historyClock, "run", "0123abcd"])
            _ = try await redis.sendChecked(["CONFIG", "SET", "appendonly", "no"])
            #expect(try await check() == 2)
            #expect(try await publish(redis).epoch != first.epoch)
            #expect(try await check() == 0)
        }
    }
}
