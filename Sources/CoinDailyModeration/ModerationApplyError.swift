/// Why ``ModerationQueueStore/apply(_:now:)`` changed nothing.
public enum ModerationApplyError: Error, Sendable, Equatable {
    /// Item `index` of the batch conflicts with the stored state (unknown violation, final status).
    case rejected(index: Int, ModerationInputError)
    /// Redis could not be reached or failed the script; the batch may be retried.
    case unavailable(String)
}
