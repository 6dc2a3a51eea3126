/// One on-chain or exchange transfer, as ingested: `{token, amount, from, to, txHash, priceUSD?, timestamp}`.
///
/// Values are already validated and normalised by ``WhaleInput`` (token upper-cased, `0x` hashes
/// lower-cased); `from` and `to` are kept as given and compared through ``WhaleAddressBook/normalize(_:)``.
public struct WhaleTransfer: Sendable, Equatable, Hashable {
    /// Token symbol, `^[A-Z0-9]{1,15}$`.
    public var token: String
    /// Amount moved, in units of the token (> 0).
    public var amount: Double
    /// Sending address.
    public var from: String
    /// Receiving address.
    public var to: String
    /// Transaction hash: the idempotency key (lower-cased when it is `0x` + hex).
    public var txHash: String
    /// Price of one token in USD at the time of the transfer, when the sender knows it.
    public var priceUSD: Double?
    /// When the transfer happened, Unix epoch milliseconds.
    public var timestamp: Int64

    /// Creates a transfer.
    public init(
        token: String, amount: Double, from: String, to: String, txHash: String, priceUSD: Double? = nil, timestamp: Int64
    ) {
        self.token = token
        self.amount = amount
        self.from = from
        self.to = to
        self.txHash = txHash
        self.priceUSD = priceUSD
        self.timestamp = timestamp
    }
}
