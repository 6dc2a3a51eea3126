import CoinDailyProtocol
import NIOCore

/// The packet types of Socket.IO v5.
public enum SocketIOPacketType: UInt8, Sendable, Equatable {
    case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck
}

/// One Socket.IO v5 packet (carried in an Engine.IO message packet).
public struct SocketIOPacket: Sendable, Equatable {
    /// The type.
    public var type: SocketIOPacketType
    /// The namespace, `/` by default.
    public var namespace: String
    /// The acknowledgement id, if the sender wants an ack (EVENT) or this is one (ACK).
    public var id: UInt64?
    /// The JSON payload, if any.
    public var data: JSONValue?
    /// Number of binary attachments that follow (BINARY_EVENT, BINARY_ACK).
    public var attachments: Int

    /// Creates a packet.
    public init(type: SocketIOPacketType, namespace: String = "/", id: UInt64? = nil, data: JSONValue? = nil, attachments: Int = 0) {
        self.type = type
        self.namespace = namespace
        self.id = id
        self.data = data
        self.attachments = attachments
    }

    /// For EVENT packets: the event name (first array element).
    public var eventName: String? {
        guard type == .event || type == .binaryEvent, let array = data?.arrayValue else { return nil }
        return array.first?.stringValue
    }

    /// For EVENT packets: the arguments after the name.
    public var eventArguments: [JSONValue] {
        guard let array = data?.arrayValue, !array.isEmpty else { return [] }
        return Array(array.dropFirst())
    }
}

/// Why a Socket.IO packet was refused; the connection is closed, as the spec requires.
public enum SocketIOError: Error, Equatable, Sendable {
    /// Unknown type, bad attachment count, bad ack id, JSON that does not parse, or a payload of the
    /// wrong shape for its type (e.g. an EVENT that is not a non-empty array starting with a string).
    case invalidPacket(String)
    /// More binary attachments than allowed.
    case tooManyAttachments(Int)
}

/// Encoding and decoding of Socket.IO v5 packets.
public enum SocketIOCodec {
    /// Decodes the text of a Socket.IO packet.
    ///
    /// - Parameter maxAttachments: the largest attachment count accepted (binary packets).
    public static func decode(_ text: String, maxAttachments: Int = 10) throws(SocketIOError) -> SocketIOPacket {
        let bytes = Array(text.utf8)
        var index = 0
        guard let first = bytes.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "6"),
            let type = SocketIOPacketType(rawValue: first - UInt8(ascii: "0"))
        else { throw .invalidPacket("unknown packet type") }
        index = 1
        var attachments = 0
        if type == .binaryEvent || type == .binaryAck {
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57, digits < 6 {
                attachments = attachments * 10 + Int(bytes[index] - 48)
                index += 1
                digits += 1
            }
            guard digits > 0, index < bytes.count, bytes[index] == UInt8(ascii: "-") else {
                throw .invalidPacket("bad attachment count")
            }
            index += 1
            guard attachments <= maxAttachments else { throw .tooManyAttachments(attachments) }
        }
        var namespace = "/"
        if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
            namespace = String(decoding: bytes[start..<index], as: UTF8.self)
            if index < bytes.count { index += 1 }  // the comma
        }
        var id: UInt64?
        if index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            var value: UInt64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                digits += 1
                guard digits <= 15 else { throw .invalidPacket("ack id too long") }
                value = value * 10 + UInt64(bytes[index] - 48)
                index += 1
            }
            id = value
        }
        var data: JSONValue?
        if index < bytes.count {
            let json = String(decoding: bytes[index...], as: UTF8.self)
            guard let value = try? JSONValue.parse(json) else { throw .invalidPacket("payload is not JSON") }
            data = value
        }
        let packet = SocketIOPacket(type: type, namespace: namespace, id: id, data: data, attachments: attachments)
        try validate(packet)
        return packet
    }

    private static func validate(_ packet: SocketIOPacket) throws(SocketIOError) {
        switch packet.type {
        case .connect:
            if let data = packet.data, data.objectValue == nil { throw .invalidPacket("CONNECT payload must be an object") }
        case .disconnect:
            if packet.data != nil { throw .invalidPacket("DISCONNECT has no payload") }
        case .connectError:
            if let data = packet.data, data.objectValue == nil, data.stringValue == nil {
                throw .invalidPacket("CONNECT_ERROR payload must be an object or a string")
            }
        case .event, .binaryEvent:
            guard let array = packet.data?.arrayValue, let name = array.first, name.stringValue != nil else {
                throw .invalidPacket("EVENT payload must be an array starting with the event name")
            }
        case .ack, .binaryAck:
            guard packet.data?.arrayValue != nil else { throw .invalidPacket("ACK payload must be an array") }
        }
    }

    /// Encodes a packet as text.
    public static func encode(_ packet: SocketIOPacket, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "0") + packet.type.rawValue)
        if packet.type == .binaryEvent || packet.type == .binaryAck {
            buffer.writeString(String(packet.attachments))
            buffer.writeInteger(UInt8(ascii: "-"))
        }
        if packet.namespace != "/" {
            buffer.writeString(packet.namespace)
            buffer.writeInteger(UInt8(ascii: ","))
        }
        if let id = packet.id { buffer.writeString(String(id)) }
        if let data = packet.data { JSONWriter.write(data, into: &buffer) }
    }

    /// A packet as text.
    public static func encode(_ packet: SocketIOPacket) -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(packet, into: &buffer)
        return buffer
    }

    /// `42["<event>",<data>]` (namespace `/`, no ack): the form the gateway encodes once per published event.
    ///
    /// With `offset`, the offset is the last argument (`42["<name>",<data>,"<offset>"]`), as Socket.IO servers
    /// with connection state recovery send it; clients that know recovery strip it and keep it.
    public static func encodeEvent(_ name: String, data: JSONValue, offset: String? = nil, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("42[")
        JSONWriter.writeString(name, into: &buffer)
        buffer.writeInteger(UInt8(ascii: ","))
        JSONWriter.write(data, into: &buffer)
        if let offset {
            buffer.writeInteger(UInt8(ascii: ","))
            JSONWriter.writeString(offset, into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }
}
