import CoinDailyProducer

/// Why an ingest payload was rejected by ``SentimentInput``'s parsers.
///
/// Field errors name the JSON key exactly (`"score"`, `"token"`, …). Errors inside a JSON array
/// are wrapped in ``item(index:_:)`` with the zero-based position of the offending element, so
/// a client can tell which element to fix. ``description`` renders a one-line message suitable
/// for an HTTP 400 body.
public enum SentimentInputError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The bytes are not valid JSON.
    case malformedJSON(reason: String)
    /// A value that must be a JSON object (the top level, or an array element) is not one.
    case notAnObject
    /// A required field is absent (or `null`).
    case missingField(field: String)
    /// A field has the wrong JSON type, e.g. a string or a boolean where a number is required.
    /// `expected` is `"number"`, `"string"` or `"integer"`.
    case wrongType(field: String, expected: String)
    /// A field has the right type but an unacceptable value; `reason` completes the sentence
    /// "`field` …", e.g. `invalidField(field: "score", reason: "must be a number in [-1, 1]")`.
    case invalidField(field: String, reason: String)
    /// The payload is an empty JSON array.
    case emptyBatch
    /// The payload is an array with more than `limit` elements.
    case batchTooLarge(count: Int, limit: Int)
    /// Element `index` (zero-based) of a JSON array is invalid for the wrapped reason.
    indirect case item(index: Int, _ error: SentimentInputError)

    /// The JSON field the error is about, looking through ``item(index:_:)``; `nil` for errors
    /// about the payload as a whole.
    public var field: String? {
        switch self {
        case .missingField(let field), .wrongType(let field, _), .invalidField(let field, _):
            field
        case .item(_, let error):
            error.field
        case .malformedJSON, .notAnObject, .emptyBatch, .batchTooLarge:
            nil
        }
    }

    /// The zero-based array index for ``item(index:_:)``, otherwise `nil`.
    public var itemIndex: Int? {
        if case .item(let index, _) = self { index } else { nil }
    }

    /// A one-line human-readable message, e.g. `item 2: score must be a number in [-1, 1]`.
    public var description: String {
        switch self {
        case .malformedJSON(let reason):
            "malformed JSON: \(reason)"
        case .notAnObject:
            "expected a JSON object"
        case .missingField(let field):
            "\(field) is required"
        case .wrongType(let field, let expected):
            IngestInputError.wrongTypeMessage(field: field, expected: expected)
        case .invalidField(let field, let reason):
            "\(field) \(reason)"
        case .emptyBatch:
            "the array is empty"
        case .batchTooLarge(let count, let limit):
            "the array has \(count) items, more than the limit of \(limit)"
        case .item(let index, let error):
            "item \(index): \(error.description)"
        }
    }
}
