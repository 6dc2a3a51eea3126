public import CoinDailyProtocol
public import NIOCore

/// One ingest item of the whale producer: a transfer or a price tick.
///
/// JSON (from `POST /v1/ingest`, or the `payload` field of an entry of the stream `cd:ingest:whale`):
///
/// ```json
/// {"kind": "transfer", "token": "PEPE", "amount": 2.5e10, "from": "0xab…", "to": "0xcd…",
///  "txHash": "0x9f…", "priceUSD": 0.0000123, "timestamp": 1700000000000}
/// {"kind": "price", "token": "PEPE", "price": 0.0000123, "volume24h": 650000000, "timestamp": 1700000000000}
/// ```
///
/// `kind` is optional: without it, an object with a `price` key and no `txHash` key is a price tick,
/// anything else a transfer. A JSON `null` counts as absent; unknown keys are ignored.
public enum WhaleInput: Sendable, Equatable, Hashable {
    /// A transfer to judge.
    case transfer(WhaleTransfer)
    /// A price (and volume) observation to remember.
    case price(WhalePriceTick)

    /// How far in the future a `timestamp` may lie: 300 000 ms (5 minutes).
    public static let maxFutureSkewMilliseconds: Int64 = 300_000

    /// Longest accepted `from`, `to` and `txHash`: 128 characters.
    public static let maxIdentifierLength = 128

    /// The item's token symbol.
    public var token: String {
        switch self {
        case .transfer(let transfer): transfer.token
        case .price(let tick): tick.token
        }
    }

    // MARK: Parsing

    /// Parses one item from a JSON object.
    ///
    /// Checks, in this order: `kind` (`"transfer"` or `"price"`, case-insensitive, optional); `token`
    /// (string, upper-cased, `^[A-Z0-9]{1,15}$`); for transfers `amount` (finite number > 0), `from`,
    /// `to`, `txHash` (strings of 1–128 characters without whitespace or control characters),
    /// `priceUSD` (optional finite number > 0); for ticks `price` (finite number > 0) and `volume24h`
    /// (optional finite number >= 0); finally `timestamp` (required integer Unix milliseconds >= 0, at most
    /// ``maxFutureSkewMilliseconds`` after `now`). Booleans and numeric strings are never numbers.
    public static func parse(object: [String: JSONValue], now: Int64) throws(WhaleInputError) -> WhaleInput {
        let isPrice: Bool
        if let kind = try optionalString(object, "kind") {
            switch kind.lowercased() {
            case "transfer": isPrice = false
            case "price": isPrice = true
            default: throw .invalidField(field: "kind", reason: "must be \"transfer\" or \"price\"")
            }
        } else {
            isPrice = present(object["price"]) && !present(object["txHash"])
        }
        let token = try parseToken(object)
        if isPrice {
            let price = try requiredNumber(object, "price")
            guard price.isFinite, price > 0 else { throw .invalidField(field: "price", reason: "must be a finite number > 0") }
            let volume = try optionalNumber(object, "volume24h")
            if let volume, !(volume.isFinite && volume >= 0) {
                throw .invalidField(field: "volume24h", reason: "must be a finite number >= 0")
            }
            let timestamp = try parseTimestamp(object, now: now)
            return .price(WhalePriceTick(token: token, price: price, volume24h: volume, timestamp: timestamp))
        }
        let amount = try requiredNumber(object, "amount")
        guard amount.isFinite, amount > 0 else { throw .invalidField(field: "amount", reason: "must be a finite number > 0") }
        let from = try identifier(object, "from")
        let to = try identifier(object, "to")
        let txHash = normalizeHash(try identifier(object, "txHash"))
        let priceUSD = try optionalNumber(object, "priceUSD")
        if let priceUSD, !(priceUSD.isFinite && priceUSD > 0) {
            throw .invalidField(field: "priceUSD", reason: "must be a finite number > 0")
        }
        let timestamp = try parseTimestamp(object, now: now)
        return .transfer(
            WhaleTransfer(token: token, amount: amount, from: from, to: to, txHash: txHash, priceUSD: priceUSD, timestamp: timestamp))
    }

    /// Parses an ingest body: one JSON object or a JSON array of 1…`maxItems` objects.
    ///
    /// Every element is validated before anything is returned; an error in element `i` of an array is
    /// wrapped as ``WhaleInputError/item(index:_:)``.
    public static func parseBatch(_ body: ByteBuffer, now: Int64, maxItems: Int = 1000) throws(WhaleInputError) -> WhaleInputBatch {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw .malformedJSON
        }
        if let object = root.objectValue {
            return WhaleInputBatch(inputs: [try parse(object: object, now: now)], isArray: false)
        }
        guard let array = root.arrayValue else { throw .notAnObject }
        guard !array.isEmpty else { throw .emptyBatch }
        guard array.count <= maxItems else { throw .batchTooLarge(count: array.count, limit: maxItems) }
        var inputs: [WhaleInput] = []
        inputs.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let object = element.objectValue else { throw .item(index: index, .notAnObject) }
            do {
                inputs.append(try parse(object: object, now: now))
            } catch {
                throw .item(index: index, error)
            }
        }
        return WhaleInputBatch(inputs: inputs, isArray: true)
    }

    /// The ingest JSON of this item (what the simulator queues).
    public var json: JSONValue {
        switch self {
        case .transfer(let t):
            var object: [String: JSONValue] = [
                "kind": "transfer", "token": .string(t.token), "amount": .number(t.amount), "from": .string(t.from),
                "to": .string(t.to), "txHash": .string(t.txHash), "timestamp": .int(t.timestamp),
            ]
            if let price = t.priceUSD { object["priceUSD"] = .number(price) }
            return .object(object)
        case .price(let p):
            var object: [String: JSONValue] = [
                "kind": "price", "token": .string(p.token), "price": .number(p.price), "timestamp": .int(p.timestamp),
            ]
            if let volume = p.volume24h { object["volume24h"] = .number(volume) }
            return .object(object)
        }
    }

    /// `0x`-prefixed hexadecimal hashes are case-insensitive: they are lower-cased so that one
    /// transaction always has one key. Other hashes (base58 signatures) are case-sensitive and kept.
    public static func normalizeHash(_ hash: String) -> String {
        let utf8 = hash.utf8
        guard utf8.count > 2, hash.hasPrefix("0x") || hash.hasPrefix("0X"),
            utf8.dropFirst(2).allSatisfy({ isHexDigit($0) })
        else { return hash }
        return hash.lowercased()
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    // MARK: Field readers

    private static func present(_ value: JSONValue?) -> Bool {
        guard let value else { return false }
        return !value.isNull
    }

    private static func optionalNumber(_ object: [String: JSONValue], _ field: String) throws(WhaleInputError) -> Double? {
        guard let value = object[field], present(value) else { return nil }
        guard let number = value.numberValue else { throw .wrongType(field: field, expected: "number") }
        return number
    }

    private static func requiredNumber(_ object: [String: JSONValue], _ field: String) throws(WhaleInputError) -> Double {
        guard let number = try optionalNumber(object, field) else { throw .missingField(field: field) }
        return number
    }

    private static func optionalString(_ object: [String: JSONValue], _ field: String) throws(WhaleInputError) -> String? {
        guard let value = object[field], present(value) else { return nil }
        guard let string = value.stringValue else { throw .wrongType(field: field, expected: "string") }
        return string
    }

    /// A required address or hash: 1–128 characters, none of them whitespace or control characters.
    private static func identifier(_ object: [String: JSONValue], _ field: String) throws(WhaleInputError) -> String {
        guard let value = try optionalString(object, field) else { throw .missingField(field: field) }
        let scalars = value.unicodeScalars
        guard (1...maxIdentifierLength).contains(scalars.count),
            scalars.allSatisfy({ !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F })
        else {
            throw .invalidField(
                field: field, reason: "must be 1–\(maxIdentifierLength) characters without whitespace or control characters")
        }
        return value
    }

    private static func parseToken(_ object: [String: JSONValue]) throws(WhaleInputError) -> String {
        guard let raw = try optionalString(object, "token") else { throw .missingField(field: "token") }
        guard let token = TokenSymbol.normalize(raw) else {
            throw .invalidField(field: "token", reason: "must match ^[A-Z0-9]{1,15}$ after uppercasing")
        }
        return token
    }

    private static func parseTimestamp(_ object: [String: JSONValue], now: Int64) throws(WhaleInputError) -> Int64 {
        guard let value = object["timestamp"], present(value) else { throw .missingField(field: "timestamp") }
        guard let number = value.numberValue else { throw .wrongType(field: "timestamp", expected: "integer") }
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
