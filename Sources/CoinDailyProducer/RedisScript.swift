import CoinDailyRedis
import Synchronization

/// A Lua script run with `EVALSHA` once its SHA1 is known, and with `EVAL` otherwise.
///
/// The SHA1 is learnt from Redis itself (`SCRIPT LOAD`, pipelined behind the first `EVAL`), so no
/// hashing code is needed here. A Redis that lost its script cache (a restart) answers `NOSCRIPT`;
/// ``run(_:on:)`` then sends the failed calls again with `EVAL`.
public final class RedisScript: Sendable {
    /// One command of a pipeline run by ``run(_:on:)``.
    public enum Step: Sendable {
        /// A plain command.
        case command([String])
        /// A call of the script: `numkeys`, the keys, then `ARGV`.
        case call([String])
    }

    /// The script's source.
    public let source: String
    private let sha = Mutex<String?>(nil)

    /// Creates the script.
    public init(_ source: String) {
        self.source = source
    }

    /// Runs `steps` in order in one pipelined round trip (two after a `NOSCRIPT`) and returns one reply
    /// per step; errors are replies, not thrown.
    public func run(_ steps: [Step], on redis: RedisClient) async throws -> [RESPValue] {
        let known = sha.withLock { $0 }
        var commands: [[String]] = []
        commands.reserveCapacity(steps.count + 1)
        for step in steps {
            switch step {
            case .command(let command): commands.append(command)
            case .call(let arguments): commands.append(known.map { ["EVALSHA", $0] + arguments } ?? ["EVAL", source] + arguments)
            }
        }
        if known == nil { commands.append(["SCRIPT", "LOAD", source]) }
        var replies = try await redis.pipeline(commands)
        if known == nil, let loaded = replies.removeLast().string { sha.withLock { $0 = loaded } }
        let missing = replies.indices.filter { replies[$0].errorMessage?.hasPrefix("NOSCRIPT") == true }
        if !missing.isEmpty {
            // Only script calls can answer NOSCRIPT; each is sent again in full, in the same order.
            let retried = try await redis.pipeline(missing.map { index -> [String] in
                guard case .call(let arguments) = steps[index] else { return ["PING"] }
                return ["EVAL", source] + arguments
            })
            for (index, reply) in zip(missing, retried) { replies[index] = reply }
        }
        return replies
    }
}
