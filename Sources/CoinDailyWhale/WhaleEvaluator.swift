/// The whale rules, as pure functions of a transfer and what is known of its token's market.
///
/// - **amountUSD** = `amount × price`, rounded to cents, where `price` is the transfer's `priceUSD`
///   or else the newest price tick of the token.
/// - **type** and **exchange** from the address book: coins leaving an exchange wallet for a
///   non-exchange wallet are a `buy` (exchange = the sender's), arriving at one from a non-exchange
///   wallet a `sell` (exchange = the receiver's). Between two exchange wallets it is a `transfer` with
///   the sender's exchange; between two unknown wallets a `transfer` without exchange.
/// - **impact** by ``WhaleImpactThresholds``.
/// - Alerts only when `amountUSD >= minAlertUSD` and the transfer is at most `maxAlertAge` old.
public struct WhaleEvaluator: Sendable {
    /// The model configuration.
    public let configuration: WhaleConfiguration
    /// The exchange wallets.
    public let addressBook: WhaleAddressBook

    /// Creates an evaluator.
    public init(configuration: WhaleConfiguration, addressBook: WhaleAddressBook) {
        self.configuration = configuration
        self.addressBook = addressBook
    }

    /// Judges `transfer` at time `now` (Unix ms) given the token's `market`.
    public func evaluate(_ transfer: WhaleTransfer, market: WhaleMarketState?, now: Int64) -> WhaleDecision {
        guard let price = transfer.priceUSD ?? market?.price else { return .priceUnknown }
        if now - transfer.timestamp > configuration.maxAlertAge.milliseconds { return .tooOld }
        let amountUSD = Self.cents(transfer.amount * price)
        guard amountUSD.isFinite, amountUSD >= configuration.minAlertUSD else { return .belowFloor(amountUSD: amountUSD) }
        let (type, exchange) = classify(from: transfer.from, to: transfer.to)
        return .alert(
            WhaleAlert(
                token: transfer.token, type: type, amount: transfer.amount, amountUSD: amountUSD, from: transfer.from,
                to: transfer.to, txHash: transfer.txHash, exchange: exchange,
                impact: configuration.impact.impact(amountUSD: amountUSD, volume24h: market?.volume24h),
                timestamp: transfer.timestamp))
    }

    /// The `type` and `exchange` of a transfer between `from` and `to`.
    public func classify(from: String, to: String) -> (WhaleTransferType, String?) {
        switch (addressBook.exchange(for: from), addressBook.exchange(for: to)) {
        case (let sender?, nil): (.buy, sender)
        case (nil, let receiver?): (.sell, receiver)
        case (let sender?, _?): (.transfer, sender)
        case (nil, nil): (.transfer, nil)
        }
    }

    /// `value` rounded to two decimals.
    static func cents(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

extension Duration {
    /// Whole milliseconds of this duration.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
