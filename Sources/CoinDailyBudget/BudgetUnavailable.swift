/// Redis could not do what the budget producer asked (503; a stream entry stays pending).
public struct BudgetUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates the error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
