public import NIOCore

/// One entry read from a Redis stream (`XREADGROUP`, `XAUTOCLAIM`).
public struct RedisStreamEntry: Sendable, Equatable {
    /// The stream the entry belongs to.
    public var stream: String
    /// The entry ID, e.g. `"1712345678901-0"`.
    public var id: String
    /// The field/value pairs in the order they were added. Empty for an entry deleted while pending.
    public var fields: [(name: String, value: ByteBuffer)]

    /// Creates an entry.
    public init(stream: String, id: String, fields: [(name: String, value: ByteBuffer)]) {
        self.stream = stream
        self.id = id
        self.fields = fields
    }

    /// The value of the first field named `name`, if any.
    public subscript(field name: String) -> ByteBuffer? {
        self.fields.first { $0.name == name }?.value
    }

    /// Compares stream, ID and fields (names, values and order).
    public static func == (lhs: RedisStreamEntry, rhs: RedisStreamEntry) -> Bool {
        lhs.stream == rhs.stream && lhs.id == rhs.id && lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Parses one `[id, [field, value, ...]]` element; the field array may be null (deleted entry).
    init(stream: String, reply: RESPValue) throws(RedisError) {
        guard let pair = reply.array, pair.count == 2, let id = pair[0].string else {
            throw .unexpectedReply("stream entry: \(reply)")
        }
        var fields: [(name: String, value: ByteBuffer)] = []
        if let flat = pair[1].array {
            guard flat.count.isMultiple(of: 2) else {
                throw .unexpectedReply("stream entry fields: \(pair[1])")
            }
            fields.reserveCapacity(flat.count / 2)
            var index = 0
            while index < flat.count {
                guard let name = flat[index].string, let value = flat[index + 1].bytes else {
                    throw .unexpectedReply("stream entry field: \(flat[index]) \(flat[index + 1])")
                }
                fields.append((name, value))
                index += 2
            }
        } else if !pair[1].isNull {
            throw .unexpectedReply("stream entry fields: \(pair[1])")
        }
        self.init(stream: stream, id: id, fields: fields)
    }

    /// Parses an array of entries of one stream.
    static func parseEntries(stream: String, reply: RESPValue) throws(RedisError) -> [RedisStreamEntry] {
        guard let elements = reply.array else {
            throw .unexpectedReply("stream entries: \(reply)")
        }
        var entries: [RedisStreamEntry] = []
        entries.reserveCapacity(elements.count)
        for element in elements {
            entries.append(try RedisStreamEntry(stream: stream, reply: element))
        }
        return entries
    }
}
