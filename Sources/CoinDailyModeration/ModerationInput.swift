import CoinDailyProtocol
import NIOCore

/// One moderation ingest item: a violation report or a status change.
///
/// The JSON shapes (a `POST /v1/ingest` body, or the `payload` field of an entry of the stream
/// `cd:ingest:moderation`; one object or an array) are:
///
/// ```json
/// {"kind": "report", "violationId": "v-1", "userId": "u-7", "contentType": "post", "violationType": "spam",
///  "severity": "high", "confidence": 0.93, "timestamp": 1700000000000}
/// {"kind": "status", "violationId": "v-1", "status": "under_review"}
/// ```
///
/// `kind` is optional: without it, an object with a `status` key is a status change and anything
/// else is a report. Unknown keys are ignored; a JSON `null` counts as absent.
public enum ModerationInput: Sendable, Hashable {
    /// A new violation.
    case report(ViolationReport)
    /// A moderator's decision.
    case statusChange(ModerationStatusChange)

    /// The violation the item is about.
    public var violationId: String {
        switch self {
        case .report(let report): report.violationId
        case .statusChange(let change): change.violationId
        }
    }

    /// Longest `violationId` and `userId` (characters): 128.
    public static let maxIdLength = 128
    /// Longest `contentType` and `violationType` (characters): 64.
    public static let maxTypeLength = 64
    /// How far after `now` a report's `timestamp` may lie: 300 000 ms (5 minutes). A far-future
    /// timestamp would sort the report behind every later one of its severity and confidence.
    public static let maxFutureSkewMilliseconds: Int64 = 300_000

    /// Parses an ingest body: one JSON object or an array of them, every element validated before
    /// anything is returned.
    ///
    /// - Parameters:
    ///   - bytes: the body.
    ///   - now: Unix ms, the default `timestamp` of reports.
    ///   - maxItems: the largest array accepted.
    /// - Returns: the items, and whether the body was an array (errors then carry an index).
    public static func parseBatch(
        _ bytes: ByteBuffer, now: Int64, maxItems: Int
    ) throws(ModerationInputError) -> (items: [ModerationInput], isArray: Bool) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw .malformedJSON
        }
        if case .object = root {
            return ([try parse(root, now: now)], false)
        }
        guard let array = root.arrayValue else { throw .notAnObject }
        guard !array.isEmpty else { throw .emptyBatch }
        guard array.count <= maxItems else { throw .batchTooLarge(count: array.count, limit: maxItems) }
        var items: [ModerationInput] = []
        items.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            do {
                items.append(try parse(element, now: now))
            } catch {
                throw .item(index: index, error)
            }
        }
        return (items, true)
    }

    /// Parses one item (a JSON object).
    ///
    /// Checks, in this order: `kind` (`report` or `status`), `violationId`; for reports `userId`,
    /// `contentType`, `violationType`, `severity` (`low`, `medium`, `high`, `critical`, any case),
    /// `confidence` (a number in [0, 1]) and the optional `timestamp` (a non-negative integer of Unix
    /// ms, at most ``maxFutureSkewMilliseconds`` after `now`, default `now`); for status changes
    /// `status` (`under_review`, `confirmed` or `false_positive`, any case).
    public static func parse(_ value: JSONValue, now: Int64) throws(ModerationInputError) -> ModerationInput {
        guard let object = value.objectValue else { throw .notAnObject }
        let isStatus: Bool
        if let kind = try optionalString(object, "kind") {
            switch kind.lowercased() {
            case "report": isStatus = false
            case "status": isStatus = true
            default: throw .invalidField(field: "kind", reason: "must be \"report\" or \"status\"")
            }
        } else {
            isStatus = present(object["status"])
        }
        let violationId = try requiredText(object, "violationId", maxLength: maxIdLength)
        if isStatus {
            guard let raw = try optionalString(object, "status") else { throw .missingField(field: "status") }
            guard let status = ModerationStatus(rawValue: raw.lowercased()), status != .pending else {
                throw .invalidField(
                    field: "status", reason: "must be one of \(ModerationStatus.settable.map(\.rawValue).joined(separator: ", "))")
            }
            return .statusChange(ModerationStatusChange(violationId: violationId, status: status))
        }
        let userId = try requiredText(object, "userId", maxLength: maxIdLength)
        let contentType = try requiredText(object, "contentType", maxLength: maxTypeLength)
        let violationType = try requiredText(object, "violationType", maxLength: maxTypeLength)
        guard let severityName = try optionalString(object, "severity") else { throw .missingField(field: "severity") }
        guard let severity = Severity(rawValue: severityName.lowercased()) else {
            throw .invalidField(field: "severity", reason: "must be one of low, medium, high, critical")
        }
        guard let confidence = try optionalNumber(object, "confidence") else { throw .missingField(field: "confidence") }
        guard confidence.isFinite, confidence >= 0, confidence <= 1 else {
            throw .invalidField(field: "confidence", reason: "must be a number in [0, 1]")
        }
        let timestamp = try parseTimestamp(object, now: now)
        return .report(
            ViolationReport(
                violationId: violationId, userId: userId, contentType: contentType, violationType: violationType,
                severity: severity, confidence: confidence, timestamp: timestamp))
    }

    // MARK: Field readers

    private static func present(_ value: JSONValue?) -> Bool {
        guard let value else { return false }
        return !value.isNull
    }

    private static func optionalString(_ object: [String: JSONValue], _ field: String) throws(ModerationInputError) -> String? {
        guard let value = object[field], present(value) else { return nil }
        guard let string = value.stringValue else { throw .wrongType(field: field, expected: "string") }
        return string
    }

    private static func requiredText(
        _ object: [String: JSONValue], _ field: String, maxLength: Int
    ) throws(ModerationInputError) -> String {
        guard let text = try optionalString(object, field) else { throw .missingField(field: field) }
        guard (1...maxLength).contains(text.count) else {
            throw .invalidField(field: field, reason: "must be 1 to \(maxLength) characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidField(field: field, reason: "must not contain control characters")
        }
        return text
    }

    private static func optionalNumber(_ object: [String: JSONValue], _ field: String) throws(ModerationInputError) -> Double? {
        guard let value = object[field], present(value) else { return nil }
        guard let number = value.numberValue else { throw .wrongType(field: field, expected: "number") }
        return number
    }

    private static func parseTimestamp(_ object: [String: JSONValue], now: Int64) throws(ModerationInputError) -> Int64 {
        guard let value = object["timestamp"], present(value) else { return now }
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

extension ModerationInput {
    /// The ingest JSON of this item (with `kind`), as the simulator writes it.
    public var json: JSONValue {
        switch self {
        case .report(let r):
            [
                "kind": "report", "violationId": .string(r.violationId), "userId": .string(r.userId),
                "contentType": .string(r.contentType), "violationType": .string(r.violationType),
                "severity": .string(r.severity.rawValue), "confidence": .number(r.confidence), "timestamp": .int(r.timestamp),
            ]
        case .statusChange(let c):
            ["kind": "status", "violationId": .string(c.violationId), "status": .string(c.status.rawValue)]
        }
    }
}
