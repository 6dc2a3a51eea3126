import CoinDailyProtocol
import CoinDailyRedis
import NIOCore

/// The kept state of Socket.IO sockets for connection state recovery: `cd:sio:pid:<pid>`, a JSON object
/// (``ClientSession/exportState()`` plus `owner`) that expires after the recovery window.
///
/// A `pid` has one owner at a time: the socket that created it, then the socket that recovered it. Writes
/// of any other socket are refused, so an old socket that is still half-open on some gateway after its
/// client recovered elsewhere cannot overwrite the new socket's state when it finally times out. An
/// explicit disconnect (or a revocation, or a rate-limit disconnect) leaves a tombstone for the rest of the window instead of deleting
/// the key, so such an old socket cannot bring the state back either.
struct SocketIOStateStore: Sendable {
    /// What a write does.
    enum Mode: String, Sendable {
        /// Store the state if the key is free or this socket owns it.
        case write
        /// Store the state whoever owned it (the socket that just recovered the `pid`).
        case takeOver = "take"
        /// Replace the state by a tombstone if this socket owns it: nothing left to recover.
        case close
    }

    /// KEYS[1] the state key; ARGV[1] mode, ARGV[2] owner, ARGV[3] state JSON, ARGV[4] window (ms).
    /// Returns 1 when written, 0 when another socket owns the key.
    static let script = """
        local current = redis.call('GET', KEYS[1])
        if current and ARGV[1] ~= 'take' then
          local ok, decoded = pcall(cjson.decode, current)
          local owner = ok and type(decoded) == 'table' and decoded['owner'] or nil
          if owner ~= ARGV[2] then return 0 end
        end
        if ARGV[1] == 'close' then
          redis.call('SET', KEYS[1], cjson.encode({owner = ARGV[2], closed = true}), 'PX', ARGV[4])
        else
          redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
        end
        return 1
        """

    private static let loaded = RedisScript(script)
    private let redis: RedisClient

    /// A store on `redis`.
    init(redis: RedisClient) {
        self.redis = redis
    }

    /// Reads the state kept for `pid` (`nil` when there is none, or it cannot be read).
    func load(pid: String) -> EventLoopFuture<JSONValue?> {
        redis.sendFuture(["GET", RedisKeys.socketIOSession(pid)]).map { reply in
            reply.bytes.flatMap { try? JSONValue.parse($0) }
        }
    }

    /// Writes `state` (`nil` for ``Mode/close``) for `pid` as `owner`; succeeds with whether it was written.
    func store(pid: String, owner: String, state: JSONValue?, mode: Mode, window: Duration) -> EventLoopFuture<Bool> {
        var object = state?.objectValue ?? [:]
        object["owner"] = .string(owner)
        return Self.loaded.run(
            keys: [RedisKeys.socketIOSession(pid)],
            arguments: [mode.rawValue, owner, JSONWriter.string(.object(object)), String(window.milliseconds)],
            on: redis
        ).flatMapThrowing { reply in
            // An error reply (OOM, READONLY during a failover…) is a failure, not "another socket owns it".
            if let message = reply.errorMessage { throw RedisError.server(message) }
            guard let written = reply.int else { throw RedisError.protocolError("unexpected reply \(reply)") }
            return written == 1
        }
    }
}
