import NIOCore

/// The packet types of Engine.IO v4.
public enum EngineIOPacketType: UInt8, Sendable, Equatable {
    case open = 0, close, ping, pong, message, upgrade, noop

    /// The ASCII digit that starts the packet's text form.
    public var digit: UInt8 { UInt8(ascii: "0") + rawValue }
}

/// One Engine.IO v4 packet.
public struct EngineIOPacket: Sendable, Equatable {
    /// What a packet carries.
    public enum Payload: Sendable, Equatable {
        /// Nothing (`2`, `3`, `5`, `6`, `1`).
        case none
        /// Text after the type digit (`4hello`, `2probe`, `0{...}`).
        case text(String)
        /// Bytes: a WebSocket binary frame, or `b<base64>` in a polling payload (always a message).
        case binary(ByteBuffer)
    }

    /// The type.
    public var type: EngineIOPacketType
    /// The payload.
    public var payload: Payload

    /// Creates a packet.
    public init(_ type: EngineIOPacketType, _ payload: Payload = .none) {
        self.type = type
        self.payload = payload
    }

    /// A text message packet (`4…`).
    public static func message(_ text: String) -> EngineIOPacket { .init(.message, .text(text)) }
    /// A binary message packet.
    public static func binary(_ bytes: ByteBuffer) -> EngineIOPacket { .init(.message, .binary(bytes)) }
}

/// Why an Engine.IO packet or payload was refused; the session is closed (the spec's "invalid packet").
public enum EngineIOError: Error, Equatable, Sendable {
    /// Empty packet, unknown type digit, or bad base64.
    case invalidPacket
    /// A polling payload with more packets than allowed.
    case tooManyPackets
}

/// Encoding and decoding of Engine.IO v4 packets and polling payloads.
public enum EngineIOCodec {
    /// The record separator between packets of a polling payload.
    public static let separator: UInt8 = 0x1E

    /// Decodes the text of one packet (a WebSocket text frame, or one part of a polling payload).
    public static func decode(text bytes: ByteBuffer) throws(EngineIOError) -> EngineIOPacket {
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else { throw .invalidPacket }
        if first == UInt8(ascii: "b") {
            var base64 = bytes
            base64.moveReaderIndex(forwardBy: 1)
            guard let data = Base64.decode(base64.readableBytesView) else { throw .invalidPacket }
            return .binary(ByteBuffer(bytes: data))
        }
        guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "6"),
            let type = EngineIOPacketType(rawValue: first - UInt8(ascii: "0"))
        else { throw .invalidPacket }
        if bytes.readableBytes == 1 { return EngineIOPacket(type) }
        var rest = bytes
        rest.moveReaderIndex(forwardBy: 1)
        guard let text = rest.getString(at: rest.readerIndex, length: rest.readableBytes) else { throw .invalidPacket }
        return EngineIOPacket(type, .text(text))
    }

    /// Encodes one packet as text (for WebSocket text frames; binary packets are sent as binary frames
    /// over WebSocket and are encoded `b<base64>` here, as polling needs).
    public static func encode(_ packet: EngineIOPacket, into buffer: inout ByteBuffer) {
        switch packet.payload {
        case .binary(let bytes):
            buffer.writeInteger(UInt8(ascii: "b"))
            buffer.writeString(Base64.encode(bytes.readableBytesView))
        case .text(let text):
            buffer.writeInteger(packet.type.digit)
            buffer.writeString(text)
        case .none:
            buffer.writeInteger(packet.type.digit)
        }
    }

    /// One packet as text.
    public static func encode(_ packet: EngineIOPacket) -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(packet, into: &buffer)
        return buffer
    }

    /// Splits a polling POST body into packets.
    public static func decodePayload(_ body: ByteBuffer, maxPackets: Int = 1000) throws(EngineIOError) -> [EngineIOPacket] {
        var packets: [EngineIOPacket] = []
        var view = body
        while true {
            let length = view.readableBytesView.firstIndex(of: separator).map { $0 - view.readerIndex } ?? view.readableBytes
            guard let part = view.readSlice(length: length) else { throw .invalidPacket }
            packets.append(try decode(text: part))
            guard packets.count <= maxPackets else { throw .tooManyPackets }
            if view.readableBytes == 0 { break }
            view.moveReaderIndex(forwardBy: 1)  // the separator
            if view.readableBytes == 0 { throw .invalidPacket }
        }
        return packets
    }

    /// Joins packets into a polling GET body.
    public static func encodePayload(_ packets: [EngineIOPacket]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for (index, packet) in packets.enumerated() {
            if index > 0 { buffer.writeInteger(separator) }
            encode(packet, into: &buffer)
        }
        return buffer
    }
}
