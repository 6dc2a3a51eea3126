import CoinDailyProtocol
import CoinDailySocketIO
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
    /// The Engine.IO message carrying the Socket.IO event: `42["<type>",<data>]` (long-polling queues it).
    public let socketIOPacket: ByteBuffer
    /// The same as a complete WebSocket text frame (Socket.IO over WebSocket).
    public let socketIOFrame: ByteBuffer

    /// Creates an event.
    public init(
        channel: String, kind: ChannelKind, attributes: EventAttributes, plainFrame: ByteBuffer,
        socketIOPacket: ByteBuffer, socketIOFrame: ByteBuffer
    ) {
        self.channel = channel
        self.kind = kind
        self.attributes = attributes
        self.plainFrame = plainFrame
        self.socketIOPacket = socketIOPacket
        self.socketIOFrame = socketIOFrame
    }

    /// Decodes published bytes; `nil` when they are not a known event (counted and dropped by the caller).
    public static func decode(channel: String, payload: ByteBuffer, allocator: ByteBufferAllocator) -> OutboundEvent? {
        guard let envelope = try? EventEnvelope.parse(payload), let kind = envelope.kind else { return nil }
        var packet = allocator.buffer(capacity: payload.readableBytes + 16)
        SocketIOCodec.encodeEvent(envelope.type, data: envelope.data, into: &packet)
        return OutboundEvent(
            channel: channel, kind: kind, attributes: EventAttributes(data: envelope.data),
            plainFrame: WebSocketFrameBytes.text(payload, allocator: allocator),
            socketIOPacket: packet, socketIOFrame: WebSocketFrameBytes.text(packet, allocator: allocator))
    }
}
