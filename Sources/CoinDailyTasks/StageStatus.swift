/// Where one stage of a content pipeline is: `pending → processing → completed | failed`.
///
/// A pending stage may also go straight to `completed` or `failed`; `completed` and `failed` are
/// final for that stage. A status may repeat (`processing` → `processing` with more progress).
public enum StageStatus: String, Sendable, CaseIterable, Hashable, Codable {
    /// Not started.
    case pending
    /// Running.
    case processing
    /// Done (final).
    case completed
    /// Failed (final); the pipeline is then `failed`.
    case failed

    /// Whether nothing may follow this status (except an identical repeat, which is ignored).
    public var isTerminal: Bool { self == .completed || self == .failed }

    /// The statuses a stage in this status may move to (itself included while not terminal).
    public var successors: [StageStatus] {
        switch self {
        case .pending: [.pending, .processing, .completed, .failed]
        case .processing: [.processing, .completed, .failed]
        case .completed, .failed: []
        }
    }

    /// Whether a stage in this status may move to `next`.
    public func canMove(to next: StageStatus) -> Bool { successors.contains(next) }

    /// The accepted names, for error messages.
    public static var acceptedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
