import CoinDailyProtocol
import NIOCore
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test("nested values are written compactly with object keys sorted")
    func nestedSortedKeys() {
        let value: JSONValue = [
            "zeta": [1, true, nil, "x", [:], []],
            "alpha": ["y": -3, "b": 0.75, "a": false],
            "mid": "text",
        ]
        #expect(JSONWriter.string(value) == #"{"alpha":{"a":false,"b":0.75,"y":-3},"mid":"text","zeta":[1,true,null,"x",{},[]]}"#)
    }

    @Test("the same value always gives the same bytes, whatever the insertion order")
    func deterministic() {
        let a: JSONValue = .object(["b": 1, "a": 2, "c": 3])
        let b: JSONValue = .object(["c": 3, "a": 2, "b": 1])
        #expect(JSONWriter.string(a) == #"{"a":2,"b":1,"c":3}"#)
        #expect(JSONWriter.string(b) == JSONWriter.string(a))
    }

    @Test("quotes, backslashes, newlines and control characters are escaped")
    func escaping() {
        let s = "a\"b\\c\u{01}d\ne\rf\tg\u{1F}h\u{00}"
        #expect(JSONWriter.string(.string(s)) == #""a\"b\\c\u0001d\ne\rf\tg\u001fh\u0000""#)
    }

    @Test("non-ASCII text and the slash pass through unescaped as UTF-8")
    func unicodePassesThrough() {
        var buffer = ByteBuffer()
        JSONWriter.write(.string("é/€🚀"), into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("\"é/€🚀\"".utf8))
    }

    @Test("object keys are escaped like strings")
    func keysEscaped() {
        #expect(JSONWriter.string(["a\"b": 1]) == #"{"a\"b":1}"#)
    }

    @Test(
        "numbers: integral without fraction (within Int64), fractions as such, non-finite as null",
        arguments: [
            (3.0, "3"), (-42.0, "-42"), (0.0, "0"), (-0.0, "0"), (0.75, "0.75"), (-1.5, "-1.5"),
            (1_700_000_000_123, "1700000000123"), (9_007_199_254_740_991, "9007199254740991"),
            // Beyond 2^53: digits (the nearest double), never an exponent, as JavaScript writes them.
            (1_795_779_970_326_123_456, "1795779970326123520"), (-9_007_199_254_740_993, "-9007199254740992"),
            (1e19, "1e+19"),
            (Double.nan, "null"), (Double.infinity, "null"), (-Double.infinity, "null"),
        ] as [(Double, String)])
    func numbers(value: Double, expected: String) {
        #expect(JSONWriter.string(.number(value)) == expected)
    }

    @Test("writing appends to what the buffer already holds")
    func appends() {
        var buffer = ByteBuffer(string: "x=")
        JSONWriter.write([1, 2], into: &buffer)
        #expect(buffer.text == "x=[1,2]")
    }

    @Test("what the writer produces parses back to the same value")
    func roundTrip() throws {
        let value: JSONValue = ["s": "q\"\\\n\u{02}é", "n": 0.125, "a": [nil, false, -7], "o": ["k": "v"]]
        #expect(try JSONValue.parse(JSONWriter.string(value)) == value)
    }
}
