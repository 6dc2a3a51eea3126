import CoinDailySentiment
import Testing

@Suite("priceChange24h")
struct PriceChangeTests {
    @Test("fewer than two samples give 0")
    func tooFewSamples() throws {
        var engine = try SentimentEngine()
        engine.apply(tick(100, at: t0))
        #expect(engine.reading(for: "BTC", now: t0)?.priceChange24h == 0)
        // A second tick in the same minute replaces the first: still one sample.
        engine.apply(tick(120, at: t0 + 30 * second))
        #expect(engine.reading(for: "BTC", now: t0 + 30 * second)?.priceChange24h == 0)
    }

    @Test("history shorter than 24 h compares with the oldest sample")
    func shortHistory() throws {
        var engine = try SentimentEngine()
        engine.apply(tick(100, at: t0))
        engine.apply(tick(105, at: t0 + minute))
        engine.apply(tick(110, at: t0 + 2 * minute))
        #expect(engine.reading(for: "BTC", now: t0 + 2 * minute)?.priceChange24h == 10)
        engine.apply(tick(80, at: t0 + 3 * hour))
        #expect(engine.reading(for: "BTC", now: t0 + 3 * hour)?.priceChange24h == -20)
    }

    @Test("history longer than 24 h compares with the sample at now - 24 h")
    func longHistoryExactSample() throws {
        var engine = try SentimentEngine()
        // One tick a minute for 25 h: price(m) = 100 + m.
        for m in 0...1500 {
            engine.apply(tick(100 + Double(m), at: t0 + Int64(m) * minute))
        }
        // now = minute 1500, cutoff = minute 60 → reference 160, latest 1600: +900 %.
        #expect(engine.reading(for: "BTC", now: t0 + 1500 * minute)?.priceChange24h == 900)
    }

    @Test("between samples, the sample just before now - 24 h is the reference")
    func longHistoryBetweenSamples() throws {
        var engine = try SentimentEngine()
        engine.apply(tick(200, at: t0))
        engine.apply(tick(250, at: t0 + 10 * minute))
        engine.apply(tick(300, at: t0 + 24 * hour + 5 * minute))
        // cutoff = t0 + 5 min → the t0 sample (200).
        #expect(engine.reading(for: "BTC", now: t0 + 24 * hour + 5 * minute)?.priceChange24h == 50)
        // cutoff = t0 + 10 min → the sample exactly at the cutoff (250).
        #expect(engine.reading(for: "BTC", now: t0 + 24 * hour + 10 * minute)?.priceChange24h == 20)
        // cutoff = t0 + 9 min 59.999 s → still the t0 sample.
        #expect(engine.reading(for: "BTC", now: t0 + 24 * hour + 10 * minute - 1)?.priceChange24h == 50)
    }

    @Test("the ring keeps only the newest samples; old out-of-order ticks are ignored")
    func boundedRing() throws {
        let configuration = SentimentConfiguration(
            priceChangeWindow: .seconds(180),
            priceSampleInterval: .seconds(60),
            priceHistoryCapacity: 3
        )
        var engine = try SentimentEngine(configuration: configuration)
        for m in 0...4 {
            engine.apply(tick(Double(m + 1), at: t0 + Int64(m) * minute))
        }
        // Kept: minutes 2, 3, 4 (prices 3, 4, 5). Cutoff minute 1 predates them → oldest (3).
        #expect(engine.reading(for: "BTC", now: t0 + 4 * minute)?.priceChange24h == 66.6667)
        engine.apply(tick(1000, at: t0 + minute)) // older than the newest sample: ignored
        #expect(engine.reading(for: "BTC", now: t0 + 4 * minute)?.priceChange24h == 66.6667)
    }

    @Test("a price-only token has a reading: neutral, zero confidence")
    func priceOnlyToken() throws {
        var engine = try SentimentEngine()
        engine.apply(tick("PEPE", 0.00001, at: t0))
        engine.apply(tick("PEPE", 0.000012, at: t0 + hour))
        let reading = try #require(engine.reading(for: "PEPE", now: t0 + hour))
        #expect(reading.priceChange24h == 20)
        #expect(reading.score == 0)
        #expect(reading.confidence == 0)
        #expect(reading.sentiment == .neutral)
    }
}
