import Foundation
import NIOCore

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

/// Errors of ``JSONValue/parse(_:)``.
public enum JSONParseError: Error, Equatable, Sendable {
    /// The bytes are not valid JSON (or not UTF-8).
    case malformed
}

extension JSONValue {
    /// Parses one JSON document.
    public static func parse(_ bytes: ByteBuffer) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeReadableBytes { raw in
                try JSONDecoder().decode(JSONValue.self, from: Data(raw))
            }
        } catch {
            throw .malformed
        }
    }

    /// Parses one JSON document.
    public static func parse(_ string: String) throws(JSONParseError) -> JSONValue {
        try parse(ByteBuffer(string: string))
    }

    /// Converts any `Encodable` value to a ``JSONValue`` (used by producers to publish typed payloads).
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }
}
