import CoinDailyProtocol
import CoinDailySocketIO
import NIOCore

/// A buffer holding the UTF-8 bytes of `text`.
func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// A buffer holding exactly `values`.
func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }

extension ByteBuffer {
    /// The readable bytes.
    var octets: [UInt8] { Array(readableBytesView) }
    /// The readable bytes as UTF-8 text.
    var utf8Text: String { String(buffer: self) }
}

/// The Engine.IO packet the text `wire` decodes to, or the error.
func eio(_ wire: String) -> Result<EngineIOPacket, EngineIOError> {
    Result { () throws(EngineIOError) -> EngineIOPacket in try EngineIOCodec.decode(text: bytes(wire)) }
}

/// The packets of the polling payload `wire`, or the error.
func eioPayload(_ wire: String, maxPackets: Int = 1000) -> Result<[EngineIOPacket], EngineIOError> {
    Result { () throws(EngineIOError) -> [EngineIOPacket] in
        try EngineIOCodec.decodePayload(bytes(wire), maxPackets: maxPackets)
    }
}

/// The Socket.IO packet `wire` decodes to, or the error.
func sio(_ wire: String, maxAttachments: Int = 10) -> Result<SocketIOPacket, SocketIOError> {
    Result { () throws(SocketIOError) -> SocketIOPacket in try SocketIOCodec.decode(wire, maxAttachments: maxAttachments) }
}

/// The text of an encoded Socket.IO packet.
func sioText(_ packet: SocketIOPacket) -> String { SocketIOCodec.encode(packet).utf8Text }

/// Parses a JSON literal used in an expectation (a test bug, not a codec bug, if it fails).
func json(_ text: String) -> JSONValue {
    do { return try JSONValue.parse(text) } catch { fatalError("bad JSON in a test: \(text)") }
}

/// `{"_placeholder":true,"num":n}`, the stand-in for binary attachment `n`.
func placeholder(_ n: Int) -> JSONValue { ["_placeholder": true, "num": .number(Double(n))] }

extension Result {
    /// The success value, if any.
    var value: Success? { try? get() }
    /// The failure, if any.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
