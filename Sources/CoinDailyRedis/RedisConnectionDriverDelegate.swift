import NIOCore

/// What a ``RedisConnectionDriver`` asks of its owner.
protocol RedisConnectionDriverDelegate: AnyObject {
    /// A fresh handler for a new connection.
    func makeHandler() -> RedisConnectionHandler
    /// The connection is up and `AUTH`/`SELECT` succeeded. The returned future completes when the owner is
    /// ready (queued commands written, channels re-subscribed); only then is the state `.connected`.
    func connectionEstablished(_ channel: any Channel) -> EventLoopFuture<Void>
    /// The connection in use (or being set up) was lost; a reconnect is scheduled.
    func connectionLost()
}
