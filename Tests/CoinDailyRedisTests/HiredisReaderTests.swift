import NIOCore
import Testing

@testable import CoinDailyRedis

@Suite("HiredisReader")
struct HiredisReaderTests {
    /// Feeds `chunks` one after the other and collects every complete reply.
    private func parse(_ chunks: [String]) throws -> [RESPValue] {
        let reader = HiredisReader()
        var values: [RESPValue] = []
        for chunk in chunks {
            try reader.feed(ByteBuffer(string: chunk))
            while let value = try reader.next() {
                values.append(value)
            }
        }
        return values
    }

    @Test("parses every RESP2 type from exact bytes")
    func parsesEachType() throws {
        let values = try self.parse([
            "+OK\r\n-ERR unknown command 'FOO'\r\n:-42\r\n:9223372036854775807\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
        ])
        #expect(
            values == [
                .simpleString("OK"),
                .error("ERR unknown command 'FOO'"),
                .integer(-42),
                .integer(Int64.max),
                .bulkString(ByteBuffer(string: "hello")),
                .bulkString(ByteBuffer()),
                .bulkString(nil),
                .array(nil),
                .array([]),
            ]
        )
    }

    @Test("a reply split across several feeds is returned once complete")
    func splitAcrossFeeds() throws {
        let reader = HiredisReader()
        try reader.feed(ByteBuffer(string: "*2\r\n$3\r\nfo"))
        #expect(try reader.next() == nil)
        try reader.feed(ByteBuffer(string: "o\r\n"))
        #expect(try reader.next() == nil)
        try reader.feed(ByteBuffer(string: ":1"))
        #expect(try reader.next() == nil)
        try reader.feed(ByteBuffer(string: "2\r\n+NEXT\r"))
        #expect(try reader.next() == .array([.bulkString(ByteBuffer(string: "foo")), .integer(12)]))
        #expect(try reader.next() == nil)
        try reader.feed(ByteBuffer(string: "\n"))
        #expect(try reader.next() == .simpleString("NEXT"))
        #expect(try reader.next() == nil)
    }

    @Test("byte-at-a-time feeding gives the same values")
    func byteAtATime() throws {
        let wire = "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$6\r\na\r\nb\0c\r\n:7\r\n"
        let values = try self.parse(wire.utf8.map { String(decoding: [$0], as: UTF8.self) })
        var payload = ByteBuffer(string: "a\r\nb")
        payload.writeInteger(UInt8(0))
        payload.writeString("c")
        #expect(
            values == [
                .array([.bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "news")), .bulkString(payload)]),
                .integer(7),
            ]
        )
    }

    @Test("nested arrays, with null bulk and null array inside")
    func nestedArrays() throws {
        let values = try self.parse([
            "*3\r\n*2\r\n$2\r\nid\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$2\r\nxx\r\n*-1\r\n$-1\r\n"
        ])
        #expect(
            values == [
                .array([
                    .array([.bulkString(ByteBuffer(string: "id")), .array([.bulkString(ByteBuffer(string: "f")), .bulkString(ByteBuffer(string: "v"))])]),
                    .array([.bulkString(ByteBuffer(string: "xx")), .array(nil)]),
                    .bulkString(nil),
                ])
            ]
        )
    }

    @Test("garbage input is a protocol error")
    func protocolError() throws {
        let reader = HiredisReader()
        try reader.feed(ByteBuffer(string: "!nonsense\r\n"))
        #expect(throws: RedisError.self) { try reader.next() }
        do {
            _ = try reader.next()
            Issue.record("expected a protocol error")
        } catch {
            guard case .protocolError(let message) = error else {
                Issue.record("expected protocolError, got \(error)")
                return
            }
            #expect(message.contains("Protocol error"))
        }
    }

    @Test("nextPubSub converts message and pmessage pushes directly and passes everything else through")
    func pubSubFastPath() throws {
        let reader = HiredisReader()
        try reader.feed(
            ByteBuffer(
                string: "*3\r\n$7\r\nmessage\r\n$5\r\nnews1\r\n$3\r\na\0b\r\n"
                    + "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$5\r\nnews2\r\n$0\r\n\r\n"
                    + "*3\r\n$9\r\nsubscribe\r\n$5\r\nnews1\r\n:1\r\n"
                    + "*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n:1\r\n"
                    + "+OK\r\n"
            )
        )
        guard case .message(let first)? = try reader.nextPubSub(), case .message(let second)? = try reader.nextPubSub() else {
            Issue.record("expected two messages")
            return
        }
        #expect(first == RedisPubSubMessage(channel: "news1", payload: ByteBuffer(bytes: [0x61, 0, 0x62])))
        #expect(second == RedisPubSubMessage(channel: "news2", payload: ByteBuffer()))
        guard case .other(let confirmation)? = try reader.nextPubSub() else {
            Issue.record("expected the subscribe confirmation")
            return
        }
        #expect(confirmation.array?.first?.string == "subscribe")
        // A malformed "message" (integer payload) is not turned into a message.
        guard case .other(let malformed)? = try reader.nextPubSub() else {
            Issue.record("expected the malformed push as an ordinary value")
            return
        }
        #expect(malformed.array?.last == .integer(1))
        guard case .other(.simpleString("OK"))? = try reader.nextPubSub() else {
            Issue.record("expected +OK")
            return
        }
        #expect(try reader.nextPubSub() == nil)
    }

    @Test("formats a command as exact RESP bytes")
    func formatsCommand() {
        let encoded = HiredisReader.formatCommand(["GET", "foo"])
        #expect(String(buffer: encoded) == "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n")
        let empty = HiredisReader.formatCommand(["SET", "k", ""])
        #expect(String(buffer: empty) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
        let unicode = HiredisReader.formatCommand(["SET", "k", "é"])
        #expect(String(buffer: unicode) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n")
    }

    @Test("formatting is binary-safe for \\0 and \\r\\n inside an argument")
    func formatsBinarySafe() {
        let value: [UInt8] = [0x61, 0x00, 0x0D, 0x0A, 0x62]
        let fromBytes = HiredisReader.formatCommand([Array("SET".utf8), Array("k".utf8), value])
        var expected = ByteBuffer(string: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\n")
        expected.writeBytes(value)
        expected.writeString("\r\n")
        #expect(fromBytes == expected)
        let fromBuffers = HiredisReader.formatCommand([ByteBuffer(string: "SET"), ByteBuffer(string: "k"), ByteBuffer(bytes: value)])
        #expect(fromBuffers == expected)
    }

    @Test("a formatted command parses back to the same arguments")
    func roundTrip() throws {
        let encoded = HiredisReader.formatCommand([ByteBuffer(string: "XADD"), ByteBuffer(bytes: [0, 1, 2, 13, 10])])
        let reader = HiredisReader()
        try reader.feed(encoded)
        #expect(try reader.next() == .array([.bulkString(ByteBuffer(string: "XADD")), .bulkString(ByteBuffer(bytes: [0, 1, 2, 13, 10]))]))
    }
}
