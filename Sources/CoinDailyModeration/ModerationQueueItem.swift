import CoinDailyProtocol

/// One violation as stored in Redis, with its current queue position (for reads and tests).
public struct ModerationQueueItem: Sendable, Equatable {
    /// The report.
    public var report: ViolationReport
    /// The current status.
    public var status: ModerationStatus
    /// 1-based position in the queue; 0 when the item is not queued (final status).
    public var queuePosition: Int

    /// Creates an item.
    public init(report: ViolationReport, status: ModerationStatus, queuePosition: Int) {
        self.report = report
        self.status = status
        self.queuePosition = queuePosition
    }
}
