import CoinDailyProtocol
import CoinDailySocketIO
import NIOCore
import Testing

/// Socket.IO v5 packets without the Engine.IO `4` prefix, exact text in and out
/// (socketio/socket.io docs/socket.io-protocol/v5-current.md, "Packet encoding", and the packets of
/// docs/socket.io-protocol/v5-test-suite/test-suite.js).
@Suite("Socket.IO v5 packet decoding")
struct SocketIODecodeTests {
    // ---- CONNECT ------------------------------------------------------------------------------------------

    @Test("0: CONNECT to the main namespace, no payload")
    func connectMain() {
        let packet = sio("0").value
        #expect(packet == SocketIOPacket(type: .connect, namespace: "/"))
        #expect(packet?.data == nil)
        #expect(packet?.id == nil)
    }

    @Test(#"0{"token":"123"}: CONNECT to the main namespace with an auth payload"#)
    func connectMainWithPayload() {
        #expect(sio(#"0{"token":"123"}"#).value == SocketIOPacket(type: .connect, data: ["token": "123"]))
    }

    @Test("0/custom,: CONNECT to a custom namespace")
    func connectCustom() {
        #expect(sio("0/custom,").value == SocketIOPacket(type: .connect, namespace: "/custom"))
    }

    @Test(#"0/custom,{"token":"abc"}: CONNECT to a custom namespace with a payload"#)
    func connectCustomWithPayload() {
        #expect(sio(#"0/custom,{"token":"abc"}"#).value
            == SocketIOPacket(type: .connect, namespace: "/custom", data: ["token": "abc"]))
    }

    @Test("0/random and 0/custom: a namespace without the trailing comma")
    func connectNamespaceWithoutComma() {
        #expect(sio("0/random").value == SocketIOPacket(type: .connect, namespace: "/random"))
        #expect(sio("0/custom").value == SocketIOPacket(type: .connect, namespace: "/custom"))
    }

    @Test(#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}: the spec's CONNECT reply decodes too"#)
    func connectReply() {
        #expect(sio(#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#).value
            == SocketIOPacket(type: .connect, namespace: "/admin", data: ["sid": "oSO0OpakMV_3jnilAAAA"]))
    }

    // ---- DISCONNECT ---------------------------------------------------------------------------------------

    @Test("1, 1/custom, 1/admin,: DISCONNECT")
    func disconnect() {
        #expect(sio("1").value == SocketIOPacket(type: .disconnect))
        #expect(sio("1/custom").value == SocketIOPacket(type: .disconnect, namespace: "/custom"))
        #expect(sio("1/admin,").value == SocketIOPacket(type: .disconnect, namespace: "/admin"))
    }

    // ---- EVENT --------------------------------------------------------------------------------------------

    @Test(#"2["message",1,"2",{"3":[true]}]: EVENT with mixed arguments"#)
    func event() {
        let packet = sio(#"2["message",1,"2",{"3":[true]}]"#).value
        #expect(packet == SocketIOPacket(type: .event, data: ["message", 1, "2", ["3": [true]]]))
        #expect(packet?.eventName == "message")
        #expect(packet?.eventArguments == [1, "2", ["3": [true]]])
        #expect(packet?.id == nil)
        #expect(packet?.attachments == 0)
    }

    @Test(#"2["foo"] and 2/admin,["bar"]: the spec's EVENT examples"#)
    func eventExamples() {
        let foo = sio(#"2["foo"]"#).value
        #expect(foo == SocketIOPacket(type: .event, data: ["foo"]))
        #expect(foo?.eventName == "foo")
        #expect(foo?.eventArguments == [])
        #expect(sio(#"2/admin,["bar"]"#).value == SocketIOPacket(type: .event, namespace: "/admin", data: ["bar"]))
    }

    @Test(#"2456["message-with-ack",1,"2",{"3":[false]}]: EVENT with ack id 456"#)
    func eventWithAck() {
        let packet = sio(#"2456["message-with-ack",1,"2",{"3":[false]}]"#).value
        #expect(packet == SocketIOPacket(type: .event, id: 456, data: ["message-with-ack", 1, "2", ["3": [false]]]))
        #expect(packet?.id == 456)
        #expect(packet?.eventName == "message-with-ack")
    }

    @Test(#"212["foo"] and 2/admin,13["tellme"]: ack ids after the namespace"#)
    func eventAckExamples() {
        #expect(sio(#"212["foo"]"#).value == SocketIOPacket(type: .event, id: 12, data: ["foo"]))
        #expect(sio(#"2/admin,13["tellme"]"#).value == SocketIOPacket(type: .event, namespace: "/admin", id: 13, data: ["tellme"]))
    }

    @Test("an ack id of 0 is an ack id")
    func ackIdZero() {
        #expect(sio(#"20["foo"]"#).value?.id == 0)
    }

    // ---- BINARY_EVENT -------------------------------------------------------------------------------------

    @Test(#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]: BINARY_EVENT with 2 attachments"#)
    func binaryEvent() {
        let packet = sio(#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#).value
        #expect(packet == SocketIOPacket(type: .binaryEvent, data: ["message", placeholder(0), placeholder(1)], attachments: 2))
        #expect(packet?.eventName == "message")
        #expect(packet?.eventArguments == [placeholder(0), placeholder(1)])
        #expect(packet?.id == nil)
    }

    @Test(#"52-789["message-with-ack",…]: BINARY_EVENT with 2 attachments and ack id 789"#)
    func binaryEventWithAck() {
        let packet = sio(#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#).value
        #expect(packet == SocketIOPacket(
            type: .binaryEvent, id: 789, data: ["message-with-ack", placeholder(0), placeholder(1)], attachments: 2))
    }

    @Test(#"51-["baz",…] and 52-/admin,["baz",…]: the spec's BINARY_EVENT examples"#)
    func binaryEventExamples() {
        #expect(sio(#"51-["baz",{"_placeholder":true,"num":0}]"#).value
            == SocketIOPacket(type: .binaryEvent, data: ["baz", placeholder(0)], attachments: 1))
        #expect(sio(#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#).value
            == SocketIOPacket(type: .binaryEvent, namespace: "/admin", data: ["baz", placeholder(0), placeholder(1)], attachments: 2))
    }

    // ---- ACK and BINARY_ACK -------------------------------------------------------------------------------

    @Test(#"3456[1,"2"]: ACK with id 456"#)
    func ack() {
        #expect(sio(#"3456[1,"2"]"#).value == SocketIOPacket(type: .ack, id: 456, data: [1, "2"]))
    }

    @Test(#"ACKs: 3/admin,13["bar"], an empty array 312[], and 61-15[…] (BINARY_ACK)"#)
    func ackExamples() {
        #expect(sio(#"3/admin,13["bar"]"#).value == SocketIOPacket(type: .ack, namespace: "/admin", id: 13, data: ["bar"]))
        #expect(sio("312[]").value == SocketIOPacket(type: .ack, id: 12, data: []))
        #expect(sio(#"61-15["bar",{"_placeholder":true,"num":0}]"#).value
            == SocketIOPacket(type: .binaryAck, id: 15, data: ["bar", placeholder(0)], attachments: 1))
        #expect(sio(#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#).value
            == SocketIOPacket(type: .binaryAck, id: 789, data: [placeholder(0), placeholder(1)], attachments: 2))
    }

    // ---- CONNECT_ERROR ------------------------------------------------------------------------------------

    @Test(#"4{"message":"Not authorized"} and 4/random,{…}: CONNECT_ERROR"#)
    func connectError() {
        #expect(sio(#"4{"message":"Not authorized"}"#).value == SocketIOPacket(type: .connectError, data: ["message": "Not authorized"]))
        #expect(sio(#"4/random,{"message":"Invalid namespace"}"#).value
            == SocketIOPacket(type: .connectError, namespace: "/random", data: ["message": "Invalid namespace"]))
    }

    // ---- invalid packets (the receiver closes the connection) ---------------------------------------------

    @Test(
        "invalid packets are refused",
        arguments: [
            "",  // nothing
            "abc",  // official suite: unknown packet type (sent as 4abc)
            "7", "9[\"x\"]", "-1",  // no such type
            "2{}",  // official suite: invalid payload format (EVENT payload not an array)
            #"2abc["message-with-ack",1,"2",{"3":[false]}]"#,  // official suite: invalid ack id
            "2[]",  // EVENT: empty array
            "2[1]",  // EVENT: the name is not a string
            "2[null]", "2[{}]",
            "2",  // EVENT without payload
            "2\"message\"",  // EVENT: a string, not an array
            "2[\"message\"",  // truncated JSON
            #"2["message"]x"#,  // trailing garbage
            #"1{"a":1}"#,  // DISCONNECT with a payload
            "1[]",
            "0[1]",  // CONNECT payload not an object
            #"0"token""#, "0 1",
            "3456{}", "3456", "3\"x\"",  // ACK payload not an array
            "4[1]", "4 1",  // CONNECT_ERROR payload neither an object nor a string
            #"5-["message",{"_placeholder":true,"num":0}]"#,  // no attachment count
            #"52["message",{"_placeholder":true,"num":0}]"#,  // attachment count without the dash
            #"5x-["message"]"#,
            #"52-{}"#,  // BINARY_EVENT payload not an array
            #"62-789{}"#,  // BINARY_ACK payload not an array
        ])
    func invalid(wire: String) {
        let result = sio(wire)
        guard case .failure(.invalidPacket) = result else {
            Issue.record("\(wire.debugDescription) should be refused as invalid, got \(result)")
            return
        }
    }

    @Test("too many attachments: more than the cap is refused before anything else")
    func tooManyAttachments() {
        let eleven = #"511-["message"]"#
        #expect(sio(eleven, maxAttachments: 10).failure == .tooManyAttachments(11))
        #expect(sio(#"52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#, maxAttachments: 1).failure
            == .tooManyAttachments(2))
        #expect(sio(#"5999999-["message"]"#).failure == .tooManyAttachments(999_999))
        // at the cap: accepted
        #expect(sio(#"510-["message"]"#, maxAttachments: 10).value?.attachments == 10)
        #expect(sio(#"62-1[]"#, maxAttachments: 1).failure == .tooManyAttachments(2))
    }

    @Test("a huge attachment count is refused, not overflowed")
    func hugeAttachmentCount() {
        let result = sio(#"59999999999999999999999-["message"]"#)
        #expect(result.value == nil, "got \(result)")
    }
}

@Suite("Socket.IO v5 packet encoding")
struct SocketIOEncodeTests {
    @Test(#"CONNECT replies: 0{"sid":…} and 0/custom,{"sid":…}"#)
    func connectReplies() {
        #expect(sioText(SocketIOPacket(type: .connect, data: ["sid": "wZX3oN0bSVIhsaknAAAI"])) == #"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#)
        #expect(sioText(SocketIOPacket(type: .connect, namespace: "/custom", data: ["sid": "x"])) == #"0/custom,{"sid":"x"}"#)
        #expect(sioText(SocketIOPacket(type: .connect, namespace: "/admin", data: ["sid": "oSO0OpakMV_3jnilAAAA"]))
            == #"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#)
        #expect(sioText(SocketIOPacket(type: .connect)) == "0")
    }

    @Test(#"CONNECT_ERROR: 4{"message":"Invalid namespace"} with namespace /random is 4/random,{…}"#)
    func connectError() {
        #expect(sioText(SocketIOPacket(type: .connectError, namespace: "/random", data: ["message": "Invalid namespace"]))
            == #"4/random,{"message":"Invalid namespace"}"#)
        #expect(sioText(SocketIOPacket(type: .connectError, data: ["message": "Authentication failed"]))
            == #"4{"message":"Authentication failed"}"#)
        #expect(sioText(SocketIOPacket(type: .connectError, data: ["message": "Not authorized"])) == #"4{"message":"Not authorized"}"#)
    }

    @Test("DISCONNECT: 1 and 1/admin,")
    func disconnect() {
        #expect(sioText(SocketIOPacket(type: .disconnect)) == "1")
        #expect(sioText(SocketIOPacket(type: .disconnect, namespace: "/admin")) == "1/admin,")
    }

    @Test(#"EVENT: 2["message-back",1,"2",{"3":[true]}], 2["auth",{}], 2/custom,["auth",{"token":"abc"}]"#)
    func events() {
        #expect(sioText(SocketIOPacket(type: .event, data: ["message-back", 1, "2", ["3": [true]]]))
            == #"2["message-back",1,"2",{"3":[true]}]"#)
        #expect(sioText(SocketIOPacket(type: .event, data: ["auth", [:]])) == #"2["auth",{}]"#)
        #expect(sioText(SocketIOPacket(type: .event, data: ["auth", ["token": "123"]])) == #"2["auth",{"token":"123"}]"#)
        #expect(sioText(SocketIOPacket(type: .event, namespace: "/custom", data: ["auth", ["token": "abc"]]))
            == #"2/custom,["auth",{"token":"abc"}]"#)
        #expect(sioText(SocketIOPacket(type: .event, data: ["foo"])) == #"2["foo"]"#)
        #expect(sioText(SocketIOPacket(type: .event, namespace: "/admin", data: ["bar"])) == #"2/admin,["bar"]"#)
        #expect(sioText(SocketIOPacket(type: .event, id: 12, data: ["foo"])) == #"212["foo"]"#)
    }

    @Test(#"ACK: 3456[1,"2",{"3":[false]}], 3/admin,13["bar"], 312[]"#)
    func acks() {
        #expect(sioText(SocketIOPacket(type: .ack, id: 456, data: [1, "2", ["3": [false]]])) == #"3456[1,"2",{"3":[false]}]"#)
        #expect(sioText(SocketIOPacket(type: .ack, namespace: "/admin", id: 13, data: ["bar"])) == #"3/admin,13["bar"]"#)
        #expect(sioText(SocketIOPacket(type: .ack, id: 12, data: [])) == "312[]")
    }

    @Test(#"BINARY_EVENT: 52-["message-back",{placeholder 0},{placeholder 1}] and 52-/admin,[…]"#)
    func binaryEvents() {
        #expect(sioText(SocketIOPacket(type: .binaryEvent, data: ["message-back", placeholder(0), placeholder(1)], attachments: 2))
            == #"52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        #expect(sioText(SocketIOPacket(type: .binaryEvent, data: ["baz", placeholder(0)], attachments: 1))
            == #"51-["baz",{"_placeholder":true,"num":0}]"#)
        #expect(sioText(SocketIOPacket(type: .binaryEvent, namespace: "/admin", data: ["baz", placeholder(0), placeholder(1)], attachments: 2))
            == #"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
    }

    @Test(#"BINARY_ACK: 62-789[{placeholder 0},{placeholder 1}] and 61-15["bar",…], 461-/admin,1[…]"#)
    func binaryAcks() {
        #expect(sioText(SocketIOPacket(type: .binaryAck, id: 789, data: [placeholder(0), placeholder(1)], attachments: 2))
            == #"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        #expect(sioText(SocketIOPacket(type: .binaryAck, id: 15, data: ["bar", placeholder(0)], attachments: 1))
            == #"61-15["bar",{"_placeholder":true,"num":0}]"#)
        #expect(sioText(SocketIOPacket(type: .binaryAck, namespace: "/admin", id: 1, data: [placeholder(0)], attachments: 1))
            == #"61-/admin,1[{"_placeholder":true,"num":0}]"#)
    }

    @Test(#"encodeEvent writes 42["<event>",<data>] with the Engine.IO prefix"#)
    func encodeEvent() {
        var buffer = ByteBuffer()
        SocketIOCodec.encodeEvent("auth", data: [:], into: &buffer)
        #expect(buffer.utf8Text == #"42["auth",{}]"#)

        var update = ByteBuffer()
        SocketIOCodec.encodeEvent(
            "market_sentiment_update", data: ["token": "BTC", "score": 0.75, "sources": ["news": 1]], into: &update)
        #expect(update.utf8Text == #"42["market_sentiment_update",{"score":0.75,"sources":{"news":1},"token":"BTC"}]"#)

        var quoted = ByteBuffer()
        SocketIOCodec.encodeEvent("a\"b", data: "x\ny", into: &quoted)
        #expect(quoted.utf8Text == #"42["a\"b","x\ny"]"#)
    }

    @Test("encodeEvent appends: two events in one buffer")
    func encodeEventAppends() {
        var buffer = ByteBuffer(string: "prefix:")
        SocketIOCodec.encodeEvent("pong", data: [:], into: &buffer)
        #expect(buffer.utf8Text == #"prefix:42["pong",{}]"#)
    }

    @Test(
        "what the codec encodes, it decodes to the same packet",
        arguments: [
            SocketIOPacket(type: .connect, data: ["sid": "abc"]),
            SocketIOPacket(type: .connect, namespace: "/custom", data: ["token": "abc"]),
            SocketIOPacket(type: .disconnect, namespace: "/custom"),
            SocketIOPacket(type: .event, id: 456, data: ["message-with-ack", 1, "2", ["3": [false]]]),
            SocketIOPacket(type: .event, namespace: "/custom", id: 0, data: ["x", nil, 1.5, -3]),
            SocketIOPacket(type: .ack, namespace: "/custom", id: 7, data: []),
            SocketIOPacket(type: .connectError, namespace: "/random", data: ["message": "Invalid namespace"]),
            SocketIOPacket(type: .binaryEvent, id: 789, data: ["message-with-ack", placeholder(0), placeholder(1)], attachments: 2),
            SocketIOPacket(type: .binaryAck, namespace: "/custom", id: 789, data: [placeholder(0)], attachments: 1),
        ])
    func roundTrip(packet: SocketIOPacket) {
        let text = sioText(packet)
        #expect(sio(text).value == packet, "\(text)")
    }
}

@Suite("Engine.IO and Socket.IO together: the official suites' frames")
struct LayeredFrameTests {
    /// The Socket.IO packet inside one WebSocket text frame.
    func inner(_ frame: String) -> Result<SocketIOPacket, SocketIOError>? {
        guard case .message? = eio(frame).value?.type, case .text(let text)? = eio(frame).value?.payload else { return nil }
        return sio(text)
    }

    /// The WebSocket text frame carrying `packet`.
    func frame(_ packet: SocketIOPacket) -> String {
        EngineIOCodec.encode(.message(SocketIOCodec.encode(packet).utf8Text)).utf8Text
    }

    @Test(#"40, 40{"token":"123"}, 40/custom, and 40/random arrive as CONNECT packets"#)
    func connects() {
        #expect(inner("40")?.value == SocketIOPacket(type: .connect))
        #expect(inner(#"40{"token":"123"}"#)?.value == SocketIOPacket(type: .connect, data: ["token": "123"]))
        #expect(inner("40/custom,")?.value == SocketIOPacket(type: .connect, namespace: "/custom"))
        #expect(inner("40/random")?.value == SocketIOPacket(type: .connect, namespace: "/random"))
    }

    @Test("the replies the suite expects, byte for byte")
    func replies() {
        #expect(frame(SocketIOPacket(type: .event, data: ["auth", [:]])) == #"42["auth",{}]"#)
        #expect(frame(SocketIOPacket(type: .event, data: ["auth", ["token": "123"]])) == #"42["auth",{"token":"123"}]"#)
        #expect(frame(SocketIOPacket(type: .event, namespace: "/custom", data: ["auth", [:]])) == #"42/custom,["auth",{}]"#)
        #expect(frame(SocketIOPacket(type: .event, namespace: "/custom", data: ["auth", ["token": "abc"]]))
            == #"42/custom,["auth",{"token":"abc"}]"#)
        #expect(frame(SocketIOPacket(type: .connectError, namespace: "/random", data: ["message": "Invalid namespace"]))
            == #"44/random,{"message":"Invalid namespace"}"#)
        #expect(frame(SocketIOPacket(type: .event, data: ["message-back", "message to main namespace"]))
            == #"42["message-back","message to main namespace"]"#)
        #expect(frame(SocketIOPacket(type: .ack, id: 456, data: [1, "2", ["3": [false]]])) == #"43456[1,"2",{"3":[false]}]"#)
        #expect(frame(SocketIOPacket(type: .binaryEvent, data: ["message-back", placeholder(0), placeholder(1)], attachments: 2))
            == #"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
        #expect(frame(SocketIOPacket(type: .binaryAck, id: 789, data: [placeholder(0), placeholder(1)], attachments: 2))
            == #"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
    }

    @Test("echo: message in, message-back out, the arguments untouched")
    func echo() throws {
        let incoming = try #require(inner(#"42["message",1,"2",{"3":[true]}]"#)?.value)
        let reply = SocketIOPacket(type: .event, data: .array(["message-back"] + incoming.eventArguments))
        #expect(frame(reply) == #"42["message-back",1,"2",{"3":[true]}]"#)
    }

    @Test("the suite's malformed frames: 4abc, 42{}, 42abc[…] are valid Engine.IO messages but invalid Socket.IO")
    func malformed() {
        for frame in ["4abc", "42{}", #"42abc["message-with-ack",1,"2",{"3":[false]}]"#] {
            #expect(eio(frame).value?.type == .message, "\(frame) is an Engine.IO message")
            #expect(inner(frame)?.value == nil, "\(frame) must not decode as Socket.IO")
            #expect(inner(frame)?.failure != nil, "\(frame) must fail as Socket.IO")
        }
    }
}
