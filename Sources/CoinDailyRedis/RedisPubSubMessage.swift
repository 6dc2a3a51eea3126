public import NIOCore

/// One message received on a subscribed channel.
public struct RedisPubSubMessage: Sendable, Equatable {
    /// The channel the message was published to.
    public var channel: String
    /// The published bytes, exactly as sent to `PUBLISH`.
    public var payload: ByteBuffer

    /// Creates a message.
    public init(channel: String, payload: ByteBuffer) {
        self.channel = channel
        self.payload = payload
    }
}
