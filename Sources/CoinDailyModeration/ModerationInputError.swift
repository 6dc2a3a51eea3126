import CoinDailyProducer

/// Why a moderation ingest body was rejected. Nothing of a rejected body is applied.
///
/// Field errors name the JSON key exactly (`"severity"`, `"violationId"`, …); errors inside a JSON
/// array are wrapped in ``item(index:_:)`` with the zero-based position of the element.
/// ``description`` is the one-line message of the HTTP 400 body.
public enum ModerationInputError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The bytes are not valid JSON.
    case malformedJSON
    /// A value that must be a JSON object (the top level, or an array element) is not one.
    case notAnObject
    /// A required field is absent (or `null`).
    case missingField(field: String)
    /// A field has the wrong JSON type; `expected` is `"string"`, `"number"` or `"integer"`.
    case wrongType(field: String, expected: String)
    /// A field has the right type but an unacceptable value; `reason` completes "`field` …".
    case invalidField(field: String, reason: String)
    /// A status change names a violation that was never reported (or whose record has expired).
    case unknownViolation(violationId: String)
    /// A status change tries to move a violation away from a final status (`confirmed`, `false_positive`).
    case finalStatus(violationId: String, status: ModerationStatus)
    /// The body is an empty JSON array.
    case emptyBatch
    /// The body is an array with more than `limit` elements.
    case batchTooLarge(count: Int, limit: Int)
    /// Element `index` (zero-based) of a JSON array is invalid for the wrapped reason.
    indirect case item(index: Int, _ error: ModerationInputError)

    /// The JSON field the error is about (looking through ``item(index:_:)``); `nil` for the body as a whole.
    public var field: String? {
        switch self {
        case .missingField(let field), .wrongType(let field, _), .invalidField(let field, _): field
        case .unknownViolation: "violationId"
        case .finalStatus: "status"
        case .item(_, let error): error.field
        case .malformedJSON, .notAnObject, .emptyBatch, .batchTooLarge: nil
        }
    }

    /// The zero-based array index for ``item(index:_:)``, otherwise `nil`.
    public var itemIndex: Int? {
        if case .item(let index, _) = self { index } else { nil }
    }

    /// A one-line message, e.g. `item 2: violationId v-9 is not known`.
    public var description: String {
        switch self {
        case .malformedJSON: "malformed JSON"
        case .notAnObject: "expected a JSON object"
        case .missingField(let field): "\(field) is required"
        case .wrongType(let field, let expected): IngestInputError.wrongTypeMessage(field: field, expected: expected)
        case .invalidField(let field, let reason): "\(field) \(reason)"
        case .unknownViolation(let id): "violationId \(id) is not known (no report with this id)"
        case .finalStatus(let id, let status):
            "status cannot change: violation \(id) is already \(status.rawValue), a final status"
        case .emptyBatch: "the array is empty"
        case .batchTooLarge(let count, let limit): "the array has \(count) items, more than the limit of \(limit)"
        case .item(let index, let error): "item \(index): \(error.description)"
        }
    }
}
