import CoinDailyProtocol

/// What reading the history for one subscription gave (see `docs/delivery.md`).
enum ResumeOutcome: Sendable {
    /// A new subscription without `since`: the history's current position (the client's starting point).
    case fresh(position: EventID)
    /// Everything after `since` was replayed (`replayed` events); `position` is the history's position then.
    case recovered(position: EventID, replayed: Int)
    /// The history cannot give exactly what was missed (`reason`: `epoch`, `gap` or `limit`).
    case notRecovered(reason: String, position: EventID)
    /// The history could not be read: Redis did not answer in time, the gateway's Redis subscription is down
    /// (`history unavailable`), or there is no history (`history disabled`).
    case unavailable(reason: String)
    /// The subscription went (unsubscribed, or no longer allowed) while its history was read: nothing to
    /// deliver, nothing lost.
    case cancelled

    /// Whether nothing was lost.
    var isComplete: Bool {
        switch self {
        case .fresh, .recovered, .cancelled: true
        case .notRecovered, .unavailable: false
        }
    }

    /// The metric label.
    var label: String {
        switch self {
        case .fresh: "fresh"
        case .recovered: "recovered"
        case .notRecovered: "not_recovered"
        case .unavailable: "unavailable"
        case .cancelled: "cancelled"
        }
    }
}
