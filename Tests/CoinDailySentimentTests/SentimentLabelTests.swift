import CoinDailySentiment
import Testing

@Suite("Sentiment labels")
struct SentimentLabelTests {
    @Test("default thresholds, at and around each boundary", arguments: [
        (1.0, SentimentLabel.veryBullish),
        (0.6, .veryBullish),
        (0.5999, .bullish),
        (0.2, .bullish),
        (0.1999, .neutral),
        (0.0, .neutral),
        (-0.1999, .neutral),
        (-0.2, .bearish),
        (-0.5999, .bearish),
        (-0.6, .veryBearish),
        (-1.0, .veryBearish),
    ])
    func defaultThresholds(score: Double, expected: SentimentLabel) {
        #expect(SentimentLabel(score: score) == expected)
    }

    @Test("custom thresholds are honoured")
    func customThresholds() {
        let thresholds = SentimentLabelThresholds(veryBullish: 0.8, bullish: 0.1, bearish: -0.1, veryBearish: -0.8)
        #expect(SentimentLabel(score: 0.7, thresholds: thresholds) == .bullish)
        #expect(SentimentLabel(score: 0.1, thresholds: thresholds) == .bullish)
        #expect(SentimentLabel(score: 0.05, thresholds: thresholds) == .neutral)
        #expect(SentimentLabel(score: -0.1, thresholds: thresholds) == .bearish)
        #expect(SentimentLabel(score: -0.8, thresholds: thresholds) == .veryBearish)
    }

    @Test("raw values are the protocol's strings")
    func rawValues() {
        #expect(SentimentLabel.allCases.map(\.rawValue) == ["very_bullish", "bullish", "neutral", "bearish", "very_bearish"])
    }

    @Test("the engine labels its (rounded) score: exactly 0.2 from all sources is bullish, -0.6 very bearish")
    func engineLabels() throws {
        var engine = try SentimentEngine()
        for source in SentimentSource.allCases {
            engine.apply(signal("UP", source, 0.2, at: t0))
            engine.apply(signal("DOWN", source, -0.6, at: t0))
            engine.apply(signal("FLAT", source, -0.19, at: t0))
        }
        #expect(engine.reading(for: "UP", now: t0)?.score == 0.2)
        #expect(engine.reading(for: "UP", now: t0)?.sentiment == .bullish)
        #expect(engine.reading(for: "DOWN", now: t0)?.sentiment == .veryBearish)
        #expect(engine.reading(for: "FLAT", now: t0)?.sentiment == .neutral)
    }
}
