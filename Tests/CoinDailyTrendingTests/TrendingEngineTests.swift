import Foundation
import Testing

@testable import CoinDailyTrending

@Suite("Trending model")
struct TrendingEngineTests {
    let engine = try! TrendingEngine()
    let now = t0

    /// PEPE: 2 h ago, 50 min ago and 10 min ago.
    var pepe: [MarketSample] {
        [
            sample(price: 1, volume: 100, mentions: 5, at: now - 2 * hour),
            sample(price: 1.1, volume: 120, mentions: 10, at: now - 50 * minute),
            sample(price: 1.2, volume: 150, mentions: 30, at: now - 10 * minute),
        ]
    }

    @Test("factors: reference before the window, volume growth, mention halves of the covered span")
    func factors() throws {
        let f1h = try #require(engine.factors(samples: pepe, sentiment: 0.5, timeframe: .oneHour, now: now))
        #expect(abs(f1h.priceChange - 20) < 1e-9, "reference: the sample 2 h ago, before the 1 h window")
        #expect(abs(f1h.volumeGrowth - 50) < 1e-9)
        #expect(abs(f1h.mentionVelocity - log(2)) < 1e-12, "halves split at -25 min: (30 + 10) / (10 + 10)")
        #expect(abs(f1h.priceChange24h - 20) < 1e-9)
        #expect(f1h.volume24h == 150 && f1h.sentiment == 0.5)

        let f24h = try #require(engine.factors(samples: pepe, sentiment: nil, timeframe: .oneDay, now: now))
        #expect(abs(f24h.priceChange - 20) < 1e-9, "history shorter than 24 h: the oldest sample is the reference")
        #expect(abs(f24h.mentionVelocity - log(50.0 / 15)) < 1e-12, "halves split at -1 h: early 5, late 10 + 30")
        #expect(f24h.sentiment == 0, "no sentiment: neutral")
    }

    @Test("a coin without a sample in the window is not ranked there; a single sample has no velocity or change")
    func windows() throws {
        let old = [sample(price: 1, volume: 100, mentions: 5, at: now - 2 * hour)]
        #expect(engine.factors(samples: old, sentiment: nil, timeframe: .oneHour, now: now) == nil)
        let f = try #require(engine.factors(samples: old, sentiment: nil, timeframe: .fourHours, now: now))
        #expect(f.priceChange == 0 && f.volumeGrowth == 0 && f.mentionVelocity == 0)
        #expect(engine.factors(samples: [], sentiment: 1, timeframe: .sevenDays, now: now) == nil)
    }

    @Test("priceChange24h is the 24 h change whatever the timeframe")
    func priceChange24h() throws {
        let samples = [
            sample(price: 1, at: now - 3 * day), sample(price: 2, at: now - 25 * hour), sample(price: 4, at: now - 10 * hour),
            sample(price: 3, at: now - minute),
        ]
        let week = try #require(engine.factors(samples: samples, sentiment: nil, timeframe: .sevenDays, now: now))
        #expect(week.priceChange == 200, "7d: from the oldest sample (1) to 3")
        #expect(week.priceChange24h == 50, "24h: from the newest sample at or before -24 h (2) to 3")
        let hourly = try #require(engine.factors(samples: samples, sentiment: nil, timeframe: .oneHour, now: now))
        #expect(hourly.priceChange == -25, "1h: from the sample 10 h ago (4) to 3")
        #expect(hourly.priceChange24h == 50)
    }

    @Test("the score: weighted tanh-squashed factors scaled to [-100, 100]")
    func score() throws {
        let f = try #require(engine.factors(samples: pepe, sentiment: 0.5, timeframe: .oneHour, now: now))
        // 100 × (0.2·0.5 + 0.25·tanh(50/10) + 0.25·tanh(20/5) + 0.3·tanh(ln2/ln2)) = 82.83
        #expect(engine.score(f, timeframe: .oneHour) == 82.83)
        let top = TrendingFactors(sentiment: 1, priceChange: 1e6, volumeGrowth: 1e6, mentionVelocity: 1e6, priceChange24h: 0, volume24h: 1)
        let bottom = TrendingFactors(sentiment: -1, priceChange: -100, volumeGrowth: -100, mentionVelocity: -1e6, priceChange24h: 0, volume24h: 1)
        #expect(engine.score(top, timeframe: .oneDay) == 100)
        #expect(engine.score(bottom, timeframe: .oneHour) < -90)
        let neutral = TrendingFactors(sentiment: 0, priceChange: 0, volumeGrowth: 0, mentionVelocity: 0, priceChange24h: 0, volume24h: 1)
        #expect(engine.score(neutral, timeframe: .sevenDays) == 0)
        let clamped = try #require(engine.factors(samples: pepe, sentiment: 3, timeframe: .oneHour, now: now))
        #expect(clamped.sentiment == 1)
        // The same 20 % price move counts less over 7 days (scale 50 %) than over 1 hour (scale 5 %).
        let onlyPrice = TrendingFactors(sentiment: 0, priceChange: 20, volumeGrowth: 0, mentionVelocity: 0, priceChange24h: 0, volume24h: 1)
        #expect(engine.score(onlyPrice, timeframe: .oneHour) > engine.score(onlyPrice, timeframe: .sevenDays))
    }

    @Test("ranking: by score, then volume, then symbol; top N listed, every coin in the 24 h ranks; universe only")
    func ranking() throws {
        func rising(_ token: String, volume: Double) -> [MarketSample] {
            [sample(token, price: 1, volume: volume, mentions: 1, at: now - 30 * minute),
             sample(token, price: 1.1, volume: volume * 2, mentions: 20, at: now - minute)]
        }
        func falling(_ token: String) -> [MarketSample] {
            [sample(token, price: 1, volume: 100, mentions: 20, at: now - 30 * minute),
             sample(token, price: 0.8, volume: 50, mentions: 1, at: now - minute)]
        }
        let history: [String: [MarketSample]] = [
            "PEPE": rising("PEPE", volume: 100), "WIF": rising("WIF", volume: 1000), "BONK": rising("BONK", volume: 100),
            "DOGE": falling("DOGE"), "BTC": rising("BTC", volume: 1e9),
        ]
        var configuration = TrendingConfiguration()
        configuration.top = 3
        let ranking = try TrendingEngine(configuration: configuration).rank(history: history, sentiment: ["DOGE": -0.5], now: now)
        #expect(ranking.updates.map(\.timeframe) == [.oneHour, .fourHours, .oneDay, .sevenDays])
        for update in ranking.updates {
            #expect(update.timestamp == now)
            #expect(update.coins.map(\.token) == ["WIF", "BONK", "PEPE"], "equal scores: higher volume first, then symbol; BTC is no memecoin")
            #expect(update.coins.map(\.rank) == [1, 2, 3])
            #expect(update.coins[0].volume24h == 2000 && update.coins[0].priceChange24h == 10)
        }
        #expect(ranking.ranks24h == ["WIF": 1, "BONK": 2, "PEPE": 3, "DOGE": 4])
        let coin = ranking.updates[0].coins[0]
        #expect(coin.json == [
            "token": "WIF", "rank": 1, "sentimentScore": 0, "volume24h": 2000, "priceChange24h": 10,
            "trendingScore": .number(coin.trendingScore),
        ])
        #expect(ranking.updates[2].data["timeframe"] == "24h")
        #expect(ranking.updates[2].data["coins"]?.arrayValue?.count == 3)
    }

    @Test("configuration validation")
    func configuration() {
        #expect(throws: Never.self) { try TrendingConfiguration().validate() }
        #expect(throws: TrendingConfigurationError.self) { try TrendingConfiguration(universe: []).validate() }
        #expect(throws: TrendingConfigurationError.self) { try TrendingConfiguration(universe: ["pepe"]).validate() }
        #expect(throws: TrendingConfigurationError.self) { try TrendingConfiguration(top: 0).validate() }
        #expect(throws: TrendingConfigurationError.self) {
            try TrendingConfiguration(weights: TrendingWeights(sentiment: 0, volume: 0, price: 0, mentions: 0)).validate()
        }
        #expect(throws: TrendingConfigurationError.self) { try TrendingConfiguration(priceScale: [.oneHour: 5]).validate() }
        #expect(throws: TrendingConfigurationError.self) { try TrendingConfiguration(retention: .seconds(3600)).validate() }
        #expect(throws: TrendingConfigurationError.self) { try TrendingConfiguration(interval: .milliseconds(10)).validate() }
    }
}

@Suite("Trending simulator")
struct TrendingSimulatorTests {
    @Test("deterministic; back-fills an hour at the first call, then one sample per coin per interval")
    func deterministic() {
        var a = TrendingSimulator(seed: 9)
        var b = TrendingSimulator(seed: 9)
        var c = TrendingSimulator(seed: 10)
        let first = a.next(now: t0)
        #expect(first == b.next(now: t0))
        #expect(first != c.next(now: t0))
        #expect(first.count == 61 * 18, "now - 60 min … now, every minute, 18 coins")
        #expect(first.first?.timestamp == t0 - hour && first.last?.timestamp == t0)
        #expect(a.next(now: t0 + 30_000).isEmpty, "nothing due within the minute")
        #expect(a.next(now: t0 + 60_000).map(\.timestamp) == Array(repeating: t0 + 60_000, count: 18))
    }

    @Test("samples are valid ingest items, and a day of them gives a varied ranking")
    func believable() throws {
        var simulator = TrendingSimulator(seed: 42)
        var all: [MarketSample] = []
        for step in 0...(24 * 60) { all += simulator.next(now: t0 + Int64(step) * minute) }
        let end = t0 + day
        let parsed = try TrendingInput.parseBatch(
            body(Array(all.suffix(1000))), now: end, universe: Set(TrendingConfiguration.defaultUniverse), oldest: end - 8 * day)
        #expect(parsed == Array(all.suffix(1000)))
        #expect(all.contains { $0.mentions > 0 } && all.allSatisfy { $0.price > 0 && $0.volume24h > 0 })
        let history = Dictionary(grouping: all, by: \.token)
        let ranking = try TrendingEngine().rank(history: history, sentiment: [:], now: end)
        let leaders = Set(ranking.updates.compactMap { $0.coins.first?.token })
        let scores = ranking.updates[0].coins.map(\.trendingScore)
        #expect(ranking.ranks24h.count == 18)
        #expect(Set(scores).count > 5, "scores differ between coins: \(scores)")
        #expect(!leaders.isEmpty)
    }
}
