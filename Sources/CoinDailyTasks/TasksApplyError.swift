/// Why a batch was not applied (nothing of it was).
public enum TasksApplyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An item breaks a state rule (400, or a dead letter on the stream path).
    case rejected(TasksRuleViolation)
    /// Redis could not run the script (503; the stream entry stays pending).
    case unavailable(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .rejected(let violation): violation.description
        case .unavailable(let message): message
        }
    }
}
