/// Decides which reports are published, and keeps the ones that could not be.
///
/// - A report is published when its ``HealthReport/signature`` differs from the previous report's (a
///   change), or when the last publication is `publishInterval` old (periodic).
/// - While Redis is unreachable nothing can be published: each *change* (typically the `down` report
///   itself) goes to a bounded outbox instead (the oldest dropped beyond `outboxCapacity`). The next
///   time Redis answers, the outbox is published first, in order and with the original timestamps,
///   followed by the current report: subscribers learn that the system was down, and since when.
/// - A batch whose publication failed goes back to the outbox.
public struct HealthEmitter: Sendable, Equatable {
    /// Least time between two publications without a change (ms).
    public let publishIntervalMs: Int64
    /// Most reports kept in the outbox.
    public let outboxCapacity: Int
    /// Reports waiting for Redis, oldest first.
    public private(set) var outbox: [HealthReport] = []
    /// Reports dropped from a full outbox.
    public private(set) var dropped = 0
    private var lastSignature: HealthSignature?
    private var lastPublishedAt: Int64?

    /// Creates an emitter.
    public init(publishIntervalMs: Int64, outboxCapacity: Int) {
        self.publishIntervalMs = publishIntervalMs
        self.outboxCapacity = max(1, outboxCapacity)
    }

    /// Creates an emitter from the configuration.
    public init(configuration: HealthConfiguration) {
        self.init(publishIntervalMs: configuration.publishInterval.milliseconds, outboxCapacity: configuration.outboxCapacity)
    }

    /// Takes the report of a probe; returns what to publish now (outbox first), possibly nothing.
    /// After publishing, call ``published(_:)`` or ``failed(_:)`` with the batch.
    public mutating func offer(_ report: HealthReport, redisReachable: Bool) -> [HealthReport] {
        let changed = report.signature != lastSignature
        lastSignature = report.signature
        guard redisReachable else {
            if changed { enqueue(report) }
            return []
        }
        let periodic = lastPublishedAt.map { report.timestamp - $0 >= publishIntervalMs } ?? true
        guard changed || periodic || !outbox.isEmpty else { return [] }
        let batch = outbox + [report]
        outbox = []
        return batch
    }

    /// The batch was published.
    public mutating func published(_ batch: [HealthReport]) {
        if let last = batch.last { lastPublishedAt = last.timestamp }
    }

    /// The batch could not be published: it waits in the outbox for the next attempt.
    public mutating func failed(_ batch: [HealthReport]) {
        for report in batch { enqueue(report) }
    }

    private mutating func enqueue(_ report: HealthReport) {
        outbox.append(report)
        if outbox.count > outboxCapacity {
            let excess = outbox.count - outboxCapacity
            outbox.removeFirst(excess)
            dropped += excess
        }
    }
}
