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
    /// Its history id, when it was published through the history (every producer does).
    public let id: EventID?
    /// The complete plain-protocol WebSocket frame (header and JSON payload, `id` and `room` included).
    public let plainFrame: ByteBuffer
    /// The Engine.IO message carrying the Socket.IO event: `42["<type>",<data>]` (long-polling queues it).
    public let socketIOPacket: ByteBuffer
    /// The same as a complete WebSocket text frame (Socket.IO over WebSocket).
    public let socketIOFrame: ByteBuffer
    /// With the offset (the id) as last argument, for sockets with connection state recovery; the plain
    /// forms when the event has no id.
    public let recoverablePacket: ByteBuffer
    /// ``recoverablePacket`` as a complete WebSocket text frame.
    public let recoverableFrame: ByteBuffer

    /// The history position, ``EventPosition/zero`` when the event has none.
    @inline(__always)
    var position: EventPosition { id?.position ?? .zero }

    /// Decodes published bytes; `nil` when they are not a known event (counted and dropped by the caller).
    public static func decode(channel: String, payload: ByteBuffer, allocator: ByteBufferAllocator) -> OutboundEvent? {
        guard let envelope = try? EventEnvelope.parse(payload), let kind = envelope.kind else { return nil }
        var packet = allocator.buffer(capacity: payload.readableBytes + 16)
        SocketIOCodec.encodeEvent(envelope.type, data: envelope.data, into: &packet)
        let frame = WebSocketFrameBytes.text(packet, allocator: allocator)
        var recoverablePacket = packet
        var recoverableFrame = frame
        if let id = envelope.id {
            // `42[…]` with the offset spliced in before the closing bracket: a copy, not a second encoding.
            recoverablePacket = allocator.buffer(capacity: packet.readableBytes + 48)
            recoverablePacket.writeImmutableBuffer(packet.getSlice(at: packet.readerIndex, length: packet.readableBytes - 1)!)
            recoverablePacket.writeStaticString(",")
            JSONWriter.writeString(id.description, into: &recoverablePacket)
            recoverablePacket.writeStaticString("]")
            recoverableFrame = WebSocketFrameBytes.text(recoverablePacket, allocator: allocator)
        }
        return OutboundEvent(
            channel: channel, kind: kind, attributes: EventAttributes(data: envelope.data), id: envelope.id,
            plainFrame: WebSocketFrameBytes.text(payload, allocator: allocator),
            socketIOPacket: packet, socketIOFrame: frame, recoverablePacket: recoverablePacket,
            recoverableFrame: recoverableFrame)
    }
}
