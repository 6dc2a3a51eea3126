import Foundation

/// The trending model: pure functions from sample histories and sentiment to rankings.
///
/// For a coin and a timeframe of length `T` at time `now`, using its samples with `timestamp > now − T`
/// (the window; a coin without a sample in the window is not ranked in that timeframe):
///
/// - the **reference** sample is the newest one at or before `now − T`, or the window's oldest when the
///   history is shorter than `T`;
/// - **priceChange** = `(latest.price − reference.price) / reference.price × 100`;
/// - **volumeGrowth** = `(latest.volume24h − reference.volume24h) / reference.volume24h × 100` (0 if the
///   reference volume is 0);
/// - **mentionVelocity** = `ln((m_late + k) / (m_early + k))`, where the window's covered span (from its
///   oldest sample to `now`) is cut in half, `m_early` and `m_late` are the mentions of the samples in each
///   half and `k` = ``TrendingConfiguration/mentionSmoothing``; 0 with fewer than two samples in the window;
/// - **sentiment** `s`: the sentiment producer's latest `score` for the coin, 0 when there is none.
///
/// Each factor is squashed into [-1, 1] and the weighted mean is scaled to [-100, 100]:
///
/// ```
/// trendingScore = 100 × ( w_s·s + w_v·tanh(volumeGrowth / V_T) + w_p·tanh(priceChange / P_T)
///                        + w_m·tanh(mentionVelocity / M) ) / (w_s + w_v + w_p + w_m)
/// ```
///
/// with the weights of ``TrendingConfiguration/weights`` and the per-timeframe scales `P_T`
/// (``TrendingConfiguration/priceScale``), `V_T` (``TrendingConfiguration/volumeScale``) and `M`
/// (``TrendingConfiguration/mentionScale``). Coins are ranked by score (descending), then 24 h volume
/// (descending), then symbol.
public struct TrendingEngine: Sendable {
    /// The configuration in force.
    public let configuration: TrendingConfiguration

    /// Creates an engine; throws when `configuration` is invalid.
    public init(configuration: TrendingConfiguration = TrendingConfiguration()) throws(TrendingConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// The factors of a coin with `samples` (sorted by timestamp, oldest first), or `nil` when none lies
    /// in the timeframe's window.
    public func factors(samples: [MarketSample], sentiment: Double?, timeframe: TrendingTimeframe, now: Int64) -> TrendingFactors? {
        let start = now - timeframe.milliseconds
        guard let latest = samples.last, latest.timestamp > start,
            let first = samples.firstIndex(where: { $0.timestamp > start })
        else { return nil }
        let window = samples[first...]
        let reference = Self.reference(samples, before: start) ?? window.first!
        var velocity = 0.0
        if window.count >= 2 {
            let mid = (window.first!.timestamp + max(now, latest.timestamp)) / 2
            var early = 0.0
            var late = 0.0
            for sample in window {
                if sample.timestamp <= mid { early += Double(sample.mentions) } else { late += Double(sample.mentions) }
            }
            let k = configuration.mentionSmoothing
            velocity = log((late + k) / (early + k))
        }
        let dayStart = now - TrendingTimeframe.oneDay.milliseconds
        let dayReference = Self.reference(samples, before: dayStart) ?? samples.first(where: { $0.timestamp > dayStart }) ?? latest
        return TrendingFactors(
            sentiment: min(1, max(-1, sentiment ?? 0)), priceChange: Self.change(from: reference.price, to: latest.price),
            volumeGrowth: Self.change(from: reference.volume24h, to: latest.volume24h), mentionVelocity: velocity,
            priceChange24h: Self.change(from: dayReference.price, to: latest.price), volume24h: latest.volume24h)
    }

    /// The `trendingScore` of `factors` in `timeframe`, rounded to 2 decimals.
    public func score(_ factors: TrendingFactors, timeframe: TrendingTimeframe) -> Double {
        let w = configuration.weights
        let priceScale = configuration.priceScale[timeframe] ?? 1
        let volumeScale = configuration.volumeScale[timeframe] ?? 1
        let sum =
            w.sentiment * factors.sentiment + w.volume * tanh(factors.volumeGrowth / volumeScale)
            + w.price * tanh(factors.priceChange / priceScale) + w.mentions * tanh(factors.mentionVelocity / configuration.mentionScale)
        return Self.rounded(100 * sum / w.total, 2)
    }

    /// Ranks the universe in every timeframe.
    ///
    /// - Parameters:
    ///   - history: each coin's samples, sorted by timestamp (oldest first).
    ///   - sentiment: each coin's sentiment score, where known.
    public func rank(history: [String: [MarketSample]], sentiment: [String: Double], now: Int64) -> TrendingRanking {
        var updates: [TrendingUpdate] = []
        var ranks24h: [String: Int] = [:]
        for timeframe in TrendingTimeframe.allCases {
            var scored: [(token: String, score: Double, factors: TrendingFactors)] = []
            for token in configuration.universe {
                guard let samples = history[token],
                    let factors = factors(samples: samples, sentiment: sentiment[token], timeframe: timeframe, now: now)
                else { continue }
                scored.append((token, score(factors, timeframe: timeframe), factors))
            }
            scored.sort { a, b in
                if a.score != b.score { return a.score > b.score }
                if a.factors.volume24h != b.factors.volume24h { return a.factors.volume24h > b.factors.volume24h }
                return a.token < b.token
            }
            if timeframe == .oneDay {
                for (index, entry) in scored.enumerated() { ranks24h[entry.token] = index + 1 }
            }
            let coins = scored.prefix(configuration.top).enumerated().map { index, entry in
                TrendingCoin(
                    token: entry.token, rank: index + 1, sentimentScore: Self.rounded(entry.factors.sentiment, 4),
                    volume24h: Self.rounded(entry.factors.volume24h, 2), priceChange24h: Self.rounded(entry.factors.priceChange24h, 4),
                    trendingScore: entry.score)
            }
            updates.append(TrendingUpdate(timeframe: timeframe, coins: coins, timestamp: now))
        }
        return TrendingRanking(updates: updates, ranks24h: ranks24h)
    }

    /// The newest sample at or before `time`.
    static func reference(_ samples: [MarketSample], before time: Int64) -> MarketSample? {
        samples.last(where: { $0.timestamp <= time })
    }

    /// Percent change from `a` to `b`; 0 when `a` is 0.
    static func change(from a: Double, to b: Double) -> Double {
        a > 0 ? (b - a) / a * 100 : 0
    }

    static func rounded(_ value: Double, _ places: Int) -> Double {
        let factor = pow(10, Double(places))
        let result = (value * factor).rounded() / factor
        return result == 0 ? 0 : result  // no -0
    }
}
