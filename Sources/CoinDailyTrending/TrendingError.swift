/// Why a ranking run did not publish.
public enum TrendingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Redis could not be read or written; the run is retried at the next interval.
    case unavailable(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .unavailable(let message): "Redis unavailable: \(message)"
        }
    }
}
