/// The validated parameters of one `subscribe_*` / `unsubscribe_*` event.
///
/// Which fields apply depends on the ``ChannelKind``; the others stay `nil`.
public struct SubscriptionRequest: Equatable, Sendable {
    /// Token symbols, upper-cased and de-duplicated in order (market sentiment, whale activity).
    public var tokens: [String]?
    /// Minimum transfer size in USD (whale activity).
    public var minAmount: Double?
    /// One task (task updates).
    public var taskId: String?
    /// One pipeline (pipeline updates).
    public var pipelineId: String?
    /// One agent (budget alerts).
    public var agentId: String?
    /// Minimum severity, that severity and above (moderation queue).
    public var severity: Severity?
    /// Timeframes (trending memecoins): a subset of ``SubscriptionRequest/allTimeframes``.
    public var timeframes: [String]?
    /// The id of the last event the client saw of this subscription (`since`): the gateway replays what
    /// came after it from the history before going live. Not part of the filter.
    public var since: EventID?

    /// Creates a request; every field defaults to absent.
    public init(
        tokens: [String]? = nil, minAmount: Double? = nil, taskId: String? = nil, pipelineId: String? = nil,
        agentId: String? = nil, severity: Severity? = nil, timeframes: [String]? = nil
    ) {
        self.tokens = tokens
        self.minAmount = minAmount
        self.taskId = taskId
        self.pipelineId = pipelineId
        self.agentId = agentId
        self.severity = severity
        self.timeframes = timeframes
    }

    /// The trending timeframes, in order.
    public static let allTimeframes = ["1h", "4h", "24h", "7d"]

    /// The `subscription_confirmed` / `unsubscription_confirmed` data: `channel` plus the parameters taken.
    public func confirmationData(for kind: ChannelKind) -> JSONValue {
        var data: [String: JSONValue] = ["channel": .string(kind.rawValue)]
        if let tokens { data["tokens"] = .strings(tokens) }
        if let minAmount { data["minAmount"] = .number(minAmount) }
        if let taskId { data["taskId"] = .string(taskId) }
        if let pipelineId { data["pipelineId"] = .string(pipelineId) }
        if let agentId { data["agentId"] = .string(agentId) }
        if let severity { data["severity"] = .string(severity.rawValue) }
        if let timeframes { data["timeframes"] = .strings(timeframes) }
        return .object(data)
    }
}
