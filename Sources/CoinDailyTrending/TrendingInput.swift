public import CoinDailyProtocol
public import NIOCore

/// Parses the trending producer's ingest bodies: one market sample object or an array of them.
///
/// ```json
/// {"token": "PEPE", "price": 0.0000123, "volume24h": 650000000, "mentions": 420, "timestamp": 1700000000000}
/// ```
///
/// Every field is required: `token` (string, upper-cased, `^[A-Z0-9]{1,15}$`, and one of the configured
/// memecoins), `price` (finite number > 0), `volume24h` (finite number >= 0), `mentions` (integer >= 0),
/// `timestamp` (integer Unix ms, at most 5 minutes in the future and not older than the kept history).
/// Booleans and numeric strings are never numbers; a JSON `null` counts as absent; unknown keys are ignored.
public enum TrendingInput {
    /// How far in the future a `timestamp` may lie: 300 000 ms (5 minutes).
    public static let maxFutureSkewMilliseconds: Int64 = 300_000

    /// Parses one object.
    ///
    /// - Parameters:
    ///   - universe: the accepted tokens.
    ///   - oldest: the oldest accepted timestamp (older samples would be trimmed at once).
    public static func parse(
        object: [String: JSONValue], now: Int64, universe: Set<String>, oldest: Int64
    ) throws(TrendingInputError) -> MarketSample {
        guard let raw = try string(object, "token") else { throw .missingField(field: "token") }
        guard let token = TokenSymbol.normalize(raw) else {
            throw .invalidField(field: "token", reason: "must match ^[A-Z0-9]{1,15}$ after uppercasing")
        }
        guard universe.contains(token) else {
            throw .invalidField(field: "token", reason: "\(token) is not one of the tracked memecoins")
        }
        let price = try number(object, "price")
        guard price.isFinite, price > 0 else { throw .invalidField(field: "price", reason: "must be a finite number > 0") }
        let volume = try number(object, "volume24h")
        guard volume.isFinite, volume >= 0 else { throw .invalidField(field: "volume24h", reason: "must be a finite number >= 0") }
        let mentions = try number(object, "mentions", expected: "integer")
        guard mentions >= 0, mentions <= 1e12, mentions.rounded(.towardZero) == mentions else {
            throw .invalidField(field: "mentions", reason: "must be an integer >= 0")
        }
        let timestamp = try number(object, "timestamp", expected: "integer")
        guard timestamp >= 0, timestamp <= 9_007_199_254_740_992, timestamp.rounded(.towardZero) == timestamp else {
            throw .invalidField(field: "timestamp", reason: "must be a non-negative integer of Unix epoch milliseconds")
        }
        let millis = Int64(timestamp)
        guard millis <= now &+ maxFutureSkewMilliseconds else {
            throw .invalidField(field: "timestamp", reason: "must not be more than \(maxFutureSkewMilliseconds) ms in the future")
        }
        guard millis >= oldest else {
            throw .invalidField(field: "timestamp", reason: "is older than the kept history (\((now - oldest) / 1000) s)")
        }
        return MarketSample(token: token, price: price, volume24h: volume, mentions: Int(mentions), timestamp: millis)
    }

    /// Parses a body: one object or an array of 1…`maxItems` objects, every element validated first.
    public static func parseBatch(
        _ body: ByteBuffer, now: Int64, universe: Set<String>, oldest: Int64, maxItems: Int = 1000
    ) throws(TrendingInputError) -> [MarketSample] {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw .malformedJSON
        }
        if let object = root.objectValue {
            return [try parse(object: object, now: now, universe: universe, oldest: oldest)]
        }
        guard let array = root.arrayValue else { throw .notAnObject(field: nil) }
        guard !array.isEmpty else { throw .emptyBatch }
        guard array.count <= maxItems else { throw .batchTooLarge(count: array.count, limit: maxItems) }
        var samples: [MarketSample] = []
        samples.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let object = element.objectValue else { throw .item(index: index, .notAnObject(field: nil)) }
            do {
                samples.append(try parse(object: object, now: now, universe: universe, oldest: oldest))
            } catch {
                throw .item(index: index, error)
            }
        }
        return samples
    }

    /// The ingest JSON of a sample (what the simulator queues).
    public static func json(_ sample: MarketSample) -> JSONValue {
        [
            "token": .string(sample.token), "price": .number(sample.price), "volume24h": .number(sample.volume24h),
            "mentions": .number(Double(sample.mentions)), "timestamp": .int(sample.timestamp),
        ]
    }

    private static func string(_ object: [String: JSONValue], _ field: String) throws(TrendingInputError) -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw .wrongType(field: field, expected: "string") }
        return string
    }

    private static func number(
        _ object: [String: JSONValue], _ field: String, expected: String = "number"
    ) throws(TrendingInputError) -> Double {
        guard let value = object[field], !value.isNull else { throw .missingField(field: field) }
        guard let number = value.numberValue else { throw .wrongType(field: field, expected: expected) }
        return number
    }
}
