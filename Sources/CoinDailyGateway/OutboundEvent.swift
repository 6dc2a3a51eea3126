import CoinDailyProtocol
import NIOCore

/// One published event, decoded once and encoded once per wire format, shared by every subscriber
/// on every event loop.
public struct OutboundEvent: Sendable {
    /// The Redis channel it came from.
    public let channel: String
    /// Its kind.
    public let kind: ChannelKind
    /// The fields filters look at.
    public let attributes: EventAttributes
    /// The complete plain-protocol WebSocket frame (header and JSON payload).
    public let plainFrame: ByteBuffer

    /// Creates an event.
    public init(channel: String, kind: ChannelKind, attributes: EventAttributes, plainFrame: ByteBuffer) {
        self.channel = channel
        self.kind = kind
        self.attributes = attributes
        self.plainFrame = plainFrame
    }

    /// Decodes published bytes; `nil` when they are not a known event (counted and dropped by the caller).
    public static func decode(channel: String, payload: ByteBuffer, allocator: ByteBufferAllocator) -> OutboundEvent? {
        guard let envelope = try? EventEnvelope.parse(payload), let kind = envelope.kind else { return nil }
        return OutboundEvent(
            channel: channel, kind: kind, attributes: EventAttributes(data: envelope.data),
            plainFrame: WebSocketFrameBytes.text(payload, allocator: allocator))
    }
}
