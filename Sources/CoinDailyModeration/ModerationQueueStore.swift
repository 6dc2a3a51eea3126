import CoinDailyProtocol
import CoinDailyRedis
import Metrics
import NIOCore

/// The moderation queue in Redis: applies batches with ``ModerationQueueScript`` (state change and
/// events in one atomic step) and reads the queue back.
///
/// Holds no state of its own, so any number of producer instances may share one Redis, and a
/// restarted producer simply carries on.
public struct ModerationQueueStore: Sendable {
    private let redis: RedisClient
    private let configuration: ModerationConfiguration
    private let channel: String
    private let history: HistoryPolicy
    private let appliedCounter: Counter
    private let ignoredCounter: Counter
    private let publishedCounter: Counter

    /// Creates the store on `redis` (the commands client); `history` sets how much of the channel is kept for resume.
    public init(
        redis: RedisClient, configuration: ModerationConfiguration = .init(),
        history: HistoryPolicy = .defaultPolicy(for: .moderationQueue)
    ) {
        self.redis = redis
        self.history = history
        self.configuration = configuration
        self.channel = RedisKeys.eventChannel(.moderationQueue)
        self.appliedCounter = Counter(label: "coindaily_moderation_items_total", dimensions: [("result", "applied")])
        self.ignoredCounter = Counter(label: "coindaily_moderation_items_total", dimensions: [("result", "ignored")])
        self.publishedCounter = Counter(
            label: "coindaily_producer_events_published_total", dimensions: [("producer", "moderation")])
    }

    /// Applies validated `items` in order and publishes their `moderation_queue_update` events, all
    /// or nothing.
    ///
    /// - Parameter now: Unix ms: the events' `timestamp`.
    /// - Throws: ``ModerationApplyError/rejected(index:_:)`` (nothing applied) when a status change
    ///   names an unknown violation or leaves a final status; ``ModerationApplyError/unavailable(_:)``
    ///   when Redis is away.
    @discardableResult
    public func apply(_ items: [ModerationInput], now: Int64) async throws(ModerationApplyError) -> ModerationApplyOutcome {
        guard !items.isEmpty else { return ModerationApplyOutcome(applied: 0, ignored: 0, published: 0) }
        let command = ModerationQueueScript.command(
            items: items, now: now, channel: channel, configuration: configuration, history: history)
        let reply: RESPValue
        do {
            reply = try await redis.sendChecked(command)
        } catch {
            throw .unavailable("Redis unavailable: \(error)")
        }
        guard let fields = reply.array, let ok = fields.first?.int else {
            throw .unavailable("unexpected reply from the queue script: \(reply)")
        }
        if ok == 1, fields.count == 4, let applied = fields[1].int, let ignored = fields[2].int, let published = fields[3].int {
            appliedCounter.increment(by: Int(applied))
            ignoredCounter.increment(by: Int(ignored))
            publishedCounter.increment(by: Int(published))
            return ModerationApplyOutcome(applied: Int(applied), ignored: Int(ignored), published: Int(published))
        }
        if ok == 0, fields.count == 5, let index = fields[1].int, let code = fields[2].string, let id = fields[3].string {
            let error: ModerationInputError
            if code == "final", let status = fields[4].string.flatMap(ModerationStatus.init(rawValue:)) {
                error = .finalStatus(violationId: id, status: status)
            } else {
                error = .unknownViolation(violationId: id)
            }
            throw .rejected(index: Int(index), error)
        }
        throw .unavailable("unexpected reply from the queue script: \(reply)")
    }

    /// The violation ids in the queue, in order (position 1 first).
    public func queuedIds() async throws -> [String] {
        let reply = try await redis.sendChecked(["ZRANGE", ModerationKeys.queue, "0", "-1"])
        guard let members = reply.array else { throw RedisError.unexpectedReply("ZRANGE: \(reply)") }
        return members.compactMap { $0.string.map(ModerationSortKey.violationId(of:)) }
    }

    /// The stored violation `violationId` with its current position, or `nil` when unknown.
    public func item(_ violationId: String) async throws -> ModerationQueueItem? {
        let reply = try await redis.sendChecked(["HGETALL", ModerationKeys.item(violationId)])
        guard let flat = reply.array else { throw RedisError.unexpectedReply("HGETALL: \(reply)") }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].string, let value = flat[index + 1].string { fields[name] = value }
            index += 2
        }
        guard !fields.isEmpty else { return nil }
        guard let status = fields["status"].flatMap(ModerationStatus.init(rawValue:)),
            let severity = fields["severity"].flatMap(Severity.init(rawValue:)),
            let confidence = fields["confidence"].flatMap(Double.init), let reportedAt = fields["reportedAt"].flatMap(Int64.init),
            let sortKey = fields["sortKey"]
        else {
            throw RedisError.unexpectedReply("incomplete moderation item \(violationId)")
        }
        var position = 0
        if status.isQueued, let rank = try await redis.sendChecked(["ZRANK", ModerationKeys.queue, sortKey]).int {
            position = Int(rank) + 1
        }
        let report = ViolationReport(
            violationId: violationId, userId: fields["userId"] ?? "", contentType: fields["contentType"] ?? "",
            violationType: fields["violationType"] ?? "", severity: severity, confidence: confidence, timestamp: reportedAt)
        return ModerationQueueItem(report: report, status: status, queuePosition: position)
    }
}
