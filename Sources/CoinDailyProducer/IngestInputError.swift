/// Why an ingest payload was rejected by a producer's parser (before any state is consulted).
///
/// Field errors name the JSON key exactly (`"status"`, `"stage.progress"`, `"cost"`, …). Errors inside a JSON
/// array are wrapped in ``item(index:_:)`` with the zero-based position of the offending element.
/// ``description`` renders a one-line message for an HTTP 400 body.
public enum IngestInputError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The bytes are not valid JSON.
    case malformedJSON
    /// A value that must be a JSON object (the top level, an array element, a nested object) is not one.
    case notAnObject(field: String?)
    /// A required field is absent (or `null`).
    case missingField(field: String)
    /// A field has the wrong JSON type; `expected` is `"number"`, `"string"`, `"integer"` or `"object"`.
    case wrongType(field: String, expected: String)
    /// A field has the right type but an unacceptable value; `reason` completes "`field` …".
    case invalidField(field: String, reason: String)
    /// The payload is an empty JSON array.
    case emptyBatch
    /// The payload is an array with more than `limit` elements.
    case batchTooLarge(count: Int, limit: Int)
    /// Element `index` (zero-based) of a JSON array is invalid for the wrapped reason.
    indirect case item(index: Int, _ error: IngestInputError)

    /// The JSON field the error is about, looking through ``item(index:_:)``; `nil` for errors about
    /// the payload as a whole.
    public var field: String? {
        switch self {
        case .missingField(let field), .wrongType(let field, _), .invalidField(let field, _): field
        case .notAnObject(let field): field
        case .item(_, let error): error.field
        case .malformedJSON, .emptyBatch, .batchTooLarge: nil
        }
    }

    /// The zero-based array index for ``item(index:_:)``, otherwise `nil`.
    public var itemIndex: Int? {
        if case .item(let index, _) = self { index } else { nil }
    }

    /// "`field` must be a number" / "… an integer": the wording every producer's parser uses for a wrong JSON type.
    public static func wrongTypeMessage(field: String, expected: String) -> String {
        let article = expected.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        return "\(field) must be \(article) \(expected)"
    }

    /// A one-line message, e.g. `item 2: period must be one of daily, weekly, monthly`.
    public var description: String {
        switch self {
        case .malformedJSON: "malformed JSON"
        case .notAnObject(let field): field.map { "\($0) must be an object" } ?? "expected a JSON object"
        case .missingField(let field): "\(field) is required"
        case .wrongType(let field, let expected): Self.wrongTypeMessage(field: field, expected: expected)
        case .invalidField(let field, let reason): "\(field) \(reason)"
        case .emptyBatch: "the array is empty"
        case .batchTooLarge(let count, let limit): "the array has \(count) items, more than the limit of \(limit)"
        case .item(let index, let error): "item \(index): \(error.description)"
        }
    }
}
