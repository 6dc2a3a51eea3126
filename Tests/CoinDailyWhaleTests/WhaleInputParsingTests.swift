import CoinDailyProtocol
import NIOCore
import Testing

@testable import CoinDailyWhale

@Suite("Whale input parsing")
struct WhaleInputParsingTests {
    func parse(_ json: String, now: Int64 = t0, maxItems: Int = 1000) throws(WhaleInputError) -> WhaleInputBatch {
        try WhaleInput.parseBatch(ByteBuffer(string: json), now: now, maxItems: maxItems)
    }

    func error(_ json: String, now: Int64 = t0, maxItems: Int = 1000) -> WhaleInputError? {
        do {
            _ = try parse(json, now: now, maxItems: maxItems)
            return nil
        } catch {
            return error
        }
    }

    let transferPrefix = #"{"token":"pepe","amount":2.5e10,"from":"0xAbC","to":"0xdef","txHash":"0xABCDEF01","timestamp":1700000000000"#

    @Test("a transfer: token upper-cased, 0x hash lower-cased, addresses kept, priceUSD optional")
    func transfer() throws {
        let batch = try parse(transferPrefix + "}")
        #expect(!batch.isArray)
        #expect(
            batch.inputs == [
                .transfer(
                    WhaleTransfer(token: "PEPE", amount: 2.5e10, from: "0xAbC", to: "0xdef", txHash: "0xabcdef01", timestamp: t0))
            ])
        let priced = try parse(transferPrefix + #","priceUSD":0.0000123,"kind":"TRANSFER"}"#)
        #expect(priced.inputs.first == .transfer(WhaleTransfer(
            token: "PEPE", amount: 2.5e10, from: "0xAbC", to: "0xdef", txHash: "0xabcdef01", priceUSD: 0.0000123, timestamp: t0)))
    }

    @Test("a base58 hash keeps its case; a 0x string that is not hex too")
    func hashNormalisation() {
        #expect(WhaleInput.normalizeHash("5VCwKtCXgCJ6kit5") == "5VCwKtCXgCJ6kit5")
        #expect(WhaleInput.normalizeHash("0xAB12") == "0xab12")
        #expect(WhaleInput.normalizeHash("0XAB12") == "0xab12")
        #expect(WhaleInput.normalizeHash("0xZZ") == "0xZZ")
        #expect(WhaleInput.normalizeHash("0x") == "0x")
    }

    @Test("a price tick, with or without kind and volume24h")
    func priceTick() throws {
        let batch = try parse(#"[{"token":"doge","price":0.12,"volume24h":1e9,"timestamp":1700000000000},{"kind":"price","token":"BTC","price":65000,"timestamp":1700000000001}]"#)
        #expect(batch.isArray)
        #expect(
            batch.inputs == [
                .price(WhalePriceTick(token: "DOGE", price: 0.12, volume24h: 1e9, timestamp: t0)),
                .price(WhalePriceTick(token: "BTC", price: 65000, timestamp: t0 + 1)),
            ])
    }

    @Test("an object with both price and txHash is a transfer (and then needs amount)")
    func ambiguousIsTransfer() {
        #expect(error(#"{"token":"BTC","price":1,"txHash":"0x1","timestamp":1700000000000}"#) == .missingField(field: "amount"))
    }

    @Test(
        "bad fields are named",
        arguments: [
            (#"{"amount":1,"from":"a","to":"b","txHash":"h","timestamp":1700000000000}"#, WhaleInputError.missingField(field: "token")),
            (#"{"token":"BT-C","amount":1,"from":"a","to":"b","txHash":"h","timestamp":1700000000000}"#,
             .invalidField(field: "token", reason: "must match ^[A-Z0-9]{1,15}$ after uppercasing")),
            (#"{"token":"BTC","amount":"1","from":"a","to":"b","txHash":"h","timestamp":1700000000000}"#,
             .wrongType(field: "amount", expected: "number")),
            (#"{"token":"BTC","amount":true,"from":"a","to":"b","txHash":"h","timestamp":1700000000000}"#,
             .wrongType(field: "amount", expected: "number")),
            (#"{"token":"BTC","amount":0,"from":"a","to":"b","txHash":"h","timestamp":1700000000000}"#,
             .invalidField(field: "amount", reason: "must be a finite number > 0")),
            (#"{"token":"BTC","amount":1,"to":"b","txHash":"h","timestamp":1700000000000}"#, .missingField(field: "from")),
            (#"{"token":"BTC","amount":1,"from":"a b","to":"b","txHash":"h","timestamp":1700000000000}"#,
             .invalidField(field: "from", reason: "must be 1–128 characters without whitespace or control characters")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"","txHash":"h","timestamp":1700000000000}"#,
             .invalidField(field: "to", reason: "must be 1–128 characters without whitespace or control characters")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"b","timestamp":1700000000000}"#, .missingField(field: "txHash")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"b","txHash":7,"timestamp":1700000000000}"#,
             .wrongType(field: "txHash", expected: "string")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"b","txHash":"h","priceUSD":-1,"timestamp":1700000000000}"#,
             .invalidField(field: "priceUSD", reason: "must be a finite number > 0")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"b","txHash":"h"}"#, .missingField(field: "timestamp")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"b","txHash":"h","timestamp":1.5}"#,
             .invalidField(field: "timestamp", reason: "must be a non-negative integer of Unix epoch milliseconds")),
            (#"{"token":"BTC","amount":1,"from":"a","to":"b","txHash":"h","timestamp":1700000300001}"#,
             .invalidField(field: "timestamp", reason: "must not be more than 300000 ms in the future")),
            (#"{"kind":"swap","token":"BTC"}"#, .invalidField(field: "kind", reason: "must be \"transfer\" or \"price\"")),
            (#"{"kind":"price","token":"BTC","timestamp":1700000000000}"#, .missingField(field: "price")),
            (#"{"token":"BTC","price":0,"timestamp":1700000000000}"#,
             .invalidField(field: "price", reason: "must be a finite number > 0")),
            (#"{"token":"BTC","price":1,"volume24h":-5,"timestamp":1700000000000}"#,
             .invalidField(field: "volume24h", reason: "must be a finite number >= 0")),
        ])
    func badField(json: String, expected: WhaleInputError) {
        #expect(error(json) == expected)
        #expect(error(json)?.field == expected.field)
    }

    @Test("whole-body problems: malformed, not an object, empty, too large; element errors carry the index")
    func bodies() {
        #expect(error("nope") == .malformedJSON)
        #expect(error("42") == .notAnObject)
        #expect(error("[]") == .emptyBatch)
        #expect(error("[1]") == .item(index: 0, .notAnObject))
        let tick = #"{"token":"BTC","price":1,"timestamp":1700000000000}"#
        #expect(error("[\(tick),\(tick),\(tick)]", maxItems: 2) == .batchTooLarge(count: 3, limit: 2))
        let bad = error("[\(tick),{\"token\":\"BTC\",\"price\":\"x\",\"timestamp\":1700000000000}]")
        #expect(bad == .item(index: 1, .wrongType(field: "price", expected: "number")))
        #expect(bad?.itemIndex == 1)
        #expect(bad?.field == "price")
        #expect(bad?.description == "item 1: price must be a number")
    }

    @Test("the JSON an input writes parses back to the same input")
    func roundTrip() throws {
        let inputs: [WhaleInput] = [
            .transfer(WhaleTransfer(token: "WIF", amount: 12345.5, from: "abc", to: "def", txHash: "Sig1", priceUSD: 2.2, timestamp: t0)),
            .transfer(WhaleTransfer(token: "ETH", amount: 10, from: "0xa", to: "0xb", txHash: "0xff", timestamp: t0 - 5)),
            .price(WhalePriceTick(token: "SOL", price: 150.25, volume24h: 3e9, timestamp: t0)),
            .price(WhalePriceTick(token: "SOL", price: 150.5, timestamp: t0 + 1)),
        ]
        let parsed = try parse(JSONWriter.string(.array(inputs.map(\.json))))
        #expect(parsed.inputs == inputs)
    }
}
