import CoinDailyProtocol

/// The trending model's tuning. Every field has a documented default; ``validate()`` checks them.
public struct TrendingConfiguration: Sendable, Equatable {
    /// The memecoins ranked (default ``defaultUniverse``). Samples of other tokens are rejected.
    public var universe: [String]
    /// Time between two rankings (default 5 minutes).
    public var interval: Duration
    /// Coins listed per timeframe (default 10). The rank hash read by the sentiment producer holds every ranked coin.
    public var top: Int
    /// The factors' weights.
    public var weights: TrendingWeights
    /// Price change (percent) over the timeframe that scores `tanh(1) ≈ 0.76` (defaults 5, 10, 20, 50).
    public var priceScale: [TrendingTimeframe: Double]
    /// 24 h volume growth (percent) over the timeframe that scores `tanh(1)` (defaults 10, 25, 50, 100).
    public var volumeScale: [TrendingTimeframe: Double]
    /// Mentions added to both halves of a window before their ratio is taken (default 10), so a handful of
    /// mentions cannot look like a surge.
    public var mentionSmoothing: Double
    /// Natural log of the mention ratio that scores `tanh(1)` (default ln 2: mentions doubling).
    public var mentionScale: Double
    /// Samples of one token within the same slot replace each other (default 60 s).
    public var sampleSlot: Duration
    /// How long samples are kept (default 7 days + 1 hour: the longest timeframe plus its reference sample).
    public var retention: Duration
    /// Largest ingest array (default 1000).
    public var maxBatchItems: Int

    /// The default universe: DOGE, SHIB, PEPE, WIF, BONK, FLOKI, MEME, BOME, POPCAT, MEW, BRETT, TURBO,
    /// MOG, NEIRO, PNUT, GOAT, MOODENG, TRUMP.
    public static let defaultUniverse = [
        "DOGE", "SHIB", "PEPE", "WIF", "BONK", "FLOKI", "MEME", "BOME", "POPCAT", "MEW", "BRETT", "TURBO", "MOG", "NEIRO",
        "PNUT", "GOAT", "MOODENG", "TRUMP",
    ]

    /// Creates a configuration; defaults as documented on each property.
    public init(
        universe: [String] = defaultUniverse, interval: Duration = .seconds(300), top: Int = 10,
        weights: TrendingWeights = TrendingWeights(),
        priceScale: [TrendingTimeframe: Double] = [.oneHour: 5, .fourHours: 10, .oneDay: 20, .sevenDays: 50],
        volumeScale: [TrendingTimeframe: Double] = [.oneHour: 10, .fourHours: 25, .oneDay: 50, .sevenDays: 100],
        mentionSmoothing: Double = 10, mentionScale: Double = 0.6931471805599453, sampleSlot: Duration = .seconds(60),
        retention: Duration = .seconds(7 * 86_400 + 3600), maxBatchItems: Int = 1000
    ) {
        self.universe = universe
        self.interval = interval
        self.top = top
        self.weights = weights
        self.priceScale = priceScale
        self.volumeScale = volumeScale
        self.mentionSmoothing = mentionSmoothing
        self.mentionScale = mentionScale
        self.sampleSlot = sampleSlot
        self.retention = retention
        self.maxBatchItems = maxBatchItems
    }

    /// Throws when a value is unusable.
    public func validate() throws(TrendingConfigurationError) {
        guard !universe.isEmpty, universe.allSatisfy({ TokenSymbol.normalize($0) == $0 }) else {
            throw .invalid(field: "universe", reason: "must list at least one upper-case symbol ^[A-Z0-9]{1,15}$")
        }
        guard interval >= .milliseconds(100) else { throw .invalid(field: "interval", reason: "must be at least 100 ms") }
        guard top >= 1 else { throw .invalid(field: "top", reason: "must be >= 1") }
        guard weights.isValid else { throw .invalid(field: "weights", reason: "must be finite, >= 0 and not all 0") }
        for timeframe in TrendingTimeframe.allCases {
            guard let p = priceScale[timeframe], p.isFinite, p > 0 else {
                throw .invalid(field: "priceScale", reason: "needs a finite value > 0 for \(timeframe.rawValue)")
            }
            guard let v = volumeScale[timeframe], v.isFinite, v > 0 else {
                throw .invalid(field: "volumeScale", reason: "needs a finite value > 0 for \(timeframe.rawValue)")
            }
        }
        guard mentionSmoothing.isFinite, mentionSmoothing > 0 else {
            throw .invalid(field: "mentionSmoothing", reason: "must be a finite number > 0")
        }
        guard mentionScale.isFinite, mentionScale > 0 else { throw .invalid(field: "mentionScale", reason: "must be > 0") }
        guard sampleSlot >= .milliseconds(1) else { throw .invalid(field: "sampleSlot", reason: "must be at least 1 ms") }
        guard retention >= .milliseconds(TrendingTimeframe.sevenDays.milliseconds) else {
            throw .invalid(field: "retention", reason: "must cover the 7d timeframe")
        }
        guard maxBatchItems >= 1 else { throw .invalid(field: "maxBatchItems", reason: "must be >= 1") }
    }
}
