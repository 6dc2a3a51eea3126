/// One connection's subscription to one ``ChannelKind``: which events of that kind it receives.
///
/// Subscribing again to the same kind widens the key set (tokens, task ids, …) and replaces the
/// thresholds (`minAmount`, `severity`); see `docs/protocol.md`.
public struct SubscriptionFilter: Sendable, Equatable {
    /// The kind.
    public let kind: ChannelKind
    /// Keys taken (tokens, task ids, pipeline ids, agent ids, timeframes); `nil` means all.
    public private(set) var keys: Set<String>?
    /// Whale activity: the minimum `amountUSD`.
    public private(set) var minAmount: Double?
    /// Moderation: the minimum severity.
    public private(set) var minSeverity: Severity?

    /// A filter from a first subscription request.
    public init(kind: ChannelKind, request: SubscriptionRequest) {
        self.kind = kind
        self.keys = Self.keys(of: request, kind: kind)
        self.minAmount = request.minAmount
        self.minSeverity = request.severity
    }

    /// The keys a request names, or `nil` for "all of this kind".
    public static func keys(of request: SubscriptionRequest, kind: ChannelKind) -> Set<String>? {
        switch kind {
        case .marketSentiment, .whaleActivity: request.tokens.map(Set.init)
        case .taskUpdates: request.taskId.map { [$0] }
        case .pipelineUpdates: request.pipelineId.map { [$0] }
        case .budgetAlerts: request.agentId.map { [$0] }
        case .trendingMemecoins: request.timeframes.map(Set.init)
        case .moderationQueue, .systemHealth: nil
        }
    }

    /// Adds a later subscription request of the same kind.
    public mutating func merge(_ request: SubscriptionRequest) {
        let newKeys = Self.keys(of: request, kind: kind)
        if let current = keys, let newKeys {
            keys = current.union(newKeys)
        } else {
            keys = nil
        }
        if kind == .whaleActivity { minAmount = request.minAmount }
        if kind == .moderationQueue { minSeverity = request.severity }
    }

    /// Removes the keys an unsubscribe request names; returns whether anything is left.
    public mutating func remove(_ request: SubscriptionRequest) -> Bool {
        guard let removing = Self.keys(of: request, kind: kind) else { return false }
        guard let current = keys else { return true }
        keys = current.subtracting(removing)
        return !(keys!.isEmpty)
    }

    /// Whether an event with these attributes passes the filter.
    @inline(__always)
    public func matches(_ attributes: EventAttributes) -> Bool {
        switch kind {
        case .marketSentiment:
            guard let keys else { return true }
            return attributes.token.map(keys.contains) ?? false
        case .whaleActivity:
            if let keys, !(attributes.token.map(keys.contains) ?? false) { return false }
            if let minAmount, (attributes.amountUSD ?? 0) < minAmount { return false }
            return true
        case .taskUpdates:
            guard let keys else { return true }
            return attributes.taskId.map(keys.contains) ?? false
        case .pipelineUpdates:
            guard let keys else { return true }
            return attributes.pipelineId.map(keys.contains) ?? false
        case .budgetAlerts:
            guard let keys else { return true }
            return attributes.agentId.map(keys.contains) ?? false
        case .moderationQueue:
            guard let minSeverity else { return true }
            return (attributes.severity ?? .low) >= minSeverity
        case .systemHealth:
            return true
        case .trendingMemecoins:
            guard let keys else { return true }
            return attributes.timeframe.map(keys.contains) ?? false
        }
    }
}
