import CoinDailyRedis
import CoinDailyTestSupport
import NIOCore
import Testing

@Suite("RedisScript against a real Redis", .timeLimit(.minutes(1)))
struct RedisScriptIntegrationTests {
    /// Counts its calls in `KEYS[1]` and answers `{count, ARGV[1]}`; `ARGV[1] == "fail"` raises a script error.
    static let source = """
        if ARGV[1] == 'fail' then return redis.error_reply('ERR asked to fail') end
        return {redis.call('INCR', KEYS[1]), ARGV[1]}
        """

    /// How many times Redis ran `command` (from `INFO commandstats`).
    static func calls(_ redis: RedisClient, _ command: String) async throws -> Int {
        let info = try await redis.sendChecked(["INFO", "commandstats"]).string ?? ""
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }),
            let field = line.split(separator: ",").first(where: { $0.contains("calls=") }),
            let count = Int(field.split(separator: "=").last ?? "")
        else { return 0 }
        return count
    }

    @Test("one call: EVAL and SCRIPT LOAD first, EVALSHA then, EVAL once more after the cache was flushed; each call runs once")
    func single() async throws {
        try await withRedis { _, redis in
            let script = RedisScript(Self.source)
            #expect(try await script.run(keys: ["n"], arguments: ["a"], on: redis).get() == .array([.integer(1), bulk("a")]))
            #expect(try await Self.calls(redis, "eval") == 1)
            #expect(try await Self.calls(redis, "script|load") == 1)
            #expect(try await script.run(keys: ["n"], arguments: ["b"], on: redis).get() == .array([.integer(2), bulk("b")]))
            #expect(try await Self.calls(redis, "evalsha") == 1)
            #expect(try await Self.calls(redis, "eval") == 1)

            _ = try await redis.sendChecked(["SCRIPT", "FLUSH"])  // as after a restart
            #expect(try await script.run(keys: ["n"], arguments: ["c"], on: redis).get() == .array([.integer(3), bulk("c")]))
            #expect(try await Self.calls(redis, "eval") == 2)
            // The script's own error is a reply, not a failed future.
            let failed = try await script.run(keys: ["n"], arguments: ["fail"], on: redis).get()
            #expect(failed.errorMessage?.contains("asked to fail") == true)
            #expect(try await redis.sendChecked(["GET", "n"]).string == "3")
        }
    }

    @Test("pipelined with other commands: one reply per step in order, retried with EVAL after the cache was flushed")
    func pipelined() async throws {
        try await withRedis { _, redis in
            let script = RedisScript(Self.source)
            let steps: [RedisScript.Step] = [.command(["SET", "x", "1"]), .call(["1", "n", "a"]), .command(["GET", "x"]), .call(["1", "n", "b"])]
            var replies = try await script.run(steps, on: redis)
            #expect(replies == [.simpleString("OK"), .array([.integer(1), bulk("a")]), bulk("1"), .array([.integer(2), bulk("b")])])
            replies = try await script.run([.call(["1", "n", "c"])], on: redis)
            #expect(replies == [.array([.integer(3), bulk("c")])])
            #expect(try await Self.calls(redis, "evalsha") == 1)

            _ = try await redis.sendChecked(["SCRIPT", "FLUSH"])
            replies = try await script.run([.call(["1", "n", "d"]), .command(["INCR", "x"]), .call(["1", "n", "e"])], on: redis)
            #expect(replies == [.array([.integer(4), bulk("d")]), .integer(2), .array([.integer(5), bulk("e")])])
            #expect(try await redis.sendChecked(["GET", "n"]).string == "5")
        }
    }
}

/// A bulk string reply holding `text`.
private func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }
