import CoinDailyProtocol
import NIOCore
import Testing

@Suite("PlainMessage encoding")
struct PlainMessageEncodeTests {
    @Test("an event with every field writes type, data, id, room, timestamp in that order")
    func eventAllFields() {
        let bytes = PlainMessage.event(
            type: "market_sentiment_update", data: ["token": "BTC", "score": 0.75], id: "req-1", room: "BTC",
            timestamp: 1_700_000_000_000)
        #expect(
            bytes.text
                == #"{"type":"market_sentiment_update","data":{"score":0.75,"token":"BTC"},"id":"req-1","room":"BTC","timestamp":1700000000000}"#
        )
    }

    @Test("absent data, id and room are omitted")
    func eventMinimal() {
        #expect(PlainMessage.event(type: "pong", data: nil, timestamp: 5).text == #"{"type":"pong","timestamp":5}"#)
        #expect(
            PlainMessage.event(type: "pong", data: nil, id: "7", timestamp: 5).text == #"{"type":"pong","id":"7","timestamp":5}"#)
    }

    @Test("id and type are escaped")
    func eventEscapes() {
        #expect(
            PlainMessage.event(type: "a\"b", data: [:], id: "x\\y", timestamp: 0).text
                == #"{"type":"a\"b","data":{},"id":"x\\y","timestamp":0}"#)
    }

    @Test("an error writes type, error {code, message}, id, timestamp")
    func error() {
        let bytes = PlainMessage.error(
            ProtocolError(.authRequired, "say \"auth\" first"), id: "9", timestamp: 1_700_000_000_000)
        #expect(
            bytes.text
                == #"{"type":"error","error":{"code":"AUTH_REQUIRED","message":"say \"auth\" first"},"id":"9","timestamp":1700000000000}"#
        )
    }

    @Test("an authentication error has type auth_error; no id means no id field")
    func authError() {
        let bytes = PlainMessage.error(ProtocolError(.authFailed, "nope"), type: "auth_error", timestamp: 1)
        #expect(bytes.text == #"{"type":"auth_error","error":{"code":"AUTH_FAILED","message":"nope"},"timestamp":1}"#)
    }
}
