/// What one applied batch did, for tests, logs and metrics.
public struct WhaleBatchOutcome: Sendable, Equatable {
    /// Items accepted (transfers and ticks).
    public var accepted: Int
    /// Alerts published, in batch order.
    public var published: [WhaleAlert]
    /// Alerts not published because their transaction hash had alerted before.
    public var duplicates: [WhaleAlert]
    /// Transfers valued below the alert floor.
    public var belowFloor: Int
    /// Transfers older than the maximum alert age.
    public var tooOld: Int

    /// Creates an outcome.
    public init(accepted: Int, published: [WhaleAlert] = [], duplicates: [WhaleAlert] = [], belowFloor: Int = 0, tooOld: Int = 0) {
        self.accepted = accepted
        self.published = published
        self.duplicates = duplicates
        self.belowFloor = belowFloor
        self.tooOld = tooOld
    }
}
