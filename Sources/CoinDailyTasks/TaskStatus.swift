/// Where an AI task is in its lifecycle: `queued → processing → completed | failed | cancelled`.
///
/// A queued task may also go straight to `cancelled` or `failed`; `completed`, `failed` and
/// `cancelled` are final. A status may repeat (`processing` → `processing` with more progress).
public enum TaskStatus: String, Sendable, CaseIterable, Hashable, Codable {
    /// Waiting for an agent.
    case queued
    /// An agent is working on it.
    case processing
    /// Finished successfully (final).
    case completed
    /// Finished with an error (final).
    case failed
    /// Stopped before finishing (final).
    case cancelled

    /// Whether nothing may follow this status (except an identical repeat, which is ignored).
    public var isTerminal: Bool {
        switch self {
        case .queued, .processing: false
        case .completed, .failed, .cancelled: true
        }
    }

    /// The statuses a task in this status may move to (itself included while not terminal).
    public var successors: [TaskStatus] {
        switch self {
        case .queued: [.queued, .processing, .failed, .cancelled]
        case .processing: [.processing, .completed, .failed, .cancelled]
        case .completed, .failed, .cancelled: []
        }
    }

    /// Whether a task in this status may move to `next`.
    public func canMove(to next: TaskStatus) -> Bool { successors.contains(next) }

    /// The accepted names, for error messages: `queued, processing, completed, failed, cancelled`.
    public static var acceptedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
