import CoinDailyProtocol
import NIOCore
import Testing

@Suite("EventEnvelope")
struct EventEnvelopeTests {
    static let whale = EventEnvelope(
        type: "whale_activity_alert", data: ["token": "BTC", "amountUSD": 2_500_000, "note": "a\"b"],
        timestamp: 1_700_000_000_123)

    @Test("encodes as the plain protocol's server message")
    func encoded() {
        #expect(
            Self.whale.encoded().text
                == #"{"type":"whale_activity_alert","data":{"amountUSD":2500000,"note":"a\"b","token":"BTC"},"timestamp":1700000000123}"#
        )
    }

    @Test("parse(encoded()) gives back the same envelope, and its kind")
    func roundTrip() throws {
        let parsed = try EventEnvelope.parse(Self.whale.encoded())
        #expect(parsed == Self.whale)
        #expect(parsed.kind == .whaleActivity)
    }

    @Test("an unknown event type parses but has no kind")
    func unknownKind() throws {
        let parsed = try EventEnvelope.parse(ByteBuffer(string: #"{"type":"mystery","data":{},"timestamp":1}"#))
        #expect(parsed == EventEnvelope(type: "mystery", data: [:], timestamp: 1))
        #expect(parsed.kind == nil)
    }

    @Test("a missing timestamp reads as 0")
    func missingTimestamp() throws {
        let parsed = try EventEnvelope.parse(ByteBuffer(string: #"{"type":"budget_alert","data":{"agentId":"a"}}"#))
        #expect(parsed == EventEnvelope(type: "budget_alert", data: ["agentId": "a"], timestamp: 0))
    }

    @Test(
        "an out-of-range or fractional timestamp never traps: fractions truncate, out of range reads as 0",
        arguments: [("1e300", 0), ("-1e300", 0), ("9.3e18", 0), ("1700000000123.9", 1_700_000_000_123), ("-5", -5)]
            as [(String, Int64)])
    func timestampRange(timestamp: String, expected: Int64) throws {
        let parsed = try EventEnvelope.parse(
            ByteBuffer(string: #"{"type":"budget_alert","data":{},"timestamp":\#(timestamp)}"#))
        #expect(parsed.timestamp == expected)
    }

    @Test(
        "malformed published bytes",
        arguments: [
            ("not json", "not a JSON object"),
            ("[1,2]", "not a JSON object"),
            (#"{"data":{},"timestamp":1}"#, "missing type"),
            (#"{"type":7,"data":{}}"#, "missing type"),
            (#"{"type":"budget_alert","timestamp":1}"#, "data must be an object"),
            (#"{"type":"budget_alert","data":[1],"timestamp":1}"#, "data must be an object"),
        ])
    func parseErrors(text: String, message: String) {
        #expect(throws: EventEnvelope.ParseError.malformed(message)) {
            try EventEnvelope.parse(ByteBuffer(string: text))
        }
    }
}
