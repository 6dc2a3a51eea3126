import CoinDailyProducer
import Foundation

/// One token's hidden state and character in ``SentimentSimulator``.
struct SimulatedToken: Sendable {
    /// The symbol.
    let token: String
    /// Annualised volatility of the price (0.6 for majors, up to ~1.6 for memecoins).
    let annualVolatility: Double
    /// Scales every source's signal rate (1 for the most discussed tokens).
    let popularity: Double
    /// Extra optimism of social chatter (memecoins are hyped), added to social observations.
    let socialBias: Double
    /// Typical 24 h traded volume, USD.
    let baseVolume: Double
    /// The level the latent variable reverts to (a token's long-run mood).
    let meanLevel: Double

    /// The latent, unbounded sentiment variable; the sentiment is `tanh(latent)`.
    var latent: Double
    /// The current price, > 0.
    var price: Double
    /// The log-return of the last step, which the technical source reads.
    var lastLogReturn: Double = 0

    /// The current sentiment in (-1, 1).
    var sentiment: Double { tanh(latent) }

    init(token: String, rng: inout Xoshiro256StarStar) {
        let profile = Self.profile(for: token)
        self.token = token
        annualVolatility = profile.volatility
        popularity = profile.popularity
        socialBias = profile.isMeme ? 0.1 : 0
        baseVolume = profile.volume
        meanLevel = 0.3 * rng.nextGaussian()
        latent = meanLevel + 0.4 * rng.nextGaussian()
        price = profile.price * exp(0.05 * rng.nextGaussian())
    }

    /// Rough real-world magnitudes for the default tokens; unknown tokens get a mid-cap profile.
    static func profile(for token: String) -> (price: Double, volatility: Double, popularity: Double, volume: Double, isMeme: Bool) {
        switch token {
        case "BTC": (65_000, 0.55, 1.0, 3.0e10, false)
        case "ETH": (3_400, 0.70, 1.0, 1.5e10, false)
        case "SOL": (150, 0.95, 0.9, 3.0e9, false)
        case "BNB": (580, 0.60, 0.6, 1.5e9, false)
        case "XRP": (0.55, 0.85, 0.7, 1.5e9, false)
        case "ADA": (0.45, 0.85, 0.5, 4.0e8, false)
        case "DOGE": (0.15, 1.10, 0.9, 1.2e9, true)
        case "SHIB": (0.000025, 1.20, 0.7, 5.0e8, true)
        case "PEPE": (0.00001, 1.50, 0.8, 8.0e8, true)
        case "WIF": (2.5, 1.60, 0.7, 4.0e8, true)
        case "BONK": (0.000025, 1.50, 0.6, 3.0e8, true)
        case "FLOKI": (0.00018, 1.50, 0.5, 2.0e8, true)
        case "MEME": (0.02, 1.40, 0.4, 1.0e8, true)
        case "AVAX": (35, 0.95, 0.5, 4.0e8, false)
        case "DOT": (7, 0.85, 0.4, 2.0e8, false)
        case "LINK": (15, 0.90, 0.5, 4.0e8, false)
        case "MATIC": (0.7, 0.95, 0.4, 3.0e8, false)
        case "TRX": (0.12, 0.60, 0.3, 3.0e8, false)
        case "TON": (6, 0.90, 0.5, 3.0e8, false)
        case "LTC": (80, 0.75, 0.4, 4.0e8, false)
        case "NEAR": (6, 1.00, 0.4, 3.0e8, false)
        case "APT": (9, 1.05, 0.4, 2.0e8, false)
        case "ARB": (1.0, 1.05, 0.4, 3.0e8, false)
        case "OP": (2.2, 1.05, 0.4, 2.5e8, false)
        case "SUI": (1.2, 1.15, 0.5, 3.0e8, false)
        case "INJ": (25, 1.10, 0.3, 1.5e8, false)
        case "FET": (1.5, 1.20, 0.4, 2.0e8, false)
        case "RNDR": (7, 1.20, 0.3, 1.5e8, false)
        case "TIA": (9, 1.20, 0.3, 1.5e8, false)
        case "SEI": (0.5, 1.25, 0.3, 1.0e8, false)
        case "ATOM": (8, 0.90, 0.3, 2.0e8, false)
        case "UNI": (9, 0.95, 0.3, 2.0e8, false)
        default: (1.0, 1.0, 0.3, 1.0e8, false)
        }
    }
}
