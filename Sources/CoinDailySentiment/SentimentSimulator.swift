import CoinDailyProducer
import Foundation

/// A deterministic generator of realistic-looking sentiment signals and price ticks, for demos,
/// load tests and development without real feeds.
///
/// Each token has a hidden (latent) sentiment `tanh(z)`, where `z` follows an Ornstein–Uhlenbeck
/// process reverting to a per-token mood with a one-hour time constant and a stationary spread
/// of 0.6, plus occasional jumps (news shocks: 0.15 per hour, 0.4 for memecoins). The price follows
/// geometric Brownian motion with the token's volatility, a drift tilted by the sentiment, shocks
/// correlated (ρ = 0.4) with the sentiment's, and a move along with each jump.
///
/// ``next(now:)`` advances the state by the time since the previous call (at most 10 minutes)
/// and returns that interval's inputs, sorted by timestamp: noisy observations of the latent
/// sentiment from each source at a Poisson rate scaled by the token's popularity, and one price
/// tick per token stamped `now`.
///
/// | source    | rate (per hour, popular token) | noise σ | weight                  |
/// |-----------|--------------------------------|---------|-------------------------|
/// | social    | 120                            | 0.35    | log-normal reach, ≈ 1   |
/// | news      | 6                              | 0.20    | 1 … 3                   |
/// | whale     | 2                              | 0.30    | log-normal size, ≈ 1.6  |
/// | technical | 12                             | 0.15    | 1 (reads sentiment and price momentum) |
///
/// The first call returns a warm-up batch: one signal per source and a price tick per token.
/// The same seed and the same sequence of `now` values always give the same inputs (the generator
/// is xoshiro256** seeded with SplitMix64, never the system generator).
public struct SentimentSimulator: Sendable {
    /// The tokens simulated by default: 32 large caps, layer 1/2s and memecoins.
    public static let defaultTokens: [String] = [
        "BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "SHIB", "PEPE", "WIF", "BONK", "FLOKI",
        "AVAX", "DOT", "LINK", "MATIC", "TRX", "TON", "LTC", "NEAR", "APT", "ARB", "OP", "SUI",
        "INJ", "FET", "RNDR", "TIA", "SEI", "MEME", "ATOM", "UNI",
    ]

    /// The seed the simulator was created with.
    public let seed: UInt64
    /// The simulated tokens, uppercased, in the order given.
    public let tokens: [String]

    private var rng: Xoshiro256StarStar
    private var states: [SimulatedToken]
    private var lastNow: Int64?

    /// The longest interval simulated by one ``next(now:)`` call, ms (10 minutes): a call after a
    /// longer pause simulates only the last 10 minutes, so the work per call stays bounded.
    private static let maxStepMilliseconds: Int64 = 600_000
    private static let millisecondsPerHour = 3_600_000.0
    /// Hours per year, to turn annual volatility into hourly.
    private static let hoursPerYear = 8_760.0
    /// Mean-reversion rate of the latent variable, per hour.
    private static let reversionPerHour = 1.0
    /// Stationary standard deviation of the latent variable around its mean level.
    private static let latentSpread = 0.6
    /// Correlation of price shocks with sentiment shocks.
    private static let priceSentimentCorrelation = 0.4
    /// Cap on the signals of one source for one token in one call.
    private static let maxSignalsPerSourceAndStep = 50

    /// Creates a simulator.
    ///
    /// - Parameters:
    ///   - seed: Any value; equal seeds give equal sequences.
    ///   - tokens: The symbols to simulate (uppercased; they should match `^[A-Z0-9]{1,15}$`).
    ///     Unknown symbols get a generic mid-cap profile priced around 1.
    public init(seed: UInt64, tokens: [String] = SentimentSimulator.defaultTokens) {
        self.seed = seed
        self.tokens = tokens.map { $0.uppercased() }
        var rng = Xoshiro256StarStar(seed: seed)
        states = self.tokens.map { SimulatedToken(token: $0, rng: &rng) }
        self.rng = rng
    }

    /// The current hidden sentiment of `token` in (-1, 1), or `nil` for a token not simulated.
    public func latentSentiment(of token: String) -> Double? {
        states.first { $0.token == token.uppercased() }?.sentiment
    }

    /// The current simulated price of `token`, or `nil` for a token not simulated.
    public func price(of token: String) -> Double? {
        states.first { $0.token == token.uppercased() }?.price
    }

    /// Advances the simulation to `now` (epoch ms) and returns the inputs produced since the
    /// previous call, sorted by timestamp. A `now` not after the previous call returns an empty
    /// batch.
    public mutating func next(now: Int64) -> [SentimentInput] {
        var inputs: [SentimentInput] = []
        guard let previous = lastNow else {
            lastNow = now
            for index in states.indices {
                for source in SentimentSource.allCases {
                    inputs.append(.signal(observe(index, source: source, at: now)))
                }
                inputs.append(.price(priceTick(index, at: now)))
            }
            return inputs
        }
        guard now > previous else { return [] }
        lastNow = now
        let stepMilliseconds = min(now - previous, Self.maxStepMilliseconds)
        let start = now - stepMilliseconds
        let hours = Double(stepMilliseconds) / Self.millisecondsPerHour

        for index in states.indices {
            evolve(index, hours: hours)
            let popularity = states[index].popularity
            for source in SentimentSource.allCases {
                let mean = Self.ratePerHour(source) * popularity * hours
                let count = min(rng.nextPoisson(mean), Self.maxSignalsPerSourceAndStep)
                for _ in 0..<count {
                    let offset = Int64(rng.nextUniform() * Double(stepMilliseconds))
                    inputs.append(.signal(observe(index, source: source, at: start + offset + 1)))
                }
            }
            inputs.append(.price(priceTick(index, at: now)))
        }
        inputs.sort { $0.timestamp < $1.timestamp }
        return inputs
    }

    /// Signals per hour of `source` for a token of popularity 1.
    private static func ratePerHour(_ source: SentimentSource) -> Double {
        switch source {
        case .social: 120
        case .news: 6
        case .whale: 2
        case .technical: 12
        }
    }

    /// Moves a token's latent sentiment and price forward by `hours`.
    private mutating func evolve(_ index: Int, hours: Double) {
        var state = states[index]
        // Exact OU transition: z' = μ + (z - μ)·a + spread·√(1 - a²)·ε, a = exp(-θ·h).
        let decay = exp(-Self.reversionPerHour * hours)
        let sentimentShock = rng.nextGaussian()
        state.latent = state.meanLevel + (state.latent - state.meanLevel) * decay
            + Self.latentSpread * (1 - decay * decay).squareRoot() * sentimentShock

        // Jumps: a Bernoulli draw per step with the Poisson probability of at least one jump.
        let jumpRate = state.socialBias > 0 ? 0.4 : 0.15
        var jump = 0.0
        if rng.nextUniform() < 1 - exp(-jumpRate * hours) {
            jump = 0.8 * rng.nextGaussian()
            state.latent += jump
        }
        state.latent = min(4, max(-4, state.latent))

        // GBM with sentiment-tilted drift and correlated shocks.
        let hourlyVolatility = state.annualVolatility / Self.hoursPerYear.squareRoot()
        let rho = Self.priceSentimentCorrelation
        let priceShock = rho * sentimentShock + (1 - rho * rho).squareRoot() * rng.nextGaussian()
        let drift = (0.3 * hourlyVolatility * state.sentiment - 0.5 * hourlyVolatility * hourlyVolatility) * hours
        let logReturn = drift + hourlyVolatility * hours.squareRoot() * priceShock + 2 * hourlyVolatility * jump
        state.price *= exp(logReturn)
        state.price = max(state.price, 1e-12)
        state.lastLogReturn = logReturn
        states[index] = state
    }

    /// A noisy observation of a token's sentiment by `source`.
    private mutating func observe(_ index: Int, source: SentimentSource, at timestamp: Int64) -> SentimentSignal {
        let state = states[index]
        let truth = state.sentiment
        let score: Double
        let weight: Double
        switch source {
        case .social:
            score = truth + state.socialBias + 0.35 * rng.nextGaussian()
            weight = min(20, max(0.1, exp(0.7 * rng.nextGaussian())))
        case .news:
            score = truth + 0.20 * rng.nextGaussian()
            weight = rng.nextUniform(1, 3)
        case .whale:
            score = truth + 0.30 * rng.nextGaussian()
            weight = min(20, max(0.1, exp(0.5 + 0.8 * rng.nextGaussian())))
        case .technical:
            let hourlyVolatility = state.annualVolatility / Self.hoursPerYear.squareRoot()
            let momentum = tanh(state.lastLogReturn / max(hourlyVolatility, 1e-9))
            score = 0.6 * truth + 0.4 * momentum + 0.15 * rng.nextGaussian()
            weight = 1
        }
        return SentimentSignal(
            token: state.token,
            source: source,
            score: Self.round4(min(1, max(-1, score))),
            weight: Self.round4(max(0.1, weight)),
            timestamp: timestamp
        )
    }

    /// A price tick for a token, with a noisy 24 h volume that rises with excitement.
    private mutating func priceTick(_ index: Int, at timestamp: Int64) -> PriceTick {
        let state = states[index]
        let volume = state.baseVolume * exp(0.3 * rng.nextGaussian()) * (1 + abs(state.sentiment))
        return PriceTick(token: state.token, price: state.price, timestamp: timestamp, volume24h: volume.rounded())
    }

    private static func round4(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000 + 0.0
    }
}
