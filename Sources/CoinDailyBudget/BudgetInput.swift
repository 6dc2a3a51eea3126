import CoinDailyProducer
import CoinDailyProtocol
import NIOCore

/// One ingest item of the budget producer: a spend record or a budget limit.
///
/// The kinds are told apart by an explicit `kind` (`"spend"` or `"limit"`, case-insensitive) when
/// present; without `kind`, an object with a `budgetLimitId` key is a limit and anything else a spend
/// record. Unknown keys are ignored; a JSON `null` counts as absent.
public enum BudgetInput: Sendable, Equatable, Hashable {
    /// A spend record.
    case spend(SpendRecord)
    /// A budget limit to create or replace.
    case limit(BudgetLimit)

    /// The default largest number of items of one body: 1000.
    public static let defaultMaxBatchItems = 1000

    /// Parses one item from a JSON object.
    ///
    /// Spend records: `agentId` (required identifier: 1–128 characters, no control characters), `cost`
    /// (required finite number >= 0), `timestamp` (required integer Unix ms, at most `maxFutureSkew` ms
    /// after `now` and at most `maxAge` ms before it), `spendId` (optional identifier).
    /// Limits: `budgetLimitId` (required identifier), `agentId` (optional identifier), `amount` (required
    /// finite number > 0), `period` (required: `daily`, `weekly` or `monthly`).
    public static func parse(
        object: [String: JSONValue], now: Int64, maxFutureSkew: Int64, maxAge: Int64
    ) throws(BudgetInputError) -> BudgetInput {
        let reader = JSONObjectReader(object)
        let isLimit: Bool
        if let kind = try reader.optionalString("kind") {
            switch kind.lowercased() {
            case "spend": isLimit = false
            case "limit": isLimit = true
            default: throw .invalidField(field: "kind", reason: "must be \"spend\" or \"limit\"")
            }
        } else {
            isLimit = reader.has("budgetLimitId")
        }
        if isLimit {
            return .limit(try parseLimit(reader, id: try reader.identifier("budgetLimitId")))
        }
        let spendId = try reader.optionalString("spendId")
        if let spendId { try JSONObjectReader.checkIdentifier(spendId, field: "spendId") }
        let agentId = try reader.identifier("agentId")
        let cost = try reader.requiredNumber("cost")
        guard cost.isFinite, cost >= 0 else { throw .invalidField(field: "cost", reason: "must be a finite number >= 0") }
        guard reader.has("timestamp") else { throw .missingField(field: "timestamp") }
        let timestamp = try reader.timestamp(now: now, maxFutureSkew: maxFutureSkew)
        guard timestamp >= now - maxAge else {
            throw .invalidField(field: "timestamp", reason: "must not be more than \(maxAge) ms in the past")
        }
        return .spend(SpendRecord(spendId: spendId, agentId: agentId, cost: cost, timestamp: timestamp))
    }

    /// Parses the fields of a limit other than its id (the body of `PUT /v1/limits/{id}` as well).
    static func parseLimit(_ reader: JSONObjectReader, id: String) throws(BudgetInputError) -> BudgetLimit {
        let agentId = try reader.optionalString("agentId")
        if let agentId { try JSONObjectReader.checkIdentifier(agentId, field: "agentId") }
        let amount = try reader.requiredNumber("amount")
        guard amount.isFinite, amount > 0 else { throw .invalidField(field: "amount", reason: "must be a finite number > 0") }
        let periodName = try reader.requiredString("period")
        guard let period = BudgetPeriod(rawValue: periodName) else {
            throw .invalidField(field: "period", reason: "must be one of \(BudgetPeriod.acceptedNames)")
        }
        return BudgetLimit(budgetLimitId: id, agentId: agentId, amount: amount, period: period)
    }

    /// Parses the body of `PUT /v1/limits/{budgetLimitId}`: `{agentId?, amount, period}`; a
    /// `budgetLimitId` in the body must equal the one in the path.
    public static func parseLimitBody(_ body: ByteBuffer, budgetLimitId: String) throws(BudgetInputError) -> BudgetLimit {
        try JSONObjectReader.checkIdentifier(budgetLimitId, field: "budgetLimitId")
        guard let value = try? JSONValue.parse(body) else { throw .malformedJSON }
        guard let object = value.objectValue else { throw .notAnObject(field: nil) }
        let reader = JSONObjectReader(object)
        if let id = try reader.optionalString("budgetLimitId"), id != budgetLimitId {
            throw .invalidField(field: "budgetLimitId", reason: "must match the id in the path (\(budgetLimitId))")
        }
        return try parseLimit(reader, id: budgetLimitId)
    }

    /// Parses an ingest body: one JSON object or an array of objects, every element validated before
    /// anything is returned. Errors inside an array are wrapped in ``BudgetInputError/item(index:_:)``.
    public static func parseBatch(
        _ body: ByteBuffer, now: Int64, configuration: BudgetConfiguration = BudgetConfiguration()
    ) throws(BudgetInputError) -> [BudgetInput] {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw .malformedJSON
        }
        let skew = configuration.maxFutureSkewMilliseconds
        let age = configuration.maxSpendAge.milliseconds
        if let object = root.objectValue {
            return [try parse(object: object, now: now, maxFutureSkew: skew, maxAge: age)]
        }
        guard let array = root.arrayValue else { throw .notAnObject(field: nil) }
        guard !array.isEmpty else { throw .emptyBatch }
        guard array.count <= configuration.maxBatchItems else {
            throw .batchTooLarge(count: array.count, limit: configuration.maxBatchItems)
        }
        var inputs: [BudgetInput] = []
        inputs.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let object = element.objectValue else { throw .item(index: index, .notAnObject(field: nil)) }
            do {
                inputs.append(try parse(object: object, now: now, maxFutureSkew: skew, maxAge: age))
            } catch {
                throw .item(index: index, error)
            }
        }
        return inputs
    }

    /// The item as ingest JSON (with an explicit `kind`), as the simulator queues it.
    public var json: JSONValue {
        switch self {
        case .spend(let s):
            var object: [String: JSONValue] = [
                "kind": "spend", "agentId": .string(s.agentId), "cost": .number(s.cost), "timestamp": .int(s.timestamp),
            ]
            if let id = s.spendId { object["spendId"] = .string(id) }
            return .object(object)
        case .limit(let l):
            guard case .object(var object) = l.json else { return l.json }
            object["kind"] = "limit"
            return .object(object)
        }
    }
}
