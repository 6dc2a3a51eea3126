/// The kinds of subscription a client can make, one per `subscribe_*` event.
///
/// `trendingMemecoins` is an extension: the spec lists `trending_memecoins_update` but no event to
/// subscribe to it (see `docs/protocol.md`).
public enum ChannelKind: String, Sendable, CaseIterable, Hashable {
    case marketSentiment = "market_sentiment"
    case whaleActivity = "whale_activity"
    case taskUpdates = "task_updates"
    case pipelineUpdates = "pipeline_updates"
    case budgetAlerts = "budget_alerts"
    case moderationQueue = "moderation_queue"
    case systemHealth = "system_health"
    case trendingMemecoins = "trending_memecoins"

    /// Position in `allCases` (0–7), for array-indexed lookups on hot paths.
    @inline(__always)
    public var index: Int {
        switch self {
        case .marketSentiment: 0
        case .whaleActivity: 1
        case .taskUpdates: 2
        case .pipelineUpdates: 3
        case .budgetAlerts: 4
        case .moderationQueue: 5
        case .systemHealth: 6
        case .trendingMemecoins: 7
        }
    }

    /// The client event that subscribes, e.g. `subscribe_market_sentiment`.
    public var subscribeEvent: String { "subscribe_" + rawValue }

    /// The client event that unsubscribes, e.g. `unsubscribe_market_sentiment`.
    public var unsubscribeEvent: String { "unsubscribe_" + rawValue }

    /// The server event this channel delivers.
    public var updateEvent: String {
        switch self {
        case .marketSentiment: "market_sentiment_update"
        case .whaleActivity: "whale_activity_alert"
        case .taskUpdates: "task_status_update"
        case .pipelineUpdates: "pipeline_progress_update"
        case .budgetAlerts: "budget_alert"
        case .moderationQueue: "moderation_queue_update"
        case .systemHealth: "system_health_update"
        case .trendingMemecoins: "trending_memecoins_update"
        }
    }

    /// Roles allowed to subscribe (`nil`: any authenticated user), from the contract's role table.
    ///
    /// Task updates are open to every user but scoped: a user only ever receives their own tasks,
    /// and only `admin` receives everyone's.
    public var allowedRoles: Set<Role>? {
        switch self {
        case .marketSentiment, .whaleActivity, .trendingMemecoins, .taskUpdates: nil
        case .pipelineUpdates: [.editor, .admin]
        case .budgetAlerts: [.admin]
        case .moderationQueue: [.moderator, .admin]
        case .systemHealth: [.admin]
        }
    }

    /// Whether a holder of `roles` may subscribe to this kind.
    public func isAllowed(for roles: Set<String>) -> Bool {
        guard let allowed = allowedRoles else { return true }
        return allowed.contains { roles.contains($0.rawValue) }
    }

    private static let bySubscribeEvent: [String: ChannelKind] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.subscribeEvent, $0) })
    private static let byUnsubscribeEvent: [String: ChannelKind] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.unsubscribeEvent, $0) })
    private static let byUpdateEvent: [String: ChannelKind] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.updateEvent, $0) })

    /// The kind whose subscribe event is `event`.
    public init?(subscribeEvent event: String) {
        guard let kind = Self.bySubscribeEvent[event] else { return nil }
        self = kind
    }

    /// The kind whose unsubscribe event is `event`.
    public init?(unsubscribeEvent event: String) {
        guard let kind = Self.byUnsubscribeEvent[event] else { return nil }
        self = kind
    }

    /// The kind whose server event is `event`.
    public init?(updateEvent event: String) {
        guard let kind = Self.byUpdateEvent[event] else { return nil }
        self = kind
    }
}
