import NIOCore

/// The plain JSON WebSocket protocol's message envelope (`{type, data, id, timestamp, error}`).
public enum PlainMessage {
    /// Decodes one client text message.
    ///
    /// - Returns: the client's `id` (echoed in replies) and either the request or the error to report.
    public static func decode(
        _ bytes: ByteBuffer, limits: ClientRequestLimits = .init(), isKnownToken: (String) -> Bool
    ) -> (id: String?, result: Result<ClientRequest, ProtocolError>) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            return (nil, .failure(.invalidFormat("message is not valid JSON")))
        }
        guard let object = value.objectValue else {
            return (nil, .failure(.invalidFormat("message must be a JSON object")))
        }
        var id: String?
        switch object["id"] {
        case .string(let s)?: id = String(s.prefix(128))
        case .number(let n)?: id = JSONWriter.string(.number(n))
        case nil, .null?: id = nil
        default: return (nil, .failure(.invalidFormat("field 'id' must be a string")))
        }
        guard let typeValue = object["type"] else {
            return (id, .failure(.invalidFormat("field 'type' is missing")))
        }
        guard let type = typeValue.stringValue else {
            return (id, .failure(.invalidFormat("field 'type' must be a string")))
        }
        do {
            let request = try ClientRequest.decode(
                type: type, data: object["data"], topLevelToken: object["token"], limits: limits,
                isKnownToken: isKnownToken)
            return (id, .success(request))
        } catch {
            return (id, .failure(error))
        }
    }

    /// Encodes a server event: `{"type":…,"data":…,"id":…,"room":…,"timestamp":…}` (absent fields omitted).
    public static func event(
        type: String, data: JSONValue?, id: String? = nil, room: String? = nil, timestamp: Int64,
        allocator: ByteBufferAllocator = .init()
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 128)
        buffer.writeStaticString("{\"type\":")
        JSONWriter.writeString(type, into: &buffer)
        if let data {
            buffer.writeStaticString(",\"data\":")
            JSONWriter.write(data, into: &buffer)
        }
        writeTail(id: id, room: room, timestamp: timestamp, into: &buffer)
        return buffer
    }

    /// Encodes an error: `{"type":"error","error":{"code":…,"message":…},"id":…,"timestamp":…}`.
    ///
    /// `type` is `error` except for authentication failures, which the spec reports as `auth_error`.
    public static func error(
        _ error: ProtocolError, type: String = "error", id: String? = nil, timestamp: Int64,
        allocator: ByteBufferAllocator = .init()
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 128)
        buffer.writeStaticString("{\"type\":")
        JSONWriter.writeString(type, into: &buffer)
        buffer.writeStaticString(",\"error\":{\"code\":")
        JSONWriter.writeString(error.code.rawValue, into: &buffer)
        buffer.writeStaticString(",\"message\":")
        JSONWriter.writeString(error.message, into: &buffer)
        buffer.writeStaticString("}")
        writeTail(id: id, room: nil, timestamp: timestamp, into: &buffer)
        return buffer
    }

    private static func writeTail(id: String?, room: String?, timestamp: Int64, into buffer: inout ByteBuffer) {
        if let id {
            buffer.writeStaticString(",\"id\":")
            JSONWriter.writeString(id, into: &buffer)
        }
        if let room {
            buffer.writeStaticString(",\"room\":")
            JSONWriter.writeString(room, into: &buffer)
        }
        buffer.writeStaticString(",\"timestamp\":")
        buffer.writeString(String(timestamp))
        buffer.writeStaticString("}")
    }
}
