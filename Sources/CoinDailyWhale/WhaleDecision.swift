/// What ``WhaleEvaluator`` makes of one transfer.
public enum WhaleDecision: Sendable, Equatable {
    /// Worth an alert (unless its hash already alerted: the commit decides that).
    case alert(WhaleAlert)
    /// Valued below the alert floor.
    case belowFloor(amountUSD: Double)
    /// Older than the maximum alert age when it arrived.
    case tooOld
    /// No `priceUSD` and no known price: the input is rejected (400 naming `priceUSD`).
    case priceUnknown
}
