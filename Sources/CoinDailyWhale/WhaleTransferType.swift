/// The `type` of a whale alert, from the point of view of the market.
public enum WhaleTransferType: String, Sendable, Equatable, Hashable, CaseIterable {
    /// Coins left a known exchange wallet for one that is not an exchange: someone bought and withdrew.
    case buy
    /// Coins arrived at a known exchange wallet from one that is not an exchange: someone is about to sell.
    case sell
    /// Anything else: wallet to wallet, or exchange to exchange.
    case transfer
}
