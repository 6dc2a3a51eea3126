public import CoinDailyProtocol

/// The data of a `whale_activity_alert` event, exactly the spec's fields:
/// `{token, type, amount, amountUSD, from, to, txHash, exchange?, impact, timestamp}`.
public struct WhaleAlert: Sendable, Equatable, Hashable {
    /// Token symbol.
    public var token: String
    /// `buy`, `sell` or `transfer`.
    public var type: WhaleTransferType
    /// Amount in token units, as ingested.
    public var amount: Double
    /// Value in USD, rounded to cents.
    public var amountUSD: Double
    /// Sending address, as ingested.
    public var from: String
    /// Receiving address, as ingested.
    public var to: String
    /// Transaction hash (normalised, see ``WhaleInput/normalizeHash(_:)``).
    public var txHash: String
    /// The exchange involved, when one side is a known exchange wallet.
    public var exchange: String?
    /// `low`, `medium` or `high`.
    public var impact: WhaleImpact
    /// When the transfer happened (Unix ms).
    public var timestamp: Int64

    /// Creates an alert.
    public init(
        token: String, type: WhaleTransferType, amount: Double, amountUSD: Double, from: String, to: String, txHash: String,
        exchange: String?, impact: WhaleImpact, timestamp: Int64
    ) {
        self.token = token
        self.type = type
        self.amount = amount
        self.amountUSD = amountUSD
        self.from = from
        self.to = to
        self.txHash = txHash
        self.exchange = exchange
        self.impact = impact
        self.timestamp = timestamp
    }

    /// The event data (`exchange` omitted when `nil`).
    public var data: JSONValue {
        var object: [String: JSONValue] = [
            "token": .string(token), "type": .string(type.rawValue), "amount": .number(amount),
            "amountUSD": .number(amountUSD), "from": .string(from), "to": .string(to), "txHash": .string(txHash),
            "impact": .string(impact.rawValue), "timestamp": .int(timestamp),
        ]
        if let exchange { object["exchange"] = .string(exchange) }
        return .object(object)
    }
}
