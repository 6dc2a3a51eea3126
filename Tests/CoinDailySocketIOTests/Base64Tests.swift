import CoinDailySocketIO
import Testing

/// Standard base64 with padding (RFC 4648 §4), which Engine.IO v4 uses for binary packets over polling.
@Suite("Base64")
struct Base64Tests {
    @Test(
        "RFC 4648 §10 test vectors, both ways",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ])
    func rfcVectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    }

    @Test("the Engine.IO example: <01 02 03 04> is AQIDBA==")
    func engineIOExample() {
        #expect(Base64.encode([1, 2, 3, 4] as [UInt8]) == "AQIDBA==")
        #expect(Base64.decode(Array("AQIDBA==".utf8)) == [1, 2, 3, 4])
        #expect(Base64.encode([1, 2, 3] as [UInt8]) == "AQID")
        #expect(Base64.encode([4, 5, 6] as [UInt8]) == "BAUG")
    }

    @Test("the standard alphabet (+ and /), not the URL-safe one")
    func standardAlphabet() {
        #expect(Base64.encode([0xFB, 0xFF] as [UInt8]) == "+/8=")
        #expect(Base64.encode([0xFF, 0xFF, 0xFF] as [UInt8]) == "////")
        #expect(Base64.decode(Array("+/8=".utf8)) == [0xFB, 0xFF])
        #expect(Base64.decode(Array("-_8=".utf8)) == nil)
    }

    @Test("every byte value round-trips")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        for length in [0, 1, 2, 3, 4, 5, 255, 256] {
            let input = Array(all.prefix(length))
            #expect(Base64.decode(Array(Base64.encode(input).utf8)) == input, "length \(length)")
        }
    }

    @Test(
        "malformed input is refused",
        arguments: [
            "A", "AQ", "AQI",  // not a multiple of 4
            "AQIDBA=",  // missing padding
            "A===", "====",  // padding too early
            "AQ=A",  // data after padding
            "AQ==AQ==",  // padding in the middle
            "AQI!", "AQ\nD", "AQ D", "AQIDBA==\n",  // characters outside the alphabet
        ])
    func malformed(text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil, "\(text.debugDescription) should be refused")
    }
}
