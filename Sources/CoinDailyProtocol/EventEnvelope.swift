import NIOCore

/// What a producer publishes on an event channel: the server event's name, its data and when it happened.
///
/// The JSON form is exactly the plain protocol's server message (`{"type","data","timestamp"}`), so
/// the gateway can forward the published bytes to plain clients unchanged.
public struct EventEnvelope: Sendable, Equatable {
    /// The server event, e.g. `market_sentiment_update`.
    public var type: String
    /// The event payload (an object).
    public var data: JSONValue
    /// Unix milliseconds.
    public var timestamp: Int64
    /// The history id the publish script gave it (`<epoch>:<ms>-<seq>`), `nil` before publishing.
    public var id: EventID?

    /// Creates an envelope.
    public init(type: String, data: JSONValue, timestamp: Int64, id: EventID? = nil) {
        self.type = type
        self.data = data
        self.timestamp = timestamp
        self.id = id
    }

    /// The kind of channel this event belongs to, if it is one of the known server events.
    public var kind: ChannelKind? { ChannelKind(updateEvent: type) }

    /// The JSON bytes to publish.
    public func encoded(allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        PlainMessage.event(type: type, data: data, timestamp: timestamp, allocator: allocator)
    }

    /// Errors of ``parse(_:)``.
    public enum ParseError: Error, Equatable, Sendable {
        case malformed(String)
    }

    /// Parses published bytes.
    public static func parse(_ bytes: ByteBuffer) throws(ParseError) -> EventEnvelope {
        guard let value = try? JSONValue.parse(bytes), let object = value.objectValue else {
            throw .malformed("not a JSON object")
        }
        guard let type = object["type"]?.stringValue else { throw .malformed("missing type") }
        guard let data = object["data"], data.objectValue != nil else { throw .malformed("data must be an object") }
        let timestamp = object["timestamp"]?.numberValue.flatMap { Int64(exactly: $0.rounded(.towardZero)) } ?? 0
        let id = object["id"]?.stringValue.flatMap(EventID.init)
        return EventEnvelope(type: type, data: data, timestamp: timestamp, id: id)
    }
}
