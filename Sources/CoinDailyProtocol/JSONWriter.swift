import NIOCore

/// Writes ``JSONValue``s as compact JSON, object keys sorted, straight into a `ByteBuffer`.
///
/// Hand-written rather than `JSONEncoder` because the gateway encodes every reply and every event
/// into a buffer it already owns: no intermediate `Data`, no `String` per message.
public enum JSONWriter {
    /// Appends `value` as JSON to `buffer`.
    public static func write(_ value: JSONValue, into buffer: inout ByteBuffer) {
        switch value {
        case .null: buffer.writeStaticString("null")
        case .bool(let b): buffer.writeStaticString(b ? "true" : "false")
        case .number(let n): writeNumber(n, into: &buffer)
        case .string(let s): writeString(s, into: &buffer)
        case .array(let elements):
            buffer.writeInteger(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.writeInteger(UInt8(ascii: ",")) }
                first = false
                write(element, into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            var first = true
            for key in members.keys.sorted() {
                if !first { buffer.writeInteger(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ":"))
                write(members[key]!, into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `value` as a JSON string.
    public static func string(_ value: JSONValue) -> String {
        var buffer = ByteBuffer()
        write(value, into: &buffer)
        return String(buffer: buffer)
    }

    /// Appends a number: integral values within the range of `Int64` as plain integers (also beyond 2^53,
    /// where JavaScript's `JSON.stringify` writes digits too, e.g. a nanosecond timestamp; the value is the
    /// nearest double, as for any JSON parser that reads numbers as doubles), other values in Swift's
    /// shortest round-trip form, non-finite ones as `null` (JSON has no NaN or infinity).
    public static func writeNumber(_ n: Double, into buffer: inout ByteBuffer) {
        guard n.isFinite else {
            buffer.writeStaticString("null")
            return
        }
        if n == n.rounded(), abs(n) < 9_223_372_036_854_775_808 {
            buffer.writeString(String(Int64(n)))
        } else {
            buffer.writeString("\(n)")
        }
    }

    /// Appends `s` as a quoted JSON string, escaping what RFC 8259 requires.
    public static func writeString(_ s: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x00..<0x20:
                buffer.writeStaticString("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0x0F)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
