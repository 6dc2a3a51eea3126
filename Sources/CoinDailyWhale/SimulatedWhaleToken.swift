/// One token of the ``WhaleSimulator``'s universe, with its starting market and transfer habits.
public struct SimulatedWhaleToken: Sendable, Equatable {
    /// Address and hash formats of a chain.
    public enum Chain: String, Sendable, Equatable {
        /// `0x` + 40 hex digits addresses, `0x` + 64 hex digits hashes.
        case evm
        /// base58 addresses (44 characters) and signatures (88 characters).
        case solana
    }

    /// Symbol.
    public var symbol: String
    /// The chain its transfers happen on.
    public var chain: Chain
    /// Starting price in USD.
    public var price: Double
    /// Typical 24 h volume in USD.
    public var volume24h: Double
    /// Mean number of observed transfers per hour.
    public var transfersPerHour: Double
    /// Median transfer size in USD (sizes are log-normal around it).
    public var medianUSD: Double

    /// Creates a token.
    public init(symbol: String, chain: Chain, price: Double, volume24h: Double, transfersPerHour: Double, medianUSD: Double) {
        self.symbol = symbol
        self.chain = chain
        self.price = price
        self.volume24h = volume24h
        self.transfersPerHour = transfersPerHour
        self.medianUSD = medianUSD
    }

    /// The default universe: large caps and memecoins on Ethereum and Solana.
    public static let defaults: [SimulatedWhaleToken] = [
        .init(symbol: "ETH", chain: .evm, price: 3200, volume24h: 15e9, transfersPerHour: 450, medianUSD: 150_000),
        .init(symbol: "LINK", chain: .evm, price: 15, volume24h: 4e8, transfersPerHour: 180, medianUSD: 50_000),
        .init(symbol: "UNI", chain: .evm, price: 8, volume24h: 1.5e8, transfersPerHour: 120, medianUSD: 40_000),
        .init(symbol: "SHIB", chain: .evm, price: 0.000018, volume24h: 3e8, transfersPerHour: 240, medianUSD: 60_000),
        .init(symbol: "PEPE", chain: .evm, price: 0.000011, volume24h: 8e8, transfersPerHour: 360, medianUSD: 70_000),
        .init(symbol: "FLOKI", chain: .evm, price: 0.00015, volume24h: 1e8, transfersPerHour: 120, medianUSD: 40_000),
        .init(symbol: "SOL", chain: .solana, price: 150, volume24h: 3e9, transfersPerHour: 450, medianUSD: 120_000),
        .init(symbol: "WIF", chain: .solana, price: 2.2, volume24h: 4e8, transfersPerHour: 240, medianUSD: 60_000),
        .init(symbol: "BONK", chain: .solana, price: 0.000022, volume24h: 2e8, transfersPerHour: 240, medianUSD: 50_000),
        .init(symbol: "JUP", chain: .solana, price: 0.9, volume24h: 8e7, transfersPerHour: 90, medianUSD: 40_000),
    ]
}
