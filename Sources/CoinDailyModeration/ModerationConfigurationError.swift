/// A ``ModerationConfiguration`` field out of range.
public enum ModerationConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `field` is wrong; `reason` completes the sentence.
    case invalid(field: String, reason: String)

    /// `maxShiftEvents must be in 0...10000`.
    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field) \(reason)"
        }
    }
}
