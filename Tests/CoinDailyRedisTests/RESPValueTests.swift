import NIOCore
import Testing

@testable import CoinDailyRedis

@Suite("RESPValue")
struct RESPValueTests {
    @Test("accessors return values only for the matching cases")
    func accessors() {
        let bulk = RESPValue.bulkString(ByteBuffer(string: "12"))
        #expect(bulk.string == "12")
        #expect(bulk.int == 12)
        #expect(bulk.bytes == ByteBuffer(string: "12"))
        #expect(bulk.array == nil)
        #expect(!bulk.isNull)

        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(RESPValue.simpleString("OK").int == nil)
        #expect(RESPValue.integer(5).int == 5)
        #expect(RESPValue.integer(5).string == nil)
        #expect(RESPValue.error("ERR x").string == nil)
        #expect(RESPValue.error("ERR x").errorMessage == "ERR x")
        #expect(RESPValue.array([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.array(nil).array == nil)
        #expect(RESPValue.array(nil).isNull)
        #expect(RESPValue.bulkString(nil).isNull)
        #expect(RESPValue.bulkString(nil).string == nil)
        #expect(RESPValue.bulkString(nil).bytes == nil)
    }

    @Test("description is readable")
    func description() {
        #expect(RESPValue.array([.simpleString("OK"), .integer(3), .bulkString(nil)]).description == "[+OK, :3, (nil bulk)]")
    }
}
