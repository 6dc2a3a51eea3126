import CoinDailyProtocol
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import CoinDailyGateway

@Suite("PlainConnectionHandler: frames")
struct PlainConnectionFramingTests {
    @Test("a text frame above maxMessageBytes is INVALID_MESSAGE_FORMAT and the connection still answers")
    func tooLarge() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(maxMessageBytes: 1024))
        let channel = try await PlainConnectionFanOutTests.connected(harness)
        let big = #"{"type":"ping","id":"big","pad":""# + String(repeating: "x", count: 2000) + #""}"#
        try await channel.send(big)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"INVALID_MESSAGE_FORMAT","message":"message too large: \#(big.utf8.count) bytes, at most 1024"},"timestamp":1700000000000}"#
        )
        try await channel.send(#"{"type":"ping","id":"after"}"#)
        #expect(try await channel.nextText() == #"{"type":"pong","id":"after","timestamp":1700000000000}"#)
        try await harness.shutdown()
    }

    @Test("exactly maxMessageBytes is processed")
    func atLimit() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(maxMessageBytes: 64))
        let channel = try await harness.connect()
        let prefix = #"{"type":"ping","id":"x","pad":""#
        let message = prefix + String(repeating: "y", count: 64 - prefix.utf8.count - 2) + #""}"#
        #expect(message.utf8.count == 64)
        try await channel.send(message)
        #expect(try await channel.nextText().contains(#""code":"AUTH_REQUIRED""#))
        try await harness.shutdown()
    }

    @Test("a binary frame is INVALID_MESSAGE_FORMAT")
    func binary() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        try await channel.writeInbound(frame(.binary, ByteBuffer(bytes: [0x01, 0x02, 0x03])))
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"INVALID_MESSAGE_FORMAT","message":"binary frames are not supported: send JSON text frames"},"timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }

    @Test("text that is not JSON is INVALID_MESSAGE_FORMAT")
    func notJSON() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        try await channel.send("hello")
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"INVALID_MESSAGE_FORMAT","message":"message is not valid JSON"},"timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }

    @Test("a WebSocket ping is answered with a pong carrying the same payload")
    func webSocketPing() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        try await channel.writeInbound(frame(.ping, ByteBuffer(string: "hb-1")))
        let frames = try await channel.drainFrames()
        #expect(frames == [ServerFrame(fin: true, opcode: 0xA, payload: Array("hb-1".utf8))])
        try await harness.shutdown()
    }

    @Test("a client close frame is answered with a close frame of the same code, then the channel closes")
    func clientClose() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        var payload = ByteBuffer()
        payload.write(webSocketErrorCode: .goingAway)
        try await channel.writeInbound(frame(.connectionClose, payload))
        let frames = try await channel.drainFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.close?.code == 1001)
        #expect(frames.first?.close?.reason == "")
        #expect(!channel.isActive)
        #expect(try await harness.loop.executeInContext { harness.hub.sessionCount } == 0)
        try await harness.shutdown()
    }
}

@Suite("WebSocketFrameBytes")
struct WebSocketFrameBytesTests {
    @Test(
        "text frame header for each length encoding",
        arguments: [
            (5, [0x81, 0x05]),
            (125, [0x81, 0x7D]),
            (126, [0x81, 0x7E, 0x00, 0x7E]),
            (65535, [0x81, 0x7E, 0xFF, 0xFF]),
            (65536, [0x81, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]),
        ] as [(Int, [UInt8])])
    func header(length: Int, expected: [UInt8]) throws {
        let payload = ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0) })
        let frame = WebSocketFrameBytes.text(payload)
        #expect(frame.readableBytes == expected.count + length)
        #expect(Array(frame.readableBytesView.prefix(expected.count)) == expected)
        #expect(frame.getSlice(at: frame.readerIndex + expected.count, length: length) == payload)
        #expect(try parseFrames(Array(frame.readableBytesView)) == [ServerFrame(fin: true, opcode: 1, payload: Array(payload.readableBytesView))])
    }

    @Test("the payload buffer given is not consumed")
    func payloadUntouched() {
        let payload = ByteBuffer(string: "hello")
        let frame = WebSocketFrameBytes.frame(opcode: 0x2, payload: payload)
        #expect(payload.readableBytes == 5)
        #expect(Array(frame.readableBytesView) == [0x82, 0x05] + Array("hello".utf8))
    }

    @Test("an empty text frame is two bytes")
    func empty() {
        #expect(Array(WebSocketFrameBytes.text(ByteBuffer()).readableBytesView) == [0x81, 0x00])
    }
}
