/// Why a ``SentimentConfiguration`` was rejected by ``SentimentConfiguration/validate()``.
public enum SentimentConfigurationError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The property `field` has an unusable value; `reason` completes the sentence "`field` …".
    case invalidValue(field: String, reason: String)

    /// A one-line message, e.g. `halfLife must be > 0`.
    public var description: String {
        switch self {
        case .invalidValue(let field, let reason): "\(field) \(reason)"
        }
    }
}
