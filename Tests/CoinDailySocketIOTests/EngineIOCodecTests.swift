import CoinDailySocketIO
import NIOCore
import Testing

/// Engine.IO v4 packets and polling payloads, exact bytes in and out
/// (socketio/socket.io docs/engine.io-protocol/v4-current.md, "Protocol" and "Packet encoding").
@Suite("Engine.IO v4 packet codec")
struct EngineIOPacketCodecTests {
    // ---- the packet types ---------------------------------------------------------------------------------

    @Test("the seven packet types are the digits 0…6")
    func typeDigits() {
        let expected: [(EngineIOPacketType, String)] = [
            (.open, "0"), (.close, "1"), (.ping, "2"), (.pong, "3"), (.message, "4"), (.upgrade, "5"), (.noop, "6"),
        ]
        for (type, digit) in expected {
            #expect(type.rawValue == UInt8(digit)!)
            #expect(String(UnicodeScalar(type.digit)) == digit)
        }
    }

    @Test(
        "a lone type digit decodes to a packet without payload",
        arguments: [
            ("1", EngineIOPacketType.close), ("2", .ping), ("3", .pong), ("4", .message), ("5", .upgrade), ("6", .noop),
        ])
    func bareTypes(wire: String, type: EngineIOPacketType) {
        #expect(eio(wire).value == EngineIOPacket(type))
    }

    @Test(
        "a packet without payload encodes to its lone digit",
        arguments: [
            (EngineIOPacketType.close, "1"), (.ping, "2"), (.pong, "3"), (.upgrade, "5"), (.noop, "6"),
        ])
    func bareTypesEncode(type: EngineIOPacketType, wire: String) {
        #expect(EngineIOCodec.encode(EngineIOPacket(type)).utf8Text == wire)
    }

    @Test("open: 0 followed by the handshake JSON, both ways")
    func open() {
        let handshake = #"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        let packet = EngineIOPacket(.open, .text(handshake))
        #expect(EngineIOCodec.encode(packet).utf8Text == "0" + handshake)
        #expect(eio("0" + handshake).value == packet)
    }

    // ---- message ------------------------------------------------------------------------------------------

    @Test("message: 4hello is a message packet with the text hello")
    func messageHello() {
        #expect(eio("4hello").value == .message("hello"))
        #expect(eio("4hello").value == EngineIOPacket(.message, .text("hello")))
        #expect(EngineIOCodec.encode(.message("hello")).octets == Array("4hello".utf8))
    }

    @Test("message text is UTF-8, kept byte for byte (the reason v4 dropped character counting)")
    func messageUTF8() {
        let wire: [UInt8] = [0x34, 0xE2, 0x82, 0xAC]  // "4€"
        #expect((try? EngineIOCodec.decode(text: bytes(wire))) == .message("€"))
        #expect(EngineIOCodec.encode(.message("€")).octets == wire)
    }

    @Test("message: a Socket.IO packet travels as the message text, untouched")
    func messageCarriesSocketIO() {
        let wire = #"42["message",1,"2",{"3":[true]}]"#
        #expect(eio(wire).value == .message(#"2["message",1,"2",{"3":[true]}]"#))
        #expect(EngineIOCodec.encode(.message(#"2["message-back",1,"2",{"3":[true]}]"#)).utf8Text
            == #"42["message-back",1,"2",{"3":[true]}]"#)
    }

    // ---- heartbeat and upgrade probes ---------------------------------------------------------------------

    @Test("ping and pong with the probe payload: 2probe, 3probe")
    func probes() {
        #expect(eio("2probe").value == EngineIOPacket(.ping, .text("probe")))
        #expect(eio("3probe").value == EngineIOPacket(.pong, .text("probe")))
        #expect(EngineIOCodec.encode(EngineIOPacket(.pong, .text("probe"))).utf8Text == "3probe")
        #expect(EngineIOCodec.encode(EngineIOPacket(.ping, .text("probe"))).utf8Text == "2probe")
        // a probe is not a plain ping
        #expect(eio("2probe").value != EngineIOPacket(.ping))
    }

    // ---- binary -------------------------------------------------------------------------------------------

    @Test("binary: b + base64 decodes to a binary message <01 02 03 04>")
    func binaryDecode() {
        let packet = eio("bAQIDBA==").value
        #expect(packet == .binary(bytes([1, 2, 3, 4])))
        #expect(packet?.type == .message)
        if case .binary(let data)? = packet?.payload {
            #expect(data.octets == [1, 2, 3, 4])
        } else {
            Issue.record("bAQIDBA== did not decode to a binary payload: \(String(describing: packet))")
        }
    }

    @Test("binary: a binary message encodes to b + base64 (polling form)")
    func binaryEncode() {
        #expect(EngineIOCodec.encode(.binary(bytes([1, 2, 3, 4]))).utf8Text == "bAQIDBA==")
        #expect(EngineIOCodec.encode(.binary(bytes([1, 2, 3]))).utf8Text == "bAQID")
        #expect(EngineIOCodec.encode(.binary(bytes([0xFB, 0xFF]))).utf8Text == "b+/8=")
    }

    @Test("binary: every byte value survives encode then decode")
    func binaryRoundTrip() {
        let all = (0...255).map { UInt8($0) }
        let wire = EngineIOCodec.encode(.binary(bytes(all)))
        #expect((try? EngineIOCodec.decode(text: wire)) == .binary(bytes(all)))
    }

    // ---- invalid packets ----------------------------------------------------------------------------------

    @Test(
        "invalid packets are refused",
        arguments: [
            "abc",  // the official suite's "invalid packet format"
            "",  // empty
            "7", "8", "9",  // no such type
            "x4hello", " 4hello", "/4",  // not starting with a type digit
            "b!!!!", "bAQIDBA=", "bAQ=", "bA===", "bAQ=A", "bAQ==AQ==", "bAQID\n",  // bad base64
        ])
    func invalidPacket(wire: String) {
        #expect(eio(wire).failure == .invalidPacket, "\(wire.debugDescription) should be refused, got \(eio(wire))")
    }

    @Test("invalid packets are refused, whatever comes after the bad type")
    func invalidTypeWithPayload() {
        #expect(eio("7hello").failure == .invalidPacket)
        #expect(eio("abc\u{1e}4hello").failure == .invalidPacket)
    }
}

@Suite("Engine.IO v4 polling payloads")
struct EngineIOPayloadTests {
    @Test("the record separator is 0x1E")
    func separator() {
        #expect(EngineIOCodec.separator == 0x1E)
    }

    @Test("one packet: 4hello")
    func onePacket() {
        #expect(eioPayload("4hello").value == [.message("hello")])
        #expect(EngineIOCodec.encodePayload([.message("hello")]).utf8Text == "4hello")
    }

    @Test("several text packets: 4test1\\x1e4test2\\x1e4test3, both ways")
    func severalTextPackets() {
        let wire = "4test1\u{1e}4test2\u{1e}4test3"
        let packets: [EngineIOPacket] = [.message("test1"), .message("test2"), .message("test3")]
        #expect(eioPayload(wire).value == packets)
        #expect(EngineIOCodec.encodePayload(packets).octets == Array(wire.utf8))
    }

    @Test("text and binary: 4hello\\x1ebAQIDBA==, both ways")
    func textAndBinary() {
        let wire = "4hello\u{1e}bAQIDBA=="
        let packets: [EngineIOPacket] = [.message("hello"), .binary(bytes([1, 2, 3, 4]))]
        #expect(eioPayload(wire).value == packets)
        #expect(EngineIOCodec.encodePayload(packets).utf8Text == wire)
    }

    @Test("the spec's example 4hello\\x1e2\\x1e4world")
    func specExample() {
        let wire = "4hello\u{1e}2\u{1e}4world"
        let packets: [EngineIOPacket] = [.message("hello"), EngineIOPacket(.ping), .message("world")]
        #expect(eioPayload(wire).value == packets)
        #expect(EngineIOCodec.encodePayload(packets).utf8Text == wire)
    }

    @Test("control packets in a GET body: ping 2, noop 6, close 1, and the handshake")
    func controlPackets() {
        #expect(EngineIOCodec.encodePayload([EngineIOPacket(.ping)]).utf8Text == "2")
        #expect(EngineIOCodec.encodePayload([EngineIOPacket(.noop)]).utf8Text == "6")
        #expect(EngineIOCodec.encodePayload([EngineIOPacket(.close)]).utf8Text == "1")
        #expect(eioPayload("3").value == [EngineIOPacket(.pong)])
        #expect(eioPayload("1").value == [EngineIOPacket(.close)])
        #expect(
            EngineIOCodec.encodePayload([EngineIOPacket(.open, .text(#"{"sid":"a"}"#)), .message(#"0{"sid":"b"}"#)])
                .utf8Text == "0{\"sid\":\"a\"}\u{1e}40{\"sid\":\"b\"}")
    }

    @Test("a Socket.IO binary event and its attachments in one POST (placeholders, then b + base64 each)")
    func binaryEventOverPolling() {
        let wire = #"451-["baz",{"_placeholder":true,"num":0}]"# + "\u{1e}bAQIDBA=="
        #expect(eioPayload(wire).value == [.message(#"51-["baz",{"_placeholder":true,"num":0}]"#), .binary(bytes([1, 2, 3, 4]))])
    }

    @Test("an empty list of packets encodes to an empty body")
    func emptyEncode() {
        #expect(EngineIOCodec.encodePayload([]).readableBytes == 0)
    }

    @Test(
        "invalid payloads are refused",
        arguments: [
            "",  // empty body
            "abc",  // invalid packet
            "4hello\u{1e}",  // trailing separator
            "\u{1e}4hello",  // leading separator
            "4a\u{1e}\u{1e}4b",  // empty packet in the middle
            "4hello\u{1e}abc",  // second packet invalid
            "4hello\u{1e}b!!!!",  // bad base64
            "4hello\u{1e}7",  // unknown type in the second packet
        ])
    func invalidPayload(wire: String) {
        #expect(eioPayload(wire).failure == .invalidPacket, "\(wire.debugDescription) should be refused, got \(eioPayload(wire))")
    }

    @Test("more packets than allowed")
    func tooManyPackets() {
        #expect(eioPayload("4a\u{1e}4b\u{1e}4c", maxPackets: 2).failure == .tooManyPackets)
        #expect(eioPayload("4a\u{1e}4b\u{1e}4c", maxPackets: 3).value?.count == 3)
    }
}
