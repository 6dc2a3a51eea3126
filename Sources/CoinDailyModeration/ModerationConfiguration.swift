/// The moderation producer's rules that can be tuned. Every field has a documented default.
public struct ModerationConfiguration: Sendable, Equatable {
    /// At most this many items whose position shifted because of one change get their own event
    /// (default 100): those right behind the changed item, in queue order. Items further back get no
    /// event for that change; a client that mirrors the queue shifts them itself (see
    /// `docs/producers/moderation.md`). 0 turns shift events off.
    public var maxShiftEvents: Int
    /// Largest ingest array (default 100): a batch is applied by one script, and each item may
    /// publish up to `1 + maxShiftEvents` events.
    public var maxBatchItems: Int
    /// How long the record of a decided (`confirmed`, `false_positive`) violation is kept (default
    /// 7 days): meanwhile a repeated report of it is ignored and a status change of it answered.
    public var decidedRetention: Duration

    /// Creates a configuration; defaults as documented on each field.
    public init(maxShiftEvents: Int = 100, maxBatchItems: Int = 100, decidedRetention: Duration = .seconds(7 * 24 * 3600)) {
        self.maxShiftEvents = maxShiftEvents
        self.maxBatchItems = maxBatchItems
        self.decidedRetention = decidedRetention
    }

    /// Checks every field; throws ``ModerationConfigurationError`` naming the first bad one.
    public func validate() throws(ModerationConfigurationError) {
        guard (0...10_000).contains(maxShiftEvents) else {
            throw .invalid(field: "maxShiftEvents", reason: "must be in 0...10000")
        }
        guard (1...10_000).contains(maxBatchItems) else {
            throw .invalid(field: "maxBatchItems", reason: "must be in 1...10000")
        }
        guard decidedRetention >= .seconds(1) else {
            throw .invalid(field: "decidedRetention", reason: "must be at least 1 s")
        }
    }

    /// ``decidedRetention`` in whole seconds (at least 1).
    public var decidedRetentionSeconds: Int64 { max(1, decidedRetention.components.seconds) }
}
