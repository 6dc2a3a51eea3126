import CoinDailySentiment
import Foundation
import Testing

@Suite("Aggregation, decay and staleness")
struct SentimentAggregationTests {
    @Test("a source's effective weight halves after one half-life and quarters after two")
    func decayHalvesWeight() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.social, 0.5, weight: 2, at: t0))
        let atStart = try #require(engine.sourceSnapshot(token: "BTC", source: .social, now: t0))
        let afterOne = try #require(engine.sourceSnapshot(token: "BTC", source: .social, now: t0 + halfLife))
        let afterTwo = try #require(engine.sourceSnapshot(token: "BTC", source: .social, now: t0 + 2 * halfLife))
        #expect(atStart.effectiveWeight == 2)
        #expect(abs(afterOne.effectiveWeight - 1) < 1e-12)
        #expect(abs(afterTwo.effectiveWeight - 0.5) < 1e-12)
        // Decay alone does not move the source's score.
        #expect(afterTwo.score == 0.5)
    }

    @Test("a signal one half-life older counts half: +1 then -1 gives -1/3, in either arrival order")
    func olderSignalsCountLess() throws {
        var inOrder = try SentimentEngine()
        inOrder.apply(signal(.social, 1, at: t0))
        inOrder.apply(signal(.social, -1, at: t0 + halfLife))
        var reversed = try SentimentEngine()
        reversed.apply(signal(.social, -1, at: t0 + halfLife))
        reversed.apply(signal(.social, 1, at: t0))

        let now = t0 + halfLife
        let a = try #require(inOrder.sourceSnapshot(token: "BTC", source: .social, now: now))
        let b = try #require(reversed.sourceSnapshot(token: "BTC", source: .social, now: now))
        // (0.5·1 + 1·(-1)) / (0.5 + 1) = -1/3
        #expect(abs(a.score - (-1.0 / 3.0)) < 1e-12)
        #expect(abs(b.score - (-1.0 / 3.0)) < 1e-12)
        #expect(abs(a.effectiveWeight - 1.5) < 1e-12)
        #expect(abs(b.effectiveWeight - 1.5) < 1e-12)
        #expect(inOrder.reading(for: "BTC", now: now)?.sources.social == -0.3333)
    }

    @Test("the score is the source-weighted mean of the live sources' scores")
    func weightedMean() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.social, 0.5, at: t0))
        engine.apply(signal(.whale, 1.0, at: t0))
        // Only social (0.30) and whale (0.20): (0.3·0.5 + 0.2·1) / 0.5 = 0.7
        #expect(engine.reading(for: "BTC", now: t0)?.score == 0.7)

        engine.apply(signal(.news, -0.5, at: t0))
        engine.apply(signal(.technical, 0, at: t0))
        // All four: 0.3·0.5 + 0.3·(-0.5) + 0.2·1 + 0.2·0 = 0.2
        let reading = try #require(engine.reading(for: "BTC", now: t0))
        #expect(reading.score == 0.2)
        #expect(reading.sources == SentimentSourceValues(social: 0.5, news: -0.5, whale: 1, technical: 0))
    }

    @Test("custom source weights change the mix")
    func customWeights() throws {
        let configuration = SentimentConfiguration(sourceWeights: SentimentSourceValues(social: 3, news: 1, whale: 0, technical: 0))
        var engine = try SentimentEngine(configuration: configuration)
        engine.apply(signal(.social, 1, at: t0))
        engine.apply(signal(.news, -1, at: t0))
        engine.apply(signal(.whale, -1, at: t0)) // weight 0: reported, not mixed
        let reading = try #require(engine.reading(for: "BTC", now: t0))
        #expect(reading.score == 0.5) // (3 - 1) / 4
        #expect(reading.sources.whale == -1)
    }

    @Test("a source with no signal for 6 half-lives stops counting")
    func staleSourceStopsCounting() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.social, 1, at: t0))
        engine.apply(signal(.news, -1, at: t0 + hour))

        #expect(engine.reading(for: "BTC", now: t0 + hour)?.score == 0)
        let justBefore = t0 + 6 * halfLife - 1
        #expect(engine.reading(for: "BTC", now: justBefore)?.score == 0)
        #expect(engine.sourceSnapshot(token: "BTC", source: .social, now: justBefore)?.isLive == true)

        let stale = t0 + 6 * halfLife
        let reading = try #require(engine.reading(for: "BTC", now: stale))
        #expect(reading.score == -1)
        #expect(reading.sources.social == 0)
        #expect(reading.sources.news == -1)
        #expect(engine.sourceSnapshot(token: "BTC", source: .social, now: stale)?.isLive == false)

        // A fresh signal revives the source, and the old one's weight (1/64) barely counts.
        engine.apply(signal(.social, 0, at: stale))
        let revived = try #require(engine.sourceSnapshot(token: "BTC", source: .social, now: stale))
        #expect(revived.isLive)
        #expect(abs(revived.score - (1.0 / 64) / (1 + 1.0 / 64)) < 1e-12)
    }

    @Test("with every source stale the reading stays, neutral with zero confidence")
    func everythingStale() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.whale, 0.9, weight: 10, at: t0))
        let reading = try #require(engine.reading(for: "BTC", now: t0 + 7 * halfLife))
        #expect(reading.score == 0)
        #expect(reading.confidence == 0)
        #expect(reading.sentiment == .neutral)
        #expect(reading.sources == SentimentSourceValues())
    }

    @Test("tokens are uppercased; scores are clamped; unusable values are dropped")
    func applyNormalises() throws {
        var engine = try SentimentEngine()
        let accepted = engine.apply(signal("eth", .news, 3, at: t0))
        #expect(accepted)
        #expect(engine.reading(for: "ETH", now: t0)?.sources.news == 1)
        #expect(engine.reading(for: "eth", now: t0)?.token == "ETH")
        let rejected = [
            engine.apply(signal("SOL", .news, 0.5, weight: 0, at: t0)),
            engine.apply(signal("SOL", .news, .nan, at: t0)),
            engine.apply(tick("SOL", -1, at: t0)),
        ]
        #expect(rejected == [false, false, false])
        #expect(engine.tokens == ["ETH"])
    }

    @Test("the token limit drops inputs for new tokens; idle tokens can be removed")
    func tokenLimitAndEviction() throws {
        var engine = try SentimentEngine(configuration: SentimentConfiguration(maxTokens: 2))
        let results = [
            engine.apply(signal("A", .news, 0.5, at: t0)),
            engine.apply(tick("B", 10, at: t0 + hour)),
            engine.apply(signal("C", .news, 0.5, at: t0)),
            engine.apply(signal("A", .social, 0.5, at: t0)),
        ]
        #expect(results == [true, true, false, true])
        #expect(engine.tokens == ["A", "B"])
        let removed = engine.removeIdleTokens(now: t0 + 2 * hour, idleFor: .seconds(3600))
        #expect(removed == ["A"])
        let acceptedAfterEviction = engine.apply(signal("C", .news, 0.5, at: t0))
        #expect(acceptedAfterEviction)
        #expect(engine.tokens == ["B", "C"])
    }

    @Test("an invalid configuration is rejected with the field named")
    func invalidConfiguration() {
        #expect(throws: SentimentConfigurationError.invalidValue(field: "halfLife", reason: "must be > 0")) {
            try SentimentEngine(configuration: SentimentConfiguration(halfLife: .zero))
        }
        #expect(throws: SentimentConfigurationError.invalidValue(field: "sourceWeights", reason: "must not all be 0")) {
            try SentimentConfiguration(sourceWeights: SentimentSourceValues()).validate()
        }
        #expect(throws: SentimentConfigurationError.invalidValue(field: "priceHistoryCapacity", reason: "times priceSampleInterval must cover priceChangeWindow")) {
            try SentimentConfiguration(priceHistoryCapacity: 100).validate()
        }
        #expect((try? SentimentConfiguration().validate()) != nil)
    }
}
