extension SubscriptionFilter {
    /// The filter as JSON, to keep a connection's subscriptions in Redis (Socket.IO connection state
    /// recovery): `{"kind","keys"?,"minAmount"?,"minSeverity"?}`.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        if let keys { object["keys"] = .strings(keys.sorted()) }
        if let minAmount { object["minAmount"] = .number(minAmount) }
        if let minSeverity { object["minSeverity"] = .string(minSeverity.rawValue) }
        return .object(object)
    }

    /// A filter back from ``json``; `nil` when the JSON is not one.
    public init?(json: JSONValue) {
        guard let kind = json["kind"]?.stringValue.flatMap(ChannelKind.init(rawValue:)) else { return nil }
        let keys = json["keys"]?.arrayValue?.compactMap(\.stringValue)
        var request = SubscriptionRequest()
        if let keys, let first = keys.first {
            switch kind {
            case .marketSentiment, .whaleActivity: request.tokens = keys
            case .taskUpdates: request.taskId = first
            case .pipelineUpdates: request.pipelineId = first
            case .budgetAlerts: request.agentId = first
            case .trendingMemecoins: request.timeframes = keys
            case .moderationQueue, .systemHealth: break
            }
        }
        request.minAmount = json["minAmount"]?.numberValue
        request.severity = json["minSeverity"]?.stringValue.flatMap(Severity.init(rawValue:))
        self.init(kind: kind, request: request)
        // Single-key kinds took one key above; add the others.
        if let keys, keys.count > 1, [.taskUpdates, .pipelineUpdates, .budgetAlerts].contains(kind) {
            for key in keys.dropFirst() {
                var more = SubscriptionRequest(minAmount: request.minAmount, severity: request.severity)
                switch kind {
                case .taskUpdates: more.taskId = key
                case .pipelineUpdates: more.pipelineId = key
                default: more.agentId = key
                }
                merge(more)
            }
        }
    }
}
