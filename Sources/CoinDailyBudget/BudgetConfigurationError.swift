/// A ``BudgetConfiguration`` value out of range.
public enum BudgetConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason.
    case invalid(String)

    /// The reason, for the command line.
    public var description: String {
        switch self {
        case .invalid(let reason): reason
        }
    }
}
