import CoinDailySentiment
import Foundation
import Testing

@Suite("Parsing ingest JSON")
struct SentimentInputParsingTests {
    // MARK: Valid inputs

    @Test("a full signal parses; the token is uppercased, the source case-insensitive")
    func fullSignal() throws {
        let input = try parseOne(#"{"kind":"signal","token":"btc","source":"Social","score":-0.25,"weight":2.5,"timestamp":1700000000123}"#)
        #expect(input == .signal(SentimentSignal(token: "BTC", source: .social, score: -0.25, weight: 2.5, timestamp: 1_700_000_000_123)))
    }

    @Test("defaults: weight 1, timestamp now; integer scores and the bounds ±1 are accepted")
    func signalDefaults() throws {
        #expect(try parseOne(#"{"token":"ETH","source":"news","score":1}"#, now: 42)
            == .signal(SentimentSignal(token: "ETH", source: .news, score: 1, weight: 1, timestamp: 42)))
        #expect(try parseOne(#"{"token":"ETH","source":"news","score":-1,"weight":null}"#, now: 42)
            == .signal(SentimentSignal(token: "ETH", source: .news, score: -1, weight: 1, timestamp: 42)))
        #expect(try parseOne(#"{"token":"ETH","source":"whale","score":0}"#, now: 42)
            == .signal(SentimentSignal(token: "ETH", source: .whale, score: 0, weight: 1, timestamp: 42)))
    }

    @Test("an object with a price key is a price tick; kind decides when present")
    func priceTicks() throws {
        #expect(try parseOne(#"{"token":"sol","price":151.25,"volume24h":3000000000,"timestamp":5}"#)
            == .price(PriceTick(token: "SOL", price: 151.25, timestamp: 5, volume24h: 3e9)))
        #expect(try parseOne(#"{"kind":"price","token":"SOL","price":1}"#, now: 9)
            == .price(PriceTick(token: "SOL", price: 1, timestamp: 9)))
        #expect(try parseOne(#"{"kind":"signal","token":"SOL","source":"technical","score":0.5,"price":3}"#, now: 9)
            == .signal(SentimentSignal(token: "SOL", source: .technical, score: 0.5, timestamp: 9)))
    }

    @Test("tokens of 1 to 15 letters and digits are accepted")
    func tokenLengths() throws {
        #expect(try parseOne(#"{"token":"a","price":1}"#).token == "A")
        #expect(try parseOne(#"{"token":"ABCDEFGHIJ12345","price":1}"#).token == "ABCDEFGHIJ12345")
        #expect(try parseOne(#"{"token":"1inch","price":1}"#).token == "1INCH")
    }

    // MARK: Field errors

    @Test("missing fields are named")
    func missingFields() {
        #expect(batchError(#"{"source":"social","score":0.1}"#) == .missingField(field: "token"))
        #expect(batchError(#"{"token":null,"source":"social","score":0.1}"#) == .missingField(field: "token"))
        #expect(batchError(#"{"token":"BTC","score":0.1}"#) == .missingField(field: "source"))
        #expect(batchError(#"{"token":"BTC","source":"news"}"#) == .missingField(field: "score"))
        #expect(batchError(#"{"kind":"price","token":"BTC"}"#) == .missingField(field: "price"))
    }

    @Test("bad token symbols", arguments: ["BTC-USD", "", "ABCDEFGHIJ123456", "B C", "ÉTH", "ＢＴＣ", "btc\n"])
    func badTokens(token: String) {
        #expect(objectError(["token": token, "price": 1])
            == .invalidField(field: "token", reason: "must match ^[A-Z0-9]{1,15}$ after uppercasing"))
    }

    @Test("a non-string token is a type error")
    func tokenType() {
        #expect(batchError(#"{"token":42,"price":1}"#) == .wrongType(field: "token", expected: "string"))
    }

    @Test("score out of range", arguments: ["2", "-1.0001", "1.0000001", "-7"])
    func scoreOutOfRange(score: String) {
        let error = batchError(#"{"token":"BTC","source":"social","score":\#(score)}"#)
        #expect(error == .invalidField(field: "score", reason: "must be a number in [-1, 1]"))
        #expect(error?.description == "score must be a number in [-1, 1]")
    }

    @Test("score of the wrong type: string, numeric string, boolean, array, object", arguments: [
        #""x""#, #""0.5""#, "true", "false", "[0.5]", #"{"v":0.5}"#,
    ])
    func scoreWrongType(score: String) {
        #expect(batchError(#"{"token":"BTC","source":"social","score":\#(score)}"#)
            == .wrongType(field: "score", expected: "number"))
    }

    @Test("booleans are not numbers anywhere (JSONSerialization boxes both as NSNumber)")
    func booleansRejected() throws {
        #expect(batchError(#"{"token":"BTC","source":"social","score":0.5,"weight":true}"#)
            == .wrongType(field: "weight", expected: "number"))
        #expect(batchError(#"{"token":"BTC","price":true}"#) == .wrongType(field: "price", expected: "number"))
        #expect(batchError(#"{"token":"BTC","price":1,"volume24h":false}"#) == .wrongType(field: "volume24h", expected: "number"))
        #expect(batchError(#"{"token":"BTC","price":1,"timestamp":true}"#) == .wrongType(field: "timestamp", expected: "integer"))
        // Decoded JSON: true is rejected, 1 and 0 (NSNumber with the same value) are not.
        let decoded = try #require(
            try JSONSerialization.jsonObject(with: Data(#"{"t":true,"one":1,"zero":0,"f":false}"#.utf8)) as? [String: Any]
        )
        let (yes, no, one, zero) = try (#require(decoded["t"]), #require(decoded["f"]), #require(decoded["one"]), #require(decoded["zero"]))
        #expect(objectError(["token": "BTC", "source": "news", "score": yes]) == .wrongType(field: "score", expected: "number"))
        #expect(objectError(["token": "BTC", "source": "news", "score": no]) == .wrongType(field: "score", expected: "number"))
        #expect(objectError(["token": "BTC", "source": "news", "score": one]) == nil)
        #expect(objectError(["token": "BTC", "source": "news", "score": zero]) == nil)
        // Values built in Swift: Bool and NSNumber(value: Bool) rejected, Int / Double / NSNumber accepted.
        #expect(objectError(["token": "BTC", "source": "news", "score": true]) == .wrongType(field: "score", expected: "number"))
        #expect(objectError(["token": "BTC", "source": "news", "score": NSNumber(value: false)]) == .wrongType(field: "score", expected: "number"))
        #expect(objectError(["token": "BTC", "source": "news", "score": 1]) == nil)
        #expect(objectError(["token": "BTC", "source": "news", "score": NSNumber(value: 0.5)]) == nil)
        #expect(objectError(["token": "BTC", "source": "news", "score": Float(0.5)]) == nil)
    }

    @Test("unknown source")
    func unknownSource() {
        let error = batchError(#"{"token":"BTC","source":"reddit","score":0.1}"#)
        #expect(error == .invalidField(field: "source", reason: "must be one of social, news, whale, technical"))
        #expect(error?.description == "source must be one of social, news, whale, technical")
        #expect(batchError(#"{"token":"BTC","source":3,"score":0.1}"#) == .wrongType(field: "source", expected: "string"))
    }

    @Test("weight must be > 0", arguments: ["0", "-1", "-0.5"])
    func badWeight(weight: String) {
        #expect(batchError(#"{"token":"BTC","source":"whale","score":0.1,"weight":\#(weight)}"#)
            == .invalidField(field: "weight", reason: "must be a finite number > 0"))
    }

    @Test("price must be > 0, volume24h >= 0")
    func badPrice() {
        #expect(batchError(#"{"token":"BTC","price":-1}"#) == .invalidField(field: "price", reason: "must be a finite number > 0"))
        #expect(batchError(#"{"token":"BTC","price":0}"#) == .invalidField(field: "price", reason: "must be a finite number > 0"))
        #expect(batchError(#"{"token":"BTC","price":"100"}"#) == .wrongType(field: "price", expected: "number"))
        #expect(batchError(#"{"token":"BTC","price":1,"volume24h":-5}"#) == .invalidField(field: "volume24h", reason: "must be a finite number >= 0"))
        #expect(batchError(#"{"token":"BTC","price":1,"volume24h":0}"#) == nil)
    }

    @Test("kind must be signal or price")
    func badKind() {
        #expect(batchError(#"{"kind":"trade","token":"BTC","price":1}"#) == .invalidField(field: "kind", reason: "must be \"signal\" or \"price\""))
        #expect(batchError(#"{"kind":1,"token":"BTC","price":1}"#) == .wrongType(field: "kind", expected: "string"))
    }

    @Test("timestamp: integer ms, not negative, not fractional, at most 5 minutes ahead")
    func timestamps() throws {
        let reason = "must be a non-negative integer of Unix epoch milliseconds"
        #expect(batchError(#"{"token":"BTC","price":1,"timestamp":1.5}"#) == .invalidField(field: "timestamp", reason: reason))
        #expect(batchError(#"{"token":"BTC","price":1,"timestamp":-1}"#) == .invalidField(field: "timestamp", reason: reason))
        #expect(batchError(#"{"token":"BTC","price":1,"timestamp":"1700000000000"}"#) == .wrongType(field: "timestamp", expected: "integer"))
        #expect(batchError(#"{"token":"BTC","price":1,"timestamp":1700000300001}"#, now: t0)
            == .invalidField(field: "timestamp", reason: "must not be more than 300000 ms in the future"))
        #expect(try parseOne(#"{"token":"BTC","price":1,"timestamp":1700000300000}"#, now: t0).timestamp == t0 + 300_000)
        #expect(try parseOne(#"{"token":"BTC","price":1,"timestamp":1.7e12}"#, now: t0).timestamp == 1_700_000_000_000)
    }

    @Test("non-finite numbers: JSON cannot carry them (1e400 is malformed); in-memory ones are rejected")
    func nonFinite() {
        guard case .malformedJSON = batchError(#"{"token":"BTC","source":"news","score":1e400}"#) else {
            Issue.record("1e400 should be malformed JSON")
            return
        }
        #expect(objectError(["token": "BTC", "source": "news", "score": Double.infinity])
            == .invalidField(field: "score", reason: "must be a number in [-1, 1]"))
        #expect(objectError(["token": "BTC", "source": "news", "score": Double.nan])
            == .invalidField(field: "score", reason: "must be a number in [-1, 1]"))
        #expect(objectError(["token": "BTC", "source": "news", "score": 0.1, "weight": Double.infinity])
            == .invalidField(field: "weight", reason: "must be a finite number > 0"))
        #expect(objectError(["token": "BTC", "price": Double.infinity])
            == .invalidField(field: "price", reason: "must be a finite number > 0"))
        #expect(objectError(["token": "BTC", "price": Double.nan])
            == .invalidField(field: "price", reason: "must be a finite number > 0"))
    }

    // MARK: Payload-level errors and batches

    @Test("malformed JSON and non-objects")
    func payloadErrors() {
        guard case .malformedJSON = batchError("not json") else {
            Issue.record("expected malformedJSON")
            return
        }
        guard case .malformedJSON = batchError("") else {
            Issue.record("expected malformedJSON for an empty body")
            return
        }
        #expect(batchError("5") == .notAnObject)
        #expect(batchError(#""BTC""#) == .notAnObject)
        #expect(throws: SentimentInputError.notAnObject) {
            try SentimentInput.parse(from: Data(#"[{"token":"BTC","price":1}]"#.utf8), now: t0)
        }
    }

    @Test("a single object or an array of them")
    func batches() throws {
        let single = try SentimentInput.parseBatch(Data(#"{"token":"BTC","price":1}"#.utf8), now: 7)
        #expect(single == [.price(PriceTick(token: "BTC", price: 1, timestamp: 7))])
        let many = try SentimentInput.parseBatch(Data(#"""
        [{"token":"BTC","price":1},
         {"token":"eth","source":"whale","score":-0.5,"weight":3,"timestamp":5}]
        """#.utf8), now: 7)
        #expect(many == [
            .price(PriceTick(token: "BTC", price: 1, timestamp: 7)),
            .signal(SentimentSignal(token: "ETH", source: .whale, score: -0.5, weight: 3, timestamp: 5)),
        ])
    }

    @Test("an array with a bad third item names index 2 and the field")
    func badThirdItem() {
        let error = batchError(#"""
        [{"token":"BTC","source":"social","score":0.1},
         {"token":"ETH","price":3000},
         {"token":"SOL","source":"social","score":2},
         {"token":"DOGE","source":"bogus","score":0.1}]
        """#)
        #expect(error == .item(index: 2, .invalidField(field: "score", reason: "must be a number in [-1, 1]")))
        #expect(error?.itemIndex == 2)
        #expect(error?.field == "score")
        #expect(error?.description == "item 2: score must be a number in [-1, 1]")
        #expect(batchError(#"[{"token":"BTC","price":1}, 7]"#) == .item(index: 1, .notAnObject))
        #expect(batchError(#"[{"price":1}]"#) == .item(index: 0, .missingField(field: "token")))
    }

    @Test("an empty array is rejected")
    func emptyArray() {
        #expect(batchError("[]") == .emptyBatch)
        #expect(batchError(" [ ] ") == .emptyBatch)
    }

    @Test("more than the maximum number of items is rejected, the maximum itself accepted")
    func tooManyItems() throws {
        func array(_ n: Int) -> String {
            "[" + Array(repeating: #"{"token":"BTC","price":1}"#, count: n).joined(separator: ",") + "]"
        }
        #expect(batchError(array(1001)) == .batchTooLarge(count: 1001, limit: 1000))
        #expect(try SentimentInput.parseBatch(Data(array(1000).utf8), now: t0).count == 1000)
        #expect(batchError(array(4), maxItems: 3) == .batchTooLarge(count: 4, limit: 3))
        #expect(batchError(array(3), maxItems: 3) == nil)
    }
}
