/// The externally visible state of a ``RedisClient`` or ``RedisSubscriber`` connection.
public enum RedisConnectionState: Sendable, Equatable {
    /// No usable connection: not started yet, connecting, or waiting to reconnect.
    case disconnected
    /// Connected; for a client, `AUTH`/`SELECT` done; for a subscriber, every desired channel re-subscribed.
    case connected
    /// ``RedisClient/shutdown()`` or ``RedisSubscriber/shutdown()`` was called; this is final.
    case shutdown
}
