import NIOCore

/// What ``RedisConnectionHandler`` accepts on its outbound side: a RESP-encoded command and the promise
/// for its reply.
///
/// `promise` is `nil` for commands that get no ordinary reply: `SUBSCRIBE`/`UNSUBSCRIBE` on a pub/sub
/// connection, answered by push messages instead.
struct RedisCommand: Sendable {
    /// The encoded command (see `HiredisReader.formatCommand`).
    var payload: ByteBuffer
    /// Fulfilled with the reply, or failed with a ``RedisError``.
    var promise: EventLoopPromise<RESPValue>?
}
