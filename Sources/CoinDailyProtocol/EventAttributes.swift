/// The few fields of an event's data that subscription filters look at, read once per message.
public struct EventAttributes: Sendable, Equatable {
    /// `token` (sentiment, whale).
    public var token: String?
    /// `amountUSD` (whale).
    public var amountUSD: Double?
    /// `taskId` (task updates).
    public var taskId: String?
    /// `userId` (task updates: the owner).
    public var userId: String?
    /// `pipelineId` (pipeline updates).
    public var pipelineId: String?
    /// `agentId` (budget alerts).
    public var agentId: String?
    /// `severity` (moderation queue).
    public var severity: Severity?
    /// `timeframe` (trending).
    public var timeframe: String?

    /// Creates attributes; every field defaults to absent.
    public init(
        token: String? = nil, amountUSD: Double? = nil, taskId: String? = nil, userId: String? = nil,
        pipelineId: String? = nil, agentId: String? = nil, severity: Severity? = nil, timeframe: String? = nil
    ) {
        self.token = token
        self.amountUSD = amountUSD
        self.taskId = taskId
        self.userId = userId
        self.pipelineId = pipelineId
        self.agentId = agentId
        self.severity = severity
        self.timeframe = timeframe
    }

    /// Reads the attributes of `data`.
    public init(data: JSONValue) {
        self.init(
            token: data["token"]?.stringValue,
            amountUSD: data["amountUSD"]?.numberValue,
            taskId: data["taskId"]?.stringValue,
            userId: data["userId"]?.stringValue,
            pipelineId: data["pipelineId"]?.stringValue,
            agentId: data["agentId"]?.stringValue,
            severity: data["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
            timeframe: data["timeframe"]?.stringValue)
    }
}
