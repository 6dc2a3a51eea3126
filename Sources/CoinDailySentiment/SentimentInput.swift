public import Foundation

/// One ingest item for the sentiment producer: a sentiment signal or a price tick.
///
/// The JSON shapes (from `POST /v1/ingest`, or the `payload` field of an entry of the Redis stream
/// `cd:ingest:sentiment`) are:
///
/// ```json
/// {"kind": "signal", "token": "btc", "source": "social", "score": 0.42, "weight": 2, "timestamp": 1700000000000}
/// {"kind": "price", "token": "BTC", "price": 64250.5, "volume24h": 3.1e10, "timestamp": 1700000000000}
/// ```
///
/// `kind` is optional: without it, an object with a `price` key is a price tick and anything else
/// is a signal. `weight` (default 1), `timestamp` (default: the caller's `now`) and `volume24h`
/// are optional; a JSON `null` counts as absent. Tokens are uppercased. Unknown keys are ignored.
public enum SentimentInput: Sendable, Equatable, Hashable {
    /// A sentiment observation.
    case signal(SentimentSignal)
    /// A price observation.
    case price(PriceTick)

    /// The default largest number of items accepted by ``parseBatch(_:now:maxItems:)``: 1000.
    public static let defaultMaxBatchItems = 1000

    /// How far in the future (relative to the caller's `now`) a `timestamp` may lie, in
    /// milliseconds: 300 000 (5 minutes). Larger values are rejected, since a far-future
    /// timestamp would keep a source "live" and outweigh every later signal.
    public static let maxFutureSkewMilliseconds: Int64 = 300_000

    /// The item's token symbol (uppercase).
    public var token: String {
        switch self {
        case .signal(let signal): signal.token
        case .price(let tick): tick.token
        }
    }

    /// The item's timestamp in Unix epoch milliseconds.
    public var timestamp: Int64 {
        switch self {
        case .signal(let signal): signal.timestamp
        case .price(let tick): tick.timestamp
        }
    }

    // MARK: Parsing

    /// Parses one ingest item from a decoded JSON object (as produced by `JSONSerialization`).
    ///
    /// Validation, in this order, with the error each failure throws:
    /// - `kind`, when present: a string `"signal"` or `"price"` (case-insensitive).
    /// - `token`: required string; uppercased, then must match `^[A-Z0-9]{1,15}$`.
    /// - signals: `source` required, one of `social`, `news`, `whale`, `technical`
    ///   (case-insensitive); `score` required number in [-1, 1]; `weight` optional finite number > 0.
    /// - price ticks: `price` required finite number > 0; `volume24h` optional finite number >= 0.
    /// - `timestamp`: optional non-negative integer of milliseconds, at most
    ///   ``maxFutureSkewMilliseconds`` after `now`; defaults to `now`.
    ///
    /// JSON booleans are never accepted as numbers, nor numeric strings such as `"0.5"`.
    ///
    /// - Parameters:
    ///   - object: The JSON object.
    ///   - now: The current time in Unix epoch milliseconds, used when `timestamp` is absent.
    public static func parse(json object: [String: Any], now: Int64) throws(SentimentInputError) -> SentimentInput {
        let isPrice: Bool
        if let kind = try optionalString(object, "kind") {
            switch kind.lowercased() {
            case "signal": isPrice = false
            case "price": isPrice = true
            default: throw .invalidField(field: "kind", reason: "must be \"signal\" or \"price\"")
            }
        } else {
            isPrice = present(object["price"])
        }

        let token = try parseToken(object)
        if isPrice {
            let price = try requiredNumber(object, "price")
            guard price.isFinite, price > 0 else {
                throw .invalidField(field: "price", reason: "must be a finite number > 0")
            }
            let volume = try optionalNumber(object, "volume24h")
            if let volume, !(volume.isFinite && volume >= 0) {
                throw .invalidField(field: "volume24h", reason: "must be a finite number >= 0")
            }
            let timestamp = try parseTimestamp(object, now: now)
            return .price(PriceTick(token: token, price: price, timestamp: timestamp, volume24h: volume))
        } else {
            guard let sourceName = try optionalString(object, "source") else {
                throw .missingField(field: "source")
            }
            guard let source = SentimentSource(rawValue: sourceName.lowercased()) else {
                throw .invalidField(field: "source", reason: "must be one of \(SentimentSource.acceptedNames)")
            }
            let score = try requiredNumber(object, "score")
            guard score.isFinite, score >= -1, score <= 1 else {
                throw .invalidField(field: "score", reason: "must be a number in [-1, 1]")
            }
            let weight = try optionalNumber(object, "weight") ?? 1
            guard weight.isFinite, weight > 0 else {
                throw .invalidField(field: "weight", reason: "must be a finite number > 0")
            }
            let timestamp = try parseTimestamp(object, now: now)
            return .signal(SentimentSignal(token: token, source: source, score: score, weight: weight, timestamp: timestamp))
        }
    }

    /// Parses one ingest item from JSON bytes holding a single object.
    ///
    /// Throws ``SentimentInputError/malformedJSON(reason:)`` for bytes that are not JSON and
    /// ``SentimentInputError/notAnObject`` for JSON that is not an object (arrays included: use
    /// ``parseBatch(_:now:maxItems:)`` for those); otherwise as ``parse(json:now:)``.
    public static func parse(from data: Data, now: Int64) throws(SentimentInputError) -> SentimentInput {
        guard let object = try decodeJSON(data) as? [String: Any] else {
            throw .notAnObject
        }
        return try parse(json: object, now: now)
    }

    /// Parses an ingest body: one JSON object or a JSON array of objects.
    ///
    /// Every element is validated before anything is returned, so a caller that applies the result
    /// never half-applies a batch. An error inside an array element is wrapped as
    /// ``SentimentInputError/item(index:_:)`` with its zero-based index; an error in a single
    /// top-level object is thrown unwrapped. An empty array throws
    /// ``SentimentInputError/emptyBatch``, one longer than `maxItems` throws
    /// ``SentimentInputError/batchTooLarge(count:limit:)``.
    ///
    /// The whole body is decoded before its length is checked, so the transport must cap the body
    /// size itself.
    ///
    /// - Parameters:
    ///   - data: The JSON bytes (an HTTP body, or a Redis stream entry's `payload` field).
    ///   - now: The current time in Unix epoch milliseconds, for items without a `timestamp`.
    ///   - maxItems: The largest array accepted; default ``defaultMaxBatchItems`` (1000).
    public static func parseBatch(
        _ data: Data,
        now: Int64,
        maxItems: Int = defaultMaxBatchItems
    ) throws(SentimentInputError) -> [SentimentInput] {
        let root = try decodeJSON(data)
        if let object = root as? [String: Any] {
            return [try parse(json: object, now: now)]
        }
        guard let array = root as? [Any] else {
            throw .notAnObject
        }
        guard !array.isEmpty else {
            throw .emptyBatch
        }
        guard array.count <= maxItems else {
            throw .batchTooLarge(count: array.count, limit: maxItems)
        }
        var inputs: [SentimentInput] = []
        inputs.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let object = element as? [String: Any] else {
                throw .item(index: index, .notAnObject)
            }
            do {
                inputs.append(try parse(json: object, now: now))
            } catch {
                throw .item(index: index, error)
            }
        }
        return inputs
    }

    // MARK: Field readers

    /// The class of the boxed JSON booleans. `JSONSerialization` returns `NSNumber` for both
    /// numbers and booleans, and on Linux `value is Bool` is true for the number `1` as well, so
    /// booleans are recognised by their concrete class (`__NSCFBoolean` on Linux and Darwin).
    private static let booleanNumberClass = ObjectIdentifier(type(of: NSNumber(value: true)))

    /// Decodes JSON bytes, allowing any top-level value so that `5` is reported as "not an object"
    /// rather than as malformed.
    private static func decodeJSON(_ data: Data) throws(SentimentInputError) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw .malformedJSON(reason: jsonErrorReason(error))
        }
    }

    /// A short reason for a `JSONSerialization` failure, without the NSError boilerplate.
    private static func jsonErrorReason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String, !detail.isEmpty {
            return detail
        }
        return "the data is not valid JSON"
    }

    /// Whether a decoded JSON value is present (not absent and not `null`).
    private static func present(_ value: Any?) -> Bool {
        guard let value else { return false }
        return !(value is NSNull)
    }

    /// The numeric value of a decoded JSON value, or `nil` when it is not a number (booleans,
    /// strings and everything else included).
    static func numericValue(_ value: Any) -> Double? {
        if type(of: value) is NSNumber.Type, let number = value as? NSNumber {
            if ObjectIdentifier(type(of: number)) == booleanNumberClass {
                return nil
            }
            return number.doubleValue
        }
        switch value {
        case is Bool:
            return nil
        case let double as Double:
            return double
        case let integer as any BinaryInteger:
            return Double(integer)
        case let floating as any BinaryFloatingPoint:
            return Double(floating)
        default:
            return nil
        }
    }

    private static func optionalNumber(_ object: [String: Any], _ field: String) throws(SentimentInputError) -> Double? {
        guard let value = object[field], present(value) else { return nil }
        guard let number = numericValue(value) else {
            throw .wrongType(field: field, expected: "number")
        }
        return number
    }

    private static func requiredNumber(_ object: [String: Any], _ field: String) throws(SentimentInputError) -> Double {
        guard let number = try optionalNumber(object, field) else {
            throw .missingField(field: field)
        }
        return number
    }

    private static func optionalString(_ object: [String: Any], _ field: String) throws(SentimentInputError) -> String? {
        guard let value = object[field], present(value) else { return nil }
        guard let string = value as? String else {
            throw .wrongType(field: field, expected: "string")
        }
        return string
    }

    /// Reads, uppercases and checks `token` against `^[A-Z0-9]{1,15}$`.
    private static func parseToken(_ object: [String: Any]) throws(SentimentInputError) -> String {
        guard let raw = try optionalString(object, "token") else {
            throw .missingField(field: "token")
        }
        let token = raw.uppercased()
        let scalars = token.unicodeScalars
        let valid = (1...15).contains(scalars.count)
            && scalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        guard valid else {
            throw .invalidField(field: "token", reason: "must match ^[A-Z0-9]{1,15}$ after uppercasing")
        }
        return token
    }

    /// Reads the optional `timestamp` (integer milliseconds), defaulting to `now`.
    private static func parseTimestamp(_ object: [String: Any], now: Int64) throws(SentimentInputError) -> Int64 {
        guard let value = object["timestamp"], present(value) else { return now }
        guard let number = numericValue(value) else {
            throw .wrongType(field: "timestamp", expected: "integer")
        }
        // 2^53: every integer up to here is exact in a Double; epoch milliseconds are ~1.7e12.
        guard number.isFinite, number >= 0, number <= 9_007_199_254_740_992, number.rounded(.towardZero) == number else {
            throw .invalidField(field: "timestamp", reason: "must be a non-negative integer of Unix epoch milliseconds")
        }
        let timestamp = Int64(number)
        guard timestamp <= now &+ maxFutureSkewMilliseconds else {
            throw .invalidField(field: "timestamp", reason: "must not be more than \(maxFutureSkewMilliseconds) ms in the future")
        }
        return timestamp
    }
}
