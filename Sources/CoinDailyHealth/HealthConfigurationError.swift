/// A ``HealthConfiguration`` field out of range.
public enum HealthConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `field` is wrong; `reason` completes the sentence.
    case invalid(field: String, reason: String)

    /// `probeInterval must be at least 10 ms`.
    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field) \(reason)"
        }
    }
}
