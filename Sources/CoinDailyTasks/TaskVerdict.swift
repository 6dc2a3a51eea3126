/// What the state machine makes of an acceptable task event.
public enum TaskVerdict: Sendable, Equatable, Hashable {
    /// Apply it: the task's record becomes this, and the event is published.
    case apply(TaskRecord)
    /// A repeat of the final status the task already has (a redelivery): accepted, nothing changes,
    /// nothing is published.
    case duplicate
}
