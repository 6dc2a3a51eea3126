import CoinDailyProducer
import CoinDailyProtocol
import Foundation
import NIOCore
import Testing

@testable import CoinDailyTrending

@Suite("Trending input parsing")
struct TrendingInputTests {
    let universe = Set(TrendingConfiguration.defaultUniverse)

    func error(_ json: String, maxItems: Int = 1000) -> TrendingInputError? {
        do {
            _ = try TrendingInput.parseBatch(ByteBuffer(string: json), now: t0, universe: universe, oldest: t0 - 7 * day, maxItems: maxItems)
            return nil
        } catch {
            return error
        }
    }

    @Test("a sample: token upper-cased, every field kept; arrays of samples")
    func valid() throws {
        let one = try TrendingInput.parseBatch(
            ByteBuffer(string: #"{"token":"pepe","price":0.0000123,"volume24h":6.5e8,"mentions":420,"timestamp":1700000000000}"#),
            now: t0, universe: universe, oldest: 0)
        #expect(one == [MarketSample(token: "PEPE", price: 0.0000123, volume24h: 6.5e8, mentions: 420, timestamp: t0)])
        let samples = [sample("WIF", price: 2, mentions: 3, at: t0 - minute), sample("DOGE", price: 0.1, volume: 0, at: t0)]
        let many = try TrendingInput.parseBatch(body(samples), now: t0, universe: universe, oldest: 0)
        #expect(many == samples)
    }

    static let base = #""token":"PEPE","price":1,"volume24h":5,"mentions":2,"timestamp":1700000000000"#

    @Test(
        "bad fields are named",
        arguments: [
            (#"{"price":1,"volume24h":5,"mentions":2,"timestamp":1700000000000}"#, TrendingInputError.missingField(field: "token")),
            (#"{"token":"BTC","price":1,"volume24h":5,"mentions":2,"timestamp":1700000000000}"#,
             .invalidField(field: "token", reason: "BTC is not one of the tracked memecoins")),
            (#"{"token":"PE PE","price":1,"volume24h":5,"mentions":2,"timestamp":1700000000000}"#,
             .invalidField(field: "token", reason: "must match ^[A-Z0-9]{1,15}$ after uppercasing")),
            (#"{"token":"PEPE","price":0,"volume24h":5,"mentions":2,"timestamp":1700000000000}"#,
             .invalidField(field: "price", reason: "must be a finite number > 0")),
            (#"{"token":"PEPE","price":"1","volume24h":5,"mentions":2,"timestamp":1700000000000}"#,
             .wrongType(field: "price", expected: "number")),
            (#"{"token":"PEPE","price":1,"mentions":2,"timestamp":1700000000000}"#, .missingField(field: "volume24h")),
            (#"{"token":"PEPE","price":1,"volume24h":-1,"mentions":2,"timestamp":1700000000000}"#,
             .invalidField(field: "volume24h", reason: "must be a finite number >= 0")),
            (#"{"token":"PEPE","price":1,"volume24h":5,"mentions":2.5,"timestamp":1700000000000}"#,
             .invalidField(field: "mentions", reason: "must be an integer >= 0")),
            (#"{"token":"PEPE","price":1,"volume24h":5,"mentions":true,"timestamp":1700000000000}"#,
             .wrongType(field: "mentions", expected: "integer")),
            (#"{"token":"PEPE","price":1,"volume24h":5,"mentions":2}"#, .missingField(field: "timestamp")),
            (#"{"token":"PEPE","price":1,"volume24h":5,"mentions":2,"timestamp":1700000300001}"#,
             .invalidField(field: "timestamp", reason: "must not be more than 300000 ms in the future")),
            (#"{"token":"PEPE","price":1,"volume24h":5,"mentions":2,"timestamp":1699395199999}"#,
             .invalidField(field: "timestamp", reason: "is older than the kept history (604800 s)")),
        ])
    func badField(json: String, expected: TrendingInputError) {
        #expect(error(json) == expected)
    }

    @Test("whole bodies: malformed, not objects, empty, too large; element errors carry the index")
    func bodies() {
        #expect(error("{") == .malformedJSON)
        #expect(error("\"x\"") == .notAnObject(field: nil))
        #expect(error("[]") == .emptyBatch)
        #expect(error("[{\(Self.base)},{\(Self.base)}]", maxItems: 1) == .batchTooLarge(count: 2, limit: 1))
        let bad = error("[{\(Self.base)},{\(Self.base.replacingOccurrences(of: "\"mentions\":2", with: "\"mentions\":-1"))}]")
        #expect(bad == .item(index: 1, .invalidField(field: "mentions", reason: "must be an integer >= 0")))
        #expect(bad?.field == "mentions" && bad?.itemIndex == 1)
        #expect(bad?.description == "item 1: mentions must be an integer >= 0")
        // A wrong JSON type reads as English (it said "must be a integer" before the shared wording).
        let wrongType = error("{\(Self.base.replacingOccurrences(of: "\"mentions\":2", with: "\"mentions\":\"2\""))}")
        #expect(wrongType?.description == "mentions must be an integer")
        #expect(IngestInputError.wrongTypeMessage(field: "score", expected: "number") == "score must be a number")
    }

    @Test("the stored member form round-trips; junk is refused")
    func member() {
        let s = MarketSample(token: "PEPE", price: 0.0000123, volume24h: 6.5e8, mentions: 7, timestamp: t0)
        #expect(MarketSample(token: "PEPE", member: s.member) == s)
        #expect(MarketSample(token: "PEPE", member: "1|2|3") == nil)
        #expect(MarketSample(token: "PEPE", member: "a|2|3|4") == nil)
    }
}
