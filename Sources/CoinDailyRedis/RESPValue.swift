public import NIOCore

/// One value of the Redis serialisation protocol (RESP2), as parsed by ``HiredisReader``.
///
/// Bulk strings keep their bytes in a `ByteBuffer`, so binary payloads never go through `String`.
/// A null bulk string (`$-1`) is `.bulkString(nil)` and a null array (`*-1`) is `.array(nil)`.
public enum RESPValue: Sendable, Equatable {
    /// A simple string (`+OK`).
    case simpleString(String)
    /// An error reply (`-ERR ...`); the message without the leading `-`.
    case error(String)
    /// An integer reply (`:42`).
    case integer(Int64)
    /// A bulk string (`$3\r\nfoo`), `nil` for the null bulk string.
    case bulkString(ByteBuffer?)
    /// An array (`*2\r\n...`), `nil` for the null array.
    case array([RESPValue]?)

    /// The value as text: a simple string, or a bulk string decoded as UTF-8. `nil` for every other case.
    public var string: String? {
        switch self {
        case .simpleString(let string):
            return string
        case .bulkString(let buffer?):
            return String(buffer: buffer)
        default:
            return nil
        }
    }

    /// The value as an integer: an integer reply, or a simple or bulk string holding a decimal integer
    /// (Redis returns numbers as bulk strings from `GET`, `HGET`, ...). `nil` otherwise.
    public var int: Int64? {
        switch self {
        case .integer(let value):
            return value
        case .simpleString, .bulkString:
            return self.string.flatMap { Int64($0) }
        default:
            return nil
        }
    }

    /// The elements of a non-null array, `nil` for every other case (including the null array).
    public var array: [RESPValue]? {
        if case .array(let elements?) = self {
            return elements
        }
        return nil
    }

    /// `true` for the null bulk string and the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil):
            return true
        default:
            return false
        }
    }

    /// The bytes of a non-null bulk string, or of a simple string; `nil` otherwise.
    public var bytes: ByteBuffer? {
        switch self {
        case .bulkString(let buffer?):
            return buffer
        case .simpleString(let string):
            return ByteBuffer(string: string)
        default:
            return nil
        }
    }

    /// The message of an error reply, `nil` for every other case.
    public var errorMessage: String? {
        if case .error(let message) = self {
            return message
        }
        return nil
    }
}

extension RESPValue: CustomStringConvertible {
    /// A short, human-readable rendering for logs and error messages (bulk strings longer than 64 bytes are cut).
    public var description: String {
        switch self {
        case .simpleString(let string):
            return "+\(string)"
        case .error(let message):
            return "-\(message)"
        case .integer(let value):
            return ":\(value)"
        case .bulkString(nil):
            return "(nil bulk)"
        case .bulkString(let buffer?):
            let shown = buffer.getSlice(at: buffer.readerIndex, length: min(buffer.readableBytes, 64)) ?? buffer
            let text = String(decoding: shown.readableBytesView, as: UTF8.self)
            return buffer.readableBytes > 64 ? "\"\(text)…\"" : "\"\(text)\""
        case .array(nil):
            return "(nil array)"
        case .array(let elements?):
            return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
