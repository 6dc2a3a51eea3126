import CoinDailyProtocol

/// Reads typed fields of one JSON object, throwing ``IngestInputError``s that name the field.
///
/// A JSON `null` counts as absent. Booleans are never numbers and numeric strings (`"40"`) are not
/// numbers either. `prefix` names nested objects in errors (`stage.status`, `limit.amount`).
public struct JSONObjectReader: Sendable {
    public let object: [String: JSONValue]
    public let prefix: String

    public init(_ object: [String: JSONValue], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    public func name(_ field: String) -> String { prefix + field }

    public func value(_ field: String) -> JSONValue? {
        guard let value = object[field], !value.isNull else { return nil }
        return value
    }

    public func has(_ field: String) -> Bool { value(field) != nil }

    public func optionalString(_ field: String) throws(IngestInputError) -> String? {
        guard let value = value(field) else { return nil }
        guard let string = value.stringValue else { throw .wrongType(field: name(field), expected: "string") }
        return string
    }

    public func requiredString(_ field: String) throws(IngestInputError) -> String {
        guard let string = try optionalString(field) else { throw .missingField(field: name(field)) }
        return string
    }

    /// A required identifier: 1–128 characters, no control characters.
    public func identifier(_ field: String) throws(IngestInputError) -> String {
        let string = try requiredString(field)
        try Self.checkIdentifier(string, field: name(field))
        return string
    }

    public static func checkIdentifier(_ string: String, field: String) throws(IngestInputError) {
        guard (1...128).contains(string.count), !string.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidField(field: field, reason: "must be 1 to 128 characters without control characters")
        }
    }

    public func optionalNumber(_ field: String) throws(IngestInputError) -> Double? {
        guard let value = value(field) else { return nil }
        guard let number = value.numberValue else { throw .wrongType(field: name(field), expected: "number") }
        return number
    }

    public func requiredNumber(_ field: String) throws(IngestInputError) -> Double {
        guard let number = try optionalNumber(field) else { throw .missingField(field: name(field)) }
        return number
    }

    /// An optional number in `range`, `reason` explaining the range.
    public func number(_ field: String, in range: ClosedRange<Double>, reason: String) throws(IngestInputError) -> Double? {
        guard let number = try optionalNumber(field) else { return nil }
        guard number.isFinite, range.contains(number) else { throw .invalidField(field: name(field), reason: reason) }
        return number
    }

    public func requiredInteger(_ field: String, in range: ClosedRange<Int>) throws(IngestInputError) -> Int {
        guard let value = value(field) else { throw .missingField(field: name(field)) }
        guard let number = value.numberValue else { throw .wrongType(field: name(field), expected: "integer") }
        guard number.isFinite, number.rounded(.towardZero) == number, Double(range.lowerBound) <= number,
            number <= Double(range.upperBound)
        else {
            throw .invalidField(field: name(field), reason: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }

    public func requiredObject(_ field: String) throws(IngestInputError) -> [String: JSONValue] {
        guard let value = value(field) else { throw .missingField(field: name(field)) }
        guard let object = value.objectValue else { throw .wrongType(field: name(field), expected: "object") }
        return object
    }

    /// The optional `timestamp` (integer Unix ms, not more than `maxFutureSkew` ms after `now`), default `now`.
    public func timestamp(now: Int64, maxFutureSkew: Int64) throws(IngestInputError) -> Int64 {
        guard let value = value("timestamp") else { return now }
        guard let number = value.numberValue else { throw .wrongType(field: name("timestamp"), expected: "integer") }
        guard number.isFinite, number >= 0, number <= 9_007_199_254_740_992, number.rounded(.towardZero) == number else {
            throw .invalidField(field: name("timestamp"), reason: "must be a non-negative integer of Unix epoch milliseconds")
        }
        let timestamp = Int64(number)
        guard timestamp <= now &+ maxFutureSkew else {
            throw .invalidField(field: name("timestamp"), reason: "must not be more than \(maxFutureSkew) ms in the future")
        }
        return timestamp
    }
}
