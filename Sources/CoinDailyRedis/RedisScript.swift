public import NIOCore
import Synchronization

/// A Lua script run with `EVALSHA` once its SHA1 is known, and with `EVAL` otherwise.
///
/// The SHA1 is learnt from Redis itself (`SCRIPT LOAD`, pipelined behind the first `EVAL`), so no
/// hashing code is needed here. A Redis that lost its script cache (a restart) answers `NOSCRIPT`; the
/// call is then sent again with `EVAL`, which caches the script anew. Safe from any thread; one instance
/// serves any number of clients.
///
/// Two forms: ``run(_:on:)`` pipelines script calls with other commands (producers), and
/// ``run(keys:arguments:on:)`` makes one call as a future (the gateway's event loops).
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
    /// per step; errors are replies, not thrown. Calls answered `NOSCRIPT` run after the rest of the pipeline:
    /// where their order matters, load the script on every connect (a `SCRIPT LOAD` handshake command,
    /// ``RedisConfiguration/handshakeCommands``) so only an explicit `SCRIPT FLUSH` can cause it.
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
        if known == nil { learn(replies.removeLast()) }
        let missing = replies.indices.filter { Self.isNoScript(replies[$0]) }
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

    /// Runs the script once with `keys` and `arguments`: one round trip (two after a `NOSCRIPT`). The reply
    /// may be a Redis error (not a failed future); the future fails only when Redis cannot be reached.
    public func run(keys: [String] = [], arguments: [String], on redis: RedisClient) -> EventLoopFuture<RESPValue> {
        let call = [String(keys.count)] + keys + arguments
        guard let known = sha.withLock({ $0 }) else {
            return redis.pipelineFuture([["EVAL", source] + call, ["SCRIPT", "LOAD", source]]).map { replies in
                self.learn(replies[1])  // one reply per command
                return replies[0]
            }
        }
        let source = self.source
        return redis.sendFuture(["EVALSHA", known] + call).flatMap { reply in
            guard Self.isNoScript(reply) else { return redis.eventLoop.makeSucceededFuture(reply) }
            return redis.sendFuture(["EVAL", source] + call)
        }
    }

    /// Keeps the SHA1 `SCRIPT LOAD` answered (anything else is ignored: the next call loads again).
    private func learn(_ reply: RESPValue) {
        guard reply.errorMessage == nil, let loaded = reply.string else { return }
        sha.withLock { $0 = loaded }
    }

    private static func isNoScript(_ reply: RESPValue) -> Bool {
        reply.errorMessage?.hasPrefix("NOSCRIPT") == true
    }
}
