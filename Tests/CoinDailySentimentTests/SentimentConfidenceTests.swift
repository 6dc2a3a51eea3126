import CoinDailySentiment
import Foundation
import Testing

@Suite("Confidence")
struct SentimentConfidenceTests {
    @Test("one source: coverage × evidence, e.g. social weight 5 → 0.3 · (1 - e⁻¹)")
    func exactValueForOneSource() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.social, 0.5, weight: 5, at: t0))
        let expected = 0.3 * (1 - exp(-1.0))
        #expect(engine.reading(for: "BTC", now: t0)?.confidence == (expected * 10_000).rounded() / 10_000)
        #expect(engine.reading(for: "BTC", now: t0)?.confidence == 0.1896)
    }

    @Test("all four sources agreeing with lots of evidence approach 1; total disagreement gives 0")
    func extremes() throws {
        var engine = try SentimentEngine()
        for source in SentimentSource.allCases {
            engine.apply(signal("SURE", source, 0.8, weight: 100, at: t0))
        }
        #expect(engine.reading(for: "SURE", now: t0)?.confidence == 1)

        engine.apply(signal("SPLIT", .social, 1, weight: 50, at: t0))
        engine.apply(signal("SPLIT", .news, -1, weight: 50, at: t0))
        // Equal source weights at +1 and -1: σ = 1, agreement 0.
        let split = try #require(engine.reading(for: "SPLIT", now: t0))
        #expect(split.confidence == 0)
        #expect(split.score == 0)
    }

    @Test("more agreeing evidence raises confidence, strictly, and never past 1")
    func monotoneInEvidence() throws {
        var engine = try SentimentEngine()
        var previous = 0.0
        for i in 0..<40 {
            engine.apply(signal(.news, 0.4, at: t0 + Int64(i)))
            let confidence = try #require(engine.reading(for: "BTC", now: t0 + 40)?.confidence)
            #expect(confidence <= 1)
            if i < 10 {
                #expect(confidence > previous)
            } else {
                #expect(confidence >= previous)
            }
            previous = confidence
        }
        // A single live source caps confidence at its coverage share.
        #expect(previous <= 0.3)
    }

    @Test("another agreeing source raises confidence; a disagreeing one lowers it")
    func monotoneInCoverageAndAgreement() throws {
        var agree = try SentimentEngine()
        agree.apply(signal(.social, 0.5, weight: 3, at: t0))
        let one = try #require(agree.reading(for: "BTC", now: t0)?.confidence)
        agree.apply(signal(.news, 0.5, weight: 3, at: t0))
        let two = try #require(agree.reading(for: "BTC", now: t0)?.confidence)
        #expect(two > one)

        var disagree = try SentimentEngine()
        disagree.apply(signal(.social, 0.5, weight: 3, at: t0))
        disagree.apply(signal(.news, 0.5, weight: 3, at: t0))
        disagree.apply(signal(.whale, -0.5, weight: 3, at: t0))
        let three = try #require(disagree.reading(for: "BTC", now: t0)?.confidence)
        agree.apply(signal(.whale, 0.5, weight: 3, at: t0))
        let threeAgreeing = try #require(agree.reading(for: "BTC", now: t0)?.confidence)
        #expect(three < threeAgreeing)
        #expect(three < two)
    }

    @Test("confidence fades as evidence decays, and is 0 once all sources are stale")
    func decaysOverTime() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.technical, 0.3, weight: 4, at: t0))
        var previous = 2.0
        for step in 0..<6 {
            let confidence = try #require(engine.reading(for: "BTC", now: t0 + Int64(step) * halfLife)?.confidence)
            #expect(confidence < previous)
            #expect(confidence > 0)
            previous = confidence
        }
        #expect(engine.reading(for: "BTC", now: t0 + 6 * halfLife)?.confidence == 0)
    }

    @Test("over a simulated day every reading keeps score in [-1, 1] and confidence in [0, 1]")
    func boundsUnderSimulation() throws {
        var simulator = SentimentSimulator(seed: 7)
        var engine = try SentimentEngine()
        var now = t0
        var readings = 0
        for _ in 0..<(24 * 60) {
            now += minute
            engine.apply(contentsOf: simulator.next(now: now))
            for reading in engine.dueReadings(now: now) {
                readings += 1
                #expect((-1...1).contains(reading.score))
                #expect((0...1).contains(reading.confidence))
                for source in SentimentSource.allCases {
                    #expect((-1...1).contains(reading.sources[source]))
                }
                #expect(reading.priceChange24h.isFinite)
                #expect(reading.priceChange24h > -100)
            }
        }
        #expect(readings >= 24 * 60 * SentimentSimulator.defaultTokens.count / 2)
    }
}
