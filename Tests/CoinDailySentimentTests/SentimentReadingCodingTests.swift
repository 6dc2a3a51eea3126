import CoinDailySentiment
import Foundation
import Testing

@Suite("Reading JSON")
struct SentimentReadingCodingTests {
    private func keys(_ reading: SentimentReading) throws -> Set<String> {
        let data = try JSONEncoder().encode(reading)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Set(object.keys)
    }

    @Test("encodes exactly the protocol's fields; trendingRank only when set")
    func fields() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.social, 0.61, at: t0))
        let reading = try #require(engine.reading(for: "BTC", now: t0))
        #expect(try keys(reading) == ["token", "sentiment", "score", "confidence", "sources", "priceChange24h", "timestamp"])
        engine.setTrendingRank(token: "BTC", rank: 4)
        let ranked = try #require(engine.reading(for: "BTC", now: t0))
        #expect(try keys(ranked) == ["token", "sentiment", "score", "confidence", "sources", "trendingRank", "priceChange24h", "timestamp"])

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(String(data: try encoder.encode(ranked), encoding: .utf8))
        #expect(json == #"{"confidence":0.0544,"priceChange24h":0,"score":0.61,"sentiment":"very_bullish","sources":{"news":0,"social":0.61,"technical":0,"whale":0},"timestamp":1700000000000,"token":"BTC","trendingRank":4}"#)
    }

    @Test("round-trips through JSON")
    func roundTrip() throws {
        let reading = SentimentReading(
            token: "ETH", sentiment: .bearish, score: -0.3125, confidence: 0.4711,
            sources: SentimentSourceValues(social: -0.5, news: -0.1, whale: 0, technical: -0.25),
            trendingRank: nil, priceChange24h: -2.5, timestamp: 1_700_000_000_000
        )
        let decoded = try JSONDecoder().decode(SentimentReading.self, from: JSONEncoder().encode(reading))
        #expect(decoded == reading)
    }

    @Test("doubles are rounded to 4 decimal places")
    func rounding() throws {
        var engine = try SentimentEngine()
        engine.apply(signal(.news, 1.0 / 3.0, weight: 1, at: t0))
        engine.apply(tick(3, at: t0))
        engine.apply(tick(4, at: t0 + hour))
        let reading = try #require(engine.reading(for: "BTC", now: t0 + hour))
        #expect(reading.score == 0.3333)
        #expect(reading.sources.news == 0.3333)
        #expect(reading.priceChange24h == 33.3333)
    }
}
