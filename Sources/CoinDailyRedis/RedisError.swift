/// Every error thrown or used to fail a future by `CoinDailyRedis`.
///
/// The set is closed: callers can switch over it exhaustively.
public enum RedisError: Error, Sendable, Equatable {
    /// The connection closed while the command was in flight. The command may or may not have been
    /// executed by Redis; it is never resent automatically.
    case connectionClosed
    /// The command was issued while disconnected and the configuration asks to fail fast
    /// (``RedisConfiguration/queueWhileDisconnected`` is `false`).
    case notConnected
    /// The bytes from the server are not valid RESP; the connection is closed.
    case protocolError(String)
    /// Redis answered with an error reply (`-ERR ...`) to a call that throws on error replies.
    case server(String)
    /// The command did not complete within ``RedisConfiguration/commandTimeout``.
    /// If it had already been written, Redis may still execute it.
    case timeout
    /// A `redis://` URL could not be parsed; the associated value says why.
    case invalidURL(String)
    /// The reply has a shape the convenience method did not expect; the associated value describes it.
    case unexpectedReply(String)
    /// The command was rejected before being sent, e.g. an empty argument list.
    case invalidCommand(String)
    /// More than ``RedisConfiguration/maxPendingCommands`` commands are already waiting for a connection.
    case tooManyPendingCommands(limit: Int)
    /// The client or subscriber has been shut down.
    case clientShutdown
}

extension RedisError: CustomStringConvertible {
    /// A human-readable description for logs.
    public var description: String {
        switch self {
        case .connectionClosed:
            return "Redis connection closed while the command was in flight"
        case .notConnected:
            return "not connected to Redis"
        case .protocolError(let message):
            return "Redis protocol error: \(message)"
        case .server(let message):
            return "Redis error reply: \(message)"
        case .timeout:
            return "Redis command timed out"
        case .invalidURL(let reason):
            return "invalid Redis URL: \(reason)"
        case .unexpectedReply(let reply):
            return "unexpected Redis reply: \(reply)"
        case .invalidCommand(let reason):
            return "invalid Redis command: \(reason)"
        case .tooManyPendingCommands(let limit):
            return "more than \(limit) Redis commands are waiting for a connection"
        case .clientShutdown:
            return "Redis client has been shut down"
        }
    }
}
