import CoinDailyRedis
import NIOCore
import Synchronization

/// A Lua script the gateway runs by `EVALSHA`: loaded with `SCRIPT LOAD` on first use, and again when
/// Redis answers `NOSCRIPT` (it restarted and lost its script cache). Safe from any thread.
final class LoadedScript: Sendable {
    /// Errors besides Redis's own.
    enum LoadError: Error, Equatable {
        /// `SCRIPT LOAD` answered something that is not a SHA1.
        case unexpectedReply(String)
    }

    /// The script's source.
    let source: String
    private let redis: RedisClient
    private let sha = Mutex<String?>(nil)

    /// A script to run on `redis`.
    init(_ source: String, redis: RedisClient) {
        self.source = source
        self.redis = redis
    }

    /// Runs the script with `keys` and `arguments`; the reply may be a Redis error (not thrown).
    func run(keys: [String] = [], arguments: [String]) -> EventLoopFuture<RESPValue> {
        evaluate([String(keys.count)] + keys + arguments, retry: true)
    }

    private func evaluate(_ arguments: [String], retry: Bool) -> EventLoopFuture<RESPValue> {
        let redis = self.redis
        guard let sha = sha.withLock({ $0 }) else {
            return redis.sendFuture(["SCRIPT", "LOAD", source]).flatMap { reply in
                guard let loaded = reply.string, reply.errorMessage == nil else {
                    return redis.eventLoop.makeFailedFuture(LoadError.unexpectedReply("SCRIPT LOAD: \(reply)"))
                }
                self.sha.withLock { $0 = loaded }
                return self.evaluate(arguments, retry: false)
            }
        }
        return redis.sendFuture(["EVALSHA", sha] + arguments).flatMap { reply in
            if retry, let message = reply.errorMessage, message.hasPrefix("NOSCRIPT") {
                self.sha.withLock { $0 = nil }
                return self.evaluate(arguments, retry: false)
            }
            return redis.eventLoop.makeSucceededFuture(reply)
        }
    }
}
