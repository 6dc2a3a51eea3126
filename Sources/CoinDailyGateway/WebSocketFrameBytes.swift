import NIOCore
import NIOWebSocket

/// Encodes complete server WebSocket frames (header and payload) into one buffer.
///
/// Server frames are unmasked, so the same bytes serve every client: the gateway encodes each
/// event once and writes the same buffer to every subscriber, below NIO's frame encoder.
public enum WebSocketFrameBytes {
    /// A final text frame carrying `payload`.
    public static func text(_ payload: ByteBuffer, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        frame(opcode: 0x1, payload: payload, allocator: allocator)
    }

    /// A final frame with `opcode` carrying `payload`.
    public static func frame(opcode: UInt8, payload: ByteBuffer, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        let length = payload.readableBytes
        var buffer = allocator.buffer(capacity: length + 10)
        buffer.writeInteger(UInt8(0x80 | opcode))
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
        var payload = payload
        buffer.writeBuffer(&payload)
        return buffer
    }
}
