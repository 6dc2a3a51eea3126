import CoinDailySentiment
import Testing

@Suite("Emission (dueReadings)")
struct SentimentEmissionTests {
    @Test("an engine without inputs emits nothing; a trending rank alone does not make a token")
    func nothingWithoutInputs() throws {
        var engine = try SentimentEngine()
        #expect(engine.dueReadings(now: t0).isEmpty)
        engine.setTrendingRank(token: "BTC", rank: 1)
        #expect(engine.dueReadings(now: t0 + minute).isEmpty)
        #expect(engine.reading(for: "BTC", now: t0) == nil)
    }

    @Test("first reading at once, then periodically every 30 s")
    func periodic() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.news, 0.3, at: t0))
        engine.apply(signal("ETH", .news, -0.3, at: t0))
        let first = engine.dueReadings(now: t0)
        #expect(first.map(\.token) == ["BTC", "ETH"])
        #expect(first.allSatisfy { $0.timestamp == t0 })
        #expect(engine.dueReadings(now: t0 + 10 * second).isEmpty)
        #expect(engine.dueReadings(now: t0 + 30 * second - 1).isEmpty)
        let second30 = engine.dueReadings(now: t0 + 30 * second)
        #expect(second30.map(\.token) == ["BTC", "ETH"])
        #expect(second30.first?.score == 0.3)
        #expect(engine.dueReadings(now: t0 + 59 * second).isEmpty)
        #expect(engine.dueReadings(now: t0 + 60 * second).count == 2)
    }

    @Test("a significant change is emitted at once, an insignificant one waits for the period")
    func significantAndInsignificant() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.news, 0.3, at: t0))
        engine.apply(signal("ETH", .news, 0.3, at: t0))
        _ = engine.dueReadings(now: t0)

        engine.apply(signal(.news, 0.9, weight: 50, at: t0 + 5 * second))   // BTC jumps
        engine.apply(signal("ETH", .news, 0.35, at: t0 + 5 * second))       // ETH barely moves
        let due = engine.dueReadings(now: t0 + 6 * second)
        #expect(due.map(\.token) == ["BTC"])
        let btc = try #require(due.first)
        #expect(btc.score > 0.85)
        #expect(btc.sentiment == .veryBullish)
        let eth = try #require(engine.reading(for: "ETH", now: t0 + 6 * second))
        #expect(abs(eth.score - 0.325) < 0.001) // moved by ~0.025: not significant
        #expect(engine.dueReadings(now: t0 + 29 * second).isEmpty)
        #expect(engine.dueReadings(now: t0 + 30 * second).map(\.token) == ["ETH"])
    }

    @Test("immediate emissions of a token are at least 1 s apart")
    func rateLimited() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.whale, -0.1, at: t0))
        #expect(engine.dueReadings(now: t0).count == 1)
        engine.apply(signal(.whale, 0.9, weight: 100, at: t0 + 200))
        #expect(engine.dueReadings(now: t0 + 500).isEmpty)
        #expect(engine.dueReadings(now: t0 + 999).isEmpty)
        let due = engine.dueReadings(now: t0 + second)
        #expect(due.count == 1)
        #expect(due.first?.timestamp == t0 + second)
        // And again: a new swing right after waits for the next second.
        engine.apply(signal(.whale, -0.9, weight: 10_000, at: t0 + second + 100))
        #expect(engine.dueReadings(now: t0 + second + 900).isEmpty)
        #expect(engine.dueReadings(now: t0 + 2 * second).first?.sentiment == .veryBearish)
    }

    @Test("a label change is significant even when the score moves less than 0.10")
    func labelChange() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.social, 0.19, at: t0))
        #expect(engine.dueReadings(now: t0).first?.sentiment == .neutral)
        engine.apply(signal(.social, 0.23, at: t0 + 2 * second))
        let due = engine.dueReadings(now: t0 + 2 * second)
        #expect(due.count == 1)
        #expect(due.first?.sentiment == .bullish)
        #expect(due.first.map { abs($0.score - 0.19) < 0.1 } == true)
    }

    @Test("a move of exactly 0.10 counts, despite floating point (0.3 - 0.2 < 0.1 in binary)")
    func exactThreshold() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.news, 0.3, at: t0))
        let emitted = try #require(engine.dueReadings(now: t0).first)
        #expect(emitted.score == 0.3)
        // Pretend 0.2 was the last emitted score.
        var pretend = emitted
        pretend.score = 0.2
        engine.markEmitted(pretend)
        #expect(engine.dueReadings(now: t0 + 2 * second).isEmpty) // no input since: nothing to re-check
        engine.apply(signal(.news, 0.3, at: t0 + 2 * second))
        #expect(engine.dueReadings(now: t0 + 3 * second).map(\.score) == [0.3])
    }

    @Test("markEmitted: false leaves the emission state alone until markEmitted is called")
    func deferredMarking() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.technical, 0.5, at: t0))
        let a = engine.dueReadings(now: t0, markEmitted: false)
        let b = engine.dueReadings(now: t0, markEmitted: false)
        #expect(a.count == 1)
        #expect(a == b)
        engine.markEmitted(try #require(a.first))
        #expect(engine.dueReadings(now: t0 + second).isEmpty)
        #expect(engine.dueReadings(now: t0 + 30 * second).count == 1)
    }

    @Test("trendingRank appears once set and disappears when cleared")
    func trendingRank() throws {
        var engine = try SentimentEngine()
        engine.apply(signal("PEPE", .social, 0.7, at: t0))
        #expect(engine.reading(for: "PEPE", now: t0)?.trendingRank == nil)
        engine.setTrendingRank(token: "pepe", rank: 3)
        #expect(engine.reading(for: "PEPE", now: t0)?.trendingRank == 3)
        engine.setTrendingRank(token: "PEPE", rank: nil)
        #expect(engine.reading(for: "PEPE", now: t0)?.trendingRank == nil)
    }
}
