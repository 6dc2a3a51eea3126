/// Why a ``WhaleConfiguration`` was refused by ``WhaleConfiguration/validate()``.
public enum WhaleConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field has an unusable value; `reason` completes "`field` …".
    case invalid(field: String, reason: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field) \(reason)"
        }
    }
}
